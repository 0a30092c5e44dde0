/**
 * Float64 references of the dense solvers (one matrix per call, row-major): LU with partial
 * pivoting (LAPACK's getrf), solves with it (getrs), log|det|, Cholesky (potrf) and triangular
 * solves (trsm, left side). The WebGPU kernels (kernels/linalg/lu.ts) follow the same steps.
 */

import { EPS } from './checks.js';

export interface LuResult {
  /** L (unit lower, strictly below the diagonal) and U (on and above it) in one n×n matrix */
  lu: Float64Array;
  /** row i of L·U is row perm[i] of A */
  perm: Int32Array;
  /** the permutation's sign, ±1 */
  parity: number;
  /** the first column whose pivot is negligible (|pivot| ≤ n·ε·max|A|), or -1 */
  singularAt: number;
}

/** A pivot at or below this is treated as zero by solve and inv (singular at working precision). */
export const negligiblePivot = (n: number, maxAbs: number, eps = EPS) => n * eps * maxAbs;

/** P·A = L·U by Gaussian elimination with partial pivoting; completes for singular A too. */
export function luFactor(a: Float64Array, n: number): LuResult {
  const lu = Float64Array.from(a);
  const perm = Int32Array.from({ length: n }, (_, i) => i);
  let big = 0;
  for (const x of a) big = Math.max(big, Math.abs(x));
  const tiny = negligiblePivot(n, big);
  let parity = 1;
  let singularAt = -1;
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(lu[i * n + k]!) > Math.abs(lu[p * n + k]!)) p = i;
    if (p !== k) {
      for (let j = 0; j < n; j++) [lu[k * n + j], lu[p * n + j]] = [lu[p * n + j]!, lu[k * n + j]!];
      [perm[k], perm[p]] = [perm[p]!, perm[k]!];
      parity = -parity;
    }
    const piv = lu[k * n + k]!;
    if (Math.abs(piv) <= tiny && singularAt < 0) singularAt = k;
    if (piv === 0) continue;
    for (let i = k + 1; i < n; i++) {
      const l = (lu[i * n + k]! /= piv);
      if (l !== 0) for (let j = k + 1; j < n; j++) lu[i * n + j]! -= l * lu[k * n + j]!;
    }
  }
  return { lu, perm, parity, singularAt };
}

/** X = A⁻¹·B (B n×k) from A's factors. */
export function luSolve({ lu, perm }: LuResult, b: Float64Array, n: number, k: number): Float64Array {
  const x = new Float64Array(n * k);
  for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) x[i * k + c] = b[perm[i]! * k + c]!;
  solveTriangular(lu, x, n, k, { lower: true, unit: true, transpose: false });
  solveTriangular(lu, x, n, k, { lower: false, unit: false, transpose: false });
  return x;
}

/** sign(det A) (0 for an exactly singular A) and log|det A| (−∞ then). */
export function slogdet(a: Float64Array, n: number): { sign: number; logAbsDet: number } {
  const { lu, parity } = luFactor(a, n);
  let sign = parity;
  let log = 0;
  for (let i = 0; i < n; i++) {
    const d = lu[i * n + i]!;
    sign *= Math.sign(d);
    log += Math.log(Math.abs(d));
  }
  return { sign: sign + 0, logAbsDet: log }; // + 0: no −0
}

export interface TriangularOptions {
  /** the triangle of T that is read: lower (with the diagonal) or upper */
  lower: boolean;
  /** the diagonal is taken as 1 (and not read) */
  unit: boolean;
  /** solve with Tᵀ instead of T */
  transpose: boolean;
}

/**
 * In place: x ← op(T)⁻¹·x for x n×k, op(T) = T or Tᵀ, reading one triangle of T. Returns the
 * first zero diagonal entry met, or -1 (x then holds ±∞/NaN from that row on).
 */
export function solveTriangular(t: Float64Array, x: Float64Array, n: number, k: number, o: TriangularOptions): number {
  // op(T) is lower triangular when exactly one of lower, transpose holds: forward substitution
  const forward = o.lower !== o.transpose;
  const at = (i: number, j: number) => (o.transpose ? t[j * n + i]! : t[i * n + j]!);
  let zero = -1;
  for (let s = 0; s < n; s++) {
    const i = forward ? s : n - 1 - s;
    for (let c = 0; c < k; c++) {
      let acc = x[i * k + c]!;
      if (forward) for (let j = 0; j < i; j++) acc -= at(i, j) * x[j * k + c]!;
      else for (let j = i + 1; j < n; j++) acc -= at(i, j) * x[j * k + c]!;
      x[i * k + c] = o.unit ? acc : acc / at(i, i);
    }
    if (!o.unit && at(i, i) === 0 && zero < 0) zero = i;
  }
  return zero;
}

/**
 * Lower L with L·Lᵀ = S, where S is the symmetric matrix whose lower triangle is A's. Returns
 * the column where a pivot is not positive (S is not positive definite), or -1.
 */
export function cholesky(a: Float64Array, n: number): { l: Float64Array; failedAt: number } {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j]!;
    for (let p = 0; p < j; p++) d -= l[j * n + p]! * l[j * n + p]!;
    if (!(d > 0)) return { l: l.fill(NaN), failedAt: j };
    const ljj = Math.sqrt(d);
    l[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j]!;
      for (let p = 0; p < j; p++) s -= l[i * n + p]! * l[j * n + p]!;
      l[i * n + j] = s / ljj;
    }
  }
  return { l, failedAt: -1 };
}
