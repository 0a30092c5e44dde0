/**
 * Small kernels the derivative rules of the eigen/SVD ops need (see solvers/linalg/guards.ts):
 * the one-hot mask of each column's largest entry (where an eigenvector's phase is fixed), the
 * mask of tied values, the check that no cotangent couples tied values, and the inverse of
 * VᴴU on tied clusters of a nonsymmetric eig. Failures write NaN and a status flag.
 */

import type { GpuArg, GpuRuntime } from '../../engine/webgpu/runtime.js';
import { bindings, flatIndex, mainSignature, WG } from '../wgsl.js';
import { F32_EPS, STATUS_SINGULAR, element, f32, linalgBindings, perMatrixMain, prelude, scratchDecls } from './common.js';
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
 * Status key of a failure: matrix b, values i and j (i = j: a defective eigenvalue), packed as b·n² + i·n + j (kept below 2³²−1).
 */
export function decodeSimpleKey(key: number, n: number): { b: number; i: number; j: number } {
  return { b: Math.floor(key / (n * n)), i: Math.floor(key / n) % n, j: key % n };
}

/**
 * out [..., n, n]: 1 at (i, j), i ≠ j, where values i and j are tied (within the gap tolerance
 * of the largest modulus), else 0; with `zero`, 1 on the diagonal where a value is zero relative
 * to the largest. x: eig packed [..., R, n, 2] or sym/svd packed [..., R, n], values in row 0.
 */
export function launchTieMask(rt: GpuRuntime, x: GpuArg, out: GpuArg, complex: boolean, zero: boolean): void {
  const n = x.shape[x.shape.length - (complex ? 2 : 1)]!;
  const per = x.shape.slice(complex ? -3 : -2).reduce((a, b) => a * b, 1);
  const at = (k: string) => (complex ? `vec2<f32>(in0[base + 2u * (${k})], in0[base + 2u * (${k}) + 1u])` : `vec2<f32>(in0[base + ${k}], 0.0)`);
  const wgsl = `${bindings(1)}
${mainSignature} {
  ${flatIndex}
  if (i >= params[0]) { return; }
  let col = i % ${n}u;
  let row = (i / ${n}u) % ${n}u;
  let base = (i / ${n * n}u) * ${per}u;
  var scale = 0.0;
  for (var k = 0u; k < ${n}u; k++) { scale = max(scale, length(${at('k')})); }
  let small = ${f32(gapTolerance(F32_EPS))} * scale;
  var t = 0.0;
  if (row != col) {
    if (length(${at('row')} - ${at('col')}) <= small) { t = 1.0; }
  } else if (${zero}) {
    if (length(${at('row')}) <= small) { t = 1.0; }
  }
  out[i] = t;
}`;
  rt.dispatch({ wgsl, inputs: [x.buffer], outputs: [out.buffer], params: [out.size], workgroups: rt.grid(out.size, WG), label: 'tieMask' });
}

/**
 * Per matrix: 1, or NaN and a status flag with key b·r·n + e for the first entry e of c
 * [..., r, n] with |c| > tolerance·max|x| (x [..., r', n'], the same matrices).
 */
export function launchCouplingCheck(rt: GpuRuntime, c: GpuArg, x: GpuArg, out: GpuArg, status: GPUBuffer): void {
  const per = c.shape.slice(-2).reduce((a, b) => a * b, 1);
  const count = per ? c.size / per : 0;
  const perX = count ? x.size / count : 0;
  const wgsl = `${linalgBindings(2, false)}
${prelude}
${perMatrixMain(`
  var scale = 0.0;
  for (var e = 0; e < ${perX}; e++) { scale = max(scale, abs(in1[b * ${perX} + e])); }
  let small = ${f32(gapTolerance(F32_EPS))} * scale;
  out[b] = 1.0;
  for (var e = 0; e < ${per}; e++) {
    if (abs(in0[b * ${per} + e]) > small) {
      report(${STATUS_SINGULAR}u, min(u32(b) * ${per}u + u32(e), 0xfffffffeu));
      out[b] = nan_f32();
      return;
    }
  }`, false)}
`;
  dispatchPerMatrix(rt, { wgsl, inputs: [c.buffer, x.buffer], out: out.buffer, status, count, label: 'coupling-check' });
}

/**
 * The blocks C [..., n, n, 2] of tied eigenvalues that make U·(diag(1/s̄ᵢ of simple ones) + C) =
 * V⁻ᴴ: for the indices of a tied cluster, inv(M_cc) with M = VᴴU (left and right eigenvectors of
 * one repeated eigenvalue need not be biorthogonal), 0 elsewhere. A singular
 * block (or |sᵢ| of a simple eigenvalue) below the tolerance is a defective eigenvalue: NaN and
 * a status flag with key b·n² + i·n + j (j a tied partner of i, or i).
 * packed: eig output [..., 1 + 2n, n, 2]; t: tieMask [..., n, n].
 */
