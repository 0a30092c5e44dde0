import { describe, it, expect } from 'vitest';
import {
  balance,
  eig,
  eigh,
  eigvals,
  eigvalsh,
  forEachMatrix,
  francisSchur,
  hessenberg,
  solveDiscreteLyapunov,
  solveDiscreteLyapunovDoubling,
  solveDiscreteLyapunovKronecker,
  standardize2x2,
  svd,
  svdvals,
} from '../solvers/linalg/reference/index.js';
import type { ComplexMatrix, Eigenvalues } from '../solvers/linalg/reference/index.js';

// ---------------------------------------------------------------------------
// Test helpers: seeded PRNG and small dense routines independent of the code under test
// ---------------------------------------------------------------------------

/** mulberry32: tiny seeded PRNG, uniform in [0, 1). */
function makeRng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples by Box–Muller. */
function makeGaussian(seed: number): () => number {
  const uniform = makeRng(seed);
  return () => {
    const u = 1 - uniform();
    const v = uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

function randomMatrix(gauss: () => number, rows: number, cols: number): Float64Array {
  return Float64Array.from({ length: rows * cols }, () => gauss());
}

function matmul(a: Float64Array, b: Float64Array, m: number, k: number, n: number): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let l = 0; l < k; l++) {
      const ail = a[i * k + l];
      for (let j = 0; j < n; j++) out[i * n + j] += ail * b[l * n + j];
    }
  }
  return out;
}

function transpose(a: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j];
  return out;
}

function frobenius(a: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * a[i];
  return Math.sqrt(sum);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

function identity(n: number): Float64Array {
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) m[i * n + i] = 1;
  return m;
}

function diag(values: number[]): Float64Array {
  const n = values.length;
  const m = new Float64Array(n * n);
  values.forEach((v, i) => (m[i * n + i] = v));
  return m;
}

/** Our own LU with partial pivoting (Doolittle), for determinants and inverses. */
function lu(a: Float64Array, n: number): { lu: Float64Array; perm: number[]; sign: number } {
  const m = Float64Array.from(a);
  const perm = Array.from({ length: n }, (_, i) => i);
  let sign = 1;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r * n + c]) > Math.abs(m[p * n + c])) p = r;
    if (p !== c) {
      for (let j = 0; j < n; j++) [m[c * n + j], m[p * n + j]] = [m[p * n + j], m[c * n + j]];
      [perm[c], perm[p]] = [perm[p], perm[c]];
      sign = -sign;
    }
    for (let r = c + 1; r < n; r++) {
      m[r * n + c] /= m[c * n + c];
      for (let j = c + 1; j < n; j++) m[r * n + j] -= m[r * n + c] * m[c * n + j];
    }
  }
  return { lu: m, perm, sign };
}

function determinant(a: Float64Array, n: number): number {
  const { lu: m, sign } = lu(a, n);
  let det = sign;
  for (let i = 0; i < n; i++) det *= m[i * n + i];
  return det;
}

function inverse(a: Float64Array, n: number): Float64Array {
  const { lu: m, perm } = lu(a, n);
  const inv = new Float64Array(n * n);
  for (let col = 0; col < n; col++) {
    const x = new Float64Array(n);
    for (let i = 0; i < n; i++) x[i] = perm[i] === col ? 1 : 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) x[i] -= m[i * n + j] * x[j];
    for (let i = n - 1; i >= 0; i--) {
      for (let j = i + 1; j < n; j++) x[i] -= m[i * n + j] * x[j];
      x[i] /= m[i * n + i];
    }
    for (let i = 0; i < n; i++) inv[i * n + col] = x[i];
  }
  return inv;
}

/** Random orthogonal matrix: Gram–Schmidt on a Gaussian matrix. */
function randomOrthogonal(gauss: () => number, n: number): Float64Array {
  const q = randomMatrix(gauss, n, n);
  for (let j = 0; j < n; j++) {
    for (let pass = 0; pass < 2; pass++) {
      for (let c = 0; c < j; c++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += q[i * n + c] * q[i * n + j];
        for (let i = 0; i < n; i++) q[i * n + j] -= dot * q[i * n + c];
      }
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += q[i * n + j] ** 2;
    norm = Math.sqrt(norm);
    for (let i = 0; i < n; i++) q[i * n + j] /= norm;
  }
  return q;
}

/** ‖A·V − V·Λ‖_F / ‖A‖_F for complex V, Λ. */
function rightResidual(a: Float64Array, n: number, values: Eigenvalues, v: ComplexMatrix): number {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let re = 0;
      let im = 0;
      for (let k = 0; k < n; k++) {
        re += a[i * n + k] * v.re[k * n + j];
        im += a[i * n + k] * v.im[k * n + j];
      }
      re -= values.re[j] * v.re[i * n + j] - values.im[j] * v.im[i * n + j];
      im -= values.re[j] * v.im[i * n + j] + values.im[j] * v.re[i * n + j];
      sum += re * re + im * im;
    }
  }
  return Math.sqrt(sum) / frobenius(a);
}

/** ‖Uᴴ·A − Λ·Uᴴ‖_F / ‖A‖_F: row j is uⱼᴴA − λⱼuⱼᴴ. */
function leftResidual(a: Float64Array, n: number, values: Eigenvalues, u: ComplexMatrix): number {
  let sum = 0;
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) {
      // (uⱼᴴA)_i = Σ_k conj(u_kj)·A_ki
      let re = 0;
      let im = 0;
      for (let k = 0; k < n; k++) {
        re += u.re[k * n + j] * a[k * n + i];
        im -= u.im[k * n + j] * a[k * n + i];
      }
      // − λⱼ·conj(u_ij)
      const cr = u.re[i * n + j];
      const ci = -u.im[i * n + j];
      re -= values.re[j] * cr - values.im[j] * ci;
      im -= values.re[j] * ci + values.im[j] * cr;
      sum += re * re + im * im;
    }
  }
  return Math.sqrt(sum) / frobenius(a);
}

/** Greedy matching of two eigenvalue multisets; returns the largest distance between matched pairs. */
function eigenvalueDistance(got: Eigenvalues, expected: { re: number; im: number }[]): number {
  expect(got.re.length).toBe(expected.length);
  const used = new Array<boolean>(expected.length).fill(false);
  let worst = 0;
  for (const e of expected) {
    let best = -1;
    let bestDist = Infinity;
    for (let i = 0; i < got.re.length; i++) {
      if (used[i]) continue;
      const d = Math.hypot(got.re[i] - e.re, got.im[i] - e.im);
      if (d < bestDist) {
        bestDist = d;
        best = i;
      }
    }
    used[best] = true;
    worst = Math.max(worst, bestDist);
  }
  return worst;
}

