import type { Tensor } from '../../engine/tensor.js';

export const METHODS = ['euler', 'midpoint', 'heun', 'rk4', 'rk38', 'dopri5', 'leapfrog', 'backwardEuler', 'trapezoid', 'rosenbrock23'] as const;
/** methods that choose their own steps (rtol/atol), or apply their formula on a given grid */
export const ADAPTIVE_METHODS: readonly OdeMethod[] = ['dopri5', 'rosenbrock23'];
export const isAdaptive = (m: OdeMethod) => ADAPTIVE_METHODS.includes(m);
export type OdeMethod = (typeof METHODS)[number];

/** The right-hand side: dy/dt at time t (a JS number) for state y, with the parameter tree. */
export type OdeFunc<P = any> = (t: number, y: Tensor, params: P) => Tensor;

/** How the adjoint (grad: 'adjoint') integrates its augmented system backwards in time. */
export interface AdjointOptions {
  /** default: the forward method ('rk4' when the forward method is leapfrog) */
  method?: Exclude<OdeMethod, 'leapfrog'>;
  /** fixed-step methods: step size (default: the forward dt or steps) */
  dt?: number;
  /** fixed-step methods: equal steps per interval between consecutive times (default: the forward's) */
  steps?: number;
  /** dopri5: tolerances (default: the forward's) */
  rtol?: number;
  atol?: number;
  /** cap on steps, as for the forward solve (default: the forward's) */
  maxSteps?: number;
}

export interface OdeintOptions<P = any> {
  /** default 'rk4' when dt, steps or grid is given, else 'dopri5' */
  method?: OdeMethod;
  /**
   * fixed-step methods: step size; each interval between consecutive times in ts is split into
   * ⌈|Δt|/dt⌉ equal steps, so every output time is hit exactly. dopri5: the first step to try.
   */
  dt?: number;
  /** fixed-step methods: equal steps per interval between consecutive times in ts */
  steps?: number;
  /**
   * Step boundaries to integrate on (from odeintGrid, or any monotone list that starts at ts[0],
   * ends at the last time and contains every time in ts). With dopri5 the fifth-order tableau
   * is applied on these steps, without step-size control (no host reads: works on WebGPU).
   */
  grid?: readonly number[];
  /** dopri5: relative and absolute tolerance of the local error (defaults 1e-7, 1e-9) */
  rtol?: number;
  atol?: number;
  /**
   * cap on steps over the whole solve (default 10000): dopri5's attempted steps (accepted and
   * rejected); a fixed-step solve whose dt or steps would take more is refused before it starts
   */
  maxSteps?: number;
  /** a tree of tensors passed to f as its third argument; what grad: 'adjoint' differentiates */
  params?: P;
  /** 'backprop' (default): the tape records every stage; 'adjoint': the continuous adjoint */
  grad?: 'backprop' | 'adjoint';
  /**
   * backprop only: keep the state at every `checkpoint` steps (true: about √steps) and
   * recompute each segment's steps during the backward pass.
   */
  checkpoint?: boolean | number;
  /** grad: 'adjoint': how the backward solve integrates */
  adjoint?: AdjointOptions;
}

/** A state as the integrators see it: one or more tensors stepped together (the adjoint's (y, a, g_θ)). */
export type State = Tensor[];

/** Right-hand side of a system of states, with its shape checks. */
export type Dynamics = (t: number, y: State) => State;

/** What one solve needs to know, after validation. */
export interface SolverConfig {
  method: OdeMethod;
  dt?: number;
  steps?: number;
  grid?: readonly number[];
  rtol: number;
  atol: number;
  maxSteps: number;
  /** names the solve in errors: "odeint (rk4)", "odeint adjoint (dopri5)" */
  label: string;
}
