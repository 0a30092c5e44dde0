import type { Tensor } from '../../engine/tensor.js';
import type { Arena } from './arena.js';
import { checkDerivative, checkFinite, checksFinite } from './checks.js';
import type { AdaptiveResult, Reads } from './adaptive.js';
import { adaptive, runSync } from './dopri5.js';
import { implicitStepper, rosenbrockAdaptive, rosenbrockStepper } from './implicit.js';
import { finiteWatch } from './finite.js';
import { leapfrogStepper } from './leapfrog.js';
import { rkStepper, type Stepper } from './rk.js';
import { TABLEAUS } from './tableaus.js';
import { fixedPlan, gridPlan, type Plan } from './times.js';
import type { Dynamics, OdeFunc, SolverConfig, State } from './types.js';

/** f(t, y, params) as the integrators call it, with its result checked. */
export function primalDynamics(f: OdeFunc, params: unknown, label: string): Dynamics {
  return (t, [y]) => [checkDerivative(f(t, y!, params), y!, t, label)];
}

/** The steps of a fixed-step solve (or of dopri5 on a given grid). */
export function planOf(ts: readonly number[], cfg: SolverConfig): Plan {
  return cfg.grid ? gridPlan(ts, cfg.grid, cfg.label) : fixedPlan(ts, cfg);
}

export function stepperOf(arena: Arena, cfg: SolverConfig, y0: Tensor): Stepper {
  if (cfg.method === 'rosenbrock23') return rosenbrockStepper(cfg.label);
  if (cfg.method === 'backwardEuler' || cfg.method === 'trapezoid') return implicitStepper(cfg.method, cfg.label);
  return cfg.method === 'leapfrog' ? leapfrogStepper(arena, y0, cfg.label) : rkStepper(TABLEAUS[cfg.method]);
}

/**
 * Runs the steps of a plan and returns the state at every output time (y0 first). Each step
 * runs in its own arena scope and the state it replaces is freed at once.
 */
export function integratePlan(arena: Arena, stepper: Stepper, dyn: Dynamics, y0: State, plan: Plan, label: string, names?: readonly string[]): State[] {
  const outs: State[] = [y0];
  let y = y0;
  let carry: State | null = null;
  let n = 0;
  const flag = y0[0]!.backend.name === 'webgpu' && checksFinite() ? finiteWatch(y0, plan, label, names) : null;
  for (const steps of plan) {
    for (const { t, h } of steps) {
      const r = arena.run(() => stepper.step(arena, dyn, t, h, y, carry), (r) => [r.y, r.carry]);
      checkFinite(r.y, t + h, ++n, t, h, label, names);
      flag?.(r.y);
      arena.free([y, carry], [r.y, r.carry]);
      ({ y, carry } = r);
    }
    outs.push(arena.keep(y));
  }
  arena.free(carry, null);
  return outs;
}

/** The state at every time in ts, by the configured method (dopri5 adaptive unless given a grid). */
export function solve(arena: Arena, dyn: Dynamics, y0: State, ts: readonly number[], cfg: SolverConfig, names?: readonly string[]): State[] {
  const controller = adaptiveController(arena, dyn, y0, ts, cfg, names);
  if (controller) return runSync(controller, cfg.label, cfg.method).outs;
  return integratePlan(arena, stepperOf(arena, cfg, y0[0]!), dyn, y0, planOf(ts, cfg), cfg.label, names);
}

/** The step-size controller of an adaptive method without a grid (null otherwise). */
export function adaptiveController(arena: Arena, dyn: Dynamics, y0: State, ts: readonly number[], cfg: SolverConfig, names?: readonly string[]): Reads<AdaptiveResult> | null {
  if (cfg.grid) return null;
  if (cfg.method === 'dopri5') return adaptive(arena, dyn, y0, ts, cfg, names);
  if (cfg.method === 'rosenbrock23') return rosenbrockAdaptive(arena, dyn, y0, ts, cfg, names);
  return null;
}
