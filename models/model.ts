import * as fg from '../index.js';

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
