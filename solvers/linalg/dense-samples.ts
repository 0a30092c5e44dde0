/**
 * Sample inputs of the dense solvers for the conformance suite: fixed, well-conditioned
 * matrices whose pivots are clearly apart (so that float32 and float64 pivot alike and a
 * finite-difference step does not change the pivot order).
 */

import { normalArray } from '../../engine/random.js';

/** Rows of 3·I + 0.3·R in a fixed shuffled order: partial pivoting must undo the shuffle. */
export function shuffledDominant(n: number, seed: number): number[] {
  const r = normalArray(n * n, seed);
  const order = Array.from({ length: n }, (_, i) => (n - i) % n);
  const a = new Array<number>(n * n);
  order.forEach((src, i) => {
    for (let j = 0; j < n; j++) a[i * n + j] = (src === j ? 3 : 0) + 0.3 * r[src * n + j]!;
  });
  return a;
}

/** Symmetric positive definite: M·Mᵀ/n + I. */
export function spd(n: number, seed: number): number[] {
  const r = normalArray(n * n, seed);
  return Array.from({ length: n * n }, (_, e) => {
    const i = Math.floor(e / n);
    const j = e % n;
    let s = i === j ? 1 : 0;
    for (let k = 0; k < n; k++) s += (r[i * n + k]! * r[j * n + k]!) / n;
    return s;
  });
}

/** Triangular with a diagonal of size ≈ 2 (upper or lower; the other triangle is noise, never read). */
function triangularMatrix(n: number, seed: number): number[] {
  const r = normalArray(n * n, seed);
  return Array.from(r, (x, e) => (e % (n + 1) === 0 ? 2 + 0.3 * x : 0.4 * x));
}

const many = (f: (n: number, seed: number) => number[], n: number, count: number, seed: number) => Array.from({ length: count }, (_, i) => f(n, seed + i)).flat();

export const solveSamples = [
  { shapes: [[1, 1], [1, 1]], attrs: undefined, values: [[1.7], [0.4]] },
  { shapes: [[3, 3], [3, 2]], attrs: undefined, values: [shuffledDominant(3, 51), undefined] },
  { shapes: [[2, 4, 4], [2, 4, 1]], attrs: undefined, values: [many(shuffledDominant, 4, 2, 52), undefined] },
  { shapes: [[5, 5], [3, 5, 2]], attrs: undefined, values: [shuffledDominant(5, 54), undefined] },
];

export const luSamples = [
  { shapes: [[1, 1]], attrs: undefined, values: [[-0.8]] },
  { shapes: [[3, 3]], attrs: undefined, values: [shuffledDominant(3, 61)] },
  { shapes: [[2, 5, 5]], attrs: undefined, values: [many(shuffledDominant, 5, 2, 62)] },
];

export const slogdetSamples = [
  { shapes: [[1, 1]], attrs: undefined, values: [[-0.8]] },
  { shapes: [[4, 4]], attrs: undefined, values: [shuffledDominant(4, 71)] },
  { shapes: [[3, 3, 3]], attrs: undefined, values: [many(shuffledDominant, 3, 3, 72).map((x, i) => (i < 9 ? -x : x))] },
];

export const choleskySamples = [
  { shapes: [[1, 1]], attrs: undefined, values: [[2.5]] },
  { shapes: [[4, 4]], attrs: undefined, values: [spd(4, 81)] },
  { shapes: [[2, 3, 3]], attrs: undefined, values: [many(spd, 3, 2, 82)] },
];

export const triangularSamples = [
  { shapes: [[3, 3], [3, 2]], attrs: { lower: true, unit: false, transpose: false }, values: [triangularMatrix(3, 91), undefined] },
  { shapes: [[4, 4], [4, 1]], attrs: { lower: false, unit: false, transpose: true }, values: [triangularMatrix(4, 92), undefined] },
  { shapes: [[2, 3, 3], [3, 2]], attrs: { lower: true, unit: true, transpose: true }, values: [many(triangularMatrix, 3, 2, 93), undefined] },
  { shapes: [[4, 4], [2, 4, 3]], attrs: { lower: false, unit: true, transpose: false }, values: [triangularMatrix(4, 95), undefined] },
];
