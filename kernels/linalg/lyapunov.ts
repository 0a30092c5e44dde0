/**
 * The discrete Lyapunov equation Aᵀ·P·A − P = −Q, ONE THREAD PER MATRIX PAIR, with the same
 * choice of method as solvers/linalg/reference/lyapunov.ts ('auto'):
 * - n ≤ 16: the n²×n² Kronecker system (Aᵀ⊗Aᵀ − I)·vec(P) = −vec(Q) by Gaussian elimination
 *   with partial pivoting, in a global scratch slice; any A with no λᵢ·λⱼ = 1 (singular:
 *   reported as an error);
 * - n > 16: squared doubling P ← P + A_kᵀ·P·A_k, A_k ← A_k², which converges only for spectral
 *   radius ρ(A) < 1 (non-convergence within 100 doublings is reported).
 * A and Q broadcast over their batch dimensions.
 */

import { broadcastStrides, type Shape } from '../../engine/shape.js';
import type { GpuArg, GpuRuntime } from '../../engine/webgpu/runtime.js';
import { unravel } from '../wgsl.js';
import { STATUS_NONFINITE, STATUS_NO_CONVERGENCE, STATUS_SINGULAR, element, linalgBindings, perMatrixMain, prelude, scratchDecls } from './common.js';
import { dispatchPerMatrix } from './launch.js';

export const KRONECKER_MAX_N = 16;
export const MAX_DOUBLINGS = 100;

// params: end, first, chunk, n, batch shape, A's and Q's batch strides (in matrices)
function loadAndCheck(rank: number): string {
  return `
  N = i32(params[3]);
  ${unravel('u32(b)', rank, 4, [{ name: 'ao', strideAt: 4 + rank }, { name: 'qo', strideAt: 4 + 2 * rank }])}
  let abase = i32(ao) * N * N;
  let qbase = i32(qo) * N * N;
  let ob = b * N * N;
  var finite = true;
  for (var e = 0; e < N * N; e++) { finite = finite && is_finite(in0[abase + e]) && is_finite(in1[qbase + e]); }
  if (!finite) {
    report(${STATUS_NONFINITE}u, u32(b));
    for (var e = 0; e < N * N; e++) { out[ob + e] = nan_f32(); }
    return;
  }`;
}

const fail = (code: number) => `report(${code}u, u32(b));
    for (var e = 0; e < N * N; e++) { out[ob + e] = nan_f32(); }
    return;`;

// the augmented system [n² × (n² + 1)]
const X = (r: string, c: string) => element('0', '(S + 1)', r, c);

function kroneckerWgsl(rank: number): string {
  return `${linalgBindings(2, true)}
${prelude}
${scratchDecls}
var<private> N: i32;
${perMatrixMain(`${loadAndCheck(rank)}
  let S = N * N;
  // equation (i, j): Σₖₗ A[k][i]·P[k][l]·A[l][j] − P[i][j] = −Q[i][j]; unknown P[k][l] at k·n + l
  var big = 0.0;
  for (var i = 0; i < N; i++) {
    for (var j = 0; j < N; j++) {
      let row = i * N + j;
      for (var k = 0; k < N; k++) {
        for (var l = 0; l < N; l++) {
          var v = in0[abase + k * N + i] * in0[abase + l * N + j];
          if (k * N + l == row) { v -= 1.0; }
          ${X('row', 'k * N + l')} = v;
          big = max(big, abs(v));
        }
      }
      ${X('row', 'S')} = -in1[qbase + row];
    }
  }
  let negligible = f32(S) * EPS * big;
  for (var col = 0; col < S; col++) {
    var pr = col;
    for (var r = col + 1; r < S; r++) { if (abs(${X('r', 'col')}) > abs(${X('pr', 'col')})) { pr = r; } }
    if (abs(${X('pr', 'col')}) <= negligible) { ${fail(STATUS_SINGULAR)} }
    if (pr != col) {
      for (var c = col; c <= S; c++) { let t = ${X('col', 'c')}; ${X('col', 'c')} = ${X('pr', 'c')}; ${X('pr', 'c')} = t; }
    }
    let piv = ${X('col', 'col')};
    for (var r = col + 1; r < S; r++) {
      let f = ${X('r', 'col')} / piv;
      if (f == 0.0) { continue; }
      for (var c = col; c <= S; c++) { ${X('r', 'c')} -= f * ${X('col', 'c')}; }
    }
  }
  for (var r = S - 1; r >= 0; r--) {
    var acc = ${X('r', 'S')};
    for (var c = r + 1; c < S; c++) { acc -= ${X('r', 'c')} * out[ob + c]; }
    out[ob + r] = acc / ${X('r', 'r')};
  }`)}
`;
}

