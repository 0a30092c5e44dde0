import * as fg from '../index.js';
import { Rng } from './random.js';

/**
 * Seeded weight initializers. Fans: a matrix [in, out] (the layout of dense weights, x·W) has
 * fanIn = in, fanOut = out; a stack [..., in, out] uses its last two axes; a convolution kernel
 * [O, C, kh, kw] has fanIn = C·kh·kw, fanOut = O·kh·kw; a vector has fanIn = fanOut = its length.
 */
export type Initializer = 'glorotUniform' | 'glorotNormal' | 'heUniform' | 'heNormal' | 'orthogonal' | 'zeros';

export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  checkShape('fans', shape);
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0]!, fanOut: shape[0]! };
  if (shape.length === 4) {
    const rf = shape[2]! * shape[3]!;
    return { fanIn: shape[1]! * rf, fanOut: shape[0]! * rf };
  }
  return { fanIn: shape[shape.length - 2]!, fanOut: shape[shape.length - 1]! };
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function checkShape(who: string, shape: readonly number[]): void {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new fg.ArgumentError(`init.${who}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
}

const KINDS: readonly string[] = ['glorotUniform', 'glorotNormal', 'heUniform', 'heNormal', 'orthogonal', 'zeros'];

export function checkInitializer(who: string, kind: unknown): void {
  if (!KINDS.includes(kind as string)) throw new fg.ArgumentError(`${who}: unknown initializer ${typeof kind === 'string' ? JSON.stringify(kind) : String(kind)}; use one of ${KINDS.join(', ')}`);
}

/** Host values of an initializer (float64), for a seed. */
export function initValues(kind: Initializer, shape: readonly number[], seed: number, gain = 1): Float64Array {
  if (typeof seed !== 'number' || !Number.isInteger(seed)) throw new fg.ArgumentError(`init.${String(kind)}: seed must be an integer, got ${typeof seed === 'string' ? JSON.stringify(seed) : String(seed)}`);
  checkShape(kind, shape);
  const n = size(shape);
  const rng = new Rng(seed);
  const { fanIn, fanOut } = fans(shape);
  switch (kind) {
    case 'glorotUniform': {
      const a = gain * Math.sqrt(6 / (fanIn + fanOut));
      return rng.uniforms(n, -a, a);
    }
    case 'glorotNormal':
      return rng.normals(n, gain * Math.sqrt(2 / (fanIn + fanOut)));
    case 'heUniform': {
      const a = gain * Math.sqrt(6 / fanIn);
      return rng.uniforms(n, -a, a);
    }
    case 'heNormal':
      return rng.normals(n, gain * Math.sqrt(2 / fanIn));
    case 'orthogonal':
      return orthogonalValues(shape, rng, gain);
    case 'zeros':
      return new Float64Array(n);
    default:
      throw new fg.ArgumentError(`init: unknown initializer ${JSON.stringify(kind)}; use one of glorotUniform, glorotNormal, heUniform, heNormal, orthogonal, zeros`);
  }
}

/** A tensor drawn from an initializer (on the current backend). */
export function initTensor(kind: Initializer, shape: readonly number[], seed: number, gain = 1): fg.Tensor {
  return fg.tensor(initValues(kind, shape, seed, gain), [...shape]);
}

export interface InitOptions {
  seed: number;
  gain?: number;
}
const INIT_KEYS = fg.optionKeys<InitOptions>({ seed: true, gain: true });

/** A named initializer as a function of (shape, { seed, gain? }), with its options checked. */
function named(kind: Initializer) {
  return (shape: number[], opts: InitOptions): fg.Tensor => {
    const who = `init.${kind}`;
    if (opts === undefined) throw new fg.ArgumentError(`${who}: options { seed, gain? } are required (the seed makes the weights reproducible)`);
    fg.checkOptions(who, opts, INIT_KEYS);
    if (!Number.isInteger(opts.seed)) throw new fg.ArgumentError(`${who}: seed must be an integer, got ${String(opts.seed)}`);
    if (opts.gain !== undefined && !(typeof opts.gain === 'number' && Number.isFinite(opts.gain))) throw new fg.ArgumentError(`${who}: gain must be a finite number, got ${String(opts.gain)}`);
    return initTensor(kind, shape, opts.seed, opts.gain);
  };
}

export const glorotUniform = named('glorotUniform');
export const glorotNormal = named('glorotNormal');
export const heUniform = named('heUniform');
export const heNormal = named('heNormal');
/** Orthogonal rows or columns (whichever are fewer), times gain; a stack [..., r, c] gets one per matrix. */
export const orthogonal = named('orthogonal');

/**
 * Orthogonal matrices from seeded normals: the Q of A = QR with R's diagonal positive, which is
 * distributed uniformly (Haar; the recipe of Saxe et al.). Modified Gram–Schmidt in float64,
 * run twice per column for orthogonality to round-off; a rank-deficient draw (probability
 * zero) is redrawn.
 */
function orthogonalValues(shape: readonly number[], rng: Rng, gain: number): Float64Array {
  if (shape.length < 2) throw new fg.ArgumentError(`init.orthogonal: needs a matrix or a stack of matrices, got shape ${JSON.stringify(shape)}`);
  const r = shape[shape.length - 2]!;
  const c = shape[shape.length - 1]!;
  const count = size(shape.slice(0, -2));
  const out = new Float64Array(count * r * c);
  // orthonormal columns of a tall m×k matrix (m ≥ k), transposed when r < c
  const m = Math.max(r, c);
  const k = Math.min(r, c);
  for (let b = 0; b < count; b++) {
    const q = orthonormalColumns(m, k, rng);
    for (let i = 0; i < r; i++) {
      for (let j = 0; j < c; j++) out[b * r * c + i * c + j] = gain * (r >= c ? q[i * k + j]! : q[j * k + i]!);
    }
  }
  return out;
}

/** m×k (row-major, m ≥ k) with orthonormal columns, from normals. */
export function orthonormalColumns(m: number, k: number, rng: Rng): Float64Array {
  for (;;) {
    const a = rng.normals(m * k);
    let ok = true;
    for (let j = 0; j < k && ok; j++) {
      for (let pass = 0; pass < 2; pass++) {
        for (let p = 0; p < j; p++) {
          let d = 0;
          for (let i = 0; i < m; i++) d += a[i * k + p]! * a[i * k + j]!;
          for (let i = 0; i < m; i++) a[i * k + j]! -= d * a[i * k + p]!;
        }
      }
      let norm = 0;
      for (let i = 0; i < m; i++) norm += a[i * k + j]! ** 2;
      norm = Math.sqrt(norm);
      ok = norm > 1e-10 * Math.sqrt(m);
      for (let i = 0; i < m; i++) a[i * k + j]! /= norm;
    }
    if (ok) return a;
  }
}