const real = (values: number[]): { re: number; im: number }[] => values.map((re) => ({ re, im: 0 }));

/** Companion matrix of the monic polynomial xⁿ + c[n−1]xⁿ⁻¹ + … + c[0]. */
function companion(coefficients: number[]): Float64Array {
  const n = coefficients.length;
  const m = new Float64Array(n * n);
  for (let i = 1; i < n; i++) m[i * n + i - 1] = 1;
  for (let i = 0; i < n; i++) m[i * n + n - 1] = -coefficients[i];
  return m;
}

/** Coefficients (low to high, monic leading one dropped) of Π (x − rᵢ). */
function polyFromRoots(roots: number[]): number[] {
  let coeffs = [1]; // high to low
  for (const r of roots) {
    const next = new Array<number>(coeffs.length + 1).fill(0);
    coeffs.forEach((c, i) => {
      next[i] += c;
      next[i + 1] -= r * c;
    });
    coeffs = next;
  }
  return coeffs.slice(1).reverse();
}

/** Checks the conjugate-pair layout: adjacent, equal real parts, positive imaginary part first. */
function expectPairLayout(values: Eigenvalues): void {
  const n = values.re.length;
  for (let j = 0; j < n; j++) {
    if (values.im[j] === 0) continue;
    expect(values.im[j]).toBeGreaterThan(0);
    expect(j + 1).toBeLessThan(n);
    expect(values.re[j + 1]).toBe(values.re[j]);
    expect(values.im[j + 1]).toBe(-values.im[j]);
    j += 1;
  }
}

/** Unit norm and largest-magnitude component real positive, for each column. */
function expectNormalizedColumns(v: ComplexMatrix, n: number): void {
  for (let j = 0; j < n; j++) {
    let sum = 0;
    let largest = 0;
    let largestRow = 0;
    for (let i = 0; i < n; i++) {
      const mag = Math.hypot(v.re[i * n + j], v.im[i * n + j]);
      sum += mag * mag;
      if (mag > largest + 1e-12) {
        largest = mag;
        largestRow = i;
      }
    }
    expect(Math.abs(Math.sqrt(sum) - 1)).toBeLessThan(1e-13);
    expect(v.re[largestRow * n + j]).toBeGreaterThan(0);
    expect(Math.abs(v.im[largestRow * n + j])).toBeLessThan(1e-12);
  }
}

// ---------------------------------------------------------------------------
// Balancing and Hessenberg reduction
// ---------------------------------------------------------------------------

describe('balance', () => {
  it('returns power-of-2 scaling with B = D⁻¹AD and shrinks a badly scaled matrix', () => {
    const gauss = makeGaussian(1);
    const n = 5;
    const base = randomMatrix(gauss, n, n);
    const d0 = [1, 1e4, 1e-4, 1e8, 1e-6];
    // A = D0·base·D0⁻¹ has a huge norm but the eigenvalues of base.
    const a = base.map((x, k) => (x * d0[Math.floor(k / n)]) / d0[k % n]);
    const { balanced, scale } = balance(a, n);
    for (const s of scale) expect(Number.isInteger(Math.log2(s))).toBe(true);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        // Exact: power-of-2 scaling introduces no rounding.
        expect(balanced[i * n + j]).toBe((a[i * n + j] * scale[j]) / scale[i]);
      }
    }
    expect(frobenius(balanced)).toBeLessThan(1e-3 * frobenius(a));
    expect(frobenius(balanced)).toBeLessThan(100 * frobenius(base));
  });

  it('leaves a matrix with zero off-diagonal rows alone', () => {
    const a = Float64Array.of(1, 2, 0, 3);
    const { balanced, scale } = balance(a, 2);
    expect(Array.from(scale)).toEqual([1, 1]);
    expect(Array.from(balanced)).toEqual([1, 2, 0, 3]);
  });
});

describe('hessenberg', () => {
  it('gives A = Q·H·Qᵀ with H upper Hessenberg and Q orthogonal', () => {
    const gauss = makeGaussian(2);
    for (const n of [1, 2, 3, 4, 7, 12]) {
      const a = randomMatrix(gauss, n, n);
      const { h, q } = hessenberg(a, n, { computeQ: true });
      expect(q).not.toBeNull();
      for (let i = 0; i < n; i++) for (let j = 0; j < i - 1; j++) expect(h[i * n + j]).toBe(0);
      expect(maxAbsDiff(matmul(transpose(q!, n, n), q!, n, n, n), identity(n))).toBeLessThan(1e-14 * n);
      const rebuilt = matmul(matmul(q!, h, n, n, n), transpose(q!, n, n), n, n, n);
      expect(maxAbsDiff(rebuilt, a) / frobenius(a)).toBeLessThan(1e-14 * n);
      if (n >= 3) {
        // Not trivially the input: the reduction must have changed something below the subdiagonal.
        let below = 0;
        for (let i = 2; i < n; i++) below = Math.max(below, Math.abs(a[i * n]));
        expect(below).toBeGreaterThan(0);
      }
    }
  });
});

// ---------------------------------------------------------------------------
// Francis QR
// ---------------------------------------------------------------------------

