/**
 * The discrete Lyapunov (Stein) equation   Aᵀ·P·A − P = −Q   for one real
 * n×n A and Q (row-major). For a stable linear map x ↦ A·x and Q ≻ 0, the
 * solution P ≻ 0 makes V(x) = xᵀPx a Lyapunov function.
 *
 * Which method applies when:
 * - 'kronecker' (direct): solves the n²×n² linear system (Aᵀ⊗Aᵀ − I)·vec(P) = −vec(Q)
 *   by Gaussian elimination with partial pivoting. It works for ANY A whose
 *   eigenvalues have no pair with λᵢ·λⱼ = 1 (the system is singular exactly
 *   then), including unstable A, where P is no longer the series below. It costs
 *   O(n⁶), so it is limited to n ≤ 16.
 * - 'doubling': sums the series P = Σₖ (Aᵀ)ᵏ·Q·Aᵏ with the squared doubling
 *   P ← P + A_kᵀ·P·A_k, A_k ← A_k², then refines: the residual R = Q + AᵀPA − P
 *   is solved for the same way and added, until it stops shrinking. This converges
 *   only when the spectral radius ρ(A) < 1, which is checked first; it costs O(n³)
 *   per doubling.
 * - 'auto' (default, and the WebGPU kernel's choice): from the eigenvalues of A —
 *   singular (an error naming λᵢ and λⱼ) when some |1 − λᵢλⱼ| ≤ 16·n·ε·max(1, |λᵢλⱼ|);
 *   doubling when ρ(A) < 1, whatever n; else kronecker for n ≤ 16 (an error above).
 */

import { EPS, assertFinite, assertShape } from './checks.js';
import { eigvals } from './eig.js';

export const KRONECKER_MAX_N = 16;
/** |1 − λᵢλⱼ| ≤ SINGULAR_TOL·n·ε·max(1, |λᵢλⱼ|) counts as singular */
export const SINGULAR_TOL = 16;
/** rounds of iterative refinement after the first doubling solve */
export const MAX_REFINEMENTS = 4;

export type LyapunovMethod = 'auto' | 'kronecker' | 'doubling';

export interface LyapunovOptions {
  method?: LyapunovMethod;
  /** Cap on doublings (the series is summed up to 2^maxDoublings terms). Default 100. */
  maxDoublings?: number;
  /** Batch index, reported in error messages. */
  matrixIndex?: number;
}

/** Solves Aᵀ·P·A − P = −Q for P (row-major n×n). */
export function solveDiscreteLyapunov(
  a: Float64Array,
  q: Float64Array,
  n: number,
  options: LyapunovOptions = {},
): Float64Array {
  const method = options.method ?? 'auto';
  if (method === 'kronecker') return solveDiscreteLyapunovKronecker(a, q, n, options);
  if (method === 'doubling') return solveDiscreteLyapunovDoubling(a, q, n, options);
  const name = 'solveDiscreteLyapunov';
  const matrixIndex = options.matrixIndex ?? 0;
  checkInputs(a, q, n, name, matrixIndex);
  const { re, im } = eigvals(a, n, { matrixIndex });
  const fmt = (k: number) => `${re[k]}${im[k] < 0 ? '−' : '+'}${Math.abs(im[k])}i`;
  let rho = 0;
  let nearest = { gap: Infinity, i: 0, j: 0 };
  for (let i = 0; i < n; i++) {
    rho = Math.max(rho, Math.hypot(re[i], im[i]));
    for (let j = i; j < n; j++) {
      const zr = re[i] * re[j] - im[i] * im[j];
      const zi = re[i] * im[j] + im[i] * re[j];
      const gap = Math.hypot(1 - zr, zi) / Math.max(1, Math.hypot(zr, zi));
      if (gap < nearest.gap) nearest = { gap, i, j };
    }
  }
  if (nearest.gap <= SINGULAR_TOL * n * EPS) {
    throw new Error(
      `${name}: matrix ${matrixIndex}: the equation is singular: eigenvalues ${nearest.i} (${fmt(nearest.i)}) and ${nearest.j} (${fmt(nearest.j)}) of A ` +
        `have λᵢ·λⱼ = 1 (to rounding), so the solution is not unique (or does not exist)`,
    );
  }
  if (rho < 1) return doubling(a, q, n, options.maxDoublings ?? 100, name, matrixIndex, rho);
  if (n <= KRONECKER_MAX_N) return solveDiscreteLyapunovKronecker(a, q, n, options);
  throw new Error(
    `${name}: matrix ${matrixIndex}: spectral radius ρ(A) = ${rho} ≥ 1 and n = ${n} > ${KRONECKER_MAX_N}: ` +
      `only stable A (ρ < 1, by doubling) are solved beyond the Kronecker system's n ≤ ${KRONECKER_MAX_N}`,
  );
}

