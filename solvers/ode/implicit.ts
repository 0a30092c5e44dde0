/**
 * Implicit and linearly implicit integrators for stiff systems: backward Euler and the
 * trapezoidal rule (fixed steps, Newton's method) and Rosenbrock23 (Shampine & Reichelt's
 * ode23s scheme: L-stable, order 2 with an embedded order-3 error estimate, adaptive; one
 * Jacobian per step and three linear solves, no Newton loop).
 *
 * Jacobians come from forward mode (jacfwd) and linear systems from fg.linalg.solve, so every
 * step is made of ops: it runs on WebGPU without host reads and backprop differentiates it.
 * A state y [B, ...] of rank ≥ 2 is a batch of B independent members, each with its own
 * Jacobian [B, m, m] (m the size of a member); a state of rank ≤ 1 is one system [m, m].
 * Where a system of several tensors is stepped together (the adjoint's (y, a, g_θ)), the first
 * `coupled` leaves (same shape) form the implicit block and the others enter with W = I (a
 * W-method's approximate Jacobian: Rosenbrock23 keeps its order, Newton converges).
 */

import { add, mul, sub } from '../../autodiff/ops/arith.js';
import { concat } from '../../autodiff/ops/concat.js';
import { reshape } from '../../autodiff/ops/shape.js';
import { slice } from '../../autodiff/ops/slice.js';
import { jacfwd } from '../../autodiff/transforms.js';
import { fromValues } from '../../engine/creation.js';
import type { Tensor } from '../../engine/tensor.js';
import { solveRaw } from '../linalg/dense.js';
import type { Arena } from './arena.js';
import { fmtTime } from './checks.js';
import { adaptiveLoop, type AdaptiveResult, type Reads } from './adaptive.js';
import { initialStep, scaledNorm } from './dopri5.js';
import { lincomb } from './lincomb.js';
import type { Stepper } from './rk.js';
import type { Dynamics, SolverConfig, State } from './types.js';

/**
 * Newton iterations per backward Euler / trapezoid step, a fixed count so that no host read
 * decides when to stop: the first is the linearly implicit (Rosenbrock) step, and each further
 * one, with the Jacobian frozen at the step's start, shrinks the error of the implicit
 * equation by a factor O(h) (exact after one for linear f).
 */
export const NEWTON_ITERATIONS = 3;

const coupledLeaves = new WeakMap<Dynamics, number>();

/** Declares that the first k leaves of dyn's state form its implicit block (default 1). */
export function markCoupled(dyn: Dynamics, k: number): Dynamics {
  coupledLeaves.set(dyn, k);
  return dyn;
}

interface Layout {
  /** B for a batch of members, null for one system */
  members: number | null;
  /** size of one member of one coupled leaf */
  m: number;
  k: number;
  shape: readonly number[];
}

function layoutOf(dyn: Dynamics, y: State): Layout {
  const y0 = y[0]!;
  const members = y0.rank >= 2 ? y0.shape[0]! : null;
  return { members, m: members ? y0.size / members : y0.size, k: Math.min(coupledLeaves.get(dyn) ?? 1, y.length), shape: y0.shape };
}

/** The coupled leaves as one [B, k·m] (or [k·m]) tensor. */
function pack(leaves: Tensor[], L: Layout): Tensor {
  const flat = leaves.slice(0, L.k).map((t) => reshape(t, L.members ? [L.members, L.m] : [L.m]));
  return flat.length === 1 ? flat[0]! : concat(flat, -1);
}

function unpack(x: Tensor, L: Layout): Tensor[] {
  return Array.from({ length: L.k }, (_, i) => reshape(L.k === 1 ? x : slice(x, [i * L.m], [(i + 1) * L.m], [-1]), L.shape));
}

