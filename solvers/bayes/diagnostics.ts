import { checkOptions } from '../../engine/options.js';
// Convergence diagnostics of MCMC draws, as ArviZ defines them (Vehtari, Gelman, Simpson,
// Carpenter & Bürkner 2021): rank-normalized split-R̂ and bulk/tail effective sample sizes with
// Geyer's initial monotone sequence. Computed on the host in float64 (they are cheap).
import { ArgumentError, ShapeError, fmtShape } from '../../engine/errors.js';
import { Tensor } from '../../engine/tensor.js';

/** Draws of one parameter: chains × draws. */
type Chains = Float64Array[];

/** Splits every chain in two halves (the middle draw of an odd chain is dropped), as ArviZ. */
function splitChains(x: Chains): Chains {
  const half = Math.floor(x[0]!.length / 2);
  return x.flatMap((c) => [c.subarray(0, half), c.subarray(c.length - half)]);
}

/** Average ranks (1-based, ties share their mean rank) of all draws together. */
function ranks(x: Chains): Chains {
  const all = x.flatMap((c) => Array.from(c));
  const order = all.map((_, i) => i).sort((a, b) => all[a]! - all[b]!);
  const r = new Float64Array(all.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && all[order[j + 1]!] === all[order[i]!]) j++;
    for (let k = i; k <= j; k++) r[order[k]!] = (i + j) / 2 + 1;
    i = j + 1;
  }
  let at = 0;
  return x.map((c) => r.slice(at, (at += c.length)));
}

/** Normal scores of the ranks: Φ⁻¹((r − 3/8)/(S + 1/4)) (Blom's offsets, as ArviZ's _z_scale). */
function zScale(x: Chains): Chains {
  const size = x.reduce((s, c) => s + c.length, 0);
  return ranks(x).map((c) => c.map((r) => normalQuantile((r - 0.375) / (size + 0.25))));
}

const mean = (c: ArrayLike<number>) => { let s = 0; for (let i = 0; i < c.length; i++) s += c[i]!; return s / c.length; };
const variance = (c: ArrayLike<number>) => {
  const m = mean(c);
  let s = 0;
  for (let i = 0; i < c.length; i++) s += (c[i]! - m) ** 2;
  return s / (c.length - 1);
};

/** The classic potential scale reduction of (already split) chains. */
function rhatOf(x: Chains): number {
  const n = x[0]!.length;
  const between = n * variance(x.map(mean));
  const within = mean(x.map(variance));
  return Math.sqrt((between / within + n - 1) / n);
}

/** ESS of (already split) chains: autocovariances summed by Geyer's initial monotone sequence (ArviZ's _ess). */
function essOf(x: Chains): number {
  const m = x.length;
  const n = x[0]!.length;
  const centered = x.map((c) => { const mu = mean(c); return c.map((v) => v - mu); });
  const cache: number[] = [];
  // mean over chains of the biased autocovariance at lag t (ArviZ's FFT _autocov, computed directly)
  const acov = (t: number) => {
    if (cache[t] === undefined) {
      let s = 0;
      for (const c of centered) for (let i = 0; i + t < n; i++) s += c[i]! * c[i + t]!;
      cache[t] = s / (n * m);
    }
    return cache[t]!;
  };
  const meanVar = acov(0) * n / (n - 1);
  let varPlus = meanVar * (n - 1) / n;
  if (m > 1) varPlus += variance(x.map(mean));
  const rho = new Float64Array(n);
  let even = 1;
  let odd = 1 - (meanVar - acov(1)) / varPlus;
  rho[0] = even;
  rho[1] = odd;
  let t = 1;
  while (t < n - 3 && even + odd > 0) {
    even = 1 - (meanVar - acov(t + 1)) / varPlus;
    odd = 1 - (meanVar - acov(t + 2)) / varPlus;
    if (even + odd >= 0) {
      rho[t + 1] = even;
      rho[t + 2] = odd;
    }
    t += 2;
  }
  const maxT = t - 2;
  if (even > 0) rho[maxT + 1] = even;
  for (t = 1; t <= maxT - 2; t += 2) {
    if (rho[t + 1]! + rho[t + 2]! > rho[t - 1]! + rho[t]!) {
      rho[t + 1] = (rho[t - 1]! + rho[t]!) / 2;
      rho[t + 2] = rho[t + 1]!;
    }
  }
  let sum = 0;
  for (let k = 0; k <= maxT; k++) sum += rho[k]!;
  const total = m * n;
  const tau = Math.max(-1 + 2 * sum + (maxT + 1 < n ? rho[maxT + 1]! : 0), 1 / Math.log10(total));
  return total / tau;
}

