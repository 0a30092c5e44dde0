import { stack } from '../../autodiff/ops/concat.js';
import { ArgumentError } from '../../engine/errors.js';
import { flatten } from '../../autodiff/tree.js';
import type { Tensor } from '../../engine/tensor.js';
import { adjointOdeint } from './adjoint.js';
import { Arena } from './arena.js';
import { checkpointed } from './checkpoint.js';
import { runAsync } from './dopri5.js';
import { resolveOptions } from './options.js';
import { adaptiveController, planOf, primalDynamics, solve } from './solve.js';
import { isAdaptive } from './types.js';
import { planTimes } from './times.js';
import type { OdeFunc, OdeintOptions } from './types.js';

export type { OdeFunc, OdeintOptions, AdjointOptions, OdeMethod } from './types.js';

/**
 * Integrates dy/dt = f(t, y, params) from y0 at ts[0] and returns y at every time in ts,
 * stacked along a new leading axis: shape [ts.length, ...y0.shape].
 *
 * - f(t, y, params): t is a JS number (stages, the adjoint and dopri5 evaluate f at any t),
 *   y a tensor of y0's shape (a batch of states is just a larger y0), params = opts.params;
 *   returns dy/dt with y's shape.
 * - ts: numbers (or a 1-D cpu tensor), strictly increasing or strictly decreasing (integration
 *   backwards in time works for every method).
 * - methods: euler, midpoint, heun, rk4, rk38 (fixed steps: dt or steps), dopri5 (adaptive:
 *   rtol/atol; on WebGPU give it a grid from odeintGrid), leapfrog (separable Hamiltonian
 *   systems, see leapfrog.ts for how the state is split); for stiff systems backwardEuler and
 *   trapezoid (fixed steps, Newton) and rosenbrock23 (adaptive, L-stable; on WebGPU give it a
 *   grid from odeintGrid), see implicit.ts (a state [B, ...] is B independent systems).
 * - grad: 'backprop' (the tape records every stage; checkpoint trades memory for recomputation)
 *   or 'adjoint' (the continuous adjoint, solved backwards with opts.adjoint; constant memory;
 *   derivatives flow to y0 and opts.params). Forward mode (jvp, jacfwd) differentiates the
 *   solver's steps in both cases.
 */
export function odeint<P = any>(f: OdeFunc<P>, y0: Tensor, ts: readonly number[] | Float64Array | Float32Array | Tensor, opts?: OdeintOptions<P>): Tensor {
  const r = resolveOptions(y0, ts, opts);
  if (typeof f !== 'function') throw new ArgumentError(`${r.cfg.label}: f must be a function (t, y, params) => dy/dt`);
  const params = opts?.params;
  if (r.adjoint) return adjointOdeint(f, y0, r.times, params, r.cfg, r.adjoint);
  if (r.checkpoint !== null) return checkpointed(f, y0, r.times, params, r.cfg, r.checkpoint);
  const arena = new Arena(y0.backend);
  try {
    const outs = solve(arena, primalDynamics(f, params, r.cfg.label), [y0], r.times, r.cfg);
    const out = stack(outs.map((s) => s[0]!));
    arena.release(outs, out);
    return out;
  } finally {
    arena.dispose();
  }
}

/**
 * The step boundaries odeint would take (the accepted steps of dopri5, with every time in ts),
 * found with asynchronous reads, so that it works on WebGPU: pass the result as opts.grid to
 * odeint, which then applies the method's tableau on these steps without reading back (and
 * is differentiable). Fixed-step methods return their planned steps.
 */
export async function odeintGrid<P = any>(f: OdeFunc<P>, y0: Tensor, ts: readonly number[] | Float64Array | Float32Array | Tensor, opts?: OdeintOptions<P>): Promise<number[]> {
  const r = resolveOptions(y0, ts, opts, 'odeintGrid');
  if (!isAdaptive(r.cfg.method) || r.cfg.grid) return planTimes(r.times, planOf(r.times, r.cfg));
  const arena = new Arena(y0.backend);
  try {
    const y = y0.concrete();
    const { leaves, rebuild } = flatten(opts?.params);
    const dyn = primalDynamics(f, rebuild(leaves.map((l) => l.concrete())), r.cfg.label);
    const res = await runAsync(adaptiveController(arena, dyn, [y], r.times, r.cfg)!);
    arena.release(res.outs, [y]);
    return res.grid;
  } finally {
    arena.dispose();
  }
}
