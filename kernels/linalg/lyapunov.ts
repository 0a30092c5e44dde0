/**
 * The discrete Lyapunov equation Aᵀ·P·A − P = −Q, ONE THREAD PER MATRIX PAIR, with the method
 * of solvers/linalg/reference/lyapunov.ts ('auto'), decided from the eigenvalues λ of A (an
 * input, computed by the eigvals kernel):
 * - some |1 − λᵢλⱼ| ≤ 16·n·ε·max(1, |λᵢλⱼ|): the equation is singular (reported with i, j);
 * - ρ(A) < 1 (any n): squared Smith doubling P ← P + A_kᵀ·P·A_k, A_k ← A_k², O(n³) per step,
 *   followed by iterative refinement: the residual R = Q + AᵀPA − P is solved for by doubling
 *   again and added (a few rounds), so that P satisfies the equation to a few ε relative to
 *   ‖A‖²‖P‖ + ‖Q‖ even where A is far from normal and the first pass is not that accurate;
 * - ρ(A) ≥ 1, n ≤ 16: the n²×n² Kronecker system (Aᵀ⊗Aᵀ − I)·vec(P) = −vec(Q) by Gaussian
 *   elimination with partial pivoting; n > 16: reported (the doubling series diverges).
 * A, Q (and λ, with A's batch) broadcast over their batch dimensions.
 */

import { broadcastStrides, type Shape } from '../../engine/shape.js';
import type { GpuArg, GpuRuntime } from '../../engine/webgpu/runtime.js';
import { unravel } from '../wgsl.js';
import { STATUS_NONFINITE, STATUS_NO_CONVERGENCE, STATUS_SINGULAR, element, f32, linalgBindings, perMatrixMain, prelude, scratchDecls } from './common.js';
import { dispatchPerMatrix } from './launch.js';

export const KRONECKER_MAX_N = 16;
export const MAX_DOUBLINGS = 100;
/** rounds of iterative refinement after the first doubling solve */
export const MAX_REFINEMENTS = 4;
/** |1 − λᵢλⱼ| ≤ SINGULAR_TOL·n·ε·max(1, |λᵢλⱼ|) counts as singular */
export const SINGULAR_TOL = 16;

// params: end, first, chunk, n, batch shape, A's, Q's batch strides (in matrices)
function loadAndCheck(rank: number): string {
  return `
  N = i32(params[3]);
  ${unravel('u32(b)', rank, 4, [{ name: 'ao', strideAt: 4 + rank }, { name: 'qo', strideAt: 4 + 2 * rank }])}
  abase = i32(ao) * N * N;
  qbase = i32(qo) * N * N;
  lbase = i32(ao) * N * 2;
  let ob = b * N * N;
  var finite = true;
  for (var e = 0; e < N * N; e++) { finite = finite && is_finite(in0[abase + e]) && is_finite(in1[qbase + e]); }
  if (!finite) {
    report(${STATUS_NONFINITE}u, u32(b));
    for (var e = 0; e < N * N; e++) { out[ob + e] = nan_f32(); }
    return;
  }`;
}

const fail = (code: number, key = 'u32(b)') => `report(${code}u, ${key});
    for (var e = 0; e < N * N; e++) { out[ob + e] = nan_f32(); }
    return;`;

// doubling: regions of n² words: X (series), W (power), T (temporary), P (solution), R (right side)
const X = (i: string, j: string) => element('0', 'N', i, j);
const W = (i: string, j: string) => element('N * N', 'N', i, j);
const T = (i: string, j: string) => element('2 * N * N', 'N', i, j);
const P = (i: string, j: string) => element('3 * N * N', 'N', i, j);
const R = (i: string, j: string) => element('4 * N * N', 'N', i, j);
// Kronecker: the augmented system [n² × (n² + 1)]
const K = (r: string, c: string) => element('0', '(N * N + 1)', r, c);
const a = (i: string, j: string) => `in0[abase + (${i}) * N + (${j})]`;

