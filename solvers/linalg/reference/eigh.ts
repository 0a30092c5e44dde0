/**
 * Symmetric eigendecomposition A = V·diag(λ)·Vᵀ of one real n×n matrix by the
 * cyclic Jacobi method: sweep over all pairs (p, q) and zero A[p][q] with a
 * plane rotation, until a whole sweep finds nothing left to rotate.
 *
 * Only the lower triangle of the input is read (as LAPACK's UPLO = 'L');
 * the upper triangle is ignored.
 */

import { EPS, assertFinite, assertShape, identity, powerOfTwoScale } from './checks.js';

export interface EighOptions {
  /** Cap on Jacobi sweeps; exceeding it throws "did not converge". Default 60. */
  maxSweeps?: number;
  /** Batch index, reported in error messages. */
  matrixIndex?: number;
}

export interface EighResult {
  /** Eigenvalues in ascending order. */
  values: Float64Array;
  /**
   * Orthonormal eigenvectors as the columns of a row-major n×n matrix (column j
   * for values[j]); the largest-magnitude component of each is positive.
   */
  vectors: Float64Array;
}

export function eigh(a: Float64Array, n: number, options: EighOptions = {}): EighResult {
  return jacobiEigen(a, n, options, 'eigh');
}

/** Eigenvalues only, ascending. */
export function eigvalsh(a: Float64Array, n: number, options: EighOptions = {}): Float64Array {
  return jacobiEigen(a, n, options, 'eigvalsh').values;
}

function jacobiEigen(a: Float64Array, n: number, options: EighOptions, functionName: string): EighResult {
  const matrixIndex = options.matrixIndex ?? 0;
  assertShape(a, n, n, functionName, matrixIndex);
  assertFinite(a, functionName, matrixIndex);
  const maxSweeps = options.maxSweeps ?? 60;

  // Symmetric working copy from the lower triangle, scaled by a power of 2 (max entry ≈ 1)
  // so that products of entries stay in range; eigenvalues are scaled back at the end.
  const c = powerOfTwoScale(a);
  const s = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      s[i * n + j] = c * a[i * n + j];
      s[j * n + i] = c * a[i * n + j];
    }
  }
  const v = identity(n);
  let frobenius = 0;
  for (const x of s) frobenius = Math.hypot(frobenius, x);

  let converged = false;
  for (let sweep = 0; sweep < maxSweeps && !converged; sweep++) {
    converged = true;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = s[p * n + q];
        const app = s[p * n + p];
        const aqq = s[q * n + q];
        // Negligible relative to its diagonal (keeps small eigenvalues accurate) or to the whole matrix.
        if (Math.abs(apq) <= EPS * Math.sqrt(Math.abs(app * aqq)) || Math.abs(apq) <= EPS * EPS * frobenius) {
          s[p * n + q] = 0;
          s[q * n + p] = 0;
          continue;
        }
        converged = false;
        // Rotation angle that zeroes apq: t = tan θ is the smaller root of t² + 2ζt − 1 = 0.
        const zeta = (aqq - app) / (2 * apq);
        const tan = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.hypot(1, zeta));
        const c = 1 / Math.hypot(1, tan);
        const sn = tan * c;
        rotateColumns(s, n, n, p, q, c, sn);
        rotateRows(s, n, p, q, c, sn);
        rotateColumns(v, n, n, p, q, c, sn);
        s[p * n + q] = 0;
        s[q * n + p] = 0;
      }
    }
  }
  if (!converged) {
    throw new Error(`${functionName}: Jacobi iteration did not converge for matrix ${matrixIndex} after ${maxSweeps} sweeps`);
  }

  // Sort ascending and fix each vector's sign so the result is deterministic.
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => s[i * n + i] - s[j * n + j]);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  order.forEach((from, to) => {
    values[to] = s[from * n + from] / c;
    let largestRow = 0;
    for (let i = 1; i < n; i++) {
      if (Math.abs(v[i * n + from]) > Math.abs(v[largestRow * n + from])) largestRow = i;
    }
    const sign = v[largestRow * n + from] < 0 ? -1 : 1;
    for (let i = 0; i < n; i++) vectors[i * n + to] = sign * v[i * n + from];
  });
  return { values, vectors };
}

/** Columns p, q of the rows×cols matrix m ← [col_p, col_q]·[[c, s], [−s, c]]. */
export function rotateColumns(m: Float64Array, rows: number, cols: number, p: number, q: number, c: number, s: number): void {
  for (let k = 0; k < rows; k++) {
    const mp = m[k * cols + p];
    const mq = m[k * cols + q];
    m[k * cols + p] = c * mp - s * mq;
    m[k * cols + q] = s * mp + c * mq;
  }
}

/** Rows p, q of the n×n matrix m ← [[c, −s], [s, c]]·[row_p; row_q] (the transpose of rotateColumns' rotation). */
function rotateRows(m: Float64Array, n: number, p: number, q: number, c: number, s: number): void {
  for (let k = 0; k < n; k++) {
    const mp = m[p * n + k];
    const mq = m[q * n + k];
    m[p * n + k] = c * mp - s * mq;
    m[q * n + k] = s * mp + c * mq;
  }
}
