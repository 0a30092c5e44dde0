/**
 * Dense factorizations and solves, ONE WORKGROUP PER MATRIX, the same steps as the float64
 * references in solvers/linalg/reference/lu.ts:
 * - 'lu': P·A = L·U by partial pivoting → out [2n, n]: L − I + U, then P (A = P·L·U);
 * - 'solve': X = A⁻¹·B (B [n, k]) from the same elimination applied to [A | B];
 * - 'slogdet': (sign, log|det|) from U's diagonal and the permutation's parity;
 * - 'cholesky': lower L with L·Lᵀ = S (S: A's lower triangle mirrored);
 * - 'triangular': X = op(T)⁻¹·B, op(T) = T or Tᵀ, one triangle of T read.
 * Per column, thread 0 picks the pivot, swaps the rows and forms the multipliers (O(n) each);
 * the threads then update the trailing block (O(n²)): two barriers per column. The matrix being
 * factored lives in the output or in a global scratch slice, so that any n fits (workgroup
 * memory holds 64×64 floats at most); n ≤ 64 is the size this is tuned for (64 threads).
 * Failures are reported per matrix into the status buffer: a non-finite entry, a negligible
 * pivot (|p| ≤ n·ε·max|A|: singular for solve, exactly zero for a triangular solve) or a
 * non-positive one (Cholesky: not positive definite); the matrix's results are NaN then.
 */

import { broadcastStrides, type Shape } from '../../engine/shape.js';
import type { GpuArg, GpuRuntime } from '../../engine/webgpu/runtime.js';
import { unravel } from '../wgsl.js';
import { STATUS_NONFINITE, STATUS_SINGULAR, element, linalgBindings, perMatrixMain, prelude, scratchDecls } from './common.js';
import { isSoftware } from './eig.js';
import { dispatchPerMatrix } from './launch.js';

export type DenseMode = 'lu' | 'solve' | 'slogdet' | 'cholesky' | 'triangular';

export interface TriangularFlags {
  lower: boolean;
  unit: boolean;
  transpose: boolean;
}

/** Threads per workgroup: one per row (or column) of matrices up to 64. */
const threadsFor = (n: number) => (n <= 16 ? 16 : n <= 32 ? 32 : 64);

// params: end, first, chunk, n, k, batch shape, A's and B's batch strides (in matrices)
function wgsl(mode: DenseMode, rank: number, wg: number, tri: TriangularFlags): string {
  const twoInputs = mode === 'solve' || mode === 'triangular';
  const scratch = mode === 'solve' || mode === 'slogdet';
  // the matrix being factored: scratch slice (solve, slogdet) or the output itself
  const M = (i: string, j: string) => (scratch ? `scr[mbase + (${i}) * n + (${j})]` : `out[ob + (${i}) * n + (${j})]`);
  const X = (i: string, j: string) => `out[ob + (${i}) * k + (${j})]`;
  const outSize = mode === 'lu' ? '2 * n * n' : mode === 'slogdet' ? '2' : mode === 'cholesky' ? 'n * n' : 'n * k';
  const load =
    mode === 'triangular'
      ? // T is read in place; B goes to the output
        `for (var e = li; e < n * n; e += ${wg}) { let x = in0[abase + e]; fin = fin && is_finite(x); }
  for (var e = li; e < n * k; e += ${wg}) { let x = in1[bbase + e]; out[ob + e] = x; fin = fin && is_finite(x); }`
      : `for (var e = li; e < n * n; e += ${wg}) {
    let x = in0[abase + e];
    ${mode === 'cholesky' ? 'let keep = e % n <= e / n; let v = select(0.0, x, keep); fin = fin && (!keep || is_finite(x));' : 'let v = x; fin = fin && is_finite(x);'}
    ${M('0', 'e')} = v;
    big = max(big, abs(v));
  }${mode === 'solve' ? `\n  for (var e = li; e < n * k; e += ${wg}) { let x = in1[bbase + e]; out[ob + e] = x; fin = fin && is_finite(x); }` : ''}${
          mode === 'lu' ? `\n  for (var e = li; e < n * n; e += ${wg}) { out[ob + n * n + e] = select(0.0, 1.0, e % (n + 1) == 0); }` : ''
        }`;
  const factor = mode === 'cholesky' ? choleskySteps(M, wg) : mode === 'triangular' ? triangularSteps(wg, tri) : luSteps(mode, M, X, wg);
  return `${linalgBindings(twoInputs ? 2 : 1, scratch)}
${prelude}
var<workgroup> red: array<f32, ${wg}>;
var<workgroup> ctl: vec4<f32>;
@compute @workgroup_size(${wg})
fn main(@builtin(local_invocation_index) lidx: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let li = i32(lidx);
  // workgroup_id and params are uniform: the whole workgroup leaves together, barriers stay uniform
  let b = i32(wid.x + wid.y * nwg.x) + i32(params[1]);
  if (b >= i32(params[0])) { return; }
  let n = i32(params[3]);
  let k = i32(params[4]);
  ${unravel('u32(b)', rank, 5, [{ name: 'ao', strideAt: 5 + rank }, { name: 'bo', strideAt: 5 + 2 * rank }])}
  let abase = i32(ao) * n * n;
  let bbase = i32(bo) * n * k;
  let mbase = (b - i32(params[1])) * n * n;
  let ob = b * (${outSize});
  var fin = true;
  var big = 0.0;
  ${load}
  red[li] = select(-1.0, big, fin);
  workgroupBarrier();
  // thread 0's verdict: 0 fine, 1 non-finite input, 2 singular
  var verdict = 0;
  if (li == 0) {
    for (var t = 0; t < ${wg}; t++) { if (red[t] < 0.0) { verdict = 1; } big = max(big, red[t]); }
  }
  let tiny = f32(n) * EPS * big;
  ${factor}
  workgroupBarrier();
  if (li == 0 && verdict != 0) {
    report(select(${STATUS_SINGULAR}u, ${STATUS_NONFINITE}u, verdict == 1), u32(b));
    for (var e = 0; e < ${outSize}; e++) { out[ob + e] = nan_f32(); }
  }
}`;
}

