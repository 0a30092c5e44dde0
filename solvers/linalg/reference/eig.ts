/**
 * Eigenvalues and eigenvectors of one general real n×n matrix (row-major):
 *   balance → Hessenberg → Francis QR (real Schur form T, Schur vectors Z)
 *   → eigenvectors of T by substitution → back to A through Z and the balancing.
 *
 * n = 1 is answered directly. n = 2 needs no QR iteration: the Hessenberg step
 * is a no-op and the Francis stage standardizes the single 2×2 block at once
 * (one rotation, LAPACK's dlanv2), which also gives its exact Schur vectors.
 */

import { EPS, SAFE_MIN, assertFinite, assertShape, powerOfTwoScale } from './checks.js';
import { francisSchur } from './francis.js';
import { balance, hessenberg } from './hessenberg.js';

export interface EigOptions {
  /** Also compute left eigenvectors. */
  left?: boolean;
  /** Per-eigenvalue cap on Francis iterations (see francisSchur). */
  maxIterations?: number;
  /** Batch index, reported in error messages. */
  matrixIndex?: number;
}

/** Eigenvalues in Schur-diagonal order; complex pairs are adjacent, positive imaginary part first. */
export interface Eigenvalues {
  re: Float64Array;
  im: Float64Array;
}

/** A complex n×n matrix as two row-major real arrays; column j belongs to eigenvalue j. */
export interface ComplexMatrix {
  re: Float64Array;
  im: Float64Array;
}

export interface EigResult {
  values: Eigenvalues;
  /** Right eigenvectors: A·vⱼ = λⱼ·vⱼ. */
  right: ComplexMatrix;
  /** Left eigenvectors (only with `left: true`): uⱼᴴ·A = λⱼ·uⱼᴴ. */
  left?: ComplexMatrix;
}

/** Eigenvalues of a general real n×n matrix. */
export function eigvals(a: Float64Array, n: number, options: Omit<EigOptions, 'left'> = {}): Eigenvalues {
  const matrixIndex = options.matrixIndex ?? 0;
  assertShape(a, n, n, 'eigvals', matrixIndex);
  assertFinite(a, 'eigvals', matrixIndex);
  if (n === 1) return { re: Float64Array.of(a[0]), im: new Float64Array(1) };
  // Work on c·A (c a power of 2, max entry ≈ 1) so the QR step's squared entries stay in range.
  const c = powerOfTwoScale(a);
  const { balanced } = balance(a.map((x) => x * c), n);
  const { h } = hessenberg(balanced, n);
  const { re, im } = francisSchur(h, n, {
    maxIterations: options.maxIterations,
    matrixIndex,
    functionName: 'eigvals',
  });
  return { re: re.map((x) => x / c), im: im.map((x) => x / c) };
}

/**
 * Eigenvalues, right eigenvectors and (optionally) left eigenvectors.
 *
 * Every eigenvector has unit 2-norm and its largest-magnitude component made
 * real and positive. For a complex pair (λ, λ̄) at columns j, j+1 the vectors
 * are complex conjugates of each other; for a real λ the imaginary part is 0.
 *
 * Left eigenvectors come from the same Schur form (forward substitution with
 * Tᵀ gives right eigenvectors of Aᵀ, conjugated), so they are matched to the
 * eigenvalue order by construction. They are NOT the rows of V⁻¹: each is
 * normalized on its own.
 *
 * For a defective eigenvalue the vectors of the repeated copies come out
 * (nearly) parallel, as with LAPACK; the residual ‖A·v − λ·v‖ stays small.
 */
