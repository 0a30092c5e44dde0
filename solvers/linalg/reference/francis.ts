/**
 * The Francis implicit double-shift QR algorithm: reduces an upper Hessenberg
 * matrix H to real Schur form T = Zᵀ·H·Z, where T is quasi-upper-triangular
 * (1×1 blocks for real eigenvalues, standardized 2×2 blocks [[a, b], [c, a]]
 * with b·c < 0 for complex conjugate pairs a ± i·√(−bc)).
 *
 * The whole matrix T is updated (not only the active window), so the result
 * is a true Schur form that eigenvector back-substitution can use.
 *
 * The shift vector uses squares of entries, so entries should be well inside
 * the floating-point range (|h| ≲ 1e150); eig/eigvals pre-scale by a power of 2.
 */

import { EPS, SAFE_MIN, identity } from './checks.js';
import { applyReflectorLeft, applyReflectorRight, householderReflector } from './hessenberg.js';

export interface SchurOptions {
  /** Accumulate the Schur vectors Z. */
  computeZ?: boolean;
  /** Orthogonal matrix to accumulate into (e.g. Q from `hessenberg`, giving A = (QZ)·T·(QZ)ᵀ). Default: identity. */
  initialZ?: Float64Array;
  /**
   * Francis steps allowed while waiting for any single eigenvalue (or pair) to
   * deflate; exceeding it throws "did not converge". Default 30·max(n, 10).
   */
  maxIterations?: number;
  /** Batch index, reported in error messages. */
  matrixIndex?: number;
  /** Name reported in error messages. */
  functionName?: string;
}

export interface SchurResult {
  /** Real Schur form, row-major n×n. */
  t: Float64Array;
  /** Accumulated Schur vectors (initialZ·Z), or null unless `computeZ` was set. */
  z: Float64Array | null;
  /** Eigenvalues in diagonal order; a complex pair is adjacent, positive imaginary part first. */
  re: Float64Array;
  im: Float64Array;
}

/** An exceptional shift every this many iterations breaks cycles such as the one of a cyclic permutation matrix. */
const EXCEPTIONAL_SHIFT_PERIOD = 10;

export function francisSchur(h: Float64Array, n: number, options: SchurOptions = {}): SchurResult {
  const t = Float64Array.from(h);
  let z: Float64Array | null = null;
  if (options.computeZ) z = options.initialZ ? Float64Array.from(options.initialZ) : identity(n);
  const maxIterations = options.maxIterations ?? 30 * Math.max(n, 10);
  const functionName = options.functionName ?? 'francisSchur';
  // Subdiagonal entries below this are treated as zero even when the diagonal is tiny (as LAPACK's SMLNUM).
  const smallNum = SAFE_MIN * (n / EPS);

  // Rows/columns hi+1 … n−1 are finished. Work on the bottom unreduced block.
  let hi = n - 1;
  let iterations = 0;
  while (hi >= 0) {
    const lo = findUnreducedBlockStart(t, n, hi, smallNum);
    if (lo === hi) {
      // 1×1 block deflated: a real eigenvalue.
      hi -= 1;
      iterations = 0;
      continue;
    }
    if (lo === hi - 1) {
      // 2×2 block deflated: split it into two real eigenvalues or standardize a complex pair.
      standardizeBlock(t, z, n, lo);
      hi -= 2;
      iterations = 0;
      continue;
    }
    if (iterations >= maxIterations) {
      throw new Error(
        `${functionName}: Francis QR iteration did not converge for matrix ${options.matrixIndex ?? 0} ` +
          `(no deflation of rows ${lo}..${hi} after ${iterations} iterations)`,
      );
    }

    // The 2×2 block whose eigenvalues are the shifts: an ad hoc one every EXCEPTIONAL_SHIFT_PERIOD
    // steps (as EISPACK/LAPACK, from the top and the bottom of the window in turn), else the
    // trailing block (Wilkinson).
    let b11: number, b12: number, b21: number, b22: number;
    if (iterations > 0 && iterations % EXCEPTIONAL_SHIFT_PERIOD === 0) {
      const top = (iterations / EXCEPTIONAL_SHIFT_PERIOD) % 2 === 1;
      const s = top ? Math.abs(t[(lo + 1) * n + lo]) + Math.abs(t[(lo + 2) * n + lo + 1]) : Math.abs(t[hi * n + hi - 1]) + Math.abs(t[(hi - 1) * n + hi - 2]);
      b11 = 0.75 * s + (top ? t[lo * n + lo] : t[hi * n + hi]);
      b12 = -0.4375 * s;
      b21 = s;
      b22 = b11;
    } else {
      const p = hi - 1;
      [b11, b12, b21, b22] = [t[p * n + p], t[p * n + hi], t[hi * n + p], t[hi * n + hi]];
    }
    francisDoubleShiftStep(t, z, n, lo, hi, shiftsOf(b11, b12, b21, b22));
    iterations += 1;
  }

  const { re, im } = schurEigenvalues(t, n);
  return { t, z, re, im };
}