const seriesWgsl = `
// X = Σₖ (Aᵀ)ᵏ·R·Aᵏ by squared doubling; false when it does not converge
fn series() -> bool {
  for (var e = 0; e < N * N; e++) { ${X('0', 'e')} = ${R('0', 'e')}; ${W('0', 'e')} = in0[abase + e]; }
  // invariant after step k: X = Σ_{i < 2^k} (Aᵀ)ⁱ·R·Aⁱ and W = A^(2^k); the tail is Wᵀ·X_∞·W
  for (var step = 0; step < ${MAX_DOUBLINGS}; step++) {
    var wn = 0.0;
    var ok = true;
    for (var e = 0; e < N * N; e++) { let x = ${W('0', 'e')}; wn += x * x; ok = ok && is_finite(x) && is_finite(${X('0', 'e')}); }
    if (!ok) { return false; }
    if (wn <= EPS / 4.0) { return true; }
    for (var i = 0; i < N; i++) {
      for (var j = 0; j < N; j++) {
        var acc = 0.0;
        for (var k = 0; k < N; k++) { acc += ${X('i', 'k')} * ${W('k', 'j')}; }
        ${T('i', 'j')} = acc;
      }
    }
    for (var i = 0; i < N; i++) {
      for (var j = 0; j < N; j++) {
        var acc = 0.0;
        for (var k = 0; k < N; k++) { acc += ${W('k', 'i')} * ${T('k', 'j')}; }
        ${X('i', 'j')} += acc;
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
  return false;
}

// Error-free transformations (Dekker, Knuth) for the residual: float32 sums of ‖A‖²‖P‖-sized
// terms would leave it at ~n·ε relative, the level refinement could not get below.
fn two_sum(a: f32, b: f32) -> vec2<f32> {
  let s = a + b;
  let bb = s - a;
  return vec2<f32>(s, (a - (s - bb)) + (b - bb));
}
fn split(a: f32) -> vec2<f32> {
  let c = 4097.0 * a;
  let hi = c - (c - a);
  return vec2<f32>(hi, a - hi);
}
fn two_prod(a: f32, b: f32) -> vec2<f32> {
  let p = a * b;
  let x = split(a);
  let y = split(b);
  return vec2<f32>(p, ((x.x * y.x - p) + x.x * y.y + x.y * y.x) + x.y * y.y);
}
// acc (hi, lo) += x·y
fn dot_acc(acc: vec2<f32>, x: f32, y: f32) -> vec2<f32> {
  let p = two_prod(x, y);
  let s = two_sum(acc.x, p.x);
  return vec2<f32>(s.x, acc.y + s.y + p.y);
}

// R = Q + AᵀPA − P in compensated arithmetic (T = PA kept as hi in T, lo in X); returns ‖R‖_F
fn residual() -> f32 {
  for (var i = 0; i < N; i++) {
    for (var j = 0; j < N; j++) {
      var acc = vec2<f32>(0.0);
      for (var k = 0; k < N; k++) { acc = dot_acc(acc, ${P('i', 'k')}, ${a('k', 'j')}); }
      let t = two_sum(acc.x, acc.y);
      ${T('i', 'j')} = t.x;
      ${X('i', 'j')} = t.y;
    }
  }
  var rn = 0.0;
  for (var i = 0; i < N; i++) {
    for (var j = 0; j < N; j++) {
      var acc = two_sum(in1[qbase + i * N + j], -${P('i', 'j')});
      for (var k = 0; k < N; k++) {
        acc = dot_acc(acc, ${a('k', 'i')}, ${T('k', 'j')});
        acc.y += ${a('k', 'i')} * ${X('k', 'j')};
      }
      let r = acc.x + acc.y;
      ${R('i', 'j')} = r;
      rn += r * r;
    }
  }
  return sqrt(rn);
}
`;

const kroneckerWgsl = `
  let S = N * N;
  // equation (i, j): Σₖₗ A[k][i]·P[k][l]·A[l][j] − P[i][j] = −Q[i][j]; unknown P[k][l] at k·n + l
  for (var i = 0; i < N; i++) {
    for (var j = 0; j < N; j++) {
      let row = i * N + j;
      for (var k = 0; k < N; k++) {
        for (var l = 0; l < N; l++) {
          var v = ${a('k', 'i')} * ${a('l', 'j')};
          if (k * N + l == row) { v -= 1.0; }
          ${K('row', 'k * N + l')} = v;
        }
      }
      ${K('row', 'S')} = -in1[qbase + row];
    }
  }
  for (var col = 0; col < S; col++) {
    var pr = col;
    for (var r = col + 1; r < S; r++) { if (abs(${K('r', 'col')}) > abs(${K('pr', 'col')})) { pr = r; } }
    if (${K('pr', 'col')} == 0.0) { ${fail(STATUS_SINGULAR, 'nearest')} }
    if (pr != col) {
      for (var c = col; c <= S; c++) { let t = ${K('col', 'c')}; ${K('col', 'c')} = ${K('pr', 'c')}; ${K('pr', 'c')} = t; }
    }
    let piv = ${K('col', 'col')};
    for (var r = col + 1; r < S; r++) {
      let f = ${K('r', 'col')} / piv;
      if (f == 0.0) { continue; }
      for (var c = col; c <= S; c++) { ${K('r', 'c')} -= f * ${K('col', 'c')}; }
    }
  }
  for (var r = S - 1; r >= 0; r--) {
    var acc = ${K('r', 'S')};
    for (var c = r + 1; c < S; c++) { acc -= ${K('r', 'c')} * out[ob + c]; }
    out[ob + r] = acc / ${K('r', 'r')};
  }`;

