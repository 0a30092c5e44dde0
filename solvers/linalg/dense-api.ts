import { checkTensor } from '../../engine/args.js';
import { boolean, checkOptions, optionKeys } from '../../engine/options.js';
/**
 * The public face of the dense solvers (fg.linalg.solve, lu, inv, slogdet, cholesky,
 * solveTriangular): argument checks, vectors as one-column matrices, and the packed results
 * of the registry ops split into named parts.
 */

import { ArgumentError, ShapeError, fmtShape } from '../../engine/errors.js';
import { fromValues } from '../../engine/creation.js';
import { Tensor } from '../../engine/tensor.js';
import { add, mul } from '../../autodiff/ops/arith.js';
import { mT, reshape } from '../../autodiff/ops/shape.js';
import { slice } from '../../autodiff/ops/slice.js';
import { checkMatrix } from './checks.js';
import { rows } from './complex.js';
import { choleskyRaw, luPacked, slogdetPacked, solveRaw, triangular } from './dense.js';

/** B of rank 1 is a vector: solved as one column, returned with its own shape. */
function withColumns(op: string, a: Tensor, b: Tensor, fn: (b: Tensor) => Tensor): Tensor {
  checkMatrix(op, 'A', a.shape, true);
  if (b.rank === 0) throw new ShapeError(`${op}: B must be a vector [n] or a batch of matrices [..., n, k], got B ${fmtShape(b.shape)}`);
  if (b.rank !== 1) return fn(b);
  const x = fn(reshape(b, [b.shape[0]!, 1]));
  return reshape(x, x.shape.slice(0, -1));
}

/**
 * X with A·X = B, by LU with partial pivoting: A [..., n, n], B [..., n, k] (batch dimensions
 * broadcast) or a vector [n]. A matrix that is singular at working precision (a pivot at most
 * n·ε·max|A|) is a NumericalError naming its batch index (on WebGPU, thrown by the next read).
 */
export function solve(A: Tensor, B: Tensor): Tensor {
  const a = checkTensor('solve', 'A', A);
  const b = checkTensor('solve', 'B', B);
  return withColumns('solve', a, b, (bm) => solveRaw(a, bm));
}

/** A⁻¹ [..., n, n] (a solve with the identity; singular matrices as in solve). */
export function inv(A: Tensor): Tensor {
  const a = checkTensor('inv', 'A', A);
  checkMatrix('inv', 'A', a.shape, true);
  const n = a.shape[a.rank - 1]!;
  const eye = new Float64Array(n * n);
  for (let i = 0; i < n; i++) eye[i * n + i] = 1;
  return solveRaw(a, fromValues(eye, [n, n], a.backend));
}

/**
 * A = P·L·U with partial pivoting (SciPy's convention): P a permutation matrix, L unit lower,
 * U upper, each [..., n, n]. Singular matrices have an LU factorization too (a zero on U's
 * diagonal); its derivative needs U invertible.
 */
export function lu(A: Tensor): { P: Tensor; L: Tensor; U: Tensor } {
  const a = checkTensor('lu', 'A', A);
  const packed = luPacked(a);
  const n = a.shape[a.rank - 1]!;
  const f = rows(packed, 0, n);
  const lowerStrict = new Float64Array(n * n);
  const upper = new Float64Array(n * n);
  const eye = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) (i > j ? lowerStrict : upper)[i * n + j] = 1;
  for (let i = 0; i < n; i++) eye[i * n + i] = 1;
  const m = (v: Float64Array) => fromValues(v, [n, n], a.backend);
  return { P: rows(packed, n, 2 * n), L: add(mul(f, m(lowerStrict)), m(eye)), U: mul(f, m(upper)) };
}

/**
 * sign(det A) and log|det A|, each [...]: for an exactly singular A, sign 0 and log −∞ (no
 * error; the derivative, A⁻ᵀ, is a NumericalError there).
 */
export function slogdet(A: Tensor): { sign: Tensor; logAbsDet: Tensor } {
  const packed = slogdetPacked(checkTensor('slogdet', 'A', A));
  const part = (i: number) => {
    const s = slice(packed, [i], [i + 1], [-1]);
    return reshape(s, s.shape.slice(0, -1));
  };
  return { sign: part(0), logAbsDet: part(1) };
}

/**
 * Lower L with L·Lᵀ = A for symmetric positive definite A [..., n, n]. A is symmetrized as
 * (A + Aᵀ)/2 first (so its gradient is symmetric); with { symmetrize: false } only the lower
 * triangle is read, as LAPACK does. Not positive definite: a NumericalError naming the matrix.
 */
export interface CholeskyOptions {
  /** factor (A + Aᵀ)/2 (default true), so that the derivative is that of a symmetric input */
  symmetrize?: boolean;
}
const CHOLESKY_KEYS = optionKeys<CholeskyOptions>({ symmetrize: true });

export function cholesky(A: Tensor, opts: CholeskyOptions = {}): Tensor {
  checkOptions('cholesky', opts, CHOLESKY_KEYS);
  boolean('cholesky', 'symmetrize', opts.symmetrize);
  const a = checkTensor('cholesky', 'A', A);
  checkMatrix('cholesky', 'A', a.shape, true);
  return choleskyRaw(opts.symmetrize === false ? a : mul(add(a, mT(a)), 0.5));
}

export interface SolveTriangularOptions {
  /** T is lower triangular (default true); else upper. The other triangle is never read. */
  lower?: boolean;
  /** the diagonal is 1 and not read (default false) */
  unitDiagonal?: boolean;
  /** solve Tᵀ·X = B instead (default false) */
  transpose?: boolean;
}

const TRIANGULAR_KEYS = optionKeys<SolveTriangularOptions>({ lower: true, unitDiagonal: true, transpose: true });

/** X with T·X = B (or Tᵀ·X = B) for triangular T [..., n, n], B [..., n, k] or [n]. */
export function solveTriangular(T: Tensor, B: Tensor, opts: SolveTriangularOptions = {}): Tensor {
  checkOptions('solveTriangular', opts, TRIANGULAR_KEYS);
  for (const k of ['lower', 'unitDiagonal', 'transpose'] as const) boolean('solveTriangular', k, opts[k]);
  const t = checkTensor('solveTriangular', 'T', T);
  const b = checkTensor('solveTriangular', 'B', B);
  const flags = { lower: opts.lower ?? true, unit: opts.unitDiagonal ?? false, transpose: opts.transpose ?? false };
  return withColumns('solveTriangular', t, b, (bm) => triangular(t, bm, flags));
}