/**
 * Scans the subdiagonal upward from row `hi` and returns the first row k whose
 * subdiagonal entry t[k, k−1] is negligible (setting it to exactly 0), or 0.
 */
function findUnreducedBlockStart(t: Float64Array, n: number, hi: number, smallNum: number): number {
  for (let k = hi; k > 0; k--) {
    const sub = Math.abs(t[k * n + k - 1]);
    let scale = Math.abs(t[(k - 1) * n + k - 1]) + Math.abs(t[k * n + k]);
    if (scale === 0) {
      // Zero diagonal: compare with the neighbouring subdiagonal entries instead (as LAPACK does).
      if (k >= 2) scale += Math.abs(t[(k - 1) * n + k - 2]);
      if (k + 1 <= hi) scale += Math.abs(t[(k + 1) * n + k]);
    }
    if (sub <= Math.max(smallNum, EPS * scale)) {
      t[k * n + k - 1] = 0;
      return k;
    }
  }
  return 0;
}

/** The two shifts σ₁ = r1 + i·i1, σ₂ = r2 + i·i2 (conjugate, or real and equal). */
export interface Shifts {
  r1: number;
  i1: number;
  r2: number;
  i2: number;
}

/**
 * Shifts from a 2×2 block, as LAPACK's dlahqr: its eigenvalues when complex; when real, the one
 * closer to b22 twice (a double real shift converges as fast and is not thrown off by the other).
 */
export function shiftsOf(b11: number, b12: number, b21: number, b22: number): Shifts {
  const s = Math.abs(b11) + Math.abs(b12) + Math.abs(b21) + Math.abs(b22);
  if (s === 0) return { r1: 0, i1: 0, r2: 0, i2: 0 };
  const [h11, h12, h21, h22] = [b11 / s, b12 / s, b21 / s, b22 / s];
  const tr = (h11 + h22) / 2;
  const det = (h11 - tr) * (h22 - tr) - h12 * h21;
  const rtdisc = Math.sqrt(Math.abs(det));
  if (det >= 0) return { r1: tr * s, i1: rtdisc * s, r2: tr * s, i2: -rtdisc * s };
  const closer = Math.abs(tr + rtdisc - h22) <= Math.abs(tr - rtdisc - h22) ? tr + rtdisc : tr - rtdisc;
  return { r1: closer * s, i1: 0, r2: closer * s, i2: 0 };
}

/**
 * One implicit double-shift step on the unreduced window lo … hi (size ≥ 3):
 * introduce a bulge with the first column of (H − σ₁)(H − σ₂), then chase it
 * down the subdiagonal with 3×3 reflectors and a final 2×2 one.
 */
