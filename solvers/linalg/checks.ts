import { ArgumentError, NumericalError, ShapeError, fmtShape } from '../../engine/errors.js';
import { sizeOf, type Shape } from '../../engine/shape.js';
import { describeMatrix } from '../../kernels/linalg/status.js';

/** Throws a ShapeError unless `shape` is [..., rows, cols] (rank ≥ 2), square when asked. */
export function checkMatrix(op: string, arg: string, shape: Shape, square: boolean): void {
  if (shape.length < 2) {
    throw new ShapeError(`${op}: ${arg} must be a matrix or a batch of matrices (rank ≥ 2), got ${arg} ${fmtShape(shape)}`);
  }
  const [r, c] = shape.slice(-2) as [number, number];
  if (square && r !== c) {
    throw new ShapeError(`${op}: ${arg} must be square in its last two dimensions, got ${arg} ${fmtShape(shape)} (${r}×${c})`);
  }
}

/** Matrices of [..., r, c] stored back to back. */
export const matrixCount = (shape: Shape) => sizeOf(shape.slice(0, -2));

/** The float64 path's check of one matrix's entries (the kernels report the same through their status). */
export function assertFiniteMatrix(op: string, arg: string, shape: Shape, m: Float64Array, b: number, matrixDims = 2): void {
  for (let i = 0; i < m.length; i++) {
    if (!Number.isFinite(m[i])) {
      throw new ArgumentError(`${op}: ${describeMatrix(b, shape, matrixDims)} of ${arg} ${fmtShape(shape)} has a non-finite entry (NaN or ±Infinity): ${m[i]} at element ${i}`);
    }
  }
}

/**
 * Runs a float64 reference solver on one matrix; its "did not converge" (or singular) error
 * becomes a NumericalError that names the op, the matrix and the argument.
 */
export function runReference<T>(op: string, arg: string, shape: Shape, b: number, fn: () => T, matrixDims = 2): T {
  try {
    return fn();
  } catch (err) {
    const msg = (err as Error).message.replace(/^[\w]+: /, '');
    throw new NumericalError(`${op}: ${describeMatrix(b, shape, matrixDims)} of ${arg} ${fmtShape(shape)}: ${msg}`);
  }
}

/**
 * Order of eigenvalues in every op's output: descending modulus, then descending real part,
 * then descending imaginary part (a conjugate pair stays adjacent, +i first), then index.
 */
export function eigenOrder(re: ArrayLike<number>, im: ArrayLike<number>): number[] {
  const idx = Array.from({ length: re.length }, (_, i) => i);
  const mod = idx.map((i) => re[i]! * re[i]! + im[i]! * im[i]!);
  return idx.sort((i, j) => mod[j]! - mod[i]! || re[j]! - re[i]! || im[j]! - im[i]! || i - j);
}
