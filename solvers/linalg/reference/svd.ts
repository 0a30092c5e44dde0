/**
 * Singular value decomposition A = U·diag(S)·Vᵀ of one real m×n matrix
 * (row-major) by one-sided Jacobi (Hestenes): rotate pairs of columns of A,
 * accumulating the rotations in V, until all columns are mutually orthogonal.
 * Then the column norms are the singular values and the normalized columns U.
 *
 * For m < n the method runs on Aᵀ and swaps the roles of U and V.
 */

import { EPS, assertFinite, assertShape, identity, powerOfTwoScale } from './checks.js';
import { rotateColumns } from './eigh.js';

export interface SvdOptions {
  /** Cap on Jacobi sweeps; exceeding it throws "did not converge". Default 60. */
  maxSweeps?: number;
  /** Batch index, reported in error messages. */
  matrixIndex?: number;
}

export interface SvdResult {
  /** m×k, orthonormal columns, row-major. */
  u: Float64Array;
  /** k singular values, descending, ≥ 0. */
  s: Float64Array;
  /** n×k, orthonormal columns, row-major (A = U·diag(S)·Vᵀ). */
  v: Float64Array;
  /** k = min(m, n). */
  k: number;
}

export function svd(a: Float64Array, m: number, n: number, options: SvdOptions = {}): SvdResult {
  return jacobiSvd(a, m, n, options, 'svd');
}

/** Singular values only, descending. */
export function svdvals(a: Float64Array, m: number, n: number, options: SvdOptions = {}): Float64Array {
  return jacobiSvd(a, m, n, options, 'svdvals').s;
}

function jacobiSvd(a: Float64Array, m: number, n: number, options: SvdOptions, functionName: string): SvdResult {
  const matrixIndex = options.matrixIndex ?? 0;
  assertShape(a, m, n, functionName, matrixIndex);
  assertFinite(a, functionName, matrixIndex);
  // Work on c·A (c a power of 2, max entry ≈ 1) so the column dot products cannot overflow or underflow.
  const c = powerOfTwoScale(a);
  const scaled = a.map((x) => x * c);
  const maxSweeps = options.maxSweeps ?? 60;
  let result: SvdResult;
  if (m < n) {
    // Aᵀ = U'·S·V'ᵀ  ⇒  A = V'·S·U'ᵀ.
    const { u, s, v, k } = tallJacobiSvd(transpose(scaled, m, n), n, m, maxSweeps, functionName, matrixIndex);
    result = { u: v, s, v: u, k };
  } else {
    result = tallJacobiSvd(scaled, m, n, maxSweeps, functionName, matrixIndex);
  }
  result.s = result.s.map((x) => x / c);
  return result;
}

/** One-sided Jacobi for m ≥ n; `w` (m×n) is overwritten. */
function tallJacobiSvd(
  w: Float64Array,
  m: number,
  n: number,
  maxSweeps: number,
  functionName: string,
  matrixIndex: number,
): SvdResult {
  const v = identity(n);
  // Columns count as orthogonal when cos∠ ≤ m·eps: the rounding level of the dot product itself,
  // so the test can always be met.
  const tolerance = m * EPS;

  let converged = false;
  for (let sweep = 0; sweep < maxSweeps && !converged; sweep++) {
    converged = true;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        let alpha = 0; // ‖w_p‖²
        let beta = 0; // ‖w_q‖²
        let gamma = 0; // w_p·w_q
        for (let i = 0; i < m; i++) {
          const wp = w[i * n + p];
          const wq = w[i * n + q];
          alpha += wp * wp;
          beta += wq * wq;
          gamma += wp * wq;
        }
        if (Math.abs(gamma) <= tolerance * Math.sqrt(alpha) * Math.sqrt(beta)) continue;
        converged = false;
        // The rotation that diagonalizes the 2×2 Gram matrix [[alpha, gamma], [gamma, beta]].
        const zeta = (beta - alpha) / (2 * gamma);
        const tan = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.hypot(1, zeta));
        const c = 1 / Math.hypot(1, tan);
        const s = tan * c;
        rotateColumns(w, m, n, p, q, c, s);
        rotateColumns(v, n, n, p, q, c, s);
      }
    }
  }
  if (!converged) {
    throw new Error(`${functionName}: one-sided Jacobi did not converge for matrix ${matrixIndex} after ${maxSweeps} sweeps`);
  }

  const norms = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let norm = 0;
    for (let i = 0; i < m; i++) norm = Math.hypot(norm, w[i * n + j]);
    norms[j] = norm;
  }
  const order = Array.from({ length: n }, (_, j) => j).sort((i, j) => norms[j] - norms[i]);

  const u = new Float64Array(m * n);
  const s = new Float64Array(n);
  const vSorted = new Float64Array(n * n);
  order.forEach((from, to) => {
    s[to] = norms[from];
    // Sign convention: the largest-magnitude entry of each right singular vector is positive.
    let largestRow = 0;
    for (let i = 1; i < n; i++) {
      if (Math.abs(v[i * n + from]) > Math.abs(v[largestRow * n + from])) largestRow = i;
    }
    const sign = v[largestRow * n + from] < 0 ? -1 : 1;
    for (let i = 0; i < n; i++) vSorted[i * n + to] = sign * v[i * n + from];
    if (norms[from] > 0) {
      for (let i = 0; i < m; i++) u[i * n + to] = (sign * w[i * n + from]) / norms[from];
    }
  });
  // Zero singular values (sorted last) leave zero columns in U; fill them with orthonormal completions.
  for (let j = 0; j < n; j++) {
    if (s[j] === 0) completeOrthonormalColumn(u, m, n, j);
  }
  return { u, s, v: vSorted, k: n };
}

/**
 * Sets column j of the m×cols matrix u to a unit vector orthogonal to columns
 * 0 … j−1: the standard basis vector with the largest component outside their
 * span, orthogonalized against them.
 */
function completeOrthonormalColumn(u: Float64Array, m: number, cols: number, j: number): void {
  let best: Float64Array | null = null;
  let bestNorm = 0;
  for (let candidate = 0; candidate < m; candidate++) {
    const x = new Float64Array(m);
    x[candidate] = 1;
    // Gram–Schmidt twice ("twice is enough") against the columns already set.
    for (let pass = 0; pass < 2; pass++) {
      for (let c = 0; c < j; c++) {
        let dot = 0;
        for (let i = 0; i < m; i++) dot += u[i * cols + c] * x[i];
        for (let i = 0; i < m; i++) x[i] -= dot * u[i * cols + c];
      }
    }
    let norm = 0;
    for (let i = 0; i < m; i++) norm = Math.hypot(norm, x[i]);
    if (norm > bestNorm) {
      best = x;
      bestNorm = norm;
    }
  }
  // j < m, so the complement is nonempty and some basis vector has a part of norm ≥ √((m−j)/m) in it.
  for (let i = 0; i < m; i++) u[i * cols + j] = best![i] / bestNorm;
}

function transpose(a: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j];
  }
  return out;
}