export function eig(a: Float64Array, n: number, options: EigOptions = {}): EigResult {
  const matrixIndex = options.matrixIndex ?? 0;
  assertShape(a, n, n, 'eig', matrixIndex);
  assertFinite(a, 'eig', matrixIndex);
  if (n === 1) {
    const one = (): ComplexMatrix => ({ re: Float64Array.of(1), im: new Float64Array(1) });
    const values = { re: Float64Array.of(a[0]), im: new Float64Array(1) };
    return options.left ? { values, right: one(), left: one() } : { values, right: one() };
  }

  // Work on c·A (c a power of 2, max entry ≈ 1) so the QR step's squared entries stay in range;
  // it has the same eigenvectors and eigenvalues c·λ.
  const c = powerOfTwoScale(a);
  // B = D⁻¹·(cA)·D and B = W·T·Wᵀ with W = Q·Z orthogonal.
  const { balanced, scale } = balance(a.map((x) => x * c), n);
  const { h, q } = hessenberg(balanced, n, { computeQ: true });
  const schur = francisSchur(h, n, {
    computeZ: true,
    initialZ: q ?? undefined,
    maxIterations: options.maxIterations,
    matrixIndex,
    functionName: 'eig',
  });
  const t = schur.t;
  const w = schur.z!;
  const values = { re: schur.re.map((x) => x / c), im: schur.im.map((x) => x / c) };
  const smallPivot = Math.max(EPS * frobeniusNorm(t), SAFE_MIN);

  // Right: A·x = λx  ⇔  T·y = λy with x = D·W·y.
  const yRight = schurEigenvectors(t, n, schur, 'right', smallPivot);
  const right = multiplyRealComplex(w, yRight, n);
  scaleRows(right, n, (i) => scale[i]);
  normalizeColumns(right, n);
  if (!options.left) return { values, right };

  // Left: uᴴ·A = λuᴴ  ⇔  Aᵀ·ū = λū  ⇔  Tᵀ·s = λs with ū = D⁻¹·W·s; then conjugate.
  const sLeft = schurEigenvectors(t, n, schur, 'left', smallPivot);
  const left = multiplyRealComplex(w, sLeft, n);
  scaleRows(left, n, (i) => 1 / scale[i]);
  for (let i = 0; i < left.im.length; i++) left.im[i] = left.im[i] === 0 ? 0 : -left.im[i]; // conj, keeping +0
  normalizeColumns(left, n);
  return { values, right, left };
}

// ---------------------------------------------------------------------------
// Eigenvectors of the quasi-triangular Schur form
// ---------------------------------------------------------------------------

interface Complex {
  re: number;
  im: number;
}

const cmul = (x: Complex, y: Complex): Complex => ({ re: x.re * y.re - x.im * y.im, im: x.re * y.im + x.im * y.re });
const csub = (x: Complex, y: Complex): Complex => ({ re: x.re - y.re, im: x.im - y.im });
const cabs = (x: Complex): number => Math.hypot(x.re, x.im);

/** x / y by Smith's algorithm (avoids needless overflow). */
function cdiv(x: Complex, y: Complex): Complex {
  if (Math.abs(y.re) >= Math.abs(y.im)) {
    const r = y.im / y.re;
    const den = y.re + y.im * r;
    return { re: (x.re + x.im * r) / den, im: (x.im - x.re * r) / den };
  }
  const r = y.re / y.im;
  const den = y.re * r + y.im;
  return { re: (x.re * r + x.im) / den, im: (x.im * r - x.re) / den };
}

/**
 * A divisor that is (nearly) zero means λ is repeated on the diagonal; replace
 * it by a tiny one, as LAPACK does, giving a valid approximate eigenvector.
 */
function guardPivot(d: Complex, smallPivot: number): Complex {
  return cabs(d) < smallPivot ? { re: smallPivot, im: 0 } : d;
}

/** Solves [[m11, m12], [m21, m22]]·[x1, x2] = [r1, r2] by Cramer's rule. */
function solve2x2(
  m11: Complex,
  m12: Complex,
  m21: Complex,
  m22: Complex,
  r1: Complex,
  r2: Complex,
  smallPivot: number,
): [Complex, Complex] {
  const det = guardPivot(csub(cmul(m11, m22), cmul(m12, m21)), smallPivot * smallPivot);
  return [cdiv(csub(cmul(r1, m22), cmul(m12, r2)), det), cdiv(csub(cmul(m11, r2), cmul(m21, r1)), det)];
}