/** Direct solve of the vectorized system; throws if it is singular (some λᵢ·λⱼ = 1). */
export function solveDiscreteLyapunovKronecker(
  a: Float64Array,
  q: Float64Array,
  n: number,
  options: LyapunovOptions = {},
): Float64Array {
  const name = 'solveDiscreteLyapunovKronecker';
  const matrixIndex = options.matrixIndex ?? 0;
  checkInputs(a, q, n, name, matrixIndex);
  if (n > KRONECKER_MAX_N) {
    throw new Error(`${name}: matrix ${matrixIndex}: n = ${n} is too large for the O(n⁶) Kronecker system (n ≤ ${KRONECKER_MAX_N}); use method 'doubling'`);
  }

  // Unknown P[k][l] sits at k·n + l; equation (i, j) reads Σₖₗ A[k][i]·P[k][l]·A[l][j] − P[i][j] = −Q[i][j].
  const size = n * n;
  const system = new Float64Array(size * size);
  const rhs = new Float64Array(size);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const row = i * n + j;
      for (let k = 0; k < n; k++) {
        for (let l = 0; l < n; l++) {
          system[row * size + k * n + l] = a[k * n + i] * a[l * n + j];
        }
      }
      system[row * size + row] -= 1;
      rhs[row] = -q[i * n + j];
    }
  }
  const solution = solveLinearSystem(system, rhs, size);
  if (solution === null) {
    throw new Error(
      `${name}: matrix ${matrixIndex}: the Kronecker system is singular: A has eigenvalues with λᵢ·λⱼ = 1, ` +
        `so the solution is not unique (or does not exist)`,
    );
  }
  return solution;
}

/** Squared doubling of the series Σ (Aᵀ)ᵏ·Q·Aᵏ; throws when ρ(A) ≥ 1 (the series diverges). */
export function solveDiscreteLyapunovDoubling(
  a: Float64Array,
  q: Float64Array,
  n: number,
  options: LyapunovOptions = {},
): Float64Array {
  const name = 'solveDiscreteLyapunovDoubling';
  const matrixIndex = options.matrixIndex ?? 0;
  checkInputs(a, q, n, name, matrixIndex);
  const maxDoublings = options.maxDoublings ?? 100;

  const { re, im } = eigvals(a, n, { matrixIndex });
  let spectralRadius = 0;
  for (let i = 0; i < n; i++) spectralRadius = Math.max(spectralRadius, Math.hypot(re[i], im[i]));
  if (spectralRadius >= 1) {
    throw new Error(
      `${name}: matrix ${matrixIndex}: spectral radius ρ(A) = ${spectralRadius} ≥ 1, so the doubling series diverges ` +
        `(use method 'kronecker' for n ≤ ${KRONECKER_MAX_N} when no λᵢ·λⱼ = 1)`,
    );
  }

  return doubling(a, q, n, maxDoublings, name, matrixIndex, spectralRadius);
}

/** The series Σ (Aᵀ)ᵏ·R·Aᵏ by squared doubling, or null when it does not converge. */
function series(a: Float64Array, r: Float64Array, n: number, maxDoublings: number): Float64Array | null {
  // Invariant after step k: p = Σ_{i < 2^k} (Aᵀ)ⁱ·R·Aⁱ and power = A^(2^k).
  let p: Float64Array = Float64Array.from(r);
  let power: Float64Array = Float64Array.from(a);
  for (let step = 0; step < maxDoublings; step++) {
    // The remaining tail is powerᵀ·P_∞·power, so ‖tail‖ ≲ ‖power‖²·‖P‖: stop once that is below rounding.
    const powerNorm = frobeniusNorm(power);
    if (powerNorm * powerNorm <= EPS / 4) return p;
    p = add(p, multiply(transposeOf(power, n), multiply(p, power, n), n));
    power = multiply(power, power, n);
    if (!p.every(Number.isFinite) || !power.every(Number.isFinite)) break;
  }
  return null;
}