/** Partial pivoting on M (and [M | X] for solve): thread 0 pivots, all threads update. */
function luSteps(mode: DenseMode, M: (i: string, j: string) => string, X: (i: string, j: string) => string, wg: number): string {
  const solve = mode === 'solve';
  const cols = solve ? 'n + k' : 'n';
  const swapCols = (j: string, p: string) => (solve ? `if (${j} < n) { let t = ${M('kk', j)}; ${M('kk', j)} = ${M(p, j)}; ${M(p, j)} = t; } else { let t = ${X('kk', `${j} - n`)}; ${X('kk', `${j} - n`)} = ${X(p, `${j} - n`)}; ${X(p, `${j} - n`)} = t; }` : `let t = ${M('kk', j)}; ${M('kk', j)} = ${M(p, j)}; ${M(p, j)} = t;`);
  const update = (i: string, j: string, l: string) => (solve ? `if (${j} < n) { ${M(i, j)} -= ${l} * ${M('kk', j)}; } else { ${X(i, `${j} - n`)} -= ${l} * ${X('kk', `${j} - n`)}; }` : `${M(i, j)} -= ${l} * ${M('kk', j)};`);
  const P = (i: string, j: string) => `out[ob + n * n + (${i}) * n + (${j})]`;
  const tail =
    mode === 'solve'
      ? `// back substitution with U, one right-hand side per thread
  for (var c = li; c < k; c += ${wg}) {
    for (var i = n - 1; i >= 0; i--) {
      var acc = ${X('i', 'c')};
      for (var j = i + 1; j < n; j++) { acc -= ${M('i', 'j')} * ${X('j', 'c')}; }
      ${X('i', 'c')} = acc / ${M('i', 'i')};
    }
  }`
      : mode === 'slogdet'
        ? `if (li == 0) {
    var sg = parity;
    var lg = 0.0;
    for (var i = 0; i < n; i++) { let d = ${M('i', 'i')}; sg *= sign(d); lg += log(abs(d)); }
    out[ob] = select(sg, 0.0, sg == 0.0); // no −0
    out[ob + 1] = lg;
    if (verdict == 2) { verdict = 0; } // a zero determinant is an answer here: sign 0, log −∞
  }`
        : '';
  return `var parity = 1.0;
  for (var kk = 0; kk < n; kk++) {
    if (li == 0) {
      var p = kk;
      for (var i = kk + 1; i < n; i++) { if (abs(${M('i', 'kk')}) > abs(${M('p', 'kk')})) { p = i; } }
      if (p != kk) {
        for (var j = 0; j < ${cols}; j++) { ${swapCols('j', 'p')} }
        ${mode === 'lu' ? `for (var i = 0; i < n; i++) { let t = ${P('i', 'kk')}; ${P('i', 'kk')} = ${P('i', 'p')}; ${P('i', 'p')} = t; }` : ''}
        parity = -parity;
      }
      let piv = ${M('kk', 'kk')};
      if (abs(piv) <= tiny && verdict == 0) { verdict = 2; }
      if (piv != 0.0) { for (var i = kk + 1; i < n; i++) { ${M('i', 'kk')} /= piv; } }
    }
    workgroupBarrier();
    let m = n - kk - 1;
    let w = ${cols} - kk - 1;
    for (var e = li; e < m * w; e += ${wg}) {
      let i = kk + 1 + e / w;
      let j = kk + 1 + e % w;
      let l = ${M('i', 'kk')};
      ${update('i', 'j', 'l')}
    }
    workgroupBarrier();
  }
  ${mode === 'lu' ? 'if (verdict == 2) { verdict = 0; } // LU exists for singular matrices too' : ''}
  ${tail}`;
}

