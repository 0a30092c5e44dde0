import { checkOptions } from '../../engine/options.js';
// The posterior predictive of a model: its output at every draw (one vmapped batch), summarized
// by the mean and an equal-tailed credible band per output entry.
import { reshape } from '../../autodiff/ops/index.js';
import { vmap } from '../../autodiff/vmap.js';
import { fromValues } from '../../engine/creation.js';
import { ArgumentError, ShapeError, fmtShape } from '../../engine/errors.js';
import { tidy } from '../../engine/scope.js';
import { Tensor } from '../../engine/tensor.js';
import { leavesOf } from '../optim/tree.js';

export interface PredictiveResult {
  /** posterior mean of the output, the model's output shape */
  mean: Tensor;
  /** the (1 − level)/2 and (1 + level)/2 quantiles over the draws, same shape */
  lower: Tensor;
  upper: Tensor;
}

/**
 * Mean and credible band (default 90%) of apply(θ, x) over the draws θ of bayes.mcmc
 * (leaves [chains, samples, ...]); every draw's output is computed in one vmapped call.
 */
export async function predictive<P>(
  model: { apply(params: P, x: Tensor): Tensor } | ((params: P, x: Tensor) => Tensor),
  samples: P, x: Tensor, opts?: { level?: number },
): Promise<PredictiveResult> {
  const who = 'bayes.predictive';
  const o = checkOptions(who, opts, ['level']);
  const level = o.level ?? 0.9;
  if (typeof level !== 'number' || !(level > 0 && level < 1)) throw new ArgumentError(`${who}: level must be in (0, 1), got ${String(level)}`);
  const apply = typeof model === 'function' ? model : (p: P, xx: Tensor) => model.apply(p, xx);
  if (!(x instanceof Tensor)) throw new ArgumentError(`${who}: x must be a Tensor`);
  const leaves = leavesOf(samples, who, 'samples');
  const [C, S] = leaves.tensors[0]!.shape;
  if (leaves.tensors.some((t) => t.rank < 2 || t.shape[0] !== C || t.shape[1] !== S)) {
    throw new ShapeError(`${who}: every leaf of samples must be [chains, samples, ...] with one chains and samples count: ${leaves.tensors.map((t, k) => `${leaves.paths[k]} ${fmtShape(t.shape)}`).join(', ')}`);
  }
  const D = C! * S!;
  const out = tidy(() => {
    const flat = leaves.tensors.map((t) => reshape(t, [D, ...t.shape.slice(2)]));
    return vmap((...ls: Tensor[]) => apply(leaves.rebuild(ls), x), { inAxes: flat.map(() => 0) })(...flat) as Tensor;
  });
  const values = await out.data();
  const shape = out.shape.slice(1);
  out.dispose();
  const n = values.length / D;
  const [mean, lower, upper] = [new Float64Array(n), new Float64Array(n), new Float64Array(n)];
  const column = new Float64Array(D);
  const q = (sorted: Float64Array, p: number) => {
    const pos = p * (D - 1);
    const lo = Math.floor(pos);
    return sorted[lo]! + (pos - lo) * (sorted[Math.min(lo + 1, D - 1)]! - sorted[lo]!);
  };
  for (let j = 0; j < n; j++) {
    for (let d = 0; d < D; d++) column[d] = values[d * n + j]!;
    column.sort();
    mean[j] = column.reduce((s, v) => s + v, 0) / D;
    lower[j] = q(column, (1 - level) / 2);
    upper[j] = q(column, (1 + level) / 2);
  }
  const b = x.backend;
  return { mean: fromValues(mean, shape, b), lower: fromValues(lower, shape, b), upper: fromValues(upper, shape, b) };
}