/** ∂f/∂y of the coupled block per member: [B, k·m, k·m] or [k·m, k·m], by forward mode. */
function jacobian(dyn: Dynamics, t: number, y: State, L: Layout): Tensor {
  const memberShape = L.members ? L.shape.slice(1) : L.shape;
  const fn = (v: Tensor) => {
    const shifted = y.map((leaf, i) => (i < L.k ? add(leaf, reshape(L.k === 1 ? v : slice(v, [i * L.m], [(i + 1) * L.m], [-1]), memberShape)) : leaf));
    return pack(dyn(t, shifted), L);
  };
  return jacfwd(fn)(fromValues(new Float64Array(L.k * L.m), [L.k * L.m], y[0]!.backend));
}

/** W = I − c·J, and x ↦ W⁻¹x on states (the uncoupled leaves pass through). */
function newtonMatrix(arena: Arena, j: Tensor, c: number, L: Layout) {
  const w = sub(arena.eye(L.k * L.m), mul(j, c));
  return (r: State, context: string): State => {
    const rhs = pack(r, L);
    const x = solveRaw(w, reshape(rhs, [...rhs.shape, 1]), context);
    return [...unpack(reshape(x, rhs.shape), L), ...r.slice(L.k)];
  };
}

/** Σ coefs[i]·states[i], leaf by leaf. */
const lc = (states: State[], coefs: number[]): State => states[0]!.map((_, j) => lincomb(states.map((s) => s[j]!), coefs));

const where = (label: string, step: number, t: number, h: number, what: string) =>
  `${label}: step ${step} at t = ${fmtTime(t)} (h = ${h.toPrecision(4)}): the ${what} (a singular Jacobian step: reduce the step or check f)`;

/** Backward Euler or the trapezoidal rule, each step solved by NEWTON_ITERATIONS Newton steps. */
export function implicitStepper(method: 'backwardEuler' | 'trapezoid', label: string): Stepper {
  const theta = method === 'trapezoid' ? 0.5 : 1;
  let count = 0;
  return {
    step(arena, dyn, t, h, y) {
      count++;
      const L = layoutOf(dyn, y);
      const solveW = newtonMatrix(arena, jacobian(dyn, t, y, L), theta * h, L);
      // z − y − h·(θ·f(t + h, z) + (1 − θ)·f(t, y)) = 0
      const base = theta === 1 ? y : lc([y, dyn(t, y)], [1, (1 - theta) * h]);
      const context = where(label, count, t, h, `Newton matrix I − ${theta === 1 ? '' : 'h/2·'}${theta === 1 ? 'h·' : ''}∂f/∂y is singular`);
      let z = y;
      for (let it = 0; it < NEWTON_ITERATIONS; it++) {
        const r = lc([z, base, dyn(t + h, z)], [1, -1, -theta * h]);
        z = lc([z, solveW(r, context)], [1, -1]);
      }
      return { y: z, carry: null };
    },
  };
}

const D = 1 / (2 + Math.SQRT2);
const E32 = 6 + Math.SQRT2;

interface RosenbrockTrial {
  y: State;
  /** f at the new state (the next step's first stage) */
  f: State;
  /** the local error estimate h/6·(k₁ − 2k₂ + k₃) */
  err: State;
}

/** ∂f/∂t by a forward difference (exactly 0 for an autonomous f). */
function timeDerivative(dyn: Dynamics, t: number, y: State, f0: State, h: number): State {
  const eps = y[0]!.dtype === 'float32' ? 1.1920929e-7 : 2.220446049250313e-16;
  const delta = Math.sqrt(eps) * Math.max(Math.abs(t), Math.abs(h), 1e-3);
  return lc([dyn(t + delta, y), f0], [1 / delta, -1 / delta]);
}