describe('francisSchur', () => {
  it('gives a standardized real Schur form with orthogonal Z and Z·T·Zᵀ = A', () => {
    const gauss = makeGaussian(3);
    for (const n of [3, 5, 10, 20, 30]) {
      const a = randomMatrix(gauss, n, n);
      const { h, q } = hessenberg(a, n, { computeQ: true });
      const { t, z, re, im } = francisSchur(h, n, { computeZ: true, initialZ: q! });
      expect(z).not.toBeNull();
      let pairs = 0;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < i - 1; j++) expect(t[i * n + j]).toBe(0);
        if (i + 1 < n && t[(i + 1) * n + i] !== 0) {
          // Standardized 2×2 block: equal diagonal, off-diagonals of opposite sign, not part of a longer chain.
          pairs += 1;
          expect(t[i * n + i]).toBe(t[(i + 1) * n + i + 1]);
          expect(t[i * n + i + 1] * t[(i + 1) * n + i]).toBeLessThan(0);
          if (i + 2 < n) expect(t[(i + 2) * n + i + 1]).toBe(0);
          expect(im[i]).toBeGreaterThan(0);
          i += 1;
        } else {
          expect(im[i]).toBe(0);
          expect(re[i]).toBe(t[i * n + i]);
        }
      }
      if (n >= 10) expect(pairs).toBeGreaterThan(0); // random real matrices of this size have complex pairs
      expect(maxAbsDiff(matmul(transpose(z!, n, n), z!, n, n, n), identity(n))).toBeLessThan(1e-13 * n);
      const rebuilt = matmul(matmul(z!, t, n, n, n), transpose(z!, n, n), n, n, n);
      expect(maxAbsDiff(rebuilt, a) / frobenius(a)).toBeLessThan(1e-14 * n);
    }
  });

  it('throws "did not converge" with the matrix index when the iteration cap is hit', () => {
    const gauss = makeGaussian(4);
    const n = 6;
    const { h } = hessenberg(randomMatrix(gauss, n, n), n);
    expect(() => francisSchur(h, n, { maxIterations: 1, matrixIndex: 5 })).toThrow(/did not converge.*matrix 5/);
    expect(() => eigvals(randomMatrix(gauss, n, n), n, { maxIterations: 1, matrixIndex: 7 })).toThrow(
      /eigvals.*did not converge.*matrix 7/,
    );
    expect(() => eig(randomMatrix(gauss, n, n), n, { maxIterations: 1, matrixIndex: 2 })).toThrow(
      /eig.*did not converge.*matrix 2/,
    );
    // The default cap is generous enough for the same kind of matrix.
    expect(() => francisSchur(h, n)).not.toThrow();
  });

  it('needs the exceptional shift for a cyclic permutation matrix (eigenvalues: roots of unity)', () => {
    const n = 6;
    const cyclic = new Float64Array(n * n);
    for (let i = 1; i < n; i++) cyclic[i * n + i - 1] = 1;
    cyclic[n - 1] = 1;
    // With zero Wilkinson shifts the QR step maps this orthogonal matrix to itself: only the
    // exceptional shift (every 10th iteration) can break the cycle.
    expect(() => francisSchur(cyclic, n, { maxIterations: 10 })).toThrow(/did not converge/);
    const { re, im } = francisSchur(cyclic, n);
    const roots = Array.from({ length: n }, (_, k) => ({
      re: Math.cos((2 * Math.PI * k) / n),
      im: Math.sin((2 * Math.PI * k) / n),
    }));
    expect(eigenvalueDistance({ re, im }, roots)).toBeLessThan(1e-12);
  });

  it('standardize2x2 reproduces the block and reaches standard form', () => {
    const gauss = makeGaussian(5);
    const cases: number[][] = [
      [1, 2, 3, 4],
      [0, -1, 1, 0],
      [2, 0, 5, 3], // b = 0: swap branch
      [1, 1, 0, 1], // c = 0: already triangular
      [3, -2, 2, 3], // already standard complex
      [1, 1e-20, 1e-20, 1], // equal real eigenvalues, tiny coupling
      [1, 4, 1, 1], // real, b·c > 0
    ];
    for (let k = 0; k < 20; k++) cases.push([gauss(), gauss(), gauss(), gauss()]);
    for (const [A, B, C, D] of cases) {
      const { a, b, c, d, cs, sn } = standardize2x2(A, B, C, D);
      expect(Math.abs(cs * cs + sn * sn - 1)).toBeLessThan(1e-15);
      // [[A, B], [C, D]] = R·S·Rᵀ with R = [[cs, −sn], [sn, cs]].
      const r = Float64Array.of(cs, -sn, sn, cs);
      const rebuilt = matmul(matmul(r, Float64Array.of(a, b, c, d), 2, 2, 2), transpose(r, 2, 2), 2, 2, 2);
      expect(maxAbsDiff(rebuilt, [A, B, C, D])).toBeLessThan(1e-15 * (1 + frobenius([A, B, C, D])));
      // Closed-form eigenvalues by the quadratic formula.
      const half = (A + D) / 2;
      const disc = ((A - D) / 2) ** 2 + B * C;
      if (c === 0) {
        expect(disc).toBeGreaterThanOrEqual(-1e-15);
        const root = Math.sqrt(Math.max(disc, 0));
        const got = [a, d].sort((x, y) => x - y);
        expect(Math.abs(got[0] - (half - root))).toBeLessThan(1e-14 * (1 + Math.abs(half) + root));
        expect(Math.abs(got[1] - (half + root))).toBeLessThan(1e-14 * (1 + Math.abs(half) + root));
      } else {
        expect(a).toBe(d);
        expect(b * c).toBeLessThan(0);
        expect(disc).toBeLessThan(0);
        expect(Math.abs(a - half)).toBeLessThan(1e-14 * (1 + Math.abs(half)));
        expect(Math.abs(Math.sqrt(-b * c) - Math.sqrt(-disc))).toBeLessThan(1e-14 * (1 + Math.sqrt(-disc)));
      }
    }
  });
});

// ---------------------------------------------------------------------------
// General eigenproblem
// ---------------------------------------------------------------------------