const sorted = (x: Chains) => x.flatMap((c) => Array.from(c)).sort((a, b) => a - b);

/** The q-quantile of all draws, linear interpolation as NumPy's default (its _lerp, to the last bit). */
function quantile(x: Chains, q: number): number {
  const all = sorted(x);
  const pos = q * (all.length - 1);
  const lo = Math.floor(pos);
  const [a, b, t] = [all[lo]!, all[Math.min(lo + 1, all.length - 1)]!, pos - lo];
  return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
}

/** NumPy's median: the mean of the two middle draws of an even count (the folded draws' ties depend on it). */
function median(x: Chains): number {
  const all = sorted(x);
  const h = all.length >> 1;
  return all.length % 2 ? all[h]! : (all[h - 1]! + all[h]!) / 2;
}

const constant = (x: Chains) => x.every((c) => c.every((v) => v === x[0]![0]));

function rhatRank(x: Chains): number {
  if (constant(x)) return NaN;
  const bulk = rhatOf(zScale(splitChains(x)));
  const med = median(x);
  const tail = rhatOf(zScale(splitChains(x.map((c) => c.map((v) => Math.abs(v - med))))));
  return Math.max(bulk, tail);
}

function essTail(x: Chains): number {
  const below = (q: number) => { const v = quantile(x, q); return x.map((c) => c.map((d) => (d <= v ? 1 : 0))); };
  return Math.min(essOf(splitChains(below(0.05))), essOf(splitChains(below(0.95))));
}

export type EssKind = 'bulk' | 'tail' | 'mean';
const ESS: Record<EssKind, (x: Chains) => number> = {
  bulk: (x) => (constant(x) ? NaN : essOf(zScale(splitChains(x)))),
  tail: (x) => (constant(x) ? NaN : essTail(x)),
  mean: (x) => (constant(x) ? NaN : essOf(splitChains(x))),
};

/** Draws as a Tensor or nested number arrays [chains, draws, ...]. */
export type Draws = Tensor | number[][] | number[][][] | readonly (readonly unknown[])[];
/** One number per parameter: a number for [chains, draws], else one per trailing entry (row-major). */
export type PerParameter = number | number[];

function nestedToFlat(who: string, x: unknown): { values: Float64Array; shape: number[] } {
  const shape: number[] = [];
  for (let d: unknown = x; Array.isArray(d); d = d[0]) shape.push(d.length);
  const out: number[] = [];
  const walk = (v: unknown, dim: number) => {
    if (dim === shape.length) {
      if (typeof v !== 'number') throw new ArgumentError(`${who}: x must hold numbers, found ${typeof v}`);
      out.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[dim]) throw new ShapeError(`${who}: x is a ragged nested array (expected length ${shape[dim]} at depth ${dim})`);
    v.forEach((e) => walk(e, dim + 1));
  };
  walk(x, 0);
  return { values: Float64Array.from(out), shape };
}

function perParameter(who: string, values: ArrayLike<number>, shape: number[], fn: (x: Chains) => number): PerParameter {
  if (shape.length < 2) throw new ShapeError(`${who}: x must be [chains, draws, ...], got shape ${fmtShape(shape)}`);
  const [chains, draws] = shape as [number, number];
  if (chains < 1 || draws < 4) throw new ShapeError(`${who}: x needs at least 1 chain and 4 draws, got shape ${fmtShape(shape)}`);
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) throw new ArgumentError(`${who}: x holds a non-finite value (${values[i]}) at flat index ${i}`);
  const inner = shape.slice(2).reduce((a, b) => a * b, 1);
  const result = Array.from({ length: inner }, (_, j) => {
    const x = Array.from({ length: chains }, (_, c) => {
      const ch = new Float64Array(draws);
      for (let s = 0; s < draws; s++) ch[s] = values[(c * draws + s) * inner + j]!;
      return ch;
    });
    return fn(x);
  });
  return shape.length === 2 ? result[0]! : result;
}

