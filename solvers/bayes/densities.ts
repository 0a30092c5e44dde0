import { checkOptions } from '../../engine/options.js';
// Log-densities as plain functions of tensors and parameter trees: differentiable, so that
// grad/vmap apply to them, and summed to one scalar per call (one chain, one data set).
import { add, mul, sub, square, abs, sum, exp, reshape } from '../../autodiff/ops/index.js';
import { ArgumentError, ShapeError, fmtShape } from '../../engine/errors.js';
import { Tensor } from '../../engine/tensor.js';
import { leavesOf } from '../optim/tree.js';

const LOG_2PI = Math.log(2 * Math.PI);

function checkScale(who: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new ArgumentError(`${who}: ${name} must be a positive finite number, got ${String(v)}`);
  return v;
}

/**
 * log N(y | pred, σ²) summed over every entry: σ = noise, a known number, or σ = exp(logNoise)
 * for a scalar tensor `logNoise` (the noise learned with the weights).
 */
export function gaussianLogLikelihood(pred: Tensor, y: Tensor, noise: number | { logNoise: Tensor }): Tensor {
  const who = 'bayes.gaussianLogLikelihood';
  if (typeof noise === 'number') checkScale(who, 'noise', noise);
  else if (!(noise?.logNoise instanceof Tensor) || noise.logNoise.size !== 1) throw new ArgumentError(`${who}: noise must be a positive number or { logNoise: a scalar tensor }`);
  if (!(pred instanceof Tensor) || !(y instanceof Tensor)) throw new ArgumentError(`${who}: pred and y must be tensors`);
  if (pred.size !== y.size) throw new ShapeError(`${who}: pred ${fmtShape(pred.shape)} and y ${fmtShape(y.shape)} differ in size`);
  const r = sub(pred, pred.rank === y.rank ? y : y.reshape(pred.shape));
  if (typeof noise === 'number') return add(mul(sum(square(r)), -0.5 / (noise * noise)), -y.size * (Math.log(noise) + 0.5 * LOG_2PI));
  // −½·Σr²·e^(−2·log σ) − n·log σ − n/2·log 2π
  const logSigma = reshape(noise.logNoise, []);
  return add(add(mul(mul(sum(square(r)), exp(mul(logSigma, -2))), -0.5), mul(logSigma, -y.size)), -0.5 * y.size * LOG_2PI);
}

/** Σ f(θ − loc) over every scalar θ of a parameter tree, and their count. */
function perScalar(who: string, params: unknown, scale: number, loc: number, f: (t: Tensor) => Tensor): { total: Tensor; n: number } {
  checkScale(who, 'scale', scale);
  const { tensors } = leavesOf(params, who, 'params');
  const n = tensors.reduce((s, t) => s + t.size, 0);
  const total = tensors.map((t) => sum(f(loc ? sub(t, loc) : t))).reduce((a, b) => add(a, b));
  return { total, n };
}

/** Σ log N(θ | loc, scale²) over every scalar of a parameter tree. */
export function gaussianLogPrior(params: unknown, scale = 1, loc = 0): Tensor {
  const { total, n } = perScalar('bayes.gaussianLogPrior', params, scale, loc, square);
  return add(mul(total, -0.5 / (scale * scale)), -n * (Math.log(scale) + 0.5 * LOG_2PI));
}

/** Σ log Laplace(θ | loc, scale) over every scalar of a parameter tree. */
export function laplaceLogPrior(params: unknown, scale = 1, loc = 0): Tensor {
  const { total, n } = perScalar('bayes.laplaceLogPrior', params, scale, loc, abs);
  return add(mul(total, -1 / scale), -n * Math.log(2 * scale));
}