describe('eig / eigvals', () => {
  it('handles n = 1', () => {
    const { values, right, left } = eig(Float64Array.of(-2.5), 1, { left: true });
    expect(Array.from(values.re)).toEqual([-2.5]);
    expect(Array.from(values.im)).toEqual([0]);
    expect(Array.from(right.re)).toEqual([1]);
    expect(Array.from(left!.re)).toEqual([1]);
    expect(Array.from(eigvals(Float64Array.of(7), 1).re)).toEqual([7]);
  });

  it('handles n = 2 in closed form, including complex, defective and triangular cases', () => {
    const cases: { a: number[]; expected: { re: number; im: number }[] }[] = [
      { a: [1, 2, 3, 4], expected: real([(5 - Math.sqrt(33)) / 2, (5 + Math.sqrt(33)) / 2]) },
      { a: [0, -1, 1, 0], expected: [{ re: 0, im: 1 }, { re: 0, im: -1 }] },
      { a: [1, -2, 3, 1], expected: [{ re: 1, im: Math.sqrt(6) }, { re: 1, im: -Math.sqrt(6) }] },
      { a: [1, 1, 0, 1], expected: real([1, 1]) }, // defective
      { a: [2, 0, 5, 3], expected: real([2, 3]) }, // lower triangular
      { a: [0, 1, 0, 0], expected: real([0, 0]) }, // nilpotent
      { a: [4, 0, 0, 4], expected: real([4, 4]) },
      { a: [0, 1, 1, 0], expected: real([-1, 1]) },
      { a: [1e-3, 2e3, -5e-10, 1e-3], expected: [{ re: 1e-3, im: 1e-3 }, { re: 1e-3, im: -1e-3 }] }, // badly scaled
    ];
    for (const { a, expected } of cases) {
      const m = Float64Array.from(a);
      const { values, right, left } = eig(m, 2, { left: true });
      const scale = Math.max(...expected.map((e) => Math.hypot(e.re, e.im)), 1e-300);
      expect(eigenvalueDistance(values, expected) / scale).toBeLessThan(1e-14);
      expect(eigenvalueDistance(eigvals(m, 2), expected) / scale).toBeLessThan(1e-14);
      expectPairLayout(values);
      expectNormalizedColumns(right, 2);
      expectNormalizedColumns(left!, 2);
      expect(rightResidual(m, 2, values, right)).toBeLessThan(1e-14);
      expect(leftResidual(m, 2, values, left!)).toBeLessThan(1e-14);
    }
    // Rotation by θ: eigenvalues e^{±iθ}, eigenvectors (1, ∓i)/√2 up to phase.
    const theta = 0.7;
    const rot = Float64Array.of(Math.cos(theta), -Math.sin(theta), Math.sin(theta), Math.cos(theta));
    const { values, right } = eig(rot, 2);
    expect(values.re[0]).toBeCloseTo(Math.cos(theta), 15);
    expect(values.im[0]).toBeCloseTo(Math.sin(theta), 15);
    expect(Math.hypot(right.re[0], right.im[0])).toBeCloseTo(Math.SQRT1_2, 15);
    expect(Math.hypot(right.re[2], right.im[2])).toBeCloseTo(Math.SQRT1_2, 15);
  });

  it('gives the diagonal of triangular matrices', () => {
    const gauss = makeGaussian(6);
    for (const n of [3, 8, 16]) {
      const upper = randomMatrix(gauss, n, n);
      for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) upper[i * n + j] = 0;
      // Well-separated diagonal: random triangular matrices are otherwise so non-normal that
      // their eigenvalues are ill-conditioned (errors of 1e-9 would be legitimate).
      for (let i = 0; i < n; i++) upper[i * n + i] = (i + 1 + 0.3 * gauss()) * (i % 2 === 0 ? 1 : -1);
      const diagonal = Array.from({ length: n }, (_, i) => upper[i * n + i]);
      const lower = transpose(upper, n, n);
      for (const a of [upper, lower]) {
        const { values, right } = eig(a, n);
        expect(eigenvalueDistance(values, real(diagonal))).toBeLessThan(1e-11);
        expect(Array.from(values.im).every((x) => x === 0)).toBe(true);
        expect(rightResidual(a, n, values, right)).toBeLessThan(1e-14 * n);
      }
      // Upper triangular is already in Schur form: the diagonal comes back exactly, in order.
      expect(Array.from(eigvals(upper, n).re)).toEqual(diagonal);
    }
  });

  it('finds ±iθ pairs of rotation blocks hidden by an orthogonal similarity', () => {
    const gauss = makeGaussian(7);
    const blocks = [
      { r: 1, theta: 0.3 },
      { r: 2, theta: 2.5 },
      { r: 0.5, theta: Math.PI / 2 },
    ];
    const n = 2 * blocks.length + 1;
    const d = new Float64Array(n * n);
    blocks.forEach(({ r, theta }, b) => {
      const i = 2 * b;
      d[i * n + i] = r * Math.cos(theta);
      d[i * n + i + 1] = -r * Math.sin(theta);
      d[(i + 1) * n + i] = r * Math.sin(theta);
      d[(i + 1) * n + i + 1] = r * Math.cos(theta);
    });
    d[n * n - 1] = -0.75;
    const q = randomOrthogonal(gauss, n);
    const a = matmul(matmul(q, d, n, n, n), transpose(q, n, n), n, n, n);
    const expected = blocks.flatMap(({ r, theta }) => [
      { re: r * Math.cos(theta), im: r * Math.sin(theta) },
      { re: r * Math.cos(theta), im: -r * Math.sin(theta) },
    ]);
    expected.push({ re: -0.75, im: 0 });
    const { values, right, left } = eig(a, n, { left: true });
    expect(eigenvalueDistance(values, expected)).toBeLessThan(1e-13);
    expectPairLayout(values);
    expect(values.im.filter((x) => x > 0).length).toBe(3);
    expect(rightResidual(a, n, values, right)).toBeLessThan(1e-14 * n);
    expect(leftResidual(a, n, values, left!)).toBeLessThan(1e-14 * n);
    // For a normal matrix, left and right eigenvectors coincide.
    for (let j = 0; j < n; j++) {
      let dotRe = 0;
      let dotIm = 0;
      for (let i = 0; i < n; i++) {
        // u_jᴴ v_j
        dotRe += left!.re[i * n + j] * right.re[i * n + j] + left!.im[i * n + j] * right.im[i * n + j];
        dotIm += left!.re[i * n + j] * right.im[i * n + j] - left!.im[i * n + j] * right.re[i * n + j];
      }
      expect(Math.hypot(dotRe, dotIm)).toBeCloseTo(1, 12);
    }
  });

  it('finds the roots of polynomials from their companion matrices', () => {
    const polys: { roots: { re: number; im: number }[]; coefficients: number[]; tolerance: number }[] = [
      { roots: real([1, 2, 3, 4, 5, 6]), coefficients: polyFromRoots([1, 2, 3, 4, 5, 6]), tolerance: 1e-9 },
      { roots: real([-3, 0.5, 7]), coefficients: polyFromRoots([-3, 0.5, 7]), tolerance: 1e-12 },
      { roots: [{ re: 0, im: 1 }, { re: 0, im: -1 }], coefficients: [1, 0], tolerance: 1e-15 }, // x² + 1
      {
        roots: [{ re: 1, im: 0 }, { re: -0.5, im: Math.sqrt(3) / 2 }, { re: -0.5, im: -Math.sqrt(3) / 2 }],
        coefficients: [-1, 0, 0], // x³ − 1
        tolerance: 1e-14,
      },
      // Double root: only √eps accuracy is possible.
      { roots: real([1, 1, -2]), coefficients: polyFromRoots([1, 1, -2]), tolerance: 1e-7 },
    ];
    for (const { roots, coefficients, tolerance } of polys) {
      const n = coefficients.length;
      const a = companion(coefficients);
      const { values, right } = eig(a, n);
      expect(eigenvalueDistance(values, roots)).toBeLessThan(tolerance);
      expectPairLayout(values);
      expect(rightResidual(a, n, values, right)).toBeLessThan(1e-13 * n);
    }
  });

  it('recovers Λ and the eigenvector directions of V·Λ·V⁻¹ (real and complex Λ)', () => {
    const gauss = makeGaussian(8);
    for (const n of [4, 7, 10]) {
      // Real, well-separated Λ.
      const lambdas = Array.from({ length: n }, (_, i) => i - n / 2 + 0.25 * gauss());
      const v = randomMatrix(gauss, n, n);
      const a = matmul(matmul(v, diag(lambdas), n, n, n), inverse(v, n), n, n, n);
      const { values, right } = eig(a, n);
      expect(eigenvalueDistance(values, real(lambdas))).toBeLessThan(1e-10);
      // Each computed vector is parallel to the column of V with the same eigenvalue.
      for (let j = 0; j < n; j++) {
        const k = lambdas.reduce((best, l, i) => (Math.abs(l - values.re[j]) < Math.abs(lambdas[best] - values.re[j]) ? i : best), 0);
        let dot = 0;
        let vNorm = 0;
        for (let i = 0; i < n; i++) {
          dot += v[i * n + k] * right.re[i * n + j];
          vNorm += v[i * n + k] ** 2;
        }
        expect(Math.abs(dot) / Math.sqrt(vNorm)).toBeCloseTo(1, 9);
        for (let i = 0; i < n; i++) expect(right.im[i * n + j]).toBe(0);
      }

      // Complex Λ: 2×2 blocks [[α, β], [−β, α]] have eigenvalues α ± iβ.
      const blockDiag = new Float64Array(n * n);
      const expected: { re: number; im: number }[] = [];
      for (let i = 0; i + 1 < n; i += 2) {
        const alpha = gauss();
        const beta = 0.5 + Math.abs(gauss());
        blockDiag[i * n + i] = alpha;
        blockDiag[i * n + i + 1] = beta;
        blockDiag[(i + 1) * n + i] = -beta;
        blockDiag[(i + 1) * n + i + 1] = alpha;
        expected.push({ re: alpha, im: beta }, { re: alpha, im: -beta });
      }
      if (n % 2 === 1) {
        blockDiag[n * n - 1] = 3;
        expected.push({ re: 3, im: 0 });
      }
      const ac = matmul(matmul(v, blockDiag, n, n, n), inverse(v, n), n, n, n);
      const complexResult = eig(ac, n, { left: true });
      expect(eigenvalueDistance(complexResult.values, expected)).toBeLessThan(1e-10);
      expectPairLayout(complexResult.values);
      expectNormalizedColumns(complexResult.right, n);
      expect(rightResidual(ac, n, complexResult.values, complexResult.right)).toBeLessThan(1e-12 * n);
      expect(leftResidual(ac, n, complexResult.values, complexResult.left!)).toBeLessThan(1e-12 * n);
    }
  });

  it('is scale invariant (1e-3 and 1e3)', () => {
    const gauss = makeGaussian(9);
    const n = 9;
    const a = randomMatrix(gauss, n, n);
    const base = eigvals(a, n);
    for (const factor of [1e-3, 1e3]) {
      const scaled = a.map((x) => x * factor);
      const { values, right, left } = eig(scaled, n, { left: true });
      const expected = Array.from(base.re, (re, i) => ({ re: re * factor, im: base.im[i] * factor }));
      expect(eigenvalueDistance(values, expected) / factor).toBeLessThan(1e-12);
      expect(rightResidual(scaled, n, values, right)).toBeLessThan(1e-14 * n);
      expect(leftResidual(scaled, n, values, left!)).toBeLessThan(1e-14 * n);
    }
  });

  it('works near the ends of the floating-point range (entries ~1e±200)', () => {
    const gauss = makeGaussian(23);
    const n = 7;
    const a = randomMatrix(gauss, n, n);
    const base = eigvals(a, n);
    const sym = randomSymmetric(gauss, n);
    const symBase = eigvalsh(sym, n);
    const svBase = svdvals(a, n, n);
    for (const factor of [1e-200, 1e200]) {
      // Squares of these entries overflow/underflow: the solvers must rescale internally.
      const scaled = a.map((x) => x * factor);
      const values = eigvals(scaled, n);
      const expected = Array.from(base.re, (re, i) => ({ re: re * factor, im: base.im[i] * factor }));
      expect(eigenvalueDistance(values, expected) / factor).toBeLessThan(1e-12);
      const scaledResult = eig(scaled, n);
      const unscaled = { re: scaledResult.values.re.map((x) => x / factor), im: scaledResult.values.im.map((x) => x / factor) };
      expect(rightResidual(a, n, unscaled, scaledResult.right)).toBeLessThan(1e-13); // the vectors of a
      expect(maxAbsDiff(eigvalsh(sym.map((x) => x * factor), n).map((x) => x / factor), symBase)).toBeLessThan(1e-13);
      expect(maxAbsDiff(svdvals(scaled, n, n).map((x) => x / factor), svBase)).toBeLessThan(1e-13);
    }
  });

  it('handles a badly scaled matrix thanks to balancing', () => {
    const gauss = makeGaussian(10);
    const n = 6;
    const lambdas = [1, 2, 3, -1, -2, 0.5];
    const v = randomMatrix(gauss, n, n);
    const a0 = matmul(matmul(v, diag(lambdas), n, n, n), inverse(v, n), n, n, n);
    const d0 = [1, 1e5, 1e-5, 1e3, 1e-3, 1e6];
    const a = a0.map((x, k) => (x * d0[Math.floor(k / n)]) / d0[k % n]);
    const { values, right, left } = eig(a, n, { left: true });
    expect(eigenvalueDistance(values, real(lambdas))).toBeLessThan(1e-9);
    // Componentwise: A·v − λv relative to |A|·|v| (the norm-wise residual is dominated by huge entries).
    for (let j = 0; j < n; j++) {
      for (let i = 0; i < n; i++) {
        let av = 0;
        let absAv = 0;
        for (let k = 0; k < n; k++) {
          av += a[i * n + k] * right.re[k * n + j];
          absAv += Math.abs(a[i * n + k] * right.re[k * n + j]);
        }
        expect(Math.abs(av - values.re[j] * right.re[i * n + j])).toBeLessThan(1e-10 * (absAv + Math.abs(values.re[j] * right.re[i * n + j])) + 1e-300);
      }
    }
    expect(leftResidual(a, n, values, left!)).toBeLessThan(1e-12);
  });

  it('passes residual, trace and determinant checks on random matrices n = 2 … 64', () => {
    const gauss = makeGaussian(11);
    for (const n of [2, 3, 4, 5, 6, 8, 11, 16, 23, 32, 47, 64]) {
      const a = randomMatrix(gauss, n, n);
      const { values, right, left } = eig(a, n, { left: true });
      expectPairLayout(values);
      expectNormalizedColumns(right, n);
      expectNormalizedColumns(left!, n);
      expect(rightResidual(a, n, values, right)).toBeLessThan(1e-10 * n);
      expect(leftResidual(a, n, values, left!)).toBeLessThan(1e-10 * n);
      // Stricter than required: backward-stable quality.
      expect(rightResidual(a, n, values, right)).toBeLessThan(1e-14 * n);

      // eigvals agrees with eig.
      const only = eigvals(a, n);
      expect(eigenvalueDistance(only, Array.from(values.re, (re, i) => ({ re, im: values.im[i] })))).toBeLessThan(1e-10);

      // Σλ = trace, Πλ = det (our own LU).
      let trace = 0;
      for (let i = 0; i < n; i++) trace += a[i * n + i];
      const sumRe = values.re.reduce((s, x) => s + x, 0);
      const sumIm = values.im.reduce((s, x) => s + x, 0);
      expect(Math.abs(sumRe - trace)).toBeLessThan(1e-12 * n * Math.sqrt(n));
      expect(Math.abs(sumIm)).toBeLessThan(1e-12 * n);
      let prodRe = 1;
      let prodIm = 0;
      for (let i = 0; i < n; i++) {
        [prodRe, prodIm] = [prodRe * values.re[i] - prodIm * values.im[i], prodRe * values.im[i] + prodIm * values.re[i]];
      }
      const det = determinant(a, n);
      expect(Math.abs(prodRe - det) / Math.abs(det)).toBeLessThan(1e-10 * n);
      expect(Math.abs(prodIm) / Math.abs(det)).toBeLessThan(1e-10 * n);

      // Bi-orthogonality: uᵢᴴ vⱼ = 0 for distinct eigenvalues (an independent check on left vectors).
      if (n <= 16) {
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < n; j++) {
            if (i === j) continue;
            let re = 0;
            let im = 0;
            for (let k = 0; k < n; k++) {
              re += left!.re[k * n + i] * right.re[k * n + j] + left!.im[k * n + i] * right.im[k * n + j];
              im += left!.re[k * n + i] * right.im[k * n + j] - left!.im[k * n + i] * right.re[k * n + j];
            }
            const gap = Math.hypot(values.re[i] - values.re[j], values.im[i] - values.im[j]);
            expect(Math.hypot(re, im) * gap).toBeLessThan(1e-10 * n * frobenius(a));
          }
        }
      }
    }
  });

  it('works with forEachMatrix over a batch', () => {
    const gauss = makeGaussian(12);
    const n = 4;
    const count = 3;
    const batch = randomMatrix(gauss, count * n, n);
    const results = forEachMatrix(batch, count, n * n, (m, i) => eigvals(m, n, { matrixIndex: i }));
    expect(results.length).toBe(count);
    for (let b = 0; b < count; b++) {
      const single = eigvals(batch.slice(b * n * n, (b + 1) * n * n), n);
      expect(Array.from(results[b].re)).toEqual(Array.from(single.re));
      expect(Array.from(results[b].im)).toEqual(Array.from(single.im));
    }
  });
});