const P = (i: string, j: string) => element('0', 'N', i, j);
const W = (i: string, j: string) => element('N * N', 'N', i, j);
const T = (i: string, j: string) => element('2 * N * N', 'N', i, j);

function doublingWgsl(rank: number): string {
  return `${linalgBindings(2, true)}
${prelude}
${scratchDecls}
var<private> N: i32;
${perMatrixMain(`${loadAndCheck(rank)}
  for (var e = 0; e < N * N; e++) { ${P('0', 'e')} = in1[qbase + e]; ${W('0', 'e')} = in0[abase + e]; }
  // invariant after step k: P = Σ_{i < 2^k} (Aᵀ)ⁱ·Q·Aⁱ and W = A^(2^k); the tail is Wᵀ·P_∞·W
  var done = false;
  for (var step = 0; step < ${MAX_DOUBLINGS} && !done; step++) {
    var wn = 0.0;
    var ok = true;
    for (var e = 0; e < N * N; e++) { let x = ${W('0', 'e')}; wn += x * x; ok = ok && is_finite(x) && is_finite(${P('0', 'e')}); }
    if (!ok) { break; }
    if (wn <= EPS / 4.0) { done = true; break; }
    for (var i = 0; i < N; i++) {
      for (var j = 0; j < N; j++) {
        var acc = 0.0;
        for (var k = 0; k < N; k++) { acc += ${P('i', 'k')} * ${W('k', 'j')}; }
        ${T('i', 'j')} = acc;
      }
    }
    for (var i = 0; i < N; i++) {
      for (var j = 0; j < N; j++) {
        var acc = 0.0;
        for (var k = 0; k < N; k++) { acc += ${W('k', 'i')} * ${T('k', 'j')}; }
        ${P('i', 'j')} += acc;
      }
    }
    for (var i = 0; i < N; i++) {
      for (var j = 0; j < N; j++) {
        var acc = 0.0;
        for (var k = 0; k < N; k++) { acc += ${W('i', 'k')} * ${W('k', 'j')}; }
        ${T('i', 'j')} = acc;
      }
    }
    for (var e = 0; e < N * N; e++) { ${W('0', 'e')} = ${T('0', 'e')}; }
  }
  if (!done) { ${fail(STATUS_NO_CONVERGENCE)} }
  for (var e = 0; e < N * N; e++) { out[ob + e] = ${P('0', 'e')}; }`)}
`;
}

/** a [..., n, n] and q [..., n, n] (batch dims broadcast to out's) → out [..., n, n]. */
export function launchLyapunov(rt: GpuRuntime, a: GpuArg, q: GpuArg, out: GpuArg, status: GPUBuffer): void {
  const n = out.shape[out.shape.length - 1]!;
  const batch: Shape = out.shape.slice(0, -2);
  const count = out.size / (n * n);
  const kron = n <= KRONECKER_MAX_N;
  const r = batch.length;
  dispatchPerMatrix(rt, {
    wgsl: kron ? kroneckerWgsl(r) : doublingWgsl(r),
    inputs: [a.buffer, q.buffer],
    out: out.buffer,
    status,
    count,
    scratchFloats: kron ? n * n * (n * n + 1) : 3 * n * n,
    params: [n, ...batch, ...broadcastStrides(a.shape.slice(0, -2), batch), ...broadcastStrides(q.shape.slice(0, -2), batch)],
    label: kron ? 'solveDiscreteLyapunov (Kronecker)' : 'solveDiscreteLyapunov (doubling)',
    flops: count * (kron ? (2 / 3) * n ** 6 : 60 * 6 * n ** 3),
  });
}