/** Rescale a vector whose entries grew huge (near-defective λ) before it can overflow. */
const GROWTH_LIMIT = 1e150;

/**
 * Eigenvectors of the quasi-triangular T, one per column, for T's own
 * eigenvalues `values` (those of the scaled matrix, in diagonal order).
 * 'right': T·y = λy, solved upward from the eigenvalue's block (back substitution).
 * 'left':  Tᵀ·s = λs, solved downward from the eigenvalue's block (forward substitution).
 */
function schurEigenvectors(
  t: Float64Array,
  n: number,
  values: Eigenvalues,
  side: 'right' | 'left',
  smallPivot: number,
): ComplexMatrix {
  const out: ComplexMatrix = { re: new Float64Array(n * n), im: new Float64Array(n * n) };
  const T = (i: number, j: number): Complex => ({ re: t[i * n + j], im: 0 });
  // For the left side we work with Tᵀ.
  const M = side === 'right' ? T : (i: number, j: number): Complex => T(j, i);
  const isBlockStart = (i: number): boolean => i + 1 < n && t[(i + 1) * n + i] !== 0;

  for (let k = 0; k < n; k++) {
    const lambda: Complex = { re: values.re[k], im: values.im[k] };
    const x: Complex[] = Array.from({ length: n }, () => ({ re: 0, im: 0 }));
    const pair = values.im[k] !== 0;

    // Seed: the eigenvector of the eigenvalue's own diagonal block.
    if (!pair) {
      x[k] = { re: 1, im: 0 };
    } else {
      // Block of M is [[a, m12], [m21, a]] with λ = a + ib: (M − λ)·x = 0 gives
      // x_{k+1} = (ib/m12)·x_k, or x_k = (ib/m21)·x_{k+1}; divide by the larger entry.
      const m12 = M(k, k + 1).re;
      const m21 = M(k + 1, k).re;
      if (Math.abs(m12) >= Math.abs(m21)) {
        x[k] = { re: 1, im: 0 };
        x[k + 1] = { re: 0, im: lambda.im / m12 };
      } else {
        x[k] = { re: 0, im: lambda.im / m21 };
        x[k + 1] = { re: 1, im: 0 };
      }
    }
    const blockEnd = pair ? k + 1 : k;

    // Row i of (M − λ)x = 0, solved for x_i given the entries already known.
    const residualRhs = (i: number, from: number, to: number): Complex => {
      let sum: Complex = { re: 0, im: 0 };
      for (let j = from; j <= to; j++) {
        sum = csub(sum, cmul(M(i, j), x[j]));
      }
      return sum;
    };
    const shifted = (i: number): Complex => csub(M(i, i), lambda);

    if (side === 'right') {
      // Upper quasi-triangular: rows k−1 … 0, each block depends on the columns after it.
      let i = k - 1;
      while (i >= 0) {
        if (i > 0 && t[i * n + i - 1] !== 0) {
          const p = i - 1;
          [x[p], x[i]] = solve2x2(
            shifted(p), M(p, i), M(i, p), shifted(i),
            residualRhs(p, i + 1, blockEnd), residualRhs(i, i + 1, blockEnd), smallPivot,
          );
          i -= 2;
        } else {
          x[i] = cdiv(residualRhs(i, i + 1, blockEnd), guardPivot(shifted(i), smallPivot));
          i -= 1;
        }
        limitGrowth(x);
      }
    } else {
      // Lower quasi-triangular (Tᵀ): rows blockEnd+1 … n−1, each block depends on the rows before it.
      let i = blockEnd + 1;
      while (i < n) {
        if (isBlockStart(i)) {
          const q = i + 1;
          [x[i], x[q]] = solve2x2(
            shifted(i), M(i, q), M(q, i), shifted(q),
            residualRhs(i, k, i - 1), residualRhs(q, k, i - 1), smallPivot,
          );
          i += 2;
        } else {
          x[i] = cdiv(residualRhs(i, k, i - 1), guardPivot(shifted(i), smallPivot));
          i += 1;
        }
        limitGrowth(x);
      }
    }

    for (let i = 0; i < n; i++) {
      out.re[i * n + k] = x[i].re;
      out.im[i * n + k] = x[i].im;
    }
    if (pair) {
      // The conjugate eigenvalue's vector is the conjugate vector.
      for (let i = 0; i < n; i++) {
        out.re[i * n + k + 1] = x[i].re;
        out.im[i * n + k + 1] = -x[i].im;
      }
      k += 1;
    }
  }
  return out;
}