/** One Rosenbrock23 step from (t, y) with f0 = f(t, y) and J = ∂f/∂y there. */
function rosenbrockStep(arena: Arena, dyn: Dynamics, t: number, h: number, y: State, f0: State, j: Tensor, L: Layout, context: string): RosenbrockTrial {
  const solveW = newtonMatrix(arena, j, h * D, L);
  const dt = timeDerivative(dyn, t, y, f0, h);
  const k1 = solveW(lc([f0, dt], [1, h * D]), context);
  const f1 = dyn(t + h / 2, lc([y, k1], [1, h / 2]));
  const k2 = lc([solveW(lc([f1, k1], [1, -1]), context), k1], [1, 1]);
  const yNew = lc([y, k2], [1, h]);
  const f2 = dyn(t + h, yNew);
  const k3 = solveW(lc([f2, k2, f1, k1, f0, dt], [1, -E32, E32, -2, 2, h * D]), context);
  return { y: yNew, f: f2, err: lc([k1, k2, k3], [h / 6, (-2 * h) / 6, h / 6]) };
}

/** Rosenbrock23 on given steps (a grid from odeintGrid): no step-size control, no reads. */
export function rosenbrockStepper(label: string): Stepper {
  let count = 0;
  return {
    step(arena, dyn, t, h, y, carry) {
      count++;
      const L = layoutOf(dyn, y);
      const f0 = carry ?? dyn(t, y);
      const r = rosenbrockStep(arena, dyn, t, h, y, f0, jacobian(dyn, t, y, L), L, where(label, count, t, h, 'matrix I − h·d·∂f/∂y is singular'));
      return { y: r.y, carry: r.f };
    },
  };
}

/**
 * Adaptive Rosenbrock23 with ode23s's step-size rule (h·min(5, 0.8·err^(−1/3)) after a
 * success, at least halved after a rejection), landing on every time in ts. The Jacobian is
 * formed once per accepted point and reused by rejected trials there. The controller reads each
 * error estimate as dopri5's does, on the same loop (adaptive.ts).
 */
export function rosenbrockAdaptive(arena: Arena, dyn: Dynamics, y0: State, ts: readonly number[], cfg: SolverConfig, names?: readonly string[]): Reads<AdaptiveResult> {
  const L = layoutOf(dyn, y0);
  const last = ts[ts.length - 1];
  return adaptiveLoop(arena, y0, ts, cfg, (t0, y0) => {
    // f and ∂f/∂y at the current state (the Jacobian is reused by the retries of a rejected step)
    let f0 = arena.run(() => dyn(t0, y0));
    let j = arena.run(() => jacobian(dyn, t0, y0, L));
    return {
      firstStep: (dir, span) => initialStep(arena, dyn, t0, y0, f0, dir, cfg, span, 3),
      trial: (t, h, y, n) => {
        const context = where(cfg.label, n, t, h, 'matrix I − h·d·∂f/∂y is singular');
        return arena.run(() => {
          const r = rosenbrockStep(arena, dyn, t, h, y, f0, j, L, context);
          return { ...r, norm: scaledNorm(arena, r.err.map((e) => e.concrete()), y.map((x) => x.concrete()), r.y.map((x) => x.concrete()), cfg.rtol, cfg.atol, y.map((x) => x.rank)) };
        }, (r) => [r.y, r.f, r.norm]);
      },
      accept: (trial, y, tNew) => {
        arena.free([y, f0, j], [trial.y, trial.f]);
        f0 = trial.f;
        if (tNew !== last) j = arena.run(() => jacobian(dyn, tNew, trial.y, L));
      },
      reject: (trial, y) => arena.free([trial.y, trial.f], [y, f0]),
      // ode23s: h·min(5, 0.8/err^(1/3)) after an accepted step, at least ÷10 and at most ÷2 after a rejected one
      grow: (err, h) => {
        const fac = 1.25 * Math.cbrt(err);
        return fac > 0.2 ? h / fac : 5 * h;
      },
      shrink: (err, h) => (Number.isFinite(err) ? h * Math.max(0.1, Math.min(0.5, 0.8 / Math.cbrt(err))) : h / 5),
      dispose: () => arena.free([f0, j], null),
      advice: { underflow: 'the solution may blow up there: check f or loosen rtol/atol', maxSteps: 'raise maxSteps or loosen rtol/atol' },
    };
  }, names);
}