export interface LogPosteriorOptions {
  /**
   * standard deviation of the Gaussian observation noise: a known number, or 'learned': then
   * the density is a function of { params, logNoise } (log σ a scalar tensor, sampled or fitted
   * with the weights) with a Gaussian prior on log σ
   */
  noise: number | 'learned';
  /** the prior on log σ for a learned noise: N(loc, scale²), default { loc: log 0.1, scale: 1 } */
  noisePrior?: { loc: number; scale: number };
  /** prior on every parameter (default 'gaussian') */
  prior?: 'gaussian' | 'laplace';
  /** its scale: standard deviation (Gaussian) or b (Laplace), default 1 */
  priorScale?: number;
}

/**
 * The log-posterior (up to its normalizing constant) of a model on a data set, as a function of
 * one parameter tree: log N(y | apply(params, x), noise²) + log prior(params). `model` is anything
 * with a pure `apply(params, x)` (fg.models.*), or the apply function itself. With
 * `noise: 'learned'` it is a function of { params, logNoise } and adds the prior of log σ.
 */
export function logPosterior<P>(
  model: { apply(params: P, x: Tensor): Tensor } | ((params: P, x: Tensor) => Tensor),
  data: { x: Tensor; y: Tensor },
  opts: LogPosteriorOptions & { noise: number },
): (params: P) => Tensor;
export function logPosterior<P>(
  model: { apply(params: P, x: Tensor): Tensor } | ((params: P, x: Tensor) => Tensor),
  data: { x: Tensor; y: Tensor },
  opts: LogPosteriorOptions & { noise: 'learned' },
): (params: { params: P; logNoise: Tensor }) => Tensor;
export function logPosterior<P>(
  model: { apply(params: P, x: Tensor): Tensor } | ((params: P, x: Tensor) => Tensor),
  data: { x: Tensor; y: Tensor },
  opts: LogPosteriorOptions,
): (params: any) => Tensor {
  const who = 'bayes.logPosterior';
  const o = checkOptions(who, opts, ['noise', 'noisePrior', 'prior', 'priorScale']);
  const learned = o.noise === 'learned';
  const noise = learned ? 0 : checkScale(who, 'noise', o.noise);
  if (o.noisePrior !== undefined && !learned) throw new ArgumentError(`${who}: noisePrior applies to noise: 'learned' only`);
  const np = o.noisePrior ?? { loc: Math.log(0.1), scale: 1 };
  if (!np || typeof np.loc !== 'number' || !Number.isFinite(np.loc)) throw new ArgumentError(`${who}: noisePrior.loc must be a finite number, got ${String(np?.loc)}`);
  checkScale(who, 'noisePrior.scale', np.scale);
  const scale = o.priorScale === undefined ? 1 : checkScale(who, 'priorScale', o.priorScale);
  const prior = o.prior ?? 'gaussian';
  if (prior !== 'gaussian' && prior !== 'laplace') throw new ArgumentError(`${who}: prior must be 'gaussian' or 'laplace', got ${JSON.stringify(prior)}`);
  const apply = typeof model === 'function' ? model : (p: P, x: Tensor) => model.apply(p, x);
  if (typeof apply !== 'function') throw new ArgumentError(`${who}: model must have an apply(params, x) function`);
  if (!data || !(data.x instanceof Tensor) || !(data.y instanceof Tensor)) throw new ArgumentError(`${who}: data must be { x: Tensor, y: Tensor }`);
  const logPrior = prior === 'gaussian' ? gaussianLogPrior : laplaceLogPrior;
  if (!learned) return (params: P) => add(gaussianLogLikelihood(apply(params, data.x), data.y, noise), logPrior(params, scale));
  return (q: { params: P; logNoise: Tensor }) => {
    if (!q || !(q.logNoise instanceof Tensor)) throw new ArgumentError(`${who}: with noise: 'learned' the density takes { params, logNoise }, got ${q && typeof q === 'object' ? `keys ${Object.keys(q).join(', ')}` : typeof q}`);
    const likelihood = gaussianLogLikelihood(apply(q.params, data.x), data.y, { logNoise: q.logNoise });
    return add(add(likelihood, logPrior(q.params, scale)), gaussianLogPrior(q.logNoise, np.scale, np.loc));
  };
}

