/**
 * Small kernels the derivative rules of the eigen/SVD ops need:
 * - the one-hot mask of each column's largest entry (where an eigenvector's phase is fixed);
 * - a check that eigenvalues (singular values) are simple, so that their derivative exists:
 *   it writes 1 per matrix, or NaN and a status flag naming the matrix and the eigenvalues.
 */

import type { GpuArg, GpuRuntime } from '../../engine/webgpu/runtime.js';
import { bindings, flatIndex, mainSignature, WG } from '../wgsl.js';
import { F32_EPS, STATUS_SINGULAR, f32, linalgBindings, perMatrixMain, prelude } from './common.js';
import { dispatchPerMatrix } from './launch.js';

/** out[..., i, j] = 1 where x[..., i, j] is the first largest entry of column j, else 0. */
export function launchColumnArgmax(rt: GpuRuntime, x: GpuArg, out: GpuArg): void {
  const n = x.shape[x.shape.length - 1]!;
  const rows = x.shape[x.shape.length - 2]!;
  const wgsl = `${bindings(1)}
${mainSignature} {
  ${flatIndex}
  if (i >= params[0]) { return; }
  let col = i % ${n}u;
  let row = (i / ${n}u) % ${rows}u;
  let base = i - row * ${n}u - col;
  var best = 0u;
  for (var r = 1u; r < ${rows}u; r++) { if (in0[base + r * ${n}u + col] > in0[base + best * ${n}u + col]) { best = r; } }
  out[i] = select(0.0, 1.0, best == row);
}`;
  rt.dispatch({ wgsl, inputs: [x.buffer], outputs: [out.buffer], params: [out.size], workgroups: rt.grid(out.size, WG), label: 'columnArgmax' });
}

/** Relative gap below which two eigenvalues count as repeated: 4√ε of the dtype. */
export const gapTolerance = (eps: number) => 4 * Math.sqrt(eps);

export type SimpleKind = 'eig' | 'sym' | 'svd';

/**
 * Status key of a failure: matrix b, values i and j (i = j: a defective eigenvalue, or a zero
 * singular value), packed as b·n² + i·n + j (kept below 2³²−1).
 */
export function decodeSimpleKey(key: number, n: number): { b: number; i: number; j: number } {
  return { b: Math.floor(key / (n * n)), i: Math.floor(key / n) % n, j: key % n };
}

/**
 * Per matrix: 1, or NaN (and a status flag) when two eigenvalues are within the gap tolerance
 * of the largest modulus, or (eig) an eigenvalue's left and right unit eigenvectors are almost
 * orthogonal (|uᴴv| ≤ tolerance: a defective eigenvalue), or (svd with `zero`) a singular value
 * is zero relative to the largest.
 * x: eig packed [..., 1 + 2n, n, 2]; sym/svd packed [..., rows, n] with the values in row 0.
 */
export function launchSimpleCheck(rt: GpuRuntime, x: GpuArg, out: GpuArg, status: GPUBuffer, kind: SimpleKind, zero: boolean): void {
  const complex = kind === 'eig';
  const n = x.shape[x.shape.length - (complex ? 2 : 1)]!;
  const per = x.shape.slice(complex ? -3 : -2).reduce((a, b) => a * b, 1);
  const count = x.size / per;
  const tol = f32(gapTolerance(F32_EPS));
  const at = (k: string) => (complex ? `vec2<f32>(in0[base + 2 * (${k})], in0[base + 2 * (${k}) + 1])` : `vec2<f32>(in0[base + ${k}], 0.0)`);
  // eigenvector entry (row r of block `blk`: 1 = V, 2 = U) of column k
  const vec = (blk: number, r: string, k: string) => `vec2<f32>(in0[base + ((${blk === 1 ? 1 : 1 + n} + ${r}) * N + ${k}) * 2], in0[base + ((${blk === 1 ? 1 : 1 + n} + ${r}) * N + ${k}) * 2 + 1])`;
  const wgsl = `${linalgBindings(1, false)}
${prelude}
const N: i32 = ${n};
fn flag(b: i32, i: i32, j: i32) {
  let key = min(u32(b) * ${n * n}u + u32(i * N + j), 0xfffffffeu);
  report(${STATUS_SINGULAR}u, key);
  out[b] = nan_f32();
}
${perMatrixMain(`
  let base = b * ${per};
  out[b] = 1.0;
  var scale = 0.0;
  for (var k = 0; k < N; k++) { scale = max(scale, length(${at('k')})); }
  let small = ${tol} * scale;
  for (var i = 0; i < N; i++) {
    for (var j = i + 1; j < N; j++) {
      if (length(${at('i')} - ${at('j')}) <= small) { flag(b, i, j); return; }
    }
    ${zero ? `if (length(${at('i')}) <= small) { flag(b, i, i); return; }` : ''}
    ${complex ? `var s = vec2<f32>(0.0);
    for (var r = 0; r < N; r++) { let u = ${vec(2, 'r', 'i')}; let v = ${vec(1, 'r', 'i')}; s += vec2<f32>(u.x * v.x + u.y * v.y, u.x * v.y - u.y * v.x); }
    if (length(s) <= ${tol}) { flag(b, i, i); return; }` : ''}
  }`, false)}
`;
  dispatchPerMatrix(rt, { wgsl, inputs: [x.buffer], out: out.buffer, status, count, label: `simple-check(${kind})` });
}