/** Right-looking Cholesky on the lower triangle in out. */
function choleskySteps(M: (i: string, j: string) => string, wg: number): string {
  return `for (var j = 0; j < n; j++) {
    if (li == 0) {
      let d = ${M('j', 'j')};
      if (!(d > 0.0) && verdict == 0) { verdict = 2; }
      let ljj = sqrt(max(d, 0.0));
      ${M('j', 'j')} = ljj;
      for (var i = j + 1; i < n; i++) { ${M('i', 'j')} /= ljj; }
    }
    workgroupBarrier();
    let m = n - j - 1;
    for (var e = li; e < m * m; e += ${wg}) {
      let i = j + 1 + e / m;
      let c = j + 1 + e % m;
      if (c <= i) { ${M('i', 'c')} -= ${M('i', 'j')} * ${M('c', 'j')}; }
    }
    workgroupBarrier();
  }`;
}

/** Substitution, one right-hand side per thread (no barriers). */
function triangularSteps(wg: number, t: TriangularFlags): string {
  const forward = t.lower !== t.transpose;
  const T = (i: string, j: string) => (t.transpose ? `in0[abase + (${j}) * n + (${i})]` : `in0[abase + (${i}) * n + (${j})]`);
  const X = (i: string, j: string) => `out[ob + (${i}) * k + (${j})]`;
  return `if (li == 0 && verdict == 0) {
    for (var i = 0; i < n; i++) { if (${t.unit ? 'false' : `${T('i', 'i')} == 0.0`}) { verdict = 2; } }
  }
  for (var c = li; c < k; c += ${wg}) {
    for (var s = 0; s < n; s++) {
      let i = ${forward ? 's' : 'n - 1 - s'};
      var acc = ${X('i', 'c')};
      ${forward ? 'for (var j = 0; j < i; j++)' : 'for (var j = i + 1; j < n; j++)'} { acc -= ${T('i', 'j')} * ${X('j', 'c')}; }
      ${X('i', 'c')} = ${t.unit ? 'acc' : `acc / ${T('i', 'i')}`};
    }
  }`;
}

/**
 * solve with ONE THREAD PER MATRIX: [A | B] in a global scratch slice interleaved by matrix (see
 * scratchDecls), the same elimination without barriers. On a software driver (lavapipe) this is
 * the faster path for batches: its barriers are dear and neighbouring threads' loads coalesce.
 */
