import { checkOptions } from '../../engine/options.js';
// Log-densities as plain functions of tensors and parameter trees: differentiable, so that
// grad/vmap apply to them, and summed to one scalar per call (one chain, one data set).
import { add, mul, sub, square, abs, sum } from '../../autodiff/ops/index.js';
import { ArgumentError, ShapeError, fmtShape } from '../../engine/errors.js';
import { Tensor } from '../../engine/tensor.js';
import { leavesOf } from '../optim/tree.js';

const LOG_2PI = Math.log(2 * Math.PI);

function checkScale(who: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new ArgumentError(`${who}: ${name} must be a positive finite number, got ${String(v)}`);
  return v;
}

/** log N(y | pred, noise²) summed over every entry (the noise standard deviation is known). */
export function gaussianLogLikelihood(pred: Tensor, y: Tensor, noise: number): Tensor {
  const who = 'bayes.gaussianLogLikelihood';
  checkScale(who, 'noise', noise);
  if (!(pred instanceof Tensor) || !(y instanceof Tensor)) throw new ArgumentError(`${who}: pred and y must be tensors`);
  if (pred.size !== y.size) throw new ShapeError(`${who}: pred ${fmtShape(pred.shape)} and y ${fmtShape(y.shape)} differ in size`);
  const r = sub(pred, pred.rank === y.rank ? y : y.reshape(pred.shape));
  return add(mul(sum(square(r)), -0.5 / (noise * noise)), -y.size * (Math.log(noise) + 0.5 * LOG_2PI));
}

/** Σ log N(θ | loc, scale²) over every scalar of a parameter tree. */
export function gaussianLogPrior(params: unknown, scale = 1, loc = 0): Tensor {
  const who = 'bayes.gaussianLogPrior';
  checkScale(who, 'scale', scale);
  const { tensors } = leavesOf(params, who, 'params');
  const n = tensors.reduce((s, t) => s + t.size, 0);
  const ss = tensors.map((t) => sum(square(loc ? sub(t, loc) : t))).reduce((a, b) => add(a, b));
  return add(mul(ss, -0.5 / (scale * scale)), -n * (Math.log(scale) + 0.5 * LOG_2PI));
}

/** Σ log Laplace(θ | loc, scale) over every scalar of a parameter tree. */
export function laplaceLogPrior(params: unknown, scale = 1, loc = 0): Tensor {
  const who = 'bayes.laplaceLogPrior';
  checkScale(who, 'scale', scale);
  const { tensors } = leavesOf(params, who, 'params');
  const n = tensors.reduce((s, t) => s + t.size, 0);
  const sa = tensors.map((t) => sum(abs(loc ? sub(t, loc) : t))).reduce((a, b) => add(a, b));
  return add(mul(sa, -1 / scale), -n * Math.log(2 * scale));
}

export interface LogPosteriorOptions {
  /** standard deviation of the Gaussian observation noise (known) */
  noise: number;
  /** prior on every parameter (default 'gaussian') */
  prior?: 'gaussian' | 'laplace';
  /** its scale: standard deviation (Gaussian) or b (Laplace), default 1 */
  priorScale?: number;
}

/**
 * The log-posterior (up to its normalizing constant) of a model on a data set, as a function of
 * one parameter tree: log N(y | apply(params, x), noise²) + log prior(params). `model` is anything
 * with a pure `apply(params, x)` (fg.models.*), or the apply function itself.
 */
export function logPosterior<P>(
  model: { apply(params: P, x: Tensor): Tensor } | ((params: P, x: Tensor) => Tensor),
  data: { x: Tensor; y: Tensor },
  opts: LogPosteriorOptions,
): (params: P) => Tensor {
  const who = 'bayes.logPosterior';
  const o = checkOptions(who, opts, ['noise', 'prior', 'priorScale']);
  const noise = checkScale(who, 'noise', o.noise);
  const scale = o.priorScale === undefined ? 1 : checkScale(who, 'priorScale', o.priorScale);
  const prior = o.prior ?? 'gaussian';
  if (prior !== 'gaussian' && prior !== 'laplace') throw new ArgumentError(`${who}: prior must be 'gaussian' or 'laplace', got ${JSON.stringify(prior)}`);
  const apply = typeof model === 'function' ? model : (p: P, x: Tensor) => model.apply(p, x);
  if (typeof apply !== 'function') throw new ArgumentError(`${who}: model must have an apply(params, x) function`);
  if (!data || !(data.x instanceof Tensor) || !(data.y instanceof Tensor)) throw new ArgumentError(`${who}: data must be { x: Tensor, y: Tensor }`);
  const logPrior = prior === 'gaussian' ? gaussianLogPrior : laplaceLogPrior;
  return (params: P) => add(gaussianLogLikelihood(apply(params, data.x), data.y, noise), logPrior(params, scale));
}

