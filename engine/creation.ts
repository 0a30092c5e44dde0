import type { Backend } from './backend.js';
import { currentBackend } from './context.js';
import { ArgumentError, ShapeError, fmtShape } from './errors.js';
import { checkOptions, describe, finiteNumber, optionKeys, seedOf } from './options.js';
import { normalArray, uniformArray, nextSeed } from './random.js';
import { checkShape, sizeOf, type Shape } from './shape.js';
import { Tensor } from './tensor.js';

export type TensorLike = number | NestedNumbers | Float32Array | Float64Array;
type NestedNumbers = number | NestedNumbers[];

export function fromValues(values: ArrayLike<number>, shape: Shape, backend: Backend = currentBackend()): Tensor {
  return new Tensor(backend, shape, backend.upload(values, sizeOf(shape)), null);
}

function inferShape(data: NestedNumbers, op: string): number[] {
  const shape: number[] = [];
  let d: NestedNumbers = data;
  while (Array.isArray(d)) {
    shape.push(d.length);
    d = d[0] as NestedNumbers;
    if (d === undefined) break;
  }
  return shape;
}

function flattenNested(data: NestedNumbers, shape: number[], dim: number, out: number[]): void {
  if (dim === shape.length) {
    if (typeof data !== 'number') throw new ShapeError(`tensor: ragged nested array: expected a number at depth ${dim}, got ${Array.isArray(data) ? 'an array' : typeof data}`);
    out.push(data);
    return;
  }
  if (!Array.isArray(data) || data.length !== shape[dim]) {
    throw new ShapeError(`tensor: ragged nested array: expected length ${shape[dim]} at depth ${dim}, got ${Array.isArray(data) ? data.length : typeof data}`);
  }
  for (const v of data) flattenNested(v, shape, dim + 1, out);
}

/** A tensor from a number, nested arrays of numbers or a typed array (flat, with `shape`). */
export function tensor(data: TensorLike, shape?: number[]): Tensor {
  let flat: ArrayLike<number>;
  let inferred: number[];
  if (data instanceof Float32Array || data instanceof Float64Array) {
    flat = data;
    inferred = [data.length];
  } else if (typeof data === 'number') {
    flat = [data];
    inferred = [];
  } else if (Array.isArray(data)) {
    inferred = inferShape(data, 'tensor');
    const out: number[] = [];
    flattenNested(data, inferred, 0, out);
    flat = out;
  } else {
    throw new ArgumentError(`tensor: data must be a number, nested arrays of numbers, Float32Array or Float64Array, got ${typeof data}`);
  }
  const s = shape !== undefined ? checkShape('tensor', shape) : inferred;
  if (sizeOf(s) !== flat.length) {
    throw new ShapeError(`tensor: ${flat.length} values do not fill shape ${fmtShape(s)} (size ${sizeOf(s)})`);
  }
  return fromValues(flat, sized('tensor', s));
}

/** The shape checked, and checked against the current backend's size limit. */
function sized(op: string, shape: unknown, arg = 'shape'): number[] {
  const s = checkShape(op, shape, arg);
  currentBackend().checkSize(op, s);
  return s;
}

function filled(who: string, shape: unknown, value: unknown): Tensor {
  const s = sized(who, shape);
  if (typeof value !== 'number') throw new ArgumentError(`${who}: value must be a number, got ${describe(value)}`);
  return fromValues(new Float64Array(sizeOf(s)).fill(value), s);
}

export const full = (shape: number[], value: number) => filled('full', shape, value);
export const zeros = (shape: number[]) => filled('zeros', shape, 0);
export const ones = (shape: number[]) => filled('ones', shape, 1);

export function eye(n: number, m = n): Tensor {
  sized('eye', [n, m], 'size');
  const v = new Float64Array(n * m);
  for (let i = 0; i < Math.min(n, m); i++) v[i * m + i] = 1;
  return fromValues(v, [n, m]);
}

/** 0, 1, …, n−1 (or start, start+step, … below stop). */
export function arange(startOrStop: number, stop?: number, step = 1): Tensor {
  const [start, end] = stop === undefined ? [0, startOrStop] : [startOrStop, stop];
  const finite = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  if (step === 0 || !finite(start) || !finite(end) || !finite(step)) throw new ArgumentError(`arange: needs finite bounds and a finite non-zero step, got (${describe(start)}, ${describe(end)}, ${describe(step)})`);
  const n = Math.max(0, Math.ceil((end - start) / step));
  sized('arange', [n]);
  return fromValues(Float64Array.from({ length: n }, (_, i) => start + i * step), [n]);
}

export interface RandomOptions {
  seed?: number;
}
export interface RandnOptions extends RandomOptions {
  mean?: number;
  std?: number;
}
export interface RandOptions extends RandomOptions {
  low?: number;
  high?: number;
}
const RANDN_KEYS = optionKeys<RandnOptions>({ seed: true, mean: true, std: true });
const RAND_KEYS = optionKeys<RandOptions>({ seed: true, low: true, high: true });

/** Standard normal values (times std, plus mean); the same values on both backends for a seed. */
export function randn(shape: number[], opts: RandnOptions = {}): Tensor {
  const o = checkOptions('randn', opts, RANDN_KEYS);
  const s = sized('randn', shape);
  const mean = finiteNumber('randn', 'mean', o.mean);
  const std = finiteNumber('randn', 'std', o.std, (x) => x >= 0, 'a non-negative finite number');
  return fromValues(normalArray(sizeOf(s), seedOf('randn', o.seed) ?? nextSeed(), mean, std), s);
}

/** Uniform values in [low, high); the same values on both backends for a seed. */
export function rand(shape: number[], opts: RandOptions = {}): Tensor {
  const o = checkOptions('rand', opts, RAND_KEYS);
  const s = sized('rand', shape);
  const low = finiteNumber('rand', 'low', o.low) ?? 0;
  const high = finiteNumber('rand', 'high', o.high) ?? 1;
  if (!(high >= low)) throw new ArgumentError(`rand: needs low ≤ high, got low ${low}, high ${high}`);
  return fromValues(uniformArray(sizeOf(s), seedOf('rand', o.seed) ?? nextSeed(), low, high), s);
}

/** A copy of t on another backend (float64 ↔ float32). */
export async function toBackend(t: Tensor, backend: Backend): Promise<Tensor> {
  if (t.backend === backend) return t;
  return fromValues(await t.data(), t.shape, backend);
}