function threadSolveWgsl(rank: number): string {
  const M = (i: string, j: string) => element('0', 'N', i, j);
  const X = (i: string, j: string) => element('N * N', 'K', i, j);
  const fail = (code: number) => `report(${code}u, u32(b));
    for (var e = 0; e < N * K; e++) { out[ob + e] = nan_f32(); }
    return;`;
  return `${linalgBindings(2, true)}
${prelude}
${scratchDecls}
var<private> N: i32;
var<private> K: i32;
${perMatrixMain(`
  N = i32(params[3]);
  K = i32(params[4]);
  ${unravel('u32(b)', rank, 5, [{ name: 'ao', strideAt: 5 + rank }, { name: 'bo', strideAt: 5 + 2 * rank }])}
  let abase = i32(ao) * N * N;
  let bbase = i32(bo) * N * K;
  let ob = b * N * K;
  var big = 0.0;
  var fin = true;
  for (var e = 0; e < N * N; e++) { let x = in0[abase + e]; ${M('0', 'e')} = x; big = max(big, abs(x)); fin = fin && is_finite(x); }
  for (var e = 0; e < N * K; e++) { let x = in1[bbase + e]; ${X('0', 'e')} = x; fin = fin && is_finite(x); }
  if (!fin) { ${fail(STATUS_NONFINITE)} }
  let tiny = f32(N) * EPS * big;
  for (var kk = 0; kk < N; kk++) {
    var p = kk;
    var pv = abs(${M('kk', 'kk')});
    for (var i = kk + 1; i < N; i++) { let v = abs(${M('i', 'kk')}); if (v > pv) { p = i; pv = v; } }
    if (pv <= tiny) { ${fail(STATUS_SINGULAR)} }
    if (p != kk) {
      for (var j = kk; j < N; j++) { let t = ${M('kk', 'j')}; ${M('kk', 'j')} = ${M('p', 'j')}; ${M('p', 'j')} = t; }
      for (var c = 0; c < K; c++) { let t = ${X('kk', 'c')}; ${X('kk', 'c')} = ${X('p', 'c')}; ${X('p', 'c')} = t; }
    }
    let piv = ${M('kk', 'kk')};
    for (var i = kk + 1; i < N; i++) {
      let l = ${M('i', 'kk')} / piv;
      if (l == 0.0) { continue; }
      for (var j = kk + 1; j < N; j++) { ${M('i', 'j')} -= l * ${M('kk', 'j')}; }
      for (var c = 0; c < K; c++) { ${X('i', 'c')} -= l * ${X('kk', 'c')}; }
    }
  }
  for (var c = 0; c < K; c++) {
    for (var i = N - 1; i >= 0; i--) {
      var acc = ${X('i', 'c')};
      for (var j = i + 1; j < N; j++) { acc -= ${M('i', 'j')} * out[ob + j * K + c]; }
      out[ob + i * K + c] = acc / ${M('i', 'i')};
    }
  }`)}
`;
}

export type DensePath = 'auto' | 'thread' | 'workgroup';
let forcedPath: DensePath = 'auto';
/** Forces the kernel layout of solve (tests run both on one adapter). */
export function setDensePath(path: DensePath): void {
  forcedPath = path;
}

/**
 * One workgroup per matrix, or (solve only) one thread per matrix: the thread kernel on software
 * drivers and for many small matrices (as eigvals chooses; on lavapipe, 1000 × 16×16 solves took
 * several times longer with a workgroup each: see bench/linalg-solve.ts).
 */
export function densePath(rt: GpuRuntime, mode: DenseMode, n: number, count: number): 'thread' | 'workgroup' {
  if (mode !== 'solve') return 'workgroup';
  if (forcedPath !== 'auto') return forcedPath;
  return isSoftware(rt) || (n < 32 && count > 4096) ? 'thread' : 'workgroup';
}

const NO_FLAGS: TriangularFlags = { lower: true, unit: false, transpose: false };

/**
 * Records the kernel of `mode` over every matrix of `out`: a [..., n, n], and b [..., n, k] for
 * solve and triangular (batch dimensions broadcast to out's).
 */
export function launchDense(rt: GpuRuntime, mode: DenseMode, a: GpuArg, b: GpuArg | null, out: GpuArg, status: GPUBuffer, tri: TriangularFlags = NO_FLAGS): void {
  const n = a.shape[a.shape.length - 1]!;
  const k = b ? b.shape[b.shape.length - 1]! : n;
  const outMatrix = mode === 'lu' ? 2 * n * n : mode === 'slogdet' ? 2 : mode === 'cholesky' ? n * n : n * k;
  const count = outMatrix ? out.size / outMatrix : 0;
  const batch: Shape = out.shape.slice(0, mode === 'slogdet' ? -1 : -2);
  const params = [n, k, ...batch, ...broadcastStrides(a.shape.slice(0, -2), batch), ...broadcastStrides((b ?? a).shape.slice(0, -2), batch)];
  if (densePath(rt, mode, n, count) === 'thread') {
    dispatchPerMatrix(rt, { wgsl: threadSolveWgsl(batch.length), inputs: [a.buffer, b!.buffer], out: out.buffer, status, count, scratchFloats: n * n + n * k, params, label: 'linalg solve (thread per matrix)' });
    return;
  }
  const wg = threadsFor(n);
  const scratch = mode === 'solve' || mode === 'slogdet';
  dispatchPerMatrix(rt, {
    wgsl: wgsl(mode, batch.length, wg, tri),
    inputs: b ? [a.buffer, b.buffer] : [a.buffer],
    out: out.buffer,
    status,
    count,
    scratchFloats: scratch ? n * n : 0,
    params,
    label: `linalg ${mode}`,
    workgroupPerMatrix: true,
  });
}
