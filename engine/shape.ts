import { ArgumentError, ShapeError, fmtShape } from './errors.js';

export type Shape = readonly number[];

export const sizeOf = (shape: Shape) => shape.reduce((a, b) => a * b, 1);

export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

export const sameShape = (a: Shape, b: Shape) => a.length === b.length && a.every((d, i) => d === b[i]);

/** NumPy broadcasting of several shapes; `op` names the caller in the error. */
export function broadcastShapes(op: string, shapes: Shape[], names: string[]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (let i = 0; i < rank; i++) {
    for (const s of shapes) {
      const d = s[s.length - rank + i] ?? 1;
      if (d === 1) continue;
      if (out[i] !== 1 && out[i] !== d) {
        const args = shapes.map((sh, k) => `${names[k]} ${fmtShape(sh)}`).join(', ');
        throw new ShapeError(`${op}: shapes do not broadcast: ${args}`);
      }
      out[i] = d;
    }
  }
  return out;
}

/**
 * Strides that read `shape` as if broadcast to `outShape` (0 along broadcast dimensions),
 * right-aligned to outShape's rank.
 */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const own = stridesOf(shape);
  const off = outShape.length - shape.length;
  return outShape.map((_, i) => (i < off || shape[i - off] === 1 ? 0 : own[i - off]!));
}

/** Normalizes a possibly negative axis, with an error that names the op and the shape. */
export function normAxis(op: string, axis: number, rank: number, arg = 'axis'): number {
  if (typeof axis !== 'number' || !Number.isInteger(axis)) {
    throw new ArgumentError(`${op}: ${arg} must be an integer, got ${typeof axis === 'string' ? JSON.stringify(axis) : String(axis)}`);
  }
  if (axis < -rank || axis >= rank) {
    throw new ShapeError(`${op}: ${arg} ${axis} is out of range for a tensor of rank ${rank}`);
  }
  return axis < 0 ? axis + rank : axis;
}

export function checkShape(op: string, shape: unknown, arg = 'shape'): number[] {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new ShapeError(`${op}: ${arg} must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  return shape as number[];
}