// ---------------------------------------------------------------------------
// Symmetric eigenproblem
// ---------------------------------------------------------------------------

function randomSymmetric(gauss: () => number, n: number): Float64Array {
  const g = randomMatrix(gauss, n, n);
  return g.map((_, k) => (g[k] + g[(k % n) * n + Math.floor(k / n)]) / 2);
}

function expectEighValid(a: Float64Array, n: number, values: Float64Array, vectors: Float64Array): void {
  for (let i = 1; i < n; i++) expect(values[i]).toBeGreaterThanOrEqual(values[i - 1]);
  const scale = Math.max(frobenius(a), 1e-300);
  const av = matmul(a, vectors, n, n, n);
  const vl = matmul(vectors, diag(Array.from(values)), n, n, n);
  expect(maxAbsDiff(av, vl) / scale).toBeLessThan(1e-14 * n);
  expect(maxAbsDiff(matmul(transpose(vectors, n, n), vectors, n, n, n), identity(n))).toBeLessThan(1e-14 * n);
  for (let j = 0; j < n; j++) {
    let largest = 0;
    for (let i = 0; i < n; i++) if (Math.abs(vectors[i * n + j]) > Math.abs(largest)) largest = vectors[i * n + j];
    expect(largest).toBeGreaterThan(0);
  }
}

