import { customVjp } from '../../autodiff/custom.js';
import { stack } from '../../autodiff/ops/concat.js';
import { vjp } from '../../autodiff/transforms.js';
import { flatten } from '../../autodiff/tree.js';
import type { Tensor } from '../../engine/tensor.js';
import { Arena } from './arena.js';
import { checkClosure } from './closure.js';
import { runSync } from './dopri5.js';
import { adaptiveController, integratePlan, planOf, primalDynamics, stepperOf } from './solve.js';
import type { Step } from './times.js';
import type { OdeFunc, SolverConfig } from './types.js';

/**
 * Backprop with checkpoints: the steps are cut into segments of `every` steps (within each
 * interval between output times); each segment is one composite op that keeps only its input
 * state and, in the backward pass, runs its steps again under a tape and pulls the cotangent
 * back through them. Memory: the segment boundaries plus one segment's tape, about 2√N states
 * for N steps with every = √N; time: one more forward pass. dopri5 chooses its steps first,
 * in an untraced solve, and the segments replay them.
 */
export function checkpointed(f: OdeFunc, y0: Tensor, ts: readonly number[], params: unknown, cfg: SolverConfig, every: number | 'sqrt'): Tensor {
  const { leaves, rebuild } = flatten(params);
  const label = `${cfg.label} checkpoint`;
  let stepCfg = cfg;
  const arena = new Arena(y0.backend);
  try {
    const y00 = y0.concrete();
    const controller = adaptiveController(arena, primalDynamics(f, rebuild(leaves.map((l) => l.concrete())), cfg.label), [y00], ts, cfg);
    if (controller) {
      const r = runSync(controller, cfg.label);
      arena.release(r.outs, [y00]);
      stepCfg = { ...cfg, grid: r.grid };
    }
    const plan = planOf(ts, stepCfg);
    const total = plan.reduce((n, s) => n + s.length, 0);
    const k = every === 'sqrt' ? Math.max(1, Math.round(Math.sqrt(total))) : every;

    const run = (steps: Step[], y: Tensor, ls: Tensor[]): Tensor => {
      const inner = new Arena(y.backend);
      try {
        return integratePlan(inner, stepperOf(inner, stepCfg, y), primalDynamics(f, rebuild(ls), label), [y], [steps], label)[1]![0]!;
      } finally {
        inner.dispose();
      }
    };
    const segment = (steps: Step[]) =>
      customVjp(
        label,
        (y, ...ls) => checkClosure(run(steps, y, ls), [y, ...ls], label),
        ([y, ...ls], _out, g) => {
          const [value, back] = vjp((yy: Tensor, ...l: Tensor[]) => run(steps, yy, l), y!, ...ls);
          const cts = back(g) as Tensor[];
          back.dispose();
          (value as Tensor).dispose();
          return cts;
        },
        { batched: true },
      );

    const outs: Tensor[] = [y0];
    let y = y0;
    for (const steps of plan) {
      for (let s = 0; s < steps.length; s += k) {
        const next = arena.run(() => segment(steps.slice(s, s + k))(y, ...leaves));
        arena.free(y, null);
        y = next;
      }
      outs.push(arena.keep(y));
    }
    const out = stack(outs);
    arena.release(outs, out);
    return out;
  } finally {
    arena.dispose();
  }
}
