// Warm-up adaptation, per chain on the device: the step size by dual averaging (Hoffman &
// Gelman 2014, Stan's constants) and a diagonal inverse metric from Stan's windowed variances.
import { add, log, mul, sub } from '../../autodiff/ops/index.js';
import type { Tensor } from '../../engine/tensor.js';

const GAMMA = 0.05;
const T0 = 10;
const KAPPA = 0.75;

/** Dual averaging of log ε towards a target mean acceptance; the state tensors are [chains]. */
export interface DualAveraging {
  mu: Tensor;
  hBar: Tensor;
  logEps: Tensor;
  logEpsBar: Tensor;
  t: number;
}

export function dualAveragingStart(eps: Tensor): DualAveraging {
  const logEps = log(eps);
  return { mu: add(logEps, Math.log(10)), hBar: mul(logEps, 0), logEps, logEpsBar: mul(logEps, 0), t: 0 };
}

/** One update from this iteration's acceptance statistic α [chains]; returns the new state. */
export function dualAveragingUpdate(s: DualAveraging, alpha: Tensor, target: number): DualAveraging {
  const t = s.t + 1;
  const w = 1 / (t + T0);
  const hBar = add(mul(s.hBar, 1 - w), mul(sub(target, alpha), w));
  const logEps = sub(s.mu, mul(hBar, Math.sqrt(t) / GAMMA));
  const eta = t ** -KAPPA;
  const logEpsBar = add(mul(logEps, eta), mul(s.logEpsBar, 1 - eta));
  return { mu: s.mu, hBar, logEps, logEpsBar, t };
}

/**
 * Stan's warm-up windows for `warmup` iterations: an initial buffer (step size only), slow
 * windows doubling from 25 (variances collected, metric updated at each end), a terminal buffer.
 * Returns the iteration indices (0-based) after which the metric is updated.
 */
export function metricWindowEnds(warmup: number): number[] {
  if (warmup < 20) return [];
  let init = 75, term = 50, base = 25;
  if (init + term + base > warmup) {
    init = Math.floor(0.15 * warmup);
    term = Math.floor(0.1 * warmup);
    base = warmup - init - term;
  }
  const ends: number[] = [];
  const last = warmup - term;
  let start = init;
  let size = base;
  while (start < last) {
    let end = start + size;
    if (end + 2 * size > last) end = last; // the next window would not fit: stretch this one
    ends.push(end - 1);
    start = end;
    size *= 2;
  }
  return ends;
}

/** Where the slow windows start (the first iteration whose draws are collected). */
export function metricCollectStart(warmup: number): number {
  if (warmup < 20) return warmup;
  return 75 + 50 + 25 > warmup ? Math.floor(0.15 * warmup) : 75;
}

/** Welford's running mean and M2 per leaf (leaves [chains, ...]). */
export interface Welford {
  n: number;
  mean: Tensor[];
  m2: Tensor[];
}

export function welfordUpdate(w: Welford, x: Tensor[]): Welford {
  const n = w.n + 1;
  const mean: Tensor[] = [];
  const m2: Tensor[] = [];
  x.forEach((xi, k) => {
    const d = sub(xi, w.mean[k]!);
    const m = add(w.mean[k]!, mul(d, 1 / n));
    mean.push(m);
    m2.push(add(w.m2[k]!, mul(d, sub(xi, m))));
  });
  return { n, mean, m2 };
}

/** Stan's regularized variance: (n/(n+5))·var + 1e-3·5/(n+5), shrunk towards 1e-3. */
export function welfordVariance(w: Welford): Tensor[] {
  const n = w.n;
  return w.m2.map((m) => add(mul(m, n / ((n - 1) * (n + 5))), 1e-3 * 5 / (n + 5)));
}