describe('eigh', () => {
  it('diagonalizes random symmetric matrices and agrees with eig', () => {
    const gauss = makeGaussian(13);
    for (const n of [1, 2, 3, 5, 8, 13, 21, 40]) {
      const a = randomSymmetric(gauss, n);
      const { values, vectors } = eigh(a, n);
      expectEighValid(a, n, values, vectors);
      expect(Array.from(eigvalsh(a, n))).toEqual(Array.from(values));
      const general = eigvals(a, n);
      for (const im of general.im) expect(im).toBe(0);
      const sorted = Array.from(general.re).sort((x, y) => x - y);
      expect(maxAbsDiff(sorted, values)).toBeLessThan(1e-12 * n);
    }
  });

  it('matches the closed form of the tridiagonal Toeplitz matrix', () => {
    const n = 12;
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      a[i * n + i] = 2;
      if (i > 0) a[i * n + i - 1] = a[(i - 1) * n + i] = -1;
    }
    const { values, vectors } = eigh(a, n);
    expectEighValid(a, n, values, vectors);
    for (let k = 1; k <= n; k++) {
      expect(values[k - 1]).toBeCloseTo(2 - 2 * Math.cos((k * Math.PI) / (n + 1)), 13);
      // Eigenvector k is ±sin(ijπ/(n+1)) normalized.
      const norm = Math.sqrt((n + 1) / 2);
      const expected = Array.from({ length: n }, (_, i) => Math.sin(((i + 1) * k * Math.PI) / (n + 1)) / norm);
      // Compare up to sign: the entries come in equal-magnitude pairs (symmetry), so which of
      // them is "largest" (the sign convention, checked in expectEighValid) is decided by rounding.
      let dot = 0;
      for (let i = 0; i < n; i++) dot += expected[i] * vectors[i * n + k - 1];
      const sign = Math.sign(dot);
      for (let i = 0; i < n; i++) expect(vectors[i * n + k - 1]).toBeCloseTo(sign * expected[i], 12);
    }
  });

  it('returns orthonormal vectors for repeated eigenvalues', () => {
    const gauss = makeGaussian(14);
    const n = 6;
    const lambdas = [-1, 1, 1, 1, 2, 2];
    const q = randomOrthogonal(gauss, n);
    const a = matmul(matmul(q, diag(lambdas), n, n, n), transpose(q, n, n), n, n, n);
    const { values, vectors } = eigh(a, n);
    expect(maxAbsDiff(values, lambdas)).toBeLessThan(1e-14 * n);
    expectEighValid(a, n, values, vectors);
    const id = eigh(identity(4), 4);
    expect(Array.from(id.values)).toEqual([1, 1, 1, 1]);
    expect(Array.from(id.vectors)).toEqual(Array.from(identity(4)));
  });

  it('reads only the lower triangle', () => {
    const gauss = makeGaussian(15);
    const n = 5;
    const a = randomSymmetric(gauss, n);
    const garbage = Float64Array.from(a);
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) garbage[i * n + j] = 100 * gauss();
    expect(Array.from(eigh(garbage, n).values)).toEqual(Array.from(eigh(a, n).values));
  });

  it('throws "did not converge" when the sweep cap is too small', () => {
    const gauss = makeGaussian(16);
    expect(() => eigh(randomSymmetric(gauss, 8), 8, { maxSweeps: 1, matrixIndex: 4 })).toThrow(/did not converge.*matrix 4/);
  });
});