function limitGrowth(x: Complex[]): void {
  let maxAbs = 0;
  for (const v of x) maxAbs = Math.max(maxAbs, Math.abs(v.re), Math.abs(v.im));
  if (maxAbs > GROWTH_LIMIT) {
    for (const v of x) {
      v.re /= maxAbs;
      v.im /= maxAbs;
    }
  }
}

// ---------------------------------------------------------------------------
// Small dense helpers
// ---------------------------------------------------------------------------

function frobeniusNorm(m: Float64Array): number {
  let maxAbs = 0;
  for (const v of m) maxAbs = Math.max(maxAbs, Math.abs(v));
  if (maxAbs === 0) return 0;
  let sum = 0;
  for (const v of m) sum += (v / maxAbs) ** 2;
  return maxAbs * Math.sqrt(sum);
}

/** Real n×n times complex n×n. */
function multiplyRealComplex(w: Float64Array, y: ComplexMatrix, n: number): ComplexMatrix {
  const out: ComplexMatrix = { re: new Float64Array(n * n), im: new Float64Array(n * n) };
  for (let i = 0; i < n; i++) {
    for (let l = 0; l < n; l++) {
      const wil = w[i * n + l];
      if (wil === 0) continue;
      for (let j = 0; j < n; j++) {
        out.re[i * n + j] += wil * y.re[l * n + j];
        out.im[i * n + j] += wil * y.im[l * n + j];
      }
    }
  }
  return out;
}

function scaleRows(m: ComplexMatrix, n: number, factor: (row: number) => number): void {
  for (let i = 0; i < n; i++) {
    const f = factor(i);
    for (let j = 0; j < n; j++) {
      m.re[i * n + j] *= f;
      m.im[i * n + j] *= f;
    }
  }
}

/** Unit 2-norm columns, each multiplied by the phase that makes its largest-magnitude entry real positive. */
function normalizeColumns(m: ComplexMatrix, n: number): void {
  for (let j = 0; j < n; j++) {
    // Pre-scale by the largest entry so the sum of squares cannot overflow.
    let largest = 0;
    let largestRow = 0;
    for (let i = 0; i < n; i++) {
      const magnitude = Math.hypot(m.re[i * n + j], m.im[i * n + j]);
      if (magnitude > largest) {
        largest = magnitude;
        largestRow = i;
      }
    }
    if (largest === 0) continue;
    let sumSq = 0;
    let isReal = true;
    for (let i = 0; i < n; i++) {
      sumSq += (m.re[i * n + j] / largest) ** 2 + (m.im[i * n + j] / largest) ** 2;
      if (m.im[i * n + j] !== 0) isReal = false;
    }
    const norm = largest * Math.sqrt(sumSq);
    if (isReal) {
      // Real vector: only a sign to fix; the imaginary part stays exactly +0.
      const factor = (m.re[largestRow * n + j] < 0 ? -1 : 1) / norm;
      for (let i = 0; i < n; i++) m.re[i * n + j] *= factor;
      continue;
    }
    // Multiply by conj(x_largest)/|x_largest| / norm.
    const phaseRe = m.re[largestRow * n + j] / largest / norm;
    const phaseIm = -m.im[largestRow * n + j] / largest / norm;
    for (let i = 0; i < n; i++) {
      const re = m.re[i * n + j];
      const im = m.im[i * n + j];
      m.re[i * n + j] = re * phaseRe - im * phaseIm;
      m.im[i * n + j] = re * phaseIm + im * phaseRe;
    }
    // The reference entry is real by construction; store it exactly.
    m.im[largestRow * n + j] = 0;
  }
}
