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
 *   P ← P + A_kᵀ·P·A_k, A_k ← A_k². This converges only when the spectral radius
 *   ρ(A) < 1, which is checked first; it costs O(n³) per doubling.
 * - 'auto' (default): kronecker for n ≤ 16, doubling above.
 */

import { EPS, assertFinite, assertShape } from './checks.js';
import { eigvals } from './eig.js';

export const KRONECKER_MAX_N = 16;

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
  if (method === 'kronecker' || (method === 'auto' && n <= KRONECKER_MAX_N)) {
    return solveDiscreteLyapunovKronecker(a, q, n, options);
  }
  return solveDiscreteLyapunovDoubling(a, q, n, options);
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

  // Invariant after step k: p = Σ_{i < 2^k} (Aᵀ)ⁱ·Q·Aⁱ and power = A^(2^k).
  let p: Float64Array = Float64Array.from(q);
  let power: Float64Array = Float64Array.from(a);
  for (let step = 0; step < maxDoublings; step++) {
    // The remaining tail is powerᵀ·P_∞·power, so ‖tail‖ ≲ ‖power‖²·‖P‖: stop once that is below rounding.
    const powerNorm = frobeniusNorm(power);
    if (powerNorm * powerNorm <= EPS / 4) return p;
    p = add(p, multiply(transposeOf(power, n), multiply(p, power, n), n));
    power = multiply(power, power, n);
    if (!p.every(Number.isFinite) || !power.every(Number.isFinite)) break;
  }
  throw new Error(
    `${name}: matrix ${matrixIndex}: doubling did not converge after ${maxDoublings} doublings ` +
      `(ρ(A) = ${spectralRadius} is too close to 1)`,
  );
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
