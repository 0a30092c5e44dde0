import { ArgumentError, NumericalError, fmtShape } from '../../engine/errors.js';
import type { Shape } from '../../engine/shape.js';
import type { GpuRuntime } from '../../engine/webgpu/runtime.js';
import { firstKey, statusWords } from '../status.js';
import { STATUS_CODES, STATUS_NONFINITE, STATUS_NO_CONVERGENCE, STATUS_SINGULAR } from './common.js';

/** What a failed matrix means, for the error message. */
export interface StatusContext {
  /** op name, e.g. 'eigvals' */
  op: string;
  /** the argument the matrices come from, and its shape */
  arg: string;
  shape: Shape;
  /** matrices per batch index (2 when a kernel reads A and Q together) */
  matrixDims?: number;
  /** what did not converge, e.g. 'the Francis QR iteration (cap: 300 steps per eigenvalue)' */
  iteration: string;
  /** what it means when a matrix reports STATUS_SINGULAR */
  singular?: string;
  /** the whole message for a STATUS_SINGULAR report, from the kernel's key (instead of `singular`) */
  singularMessage?: (key: number) => string;
}

/** "matrix 7 (batch index [1, 3])" for flat index b of the batch dimensions of `shape`. */
export function describeMatrix(b: number, shape: Shape, matrixDims = 2): string {
  const batch = shape.slice(0, shape.length - matrixDims);
  if (batch.length <= 1) return `matrix ${b}`;
  const idx: number[] = [];
  let r = b;
  for (let d = batch.length - 1; d >= 0; d--) {
    idx.unshift(r % batch[d]!);
    r = Math.floor(r / batch[d]!);
  }
  return `matrix ${b} (batch index ${fmtShape(idx)})`;
}

export function nonFiniteError(ctx: StatusContext, b: number): ArgumentError {
  return new ArgumentError(`${ctx.op}: ${describeMatrix(b, ctx.shape, ctx.matrixDims)} of ${ctx.arg} ${fmtShape(ctx.shape)} has a non-finite entry (NaN or ±Infinity)`);
}

export function noConvergenceError(ctx: StatusContext, b: number): NumericalError {
  return new NumericalError(`${ctx.op}: ${ctx.iteration} did not converge for ${describeMatrix(b, ctx.shape, ctx.matrixDims)} of ${ctx.arg} ${fmtShape(ctx.shape)}; its results are NaN`);
}

/**
 * A zeroed status buffer for one dispatch (see ../status.ts); the next read throws the error
 * for the first failing matrix (non-finite input before non-convergence).
 */
export function statusBuffer(rt: GpuRuntime, ctx: StatusContext): GPUBuffer {
  return statusWords(rt, 2 * STATUS_CODES, (w) => {
    const first = (code: number) => (w[2 * code] ? firstKey(w[2 * code + 1]!) : -1);
    const bad = first(STATUS_NONFINITE);
    if (bad >= 0) return nonFiniteError(ctx, bad);
    const stuck = first(STATUS_NO_CONVERGENCE);
    if (stuck >= 0) return noConvergenceError(ctx, stuck);
    const singular = first(STATUS_SINGULAR);
    if (singular >= 0 && ctx.singularMessage) return new NumericalError(ctx.singularMessage(singular));
    if (singular >= 0) return new NumericalError(`${ctx.op}: ${describeMatrix(singular, ctx.shape, ctx.matrixDims)} of ${ctx.arg} ${fmtShape(ctx.shape)}: ${ctx.singular ?? 'singular'}; its results are NaN`);
    return null;
  });
}