function francisDoubleShiftStep(t: Float64Array, z: Float64Array | null, n: number, lo: number, hi: number, sh: Shifts): void {
  const at = (i: number, j: number): number => t[i * n + j];

  // First column of (H − σ₁I)(H − σ₂I), only 3 entries nonzero, in factored form with the
  // differences h₀₀ − σ taken first: expanded as H² − (σ₁+σ₂)H + σ₁σ₂ it cancels catastrophically
  // when the window's eigenvalues cluster (H ≈ σI + rounding noise), and the steps then only
  // permute noise and never deflate. Scaled by s (any scale gives the same reflector).
  const s = Math.abs(at(lo, lo) - sh.r2) + Math.abs(sh.i2) + Math.abs(at(lo + 1, lo));
  const h21s = at(lo + 1, lo) / s;
  let x = h21s * at(lo, lo + 1) + (at(lo, lo) - sh.r1) * ((at(lo, lo) - sh.r2) / s) - sh.i1 * (sh.i2 / s);
  let y = h21s * (at(lo, lo) + at(lo + 1, lo + 1) - sh.r1 - sh.r2);
  let w = h21s * at(lo + 2, lo + 1);

  for (let k = lo; k <= hi - 2; k++) {
    const reflector = householderReflector([x, y, w]);
    if (reflector !== null) {
      applyReflectorLeft(t, n, reflector, k, Math.max(lo, k - 1), n - 1);
      applyReflectorRight(t, n, reflector, k, 0, Math.min(k + 3, hi));
      if (z) applyReflectorRight(z, n, reflector, k, 0, n - 1);
    }
    // The bulge now sits in column k, rows k+1 … k+3.
    x = at(k + 1, k);
    y = at(k + 2, k);
    if (k < hi - 2) w = at(k + 3, k);
  }
  const reflector = householderReflector([x, y]);
  if (reflector !== null) {
    applyReflectorLeft(t, n, reflector, hi - 1, hi - 2, n - 1);
    applyReflectorRight(t, n, reflector, hi - 1, 0, hi);
    if (z) applyReflectorRight(z, n, reflector, hi - 1, 0, n - 1);
  }
  // What is left below the subdiagonal is rounding noise from the chase; store the exact zeros.
  for (let i = lo + 2; i <= hi; i++) {
    for (let j = lo; j <= i - 2; j++) t[i * n + j] = 0;
  }
}

/**
 * Standardizes the 2×2 diagonal block at rows/columns p, p+1 with a rotation
 * G, applying T ← Gᵀ·T·G to the whole matrix and Z ← Z·G.
 */
function standardizeBlock(t: Float64Array, z: Float64Array | null, n: number, p: number): void {
  const q = p + 1;
  const s = standardize2x2(t[p * n + p], t[p * n + q], t[q * n + p], t[q * n + q]);
  t[p * n + p] = s.a;
  t[p * n + q] = s.b;
  t[q * n + p] = s.c;
  t[q * n + q] = s.d;
  const rotate = (m: Float64Array, i: number, j: number): void => {
    const mi = m[i];
    const mj = m[j];
    m[i] = s.cs * mi + s.sn * mj;
    m[j] = s.cs * mj - s.sn * mi;
  };
  for (let j = q + 1; j < n; j++) rotate(t, p * n + j, q * n + j); // rows p, q right of the block
  for (let i = 0; i < p; i++) rotate(t, i * n + p, i * n + q); // columns p, q above the block
  if (z) for (let i = 0; i < n; i++) rotate(z, i * n + p, i * n + q);
}

export interface Standardized2x2 {
  /** The standardized block [[a, b], [c, d]]: c = 0 (real eigenvalues a, d), or a = d and b·c < 0 (a ± i√(−bc)). */
  a: number;
  b: number;
  c: number;
  d: number;
  /** [[A, B], [C, D]] = [[cs, −sn], [sn, cs]] · [[a, b], [c, d]] · [[cs, sn], [−sn, cs]]. */
  cs: number;
  sn: number;
}

const sign = (x: number): number => (x >= 0 ? 1 : -1);

/**
 * Schur factorization of a real 2×2 matrix in standard form, following
 * LAPACK's dlanv2 (without its extreme-range rescaling loop). The real-vs-complex
 * decision compares the discriminant relative to the entries' scale, so it is
 * scale invariant.
 */
