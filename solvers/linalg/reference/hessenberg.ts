/**
 * Balancing and Householder reduction to upper Hessenberg form for one n×n
 * real matrix (row-major Float64Array). These are the first two stages of the
 * nonsymmetric eigenvalue solver: balance → hessenberg → francisSchur.
 */

import { identity } from './checks.js';

const RADIX = 2;

export interface BalanceResult {
  /** B = D⁻¹ A D, row-major n×n. */
  balanced: Float64Array;
  /**
   * The diagonal of D (powers of 2, so balancing is exact in floating point).
   * A right eigenvector of A is x = D·y and a left one is u = D⁻¹·w, where
   * y, w are the corresponding eigenvectors of B.
   */
  scale: Float64Array;
}

/**
 * Parlett–Reinsch balancing: scale row i by 1/f and column i by f (f a power of
 * 2) until each row and column have similar off-diagonal 1-norms. Eigenvalues
 * are unchanged, but badly scaled matrices get a much smaller norm, which is
 * what the rounding errors of the QR algorithm are proportional to.
 * (No permutation step: rows/columns that isolate an eigenvalue are just skipped.)
 */
export function balance(a: Float64Array, n: number): BalanceResult {
  const b = Float64Array.from(a);
  const scale = new Float64Array(n).fill(1);
  let changed = true;
  while (changed) {
    changed = false;
    for (let i = 0; i < n; i++) {
      let colNorm = 0;
      let rowNorm = 0;
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        colNorm += Math.abs(b[j * n + i]);
        rowNorm += Math.abs(b[i * n + j]);
      }
      // A zero off-diagonal row or column already isolates an eigenvalue; scaling cannot help.
      if (colNorm === 0 || rowNorm === 0) continue;

      // Find the power of 2, f, that makes colNorm·f and rowNorm/f closest.
      // `scaledCol` tracks colNorm·f² so both sides are compared in units of rowNorm.
      let f = 1;
      let scaledCol = colNorm;
      while (scaledCol < rowNorm / RADIX) {
        f *= RADIX;
        scaledCol *= RADIX * RADIX;
      }
      while (scaledCol > rowNorm * RADIX) {
        f /= RADIX;
        scaledCol /= RADIX * RADIX;
      }
      // Only accept a scaling that cuts the row+column norm by 5% or more: this is what guarantees termination.
      if ((scaledCol + rowNorm) / f < 0.95 * (colNorm + rowNorm)) {
        changed = true;
        scale[i] *= f;
        for (let j = 0; j < n; j++) b[i * n + j] /= f;
        for (let j = 0; j < n; j++) b[j * n + i] *= f;
      }
    }
  }
  return { balanced: b, scale };
}

/** A Householder reflector P = I − beta·v·vᵀ that maps x to alpha·e₀. */
export interface Reflector {
  v: Float64Array;
  beta: number;
  alpha: number;
}

/**
 * Builds the reflector for x, or returns null when x is already a multiple of
 * e₀ (then the identity does the job and the caller skips the update).
 */
export function householderReflector(x: ArrayLike<number>): Reflector | null {
  let maxAbs = 0;
  let tailMaxAbs = 0;
  for (let i = 0; i < x.length; i++) {
    maxAbs = Math.max(maxAbs, Math.abs(x[i]));
    if (i > 0) tailMaxAbs = Math.max(tailMaxAbs, Math.abs(x[i]));
  }
  if (tailMaxAbs === 0) return null;

  // Work with x / maxAbs so the sum of squares cannot overflow or underflow.
  const v = new Float64Array(x.length);
  let normSq = 0;
  for (let i = 0; i < x.length; i++) {
    v[i] = x[i] / maxAbs;
    normSq += v[i] * v[i];
  }
  const norm = Math.sqrt(normSq);
  // Choose alpha with the sign opposite to x₀, so v₀ = x₀ − alpha has no cancellation.
  const scaledAlpha = v[0] >= 0 ? -norm : norm;
  v[0] -= scaledAlpha;
  let vNormSq = 0;
  for (let i = 0; i < v.length; i++) vNormSq += v[i] * v[i];
  return { v, beta: 2 / vNormSq, alpha: scaledAlpha * maxAbs };
}

/** M[r0 .. r0+len−1, c0 .. c1] ← P · M[…] for an n-column row-major M. */
export function applyReflectorLeft(m: Float64Array, n: number, p: Reflector, r0: number, c0: number, c1: number): void {
  const len = p.v.length;
  for (let j = c0; j <= c1; j++) {
    let dot = 0;
    for (let i = 0; i < len; i++) dot += p.v[i] * m[(r0 + i) * n + j];
    const factor = p.beta * dot;
    for (let i = 0; i < len; i++) m[(r0 + i) * n + j] -= factor * p.v[i];
  }
}

/** M[r0 .. r1, c0 .. c0+len−1] ← M[…] · P for an n-column row-major M. */
export function applyReflectorRight(m: Float64Array, n: number, p: Reflector, c0: number, r0: number, r1: number): void {
  const len = p.v.length;
  for (let i = r0; i <= r1; i++) {
    let dot = 0;
    for (let j = 0; j < len; j++) dot += m[i * n + c0 + j] * p.v[j];
    const factor = p.beta * dot;
    for (let j = 0; j < len; j++) m[i * n + c0 + j] -= factor * p.v[j];
  }
}

export interface HessenbergResult {
  /** Upper Hessenberg H (zero below the first subdiagonal), row-major n×n. */
  h: Float64Array;
  /** Orthogonal Q with A = Q·H·Qᵀ, or null unless `computeQ` was set. */
  q: Float64Array | null;
}

/**
 * Householder reduction A = Q·H·Qᵀ. Step k zeroes column k below the
 * subdiagonal with a reflector acting on rows/columns k+1 … n−1.
 */
export function hessenberg(a: Float64Array, n: number, options: { computeQ?: boolean } = {}): HessenbergResult {
  const h = Float64Array.from(a);
  const q = options.computeQ ? identity(n) : null;
  for (let k = 0; k < n - 2; k++) {
    const column: number[] = [];
    for (let i = k + 1; i < n; i++) column.push(h[i * n + k]);
    const reflector = householderReflector(column);
    if (reflector === null) continue; // already zero below the subdiagonal

    // H ← P·H·P. Rows k+1.. have zeros left of column k, so the left update starts there.
    applyReflectorLeft(h, n, reflector, k + 1, k, n - 1);
    applyReflectorRight(h, n, reflector, k + 1, 0, n - 1);
    if (q) applyReflectorRight(q, n, reflector, k + 1, 0, n - 1);

    // In exact arithmetic the column is now alpha·e₁; store that instead of rounding noise.
    h[(k + 1) * n + k] = reflector.alpha;
    for (let i = k + 2; i < n; i++) h[i * n + k] = 0;
  }
  return { h, q };
}
