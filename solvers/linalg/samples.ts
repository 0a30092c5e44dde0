/**
 * Sample inputs of the linear-algebra ops for the conformance suite. Random matrices are not
 * suitable: eigenvalues (singular values) may come arbitrarily close, where float32 and float64
 * sort them differently and derivatives blow up. So the samples are fixed matrices with known,
 * well-separated spectra, built as S·B·S⁻¹ with S near the identity, and the largest entry of
 * every eigenvector clearly the largest (where its phase convention anchors it).
 */

import { normalArray } from '../../engine/random.js';

type Eig = number | [number, number];

function multiply(x: number[], y: number[], n: number): number[] {
  const out = new Array<number>(n * n).fill(0);
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) out[i * n + j]! += x[i * n + k]! * y[k * n + j]!;
  return out;
}

function inverse(x: number[], n: number): number[] {
  const m = x.slice();
  const inv = Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? 1 : 0));
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r * n + c]!) > Math.abs(m[p * n + c]!)) p = r;
    for (const a of [m, inv]) for (let j = 0; j < n; j++) [a[c * n + j], a[p * n + j]] = [a[p * n + j]!, a[c * n + j]!];
    const d = m[c * n + c]!;
    for (let j = 0; j < n; j++) (m[c * n + j]! /= d), (inv[c * n + j]! /= d);
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r * n + c]!;
      for (let j = 0; j < n; j++) (m[r * n + j]! -= f * m[c * n + j]!), (inv[r * n + j]! -= f * inv[c * n + j]!);
    }
  }
  return inv;
}

/**
 * Row-major S·B·S⁻¹ where B is block diagonal: a real λ, or a pair a ± ib as [[a, b], [−b, a]].
 * S = I + 0.15·R, with the second column of each pair's block scaled by 0.6 so that the pair's
 * eigenvector s_p ± i·s_q has a clearly largest entry.
 */
export function similar(eigs: Eig[], seed: number): number[] {
  const n = eigs.reduce<number>((k, e) => k + (typeof e === 'number' ? 1 : 2), 0);
  const r = normalArray(n * n, seed);
  const s = Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? 1 : 0) + 0.15 * r[i]!);
  const b = new Array<number>(n * n).fill(0);
  let k = 0;
  for (const e of eigs) {
    if (typeof e === 'number') {
      b[k * n + k] = e;
      k += 1;
      continue;
    }
    const [re, im] = e;
    b[k * n + k] = re;
    b[(k + 1) * n + k + 1] = re;
    b[k * n + k + 1] = im;
    b[(k + 1) * n + k] = -im;
    for (let i = 0; i < n; i++) s[i * n + k + 1]! *= 0.6;
    k += 2;
  }
  return multiply(multiply(s, b, n), inverse(s, n), n);
}

/** Symmetric D + 0.3·(R + Rᵀ)/2 with D's diagonal spread out (eigenvalues near D's, well apart). */
export function symmetric(diag: number[], seed: number): number[] {
  const n = diag.length;
  const r = normalArray(n * n, seed);
  return Array.from({ length: n * n }, (_, e) => {
    const i = Math.floor(e / n);
    const j = e % n;
    return (i === j ? diag[i]! : 0) + 0.15 * (r[i * n + j]! + r[j * n + i]!);
  });
}

/** m×n: the leading diagonal `sv` plus 0.15·R (singular values near sv, well apart). */
export function rectangular(m: number, n: number, sv: number[], seed: number): number[] {
  const r = normalArray(m * n, seed);
  return Array.from({ length: m * n }, (_, e) => {
    const i = Math.floor(e / n);
    const j = e % n;
    return (i === j ? sv[i]! : 0) + 0.15 * r[e]!;
  });
}

/** Nonsymmetric samples: n = 1, a complex pair, a batch, an odd prime size with two pairs. */
export const eigSamples = [
  { shapes: [[1, 1]], values: [[0.7]] },
  { shapes: [[3, 3]], values: [similar([1.5, [0.4, 0.9]], 11)] },
  { shapes: [[2, 4, 4]], values: [[...similar([2, -1.3, [0.5, 0.7]], 12), ...similar([[1.1, 0.5], -0.6, 0.3], 13)]] },
  { shapes: [[5, 5]], values: [similar([-2.1, [1.6, 0.6], [0.2, 0.4]], 14)] },
];

/** Symmetric samples (only the lower triangle is read). */
export const eighSamples = [
  { shapes: [[1, 1]], values: [[-0.4]] },
  { shapes: [[3, 3]], values: [symmetric([2, 0.5, -1.2], 21)] },
  { shapes: [[2, 4, 4]], values: [[...symmetric([3, 1.4, -0.2, -1.9], 22), ...symmetric([-2.5, -1, 0.6, 2.2], 23)]] },
];

/** SVD samples: square, tall, wide, a batch. */
export const svdSamples = [
  { shapes: [[1, 1]], values: [[-1.3]] },
  { shapes: [[3, 3]], values: [rectangular(3, 3, [2.5, 1.4, 0.5], 31)] },
  { shapes: [[5, 2]], values: [rectangular(5, 2, [2, 0.8], 32)] },
  { shapes: [[2, 3]], values: [rectangular(2, 3, [1.9, 0.7], 33)] },
  { shapes: [[2, 4, 3]], values: [[...rectangular(4, 3, [2.2, 1.3, 0.4], 34), ...rectangular(4, 3, [3, 1.5, 0.6], 35)]] },
];

/** A stable A (spectral radius < 1, no λᵢλⱼ near 1) and any Q; batch dimensions broadcast. */
const stable = (n: number, seed: number) => normalArray(n * n, seed).map((x) => (0.5 * x) / Math.sqrt(n));
export const lyapunovSamples = [
  { shapes: [[1, 1], [1, 1]], values: [[0.5], [1.2]] },
  { shapes: [[3, 3], [3, 3]], values: [[...stable(3, 41)], [...normalArray(9, 42)]] },
  { shapes: [[2, 4, 4], [4, 4]], values: [[...stable(4, 43), ...stable(4, 44)], [...normalArray(16, 45)]] },
  { shapes: [[2, 2], [3, 2, 2]], values: [[...stable(2, 46)], [...normalArray(12, 47)]] },
];