// ---------------------------------------------------------------------------
// SVD
// ---------------------------------------------------------------------------

function expectOrthonormalColumns(q: Float64Array, rows: number, cols: number): void {
  expect(maxAbsDiff(matmul(transpose(q, rows, cols), q, cols, rows, cols), identity(cols))).toBeLessThan(1e-13 * Math.max(rows, cols));
}

describe('svd', () => {
  it('gives U·S·Vᵀ = A with orthonormal U, V and S = √eig(AᵀA), for all shapes', () => {
    const gauss = makeGaussian(17);
    const shapes = [
      [1, 1], [1, 5], [5, 1], [2, 2], [3, 7], [7, 3], [6, 6], [10, 4], [4, 10], [20, 13], [16, 16],
    ];
    for (const [m, n] of shapes) {
      const a = randomMatrix(gauss, m, n);
      const { u, s, v, k } = svd(a, m, n);
      expect(k).toBe(Math.min(m, n));
      expect(u.length).toBe(m * k);
      expect(v.length).toBe(n * k);
      for (let i = 1; i < k; i++) expect(s[i]).toBeLessThanOrEqual(s[i - 1]);
      expect(s[k - 1]).toBeGreaterThan(0);
      expectOrthonormalColumns(u, m, k);
      expectOrthonormalColumns(v, n, k);
      const us = u.map((x, idx) => x * s[idx % k]);
      const rebuilt = matmul(us, transpose(v, n, k), m, k, n);
      expect(maxAbsDiff(rebuilt, a) / frobenius(a)).toBeLessThan(1e-14 * (m + n));
      // Independent: σ² are the eigenvalues of the smaller Gram matrix.
      const gram = m >= n ? matmul(transpose(a, m, n), a, n, m, n) : matmul(a, transpose(a, m, n), m, n, m);
      const lambdas = eigvalsh(gram, k);
      const fromEigh = Array.from(lambdas, (l) => Math.sqrt(Math.max(l, 0))).reverse();
      expect(maxAbsDiff(s, fromEigh) / s[0]).toBeLessThan(1e-10);
      expect(Array.from(svdvals(a, m, n))).toEqual(Array.from(s));
    }
  });

  it('matches closed forms: a vector, a permuted diagonal, a rank-one outer product', () => {
    // 1×n: σ = ‖x‖, V = x/‖x‖ (sign: largest entry positive), U = [1].
    const x = Float64Array.of(3, -4, 12);
    const row = svd(x, 1, 3);
    expect(row.s[0]).toBeCloseTo(13, 14);
    expect(Math.abs(row.u[0])).toBe(1);
    expect(Array.from(row.v).map((t) => t * 13 * row.u[0])).toEqual(Array.from(x).map((t) => expect.closeTo(t, 13)));

    // Permuted, signed diagonal: singular values are |entries|, sorted.
    const a = Float64Array.of(0, -2, 0, 0, 0, 0.5, 7, 0, 0, 0, 0, 0);
    const diagResult = svd(a, 4, 3);
    expect(Array.from(diagResult.s)).toEqual([7, 2, 0.5]);

    // Rank one: x·yᵀ has σ₁ = ‖x‖‖y‖ and zeros, with U still orthonormal.
    const ux = Float64Array.of(1, 2, 2, 0, 0);
    const vy = Float64Array.of(0, 3, 4, 0);
    const outer = matmul(ux, vy, 5, 1, 4);
    const r1 = svd(outer, 5, 4);
    expect(r1.s[0]).toBeCloseTo(15, 13);
    for (let i = 1; i < 4; i++) expect(r1.s[i]).toBeLessThan(1e-14);
    expectOrthonormalColumns(r1.u, 5, 4);
    expectOrthonormalColumns(r1.v, 4, 4);
    const rebuilt = matmul(r1.u.map((t, idx) => t * r1.s[idx % 4]), transpose(r1.v, 4, 4), 5, 4, 4);
    expect(maxAbsDiff(rebuilt, outer)).toBeLessThan(1e-13);

    // The zero matrix: all σ = 0, U and V still orthonormal.
    const zero = svd(new Float64Array(12), 3, 4);
    expect(Array.from(zero.s)).toEqual([0, 0, 0]);
    expectOrthonormalColumns(zero.u, 3, 3);
    expectOrthonormalColumns(zero.v, 4, 3);
  });
});

// ---------------------------------------------------------------------------
// Discrete Lyapunov
// ---------------------------------------------------------------------------

/** ‖Aᵀ·P·A − P + Q‖_F / (‖A‖²‖P‖ + ‖P‖ + ‖Q‖), Frobenius norms: the size of the terms involved. */
function lyapunovResidual(a: Float64Array, p: Float64Array, q: Float64Array, n: number): number {
  const r = matmul(matmul(transpose(a, n, n), p, n, n, n), a, n, n, n).map((x, i) => x - p[i] + q[i]);
  return frobenius(r) / (frobenius(a) ** 2 * frobenius(p) + frobenius(p) + frobenius(q));
}

/** Random A scaled to spectral radius `rho`. */
function randomWithRadius(gauss: () => number, n: number, rho: number): Float64Array {
  const a = randomMatrix(gauss, n, n);
  const { re, im } = eigvals(a, n);
  const radius = Math.max(...Array.from(re, (r, i) => Math.hypot(r, im[i])));
  return a.map((x) => (x * rho) / radius);
}

function randomSpd(gauss: () => number, n: number): Float64Array {
  const g = randomMatrix(gauss, n, n);
  const q = matmul(g, transpose(g, n, n), n, n, n);
  for (let i = 0; i < n; i++) q[i * n + i] += 1;
  return q;
}