export function launchClusterInverse(rt: GpuRuntime, packed: GpuArg, t: GpuArg, out: GpuArg, status: GPUBuffer): void {
  const n = packed.shape[packed.shape.length - 2]!;
  const per = (1 + 2 * n) * n * 2;
  const count = t.size / (n * n);
  const tol = f32(gapTolerance(F32_EPS));
  // M[i][j] = Σ_r conj(V[r][i])·U[r][j]
  const vAt = (r: string, k: string) => `vec2<f32>(in0[pb + ((1 + ${r}) * N + ${k}) * 2], in0[pb + ((1 + ${r}) * N + ${k}) * 2 + 1])`;
  const uAt = (r: string, k: string) => `vec2<f32>(in0[pb + ((1 + N + ${r}) * N + ${k}) * 2], in0[pb + ((1 + N + ${r}) * N + ${k}) * 2 + 1])`;
  // augmented [M | I], n × 2n complex, in scratch
  const G = (i: string, j: string, c: number) => element('0', '(4 * N)', i, `2 * (${j}) + ${c}`);
  const wgsl = `${linalgBindings(2, true)}
${prelude}
${scratchDecls}
const N: i32 = ${n};
fn tied(tb: i32, i: i32, j: i32) -> bool { return in1[tb + i * N + j] > 0.5; }
fn clustered(tb: i32, i: i32) -> bool {
  for (var k = 0; k < N; k++) { if (k != i && tied(tb, i, k)) { return true; } }
  return false;
}
fn partner(tb: i32, i: i32) -> i32 {
  for (var k = 0; k < N; k++) { if (k != i && tied(tb, i, k)) { return k; } }
  return i;
}
fn mentry(pb: i32, i: i32, j: i32) -> vec2<f32> {
  var s = vec2<f32>(0.0);
  for (var r = 0; r < N; r++) { let v = ${vAt('r', 'i')}; s += cmul(vec2<f32>(v.x, -v.y), ${uAt('r', 'j')}); }
  return s;
}
${perMatrixMain(`
  let pb = b * ${per};
  let tb = b * N * N;
  let ob = b * N * N * 2;
  for (var e = 0; e < N * N * 2; e++) { out[ob + e] = 0.0; }
  var bad = -1;
  for (var i = 0; i < N; i++) {
    for (var j = 0; j < 2 * N; j++) { ${G('i', 'j', 0)} = 0.0; ${G('i', 'j', 1)} = 0.0; }
    if (clustered(tb, i)) {
      for (var j = 0; j < N; j++) {
        if (j == i || tied(tb, i, j)) { let m = mentry(pb, i, j); ${G('i', 'j', 0)} = m.x; ${G('i', 'j', 1)} = m.y; }
      }
    } else {
      if (length(mentry(pb, i, i)) <= ${tol} && bad < 0) { bad = i; }
      ${G('i', 'i', 0)} = 1.0;
    }
    ${G('i', 'N + i', 0)} = 1.0;
  }
  for (var col = 0; col < N && bad < 0; col++) {
    // a simple eigenvalue's row and column are the identity's: nothing to eliminate
    if (!clustered(tb, col)) { continue; }
    var pr = col;
    for (var r = col + 1; r < N; r++) {
      if (length(vec2<f32>(${G('r', 'col', 0)}, ${G('r', 'col', 1)})) > length(vec2<f32>(${G('pr', 'col', 0)}, ${G('pr', 'col', 1)}))) { pr = r; }
    }
    if (length(vec2<f32>(${G('pr', 'col', 0)}, ${G('pr', 'col', 1)})) <= ${tol}) { bad = col; break; }
    if (pr != col) {
      for (var c = 0; c < 2 * N; c++) {
        let t0 = ${G('col', 'c', 0)}; let t1 = ${G('col', 'c', 1)};
        ${G('col', 'c', 0)} = ${G('pr', 'c', 0)}; ${G('col', 'c', 1)} = ${G('pr', 'c', 1)};
        ${G('pr', 'c', 0)} = t0; ${G('pr', 'c', 1)} = t1;
      }
    }
    let piv = vec2<f32>(${G('col', 'col', 0)}, ${G('col', 'col', 1)});
    for (var c = 0; c < 2 * N; c++) {
      let q = cdiv(vec2<f32>(${G('col', 'c', 0)}, ${G('col', 'c', 1)}), piv);
      ${G('col', 'c', 0)} = q.x; ${G('col', 'c', 1)} = q.y;
    }
    for (var r = 0; r < N; r++) {
      if (r == col) { continue; }
      let f = vec2<f32>(${G('r', 'col', 0)}, ${G('r', 'col', 1)});
      if (f.x == 0.0 && f.y == 0.0) { continue; }
      for (var c = 0; c < 2 * N; c++) {
        let d = cmul(f, vec2<f32>(${G('col', 'c', 0)}, ${G('col', 'c', 1)}));
        ${G('r', 'c', 0)} -= d.x; ${G('r', 'c', 1)} -= d.y;
      }
    }
  }
  if (bad >= 0) {
    report(${STATUS_SINGULAR}u, min(u32(b) * ${n * n}u + u32(bad * N + partner(tb, bad)), 0xfffffffeu));
    for (var e = 0; e < N * N * 2; e++) { out[ob + e] = nan_f32(); }
    return;
  }
  for (var i = 0; i < N; i++) {
    if (!clustered(tb, i)) { continue; }
    for (var j = 0; j < N; j++) {
      if (!(j == i || tied(tb, i, j))) { continue; }
      out[ob + (i * N + j) * 2] = ${G('i', 'N + j', 0)}; out[ob + (i * N + j) * 2 + 1] = ${G('i', 'N + j', 1)};
    }
  }`)}
`;
  dispatchPerMatrix(rt, { wgsl, inputs: [packed.buffer, t.buffer], out: out.buffer, status, count, scratchFloats: 4 * n * n, label: 'cluster-inverse' });
}
