import { customVjp } from '../../autodiff/custom.js';
import { add, neg } from '../../autodiff/ops/arith.js';
import { stack } from '../../autodiff/ops/concat.js';
import { reshape } from '../../autodiff/ops/shape.js';
import { sliceAxis } from '../../autodiff/ops/slice.js';
import { vjp } from '../../autodiff/transforms.js';
import { flatten } from '../../autodiff/tree.js';
import { fromValues } from '../../engine/creation.js';
import type { Tensor } from '../../engine/tensor.js';
import { Arena } from './arena.js';
import { checkDerivative } from './checks.js';
import { checkClosure } from './closure.js';
import { markCoupled } from './implicit.js';
import { planOf, primalDynamics, solve } from './solve.js';
import { planTimes } from './times.js';
import type { Dynamics, OdeFunc, SolverConfig } from './types.js';

/**
 * The augmented system of the continuous adjoint, state (y, a, g_θ):
 *   dy/dt = f(t, y, θ),  da/dt = −aᵀ ∂f/∂y,  dg_θ/dt = −aᵀ ∂f/∂θ,
 * one VJP of f per stage (taped, then freed). Integrated from the last time back to the first,
 * g_θ goes from 0 to ∫ aᵀ ∂f/∂θ dt.
 */
function augmented(f: OdeFunc, rebuild: (l: Tensor[]) => unknown, params: Tensor[], label: string): Dynamics {
  return (t, [y, a]) => {
    const [fy, back] = vjp((yy: Tensor, ...ps: Tensor[]) => checkDerivative(f(t, yy, rebuild(ps)), yy, t, label), y!, ...params);
    const [ay, ...ap] = back(a!) as Tensor[];
    back.dispose();
    return [fy as Tensor, neg(ay!), ...ap.map((g) => neg(g))];
  };
}

/** Per backward interval (ts[i] → ts[i−1]): the forward's grid there reversed, or the adjoint's own steps. */
function intervalConfigs(cfg: SolverConfig, ts: readonly number[]): (i: number) => SolverConfig {
  if (!cfg.grid) return () => cfg;
  const plan = planOf(ts, cfg);
  return (i) => ({ ...cfg, grid: planTimes([ts[i - 1]!, ts[i]!], [plan[i - 1]!]).reverse() });
}

/**
 * odeint with grad: 'adjoint': the forward solve runs untraced (one composite op whose tape
 * node keeps y0, the parameters and the states at ts); its reverse rule solves the augmented
 * system backwards with its own method and tolerances, interval by interval: at each output
 * time the state y is reset to the forward's value there and that time's cotangent is added to
 * a. Memory holds a few augmented states whatever the number of steps.
 */
export function adjointOdeint(f: OdeFunc, y0: Tensor, ts: readonly number[], params: unknown, cfg: SolverConfig, adj: SolverConfig): Tensor {
  const { leaves, rebuild } = flatten(params);
  const names = ['state y', 'adjoint a', ...leaves.map((_, i) => `parameter gradient (params leaf ${i})`)];
  const forward = (y: Tensor, ...ls: Tensor[]): Tensor => {
    const arena = new Arena(y.backend);
    try {
      const outs = solve(arena, primalDynamics(f, rebuild(ls), cfg.label), [y], ts, cfg);
      const out = stack(outs.map((s) => s[0]!));
      arena.release(outs, out);
      return checkClosure(out, [y, ...ls], cfg.label);
    } finally {
      arena.dispose();
    }
  };
  const backward = ([, ...ls]: Tensor[], out: Tensor, g: Tensor): Tensor[] => {
    const arena = new Arena(out.backend);
    try {
      const at = (x: Tensor, i: number) => reshape(sliceAxis(x, 0, i, i + 1), x.shape.slice(1));
      const dyn = markCoupled(augmented(f, rebuild, ls, adj.label), 2); // implicit methods: (y, a) is the stiff block
      const n = ts.length;
      const configFor = intervalConfigs(adj, ts);
      let state = arena.run(() => [at(out, n - 1), at(g, n - 1), ...ls.map((l) => fromValues(new Float64Array(l.size), l.shape, l.backend))]);
      for (let i = n - 1; i > 0; i--) {
        const end = solve(arena, dyn, state, [ts[i]!, ts[i - 1]!], configFor(i), names)[1]!;
        const next = arena.run(() => [at(out, i - 1), add(end[1]!, at(g, i - 1)), ...end.slice(2)]);
        arena.release([state, end], next);
        state = next;
      }
      return state.slice(1);
    } finally {
      arena.dispose();
    }
  };
  return customVjp(`${cfg.label} with grad: 'adjoint'`, forward, backward)(y0, ...leaves);
}
