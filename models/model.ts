import * as fg from '../index.js';
import { leaves } from './tree.js';

export interface ApplyOptions {
  /** training mode: dropout is active (default false: evaluation) */
  train?: boolean;
  /** seed of this call's dropout masks (the training utility passes one per step) */
  seed?: number;
}

const APPLY_KEYS = fg.optionKeys<ApplyOptions>({ train: true, seed: true });

/** Checks the options of a model's apply (those every model accepts, used or not). */
export function checkApplyOptions(who: string, o: ApplyOptions | undefined): ApplyOptions {
  return fg.checkOptions(`${who}.apply`, o, APPLY_KEYS);
}

/**
 * A model: a plain tree of parameter tensors plus a pure function of (params, x). `apply` never
 * touches `params` itself, so grad/jvp/vjp apply to it directly.
 */
export interface Model<P = any> {
  readonly name: string;
  /** the initial parameters (seeded) */
  readonly params: P;
  /** the output for a batch x of shape [batch, ...inputShape] */
  apply(params: P, x: fg.Tensor, opts?: ApplyOptions): fg.Tensor;
  /** shape of one sample in and out */
  readonly inputShape: number[];
  readonly outputShape: number[];
  /** trainable scalars */
  readonly parameterCount: number;
}

const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;

/** Throws a ShapeError unless x is a batch of samples of the model's input shape. */
export function checkInput(name: string, x: unknown, inputShape: readonly number[]): asserts x is fg.Tensor {
  if (!(x instanceof fg.Tensor)) throw new fg.ArgumentError(`${name}: input x must be a Tensor, got ${x === null ? 'null' : typeof x}`);
  const ok = x.rank === inputShape.length + 1 && inputShape.every((d, i) => x.shape[i + 1] === d);
  if (!ok) {
    throw new fg.ShapeError(`${name}: input x has shape ${fmt(x.shape)}, expected [batch, ${inputShape.join(', ')}] (a batch of samples of shape ${fmt(inputShape)})`);
  }
}

export function checkInt(who: string, what: string, v: unknown, min = 1): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new fg.ArgumentError(`${who}: ${what} must be an integer ≥ ${min}, got ${String(v)}`);
  return v;
}

export function checkReal(who: string, what: string, v: unknown, ok: (x: number) => boolean = () => true, expected = 'a finite number'): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) throw new fg.ArgumentError(`${who}: ${what} must be ${expected}, got ${String(v)}`);
  return v;
}

const describe = (v: unknown) =>
  v instanceof fg.Tensor ? `a Tensor of shape ${fmt(v.shape)}` : v === null || v === undefined || typeof v !== 'object' ? (typeof v === 'string' ? JSON.stringify(v) : String(v)) : Array.isArray(v) ? 'an array' : 'an object';

/** Argument checks of the models' functions: a wrong kind of value names the function and the argument. */
export function checkTensor(who: string, what: string, v: unknown): fg.Tensor {
  if (!(v instanceof fg.Tensor)) throw new fg.ArgumentError(`${who}: ${what} must be a Tensor, got ${describe(v)}`);
  return v;
}

export function checkFunction(who: string, what: string, v: unknown): void {
  if (typeof v !== 'function') throw new fg.ArgumentError(`${who}: ${what} must be a function, got ${describe(v)}`);
}

/** An array or typed array of finite numbers (at least `min` of them). */
export function checkNumbers(who: string, what: string, v: unknown, min = 0): ArrayLike<number> {
  const ok = (Array.isArray(v) || ArrayBuffer.isView(v)) && (v as ArrayLike<number>).length >= min && Array.prototype.every.call(v, (d: unknown) => typeof d === 'number' && Number.isFinite(d));
  if (!ok) throw new fg.ArgumentError(`${who}: ${what} must be an array of ${min ? `at least ${min} ` : ''}finite numbers, got ${describe(v)}`);
  return v as ArrayLike<number>;
}

/** An object that has the given methods or fields: a model, a basis, a graph, a data set… */
export function checkShaped(who: string, what: string, v: unknown, keys: readonly string[], from: string): void {
  if (!v || typeof v !== 'object' || keys.some((k) => !(k in v))) throw new fg.ArgumentError(`${who}: ${what} must be ${from}, got ${describe(v)}`);
}

export const checkDataset = (who: string, ds: unknown, what = 'the data set') => checkShaped(who, what, ds, ['name', 'n', 'x', 'xShape', 'y', 'yShape'], 'a data set from fg.models.data (…)');
export const checkGraph = (who: string, g: unknown, what = 'graph') => checkShaped(who, what, g, ['numNodes', 'dim', 'points', 'index'], 'a graph from fg.models.radiusGraph(…)');
export const checkBasis = (who: string, b: unknown, what = 'basis') => checkShaped(who, what, b, ['spec', 'size', 'values'], 'a basis from fg.models.depthBasis(…)');

/**
 * Checks that params has the tree structure and shapes of a model's own parameters (ref), so
 * that a missing or misshapen entry is named instead of failing inside an op.
 */
export function checkParamTree(who: string, params: unknown, ref: unknown): void {
  if (!params || typeof params !== 'object') throw new fg.ArgumentError(`${who}: params must be the model's parameter tree (like model.params), got ${describe(params)}`);
  const want = leaves(ref);
  const got = new Map(leaves(params).map((l) => [l.path, l.tensor]));
  for (const { path, tensor } of want) {
    const t = got.get(path);
    if (!t) throw new fg.ArgumentError(`${who}: params.${path} is missing (expected a Tensor of shape ${fmt(tensor.shape)}, as in model.params)`);
    if (t.shape.join() !== tensor.shape.join()) throw new fg.ShapeError(`${who}: params.${path} has shape ${fmt(t.shape)}, expected ${fmt(tensor.shape)}`);
  }
}