function lyapunovWgsl(rank: number): string {
  return `${linalgBindings(3, true)}
${prelude}
${scratchDecls}
var<private> N: i32;
var<private> abase: i32;
var<private> qbase: i32;
var<private> lbase: i32;
${seriesWgsl}
${perMatrixMain(`${loadAndCheck(rank)}
  // singular when some λᵢλⱼ = 1 (to rounding); else the pair nearest to it, for a zero pivot
  var rho = 0.0;
  var nearest = u32(b) * u32(N * N);
  var gap = 3.0e38;
  for (var i = 0; i < N; i++) {
    let li = vec2<f32>(in2[lbase + 2 * i], in2[lbase + 2 * i + 1]);
    rho = max(rho, length(li));
    for (var j = i; j < N; j++) {
      let lj = vec2<f32>(in2[lbase + 2 * j], in2[lbase + 2 * j + 1]);
      let z = cmul(li, lj);
      let d = length(vec2<f32>(1.0, 0.0) - z) / max(1.0, length(z));
      if (d < gap) { gap = d; nearest = min(u32(b) * u32(N * N) + u32(i * N + j), 0xfffffffeu); }
    }
  }
  if (gap <= ${f32(SINGULAR_TOL)} * f32(N) * EPS) { ${fail(STATUS_SINGULAR, 'nearest')} }
  if (rho < 1.0) {
    for (var e = 0; e < N * N; e++) { ${R('0', 'e')} = in1[qbase + e]; }
    if (!series()) { ${fail(STATUS_NO_CONVERGENCE)} }
    for (var e = 0; e < N * N; e++) { ${P('0', 'e')} = ${X('0', 'e')}; }
    var last = 3.0e38;
    for (var rd = 0; rd < ${MAX_REFINEMENTS}; rd++) {
      let rn = residual();
      // stop when the residual no longer shrinks (it has reached rounding level)
      if (!(rn < 0.5 * last)) { break; }
      last = rn;
      if (!series()) { break; }
      for (var e = 0; e < N * N; e++) { ${P('0', 'e')} += ${X('0', 'e')}; }
    }
    for (var e = 0; e < N * N; e++) { out[ob + e] = ${P('0', 'e')}; }
  } else if (N <= ${KRONECKER_MAX_N}) {${kroneckerWgsl}
  } else {
    ${fail(STATUS_NO_CONVERGENCE)}
  }`)}
`;
}

/**
 * a [..., n, n], q [..., n, n] and the eigenvalues lam [..., n, 2] of a (a's batch dims; a and
 * q broadcast to out's) → out [..., n, n].
 */
export function launchLyapunov(rt: GpuRuntime, a: GpuArg, q: GpuArg, lam: GpuArg, out: GpuArg, status: GPUBuffer): void {
  const n = out.shape[out.shape.length - 1]!;
  const batch: Shape = out.shape.slice(0, -2);
  const count = out.size / (n * n);
  const r = batch.length;
  dispatchPerMatrix(rt, {
    wgsl: lyapunovWgsl(r),
    inputs: [a.buffer, q.buffer, lam.buffer],
    out: out.buffer,
    status,
    count,
    scratchFloats: Math.max(5 * n * n, n <= KRONECKER_MAX_N ? n * n * (n * n + 1) : 0),
    params: [n, ...batch, ...broadcastStrides(a.shape.slice(0, -2), batch), ...broadcastStrides(q.shape.slice(0, -2), batch)],
    label: 'solveDiscreteLyapunov',
  });
}