describe('discrete Lyapunov', () => {
  it('matches closed forms (diagonal A; scaled rotation with Q = I)', () => {
    const gauss = makeGaussian(18);
    const n = 4;
    const d = [0.5, -0.3, 0.9, 0.1];
    const q = randomMatrix(gauss, n, n);
    for (const method of ['kronecker', 'doubling'] as const) {
      const p = solveDiscreteLyapunov(diag(d), q, n, { method });
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          expect(p[i * n + j]).toBeCloseTo(q[i * n + j] / (1 - d[i] * d[j]), 12);
        }
      }
    }
    // A = r·R, R orthogonal: AᵀPA = r²·P for P = c·I, so P = I/(1 − r²).
    const r = 0.8;
    const rot = randomOrthogonal(gauss, 5).map((x) => r * x);
    for (const method of ['kronecker', 'doubling'] as const) {
      const p = solveDiscreteLyapunov(rot, identity(5), 5, { method });
      expect(maxAbsDiff(p, identity(5).map((x) => x / (1 - r * r)))).toBeLessThan(1e-12);
    }
  });

  it('solves random stable problems; both methods agree and P is SPD for SPD Q', () => {
    const gauss = makeGaussian(19);
    for (const n of [1, 2, 3, 5, 8, 12, 16]) {
      const a = randomWithRadius(gauss, n, 0.95);
      const q = randomSpd(gauss, n);
      const pK = solveDiscreteLyapunovKronecker(a, q, n);
      const pD = solveDiscreteLyapunovDoubling(a, q, n);
      expect(lyapunovResidual(a, pK, q, n)).toBeLessThan(1e-12 * n);
      expect(lyapunovResidual(a, pD, q, n)).toBeLessThan(1e-12 * n);
      expect(maxAbsDiff(pK, pD) / frobenius(pK)).toBeLessThan(1e-10);
      expect(eigvalsh(pK, n)[0]).toBeGreaterThan(0);
      // P ⪰ Q since P = Q + Σ_{k≥1} (Aᵀ)ᵏQAᵏ.
      expect(eigvalsh(pK.map((x, i) => x - q[i]), n)[0]).toBeGreaterThan(-1e-10 * frobenius(pK));
    }
  });

  it("uses doubling for n > 16 under 'auto'", () => {
    const gauss = makeGaussian(20);
    const n = 20;
    const a = randomWithRadius(gauss, n, 0.9);
    const q = randomSpd(gauss, n);
    const p = solveDiscreteLyapunov(a, q, n);
    expect(lyapunovResidual(a, p, q, n)).toBeLessThan(1e-12 * n);
    expect(() => solveDiscreteLyapunovKronecker(a, q, n)).toThrow(/n ≤ 16/);
  });

  it('solves unstable problems with the Kronecker method, while doubling refuses', () => {
    const gauss = makeGaussian(21);
    const n = 3;
    const v = randomMatrix(gauss, n, n);
    const a = matmul(matmul(v, diag([2, 3, 0.25]), n, n, n), inverse(v, n), n, n, n);
    const q = randomSpd(gauss, n);
    const p = solveDiscreteLyapunov(a, q, n, { method: 'kronecker' });
    expect(lyapunovResidual(a, p, q, n)).toBeLessThan(1e-12);
    expect(() => solveDiscreteLyapunovDoubling(a, q, n, { matrixIndex: 6 })).toThrow(/spectral radius.*≥ 1.*diverges/);
    expect(() => solveDiscreteLyapunovDoubling(a, q, n, { matrixIndex: 6 })).toThrow(/matrix 6/);
  });

  it('reports a singular system when some λᵢ·λⱼ = 1', () => {
    const gauss = makeGaussian(22);
    const q = randomSpd(gauss, 2);
    expect(() => solveDiscreteLyapunovKronecker(diag([2, 0.5]), q, 2)).toThrow(/singular.*λᵢ·λⱼ = 1/);
    expect(() => solveDiscreteLyapunovKronecker(identity(3), randomSpd(gauss, 3), 3)).toThrow(/singular/);
    const n = 3;
    const v = randomMatrix(gauss, n, n);
    const a = matmul(matmul(v, diag([4, 0.25, 0.6]), n, n, n), inverse(v, n), n, n, n);
    expect(() => solveDiscreteLyapunovKronecker(a, randomSpd(gauss, n), n)).toThrow(/singular/);
    // An orthogonal A has ρ = 1: the doubling must refuse or fail to converge, never return.
    const rot = randomOrthogonal(gauss, 4);
    expect(() => solveDiscreteLyapunovDoubling(rot, identity(4), 4)).toThrow(/diverges|did not converge/);
  });
});

// ---------------------------------------------------------------------------
// Input checks
// ---------------------------------------------------------------------------

describe('input checks', () => {
  const nanMatrix = Float64Array.of(1, 2, NaN, 4);
  const infMatrix = Float64Array.of(1, Infinity, 3, 4);

  it('rejects NaN / Inf naming the function and the matrix index', () => {
    const cases: [string, (m: Float64Array) => unknown][] = [
      ['eigvals', (m) => eigvals(m, 2, { matrixIndex: 3 })],
      ['eig', (m) => eig(m, 2, { matrixIndex: 3 })],
      ['eigh', (m) => eigh(m, 2, { matrixIndex: 3 })],
      ['eigvalsh', (m) => eigvalsh(m, 2, { matrixIndex: 3 })],
      ['svd', (m) => svd(m, 2, 2, { matrixIndex: 3 })],
      ['svdvals', (m) => svdvals(m, 2, 2, { matrixIndex: 3 })],
      ['solveDiscreteLyapunov', (m) => solveDiscreteLyapunov(m, identity(2), 2, { matrixIndex: 3 })],
      ['solveDiscreteLyapunovKronecker', (m) => solveDiscreteLyapunov(m, identity(2), 2, { method: 'kronecker', matrixIndex: 3 })],
      ['solveDiscreteLyapunovDoubling', (m) => solveDiscreteLyapunov(Float64Array.of(0.5, 0, 0, 0.5), m, 2, { method: 'doubling', matrixIndex: 3 })],
    ];
    for (const [name, call] of cases) {
      for (const bad of [nanMatrix, infMatrix]) {
        expect(() => call(bad)).toThrow(new RegExp(`^${name}: matrix 3 has a non-finite entry`));
      }
    }
  });

  it('names the batch index through forEachMatrix', () => {
    const batch = new Float64Array(4 * 3).fill(1);
    batch[2 * 4 + 1] = NaN; // matrix 2
    expect(() => forEachMatrix(batch, 3, 4, (m, i) => eig(m, 2, { matrixIndex: i }))).toThrow(/eig: matrix 2 has a non-finite entry \(NaN\) at element 1/);
    expect(() => forEachMatrix(batch, 4, 4, (m) => m)).toThrow(/forEachMatrix/);
  });

  it('rejects wrong sizes', () => {
    expect(() => eig(new Float64Array(5), 2)).toThrow(/expected 2×2 = 4 values, got 5/);
    expect(() => svd(new Float64Array(6), 4, 2)).toThrow(/svd/);
    expect(() => eigh(new Float64Array(0), 0)).toThrow(/positive integers/);
  });
});