export function standardize2x2(A: number, B: number, C: number, D: number): Standardized2x2 {
  let a = A;
  let b = B;
  let c = C;
  let d = D;
  let cs = 1;
  let sn = 0;

  if (c === 0) {
    // Already upper triangular.
  } else if (b === 0) {
    // Lower triangular: swap rows and columns.
    cs = 0;
    sn = 1;
    [a, d] = [d, a];
    b = -c;
    c = 0;
  } else if (a - d === 0 && sign(b) !== sign(c)) {
    // Already standard complex form (d = a also turns a −0/+0 mix into one value).
    d = a;
  } else {
    const diff = a - d;
    let p = 0.5 * diff;
    const bcMax = Math.max(Math.abs(b), Math.abs(c));
    const bcMis = Math.min(Math.abs(b), Math.abs(c)) * sign(b) * sign(c);
    const scale = Math.max(Math.abs(p), bcMax);
    // z = (p² + bc) / scale: the discriminant, computed without overflow.
    let zz = (p / scale) * p + (bcMax / scale) * bcMis;
    if (zz >= 4 * EPS * scale) {
      // Clearly real eigenvalues: one rotation makes the block upper triangular.
      zz = p + sign(p) * Math.sqrt(scale) * Math.sqrt(zz);
      a = d + zz;
      d = d - (bcMax / zz) * bcMis;
      const tau = Math.hypot(c, zz);
      cs = zz / tau;
      sn = c / tau;
      b = b - c;
      c = 0;
    } else {
      // Complex or nearly equal real eigenvalues: first rotate to equal diagonal entries.
      const sigma = b + c;
      const tau = Math.hypot(sigma, diff);
      cs = Math.sqrt(0.5 * (1 + Math.abs(sigma) / tau));
      sn = -(p / (tau * cs)) * sign(sigma);
      // [aa bb; cc dd] = [a b; c d]·[cs −sn; sn cs]
      const aa = a * cs + b * sn;
      const bb = -a * sn + b * cs;
      const cc = c * cs + d * sn;
      const dd = -c * sn + d * cs;
      // [a b; c d] = [cs sn; −sn cs]·[aa bb; cc dd]
      a = aa * cs + cc * sn;
      b = bb * cs + dd * sn;
      c = -aa * sn + cc * cs;
      d = -bb * sn + dd * cs;
      const mean = 0.5 * (a + d);
      a = mean;
      d = mean;
      if (c !== 0) {
        if (b !== 0) {
          if (sign(b) === sign(c)) {
            // b·c > 0: the eigenvalues are real after all; a second rotation triangularizes.
            const sab = Math.sqrt(Math.abs(b));
            const sac = Math.sqrt(Math.abs(c));
            p = sign(c) * sab * sac;
            const invTau = 1 / Math.sqrt(Math.abs(b + c));
            a = mean + p;
            d = mean - p;
            b = b - c;
            c = 0;
            const cs1 = sab * invTau;
            const sn1 = sac * invTau;
            const newCs = cs * cs1 - sn * sn1;
            sn = cs * sn1 + sn * cs1;
            cs = newCs;
          }
        } else {
          // b = 0: swap rows and columns to make it upper triangular.
          b = -c;
          c = 0;
          const oldCs = cs;
          cs = -sn;
          sn = oldCs;
        }
      }
    }
  }
  return { a, b, c, d, cs, sn };
}

/** Reads the eigenvalues off a standardized real Schur form. */
export function schurEigenvalues(t: Float64Array, n: number): { re: Float64Array; im: Float64Array } {
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (i + 1 < n && t[(i + 1) * n + i] !== 0) {
      // Standardized pair: equal diagonal a, off-diagonals of opposite sign.
      const b = t[i * n + i + 1];
      const c = t[(i + 1) * n + i];
      const imag = Math.sqrt(Math.abs(b)) * Math.sqrt(Math.abs(c));
      re[i] = t[i * n + i];
      re[i + 1] = t[(i + 1) * n + i + 1];
      im[i] = imag;
      im[i + 1] = -imag;
      i += 1;
    } else {
      re[i] = t[i * n + i];
    }
  }
  return { re, im };
}