function diagnose(who: string, x: unknown, fn: (x: Chains) => number): PerParameter | Promise<PerParameter> {
  if (x instanceof Tensor) return x.data().then((v) => perParameter(who, v, [...x.shape], fn));
  if (!Array.isArray(x)) throw new ArgumentError(`${who}: x must be a Tensor or nested number arrays [chains, draws, ...], got ${x === null ? 'null' : typeof x}`);
  const { values, shape } = nestedToFlat(who, x);
  return perParameter(who, values, shape, fn);
}

/**
 * Rank-normalized split-R̂ (the larger of the bulk and the folded-tail R̂), per parameter.
 * x: [chains, draws, ...] as nested number arrays (answered at once) or a Tensor (a Promise).
 * Values above 1.01 mean the chains have not mixed.
 */
export function rhat(x: Tensor): Promise<PerParameter>;
export function rhat(x: Draws): PerParameter;
export function rhat(x: Draws): PerParameter | Promise<PerParameter> {
  return diagnose('bayes.rhat', x, rhatRank);
}

/**
 * Effective sample size per parameter: 'bulk' (default, of the rank-normalized split chains),
 * 'tail' (the smaller of the 5% and 95% quantile indicators') or 'mean' (of the raw split chains,
 * the one that sets the Monte-Carlo error of the posterior mean).
 */
export function ess(x: Tensor, opts?: { kind?: EssKind }): Promise<PerParameter>;
export function ess(x: Draws, opts?: { kind?: EssKind }): PerParameter;
export function ess(x: Draws, opts?: { kind?: EssKind }): PerParameter | Promise<PerParameter> {
  const o = checkOptions('bayes.ess', opts, ['kind']);
  const kind = (o.kind ?? 'bulk') as EssKind;
  if (!(kind in ESS)) throw new ArgumentError(`bayes.ess: kind must be 'bulk', 'tail' or 'mean', got ${JSON.stringify(kind)}`);
  return diagnose('bayes.ess', x, ESS[kind]);
}

/** Monte-Carlo standard error of the posterior mean: sd / √ESS_mean (ArviZ's mcse, method 'mean'). */
export function mcse(x: Tensor): Promise<PerParameter>;
export function mcse(x: Draws): PerParameter;
export function mcse(x: Draws): PerParameter | Promise<PerParameter> {
  return diagnose('bayes.mcse', x, (c) => {
    const all = c.flatMap((ch) => Array.from(ch));
    return Math.sqrt(variance(all) / ESS.mean(c));
  });
}

/**
 * Φ⁻¹(p), the standard normal quantile, by Wichura's AS 241 (PPND16, about 1e-16 relative);
 * the same algorithm as Python's statistics.NormalDist.inv_cdf.
 */
export function normalQuantile(p: number): number {
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return q * (((((((2509.0809287301226727 * r + 33430.575583588128105) * r + 67265.770927008700853) * r + 45921.953931549871457) * r + 13731.693765509461125) * r + 1971.5909503065514427) * r + 133.14166789178437745) * r + 3.387132872796366608)
      / (((((((5226.495278852545925 * r + 28729.085735721942674) * r + 39307.89580009271061) * r + 21213.794301586595867) * r + 5394.1960214247511077) * r + 687.1870074920579083) * r + 42.313330701600911252) * r + 1);
  }
  let r = Math.sqrt(-Math.log(q < 0 ? p : 1 - p));
  let v: number;
  if (r <= 5) {
    r -= 1.6;
    v = (((((((7.7454501427834140764e-4 * r + 0.0227238449892691845833) * r + 0.24178072517745061177) * r + 1.27045825245236838258) * r + 3.64784832476320460504) * r + 5.7694972214606914055) * r + 4.6303378461565452959) * r + 1.42343711074968357734)
      / (((((((1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r + 0.0151986665636164571966) * r + 0.14810397642748007459) * r + 0.68976733498510000455) * r + 1.6763848301838038494) * r + 2.05319162663775882187) * r + 1);
  } else {
    r -= 5;
    v = (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r + 0.0012426609473880784386) * r + 0.026532189526576123093) * r + 0.29656057182850489123) * r + 1.7848265399172913358) * r + 5.4637849111641143699) * r + 6.6579046435011037772)
      / (((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r + 1.8463183175100546818e-5) * r + 7.868691311456132591e-4) * r + 0.0148753612908506148525) * r + 0.13692988092273580531) * r + 0.59983220655588793769) * r + 1);
  }
  return q < 0 ? -v : v;
}