/** Doubling, then iterative refinement on the residual R = Q + AᵀPA − P while it shrinks. */
function doubling(a: Float64Array, q: Float64Array, n: number, maxDoublings: number, name: string, matrixIndex: number, rho: number): Float64Array {
  let p = series(a, q, n, maxDoublings);
  if (p === null) {
    throw new Error(`${name}: matrix ${matrixIndex}: doubling did not converge after ${maxDoublings} doublings (ρ(A) = ${rho} is too close to 1)`);
  }
  let last = Infinity;
  for (let round = 0; round < MAX_REFINEMENTS; round++) {
    const r = add(q, multiply(transposeOf(a, n), multiply(p, a, n), n)).map((x, e) => x - p![e]);
    const rn = frobeniusNorm(r);
    if (!(rn < 0.5 * last)) break;
    last = rn;
    const e = series(a, r, n, maxDoublings);
    if (e === null) break;
    p = add(p, e);
  }
  return p;
}

function checkInputs(a: Float64Array, q: Float64Array, n: number, name: string, matrixIndex: number): void {
  assertShape(a, n, n, name, matrixIndex);
  assertShape(q, n, n, name, matrixIndex);
  assertFinite(a, name, matrixIndex);
  assertFinite(q, name, matrixIndex);
}

/**
 * Gaussian elimination with partial pivoting on the size×size system (both
 * arguments are overwritten). Returns null when a pivot is negligible relative
 * to the matrix, i.e. the system is numerically singular.
 */
function solveLinearSystem(m: Float64Array, b: Float64Array, size: number): Float64Array | null {
  let maxAbs = 0;
  for (const x of m) maxAbs = Math.max(maxAbs, Math.abs(x));
  const negligible = size * EPS * maxAbs;

  for (let col = 0; col < size; col++) {
    // Partial pivoting: bring the largest entry of this column to the diagonal.
    let pivotRow = col;
    for (let r = col + 1; r < size; r++) {
      if (Math.abs(m[r * size + col]) > Math.abs(m[pivotRow * size + col])) pivotRow = r;
    }
    if (Math.abs(m[pivotRow * size + col]) <= negligible) return null;
    if (pivotRow !== col) {
      for (let c = 0; c < size; c++) {
        const tmp = m[col * size + c];
        m[col * size + c] = m[pivotRow * size + c];
        m[pivotRow * size + c] = tmp;
      }
      const tmp = b[col];
      b[col] = b[pivotRow];
      b[pivotRow] = tmp;
    }
    const pivot = m[col * size + col];
    for (let r = col + 1; r < size; r++) {
      const factor = m[r * size + col] / pivot;
      if (factor === 0) continue;
      for (let c = col; c < size; c++) m[r * size + c] -= factor * m[col * size + c];
      b[r] -= factor * b[col];
    }
  }
  // Back substitution.
  const x = new Float64Array(size);
  for (let r = size - 1; r >= 0; r--) {
    let sum = b[r];
    for (let c = r + 1; c < size; c++) sum -= m[r * size + c] * x[c];
    x[r] = sum / m[r * size + r];
  }
  return x;
}

function multiply(x: Float64Array, y: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const xik = x[i * n + k];
      for (let j = 0; j < n; j++) out[i * n + j] += xik * y[k * n + j];
    }
  }
  return out;
}

function transposeOf(x: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[j * n + i] = x[i * n + j];
  return out;
}

function add(x: Float64Array, y: Float64Array): Float64Array {
  return x.map((value, i) => value + y[i]);
}

function frobeniusNorm(x: Float64Array): number {
  let sum = 0;
  for (const v of x) sum += v * v;
  return Math.sqrt(sum);
}
