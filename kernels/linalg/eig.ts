/**
 * Eigenvalues (and eigenvectors) of real nonsymmetric n×n matrices, ONE THREAD PER MATRIX:
 * power-of-2 scaling → Parlett–Reinsch balancing → Householder Hessenberg → Francis implicit
 * double-shift QR with deflation and exceptional shifts → standardized 2×2 blocks → (vectors)
 * substitution on the quasi-triangular Schur form. The same algorithm, step for step, as
 * solvers/linalg/reference (eig.ts, francis.ts, hessenberg.ts), in float32.
 *
 * A batch of many small matrices has parallelism enough across matrices, and a thread needs no
 * barriers (which a software driver pays dearly for). Working storage is an interleaved global
 * scratch slice (see common.ts); n is a runtime parameter, so one pipeline serves every size.
 *
 * Eigenvalues are written sorted by descending modulus, then descending real part, then
 * descending imaginary part (so a conjugate pair is adjacent, positive imaginary part first);
 * eigenvectors follow their eigenvalues.
 */

import type { GpuArg, GpuRuntime } from '../../engine/webgpu/runtime.js';
import { balanceSweepsWgsl, deflationScanWgsl, pickShiftsWgsl, STATUS_NONFINITE, STATUS_NO_CONVERGENCE, linalgBindings, perMatrixMain, prelude, scratchDecls, slot, standardize2x2Wgsl, reflectorWgsl } from './common.js';
import { dispatchPerMatrix } from './launch.js';
import { launchEigWorkgroup, workgroupBytes, workgroupThreads } from './eig-workgroup.js';

export type EigMode = 'values' | 'right' | 'both';

/** Rows of the packed output per matrix: the eigenvalues, then V's rows, then U's rows. */
export const eigRows = (n: number, mode: EigMode) => (mode === 'values' ? 1 : mode === 'right' ? 1 + n : 1 + 2 * n);

/** Francis steps allowed per deflation, as the reference: 30·max(n, 10). */
export const eigMaxIterations = (n: number) => 30 * Math.max(n, 10);

// T at scratch word 0 and Z at NN, with the strides (rsn = N·cnt per row) computed once per
// thread: ~10% faster on lavapipe than element()'s (off + i·N + j)·cnt + mb
const T = (i: string, j: string) => `scr[(${i}) * rsn + (${j}) * cnt + mb]`;
const Z = (i: string, j: string) => `scr[(${i}) * rsn + (${j}) * cnt + zb]`;
const HV = (i: string) => slot('oH', i);
const WR = (i: string) => slot('oWR', i);
const WI = (i: string) => slot('oWI', i);
const DSC = (i: string) => slot('oD', i);
const POS = (i: string) => `i32(${slot('oP', i)})`;

export function eigWgsl(mode: EigMode): string {
  const full = mode !== 'values'; // keep the whole Schur form T and accumulate Z

  const left = (r0: string, cols: [string, string], len: 2 | 3) => `
    for (var j = ${cols[0]}; j <= ${cols[1]}; j++) {
      let s = h.w * (h.x * ${T(r0, 'j')} + h.y * ${T(`${r0} + 1`, 'j')}${len === 3 ? ` + h.z * ${T(`${r0} + 2`, 'j')}` : ''});
      ${T(r0, 'j')} -= s * h.x; ${T(`${r0} + 1`, 'j')} -= s * h.y;${len === 3 ? ` ${T(`${r0} + 2`, 'j')} -= s * h.z;` : ''}
    }`;
  const right = (M: typeof T, c0: string, rows: [string, string], len: 2 | 3) => `
    for (var i = ${rows[0]}; i <= ${rows[1]}; i++) {
      let s = h.w * (h.x * ${M('i', c0)} + h.y * ${M('i', `${c0} + 1`)}${len === 3 ? ` + h.z * ${M('i', `${c0} + 2`)}` : ''});
      ${M('i', c0)} -= s * h.x; ${M('i', `${c0} + 1`)} -= s * h.y;${len === 3 ? ` ${M('i', `${c0} + 2`)} -= s * h.z;` : ''}
    }`;
  const rotate = (a: string, b: string) => `{ let u = ${a}; let v = ${b}; ${a} = s.cs * u + s.sn * v; ${b} = s.cs * v - s.sn * u; }`;

  return `${linalgBindings(1, true)}
${prelude}
${standardize2x2Wgsl}
${scratchDecls}
var<private> N: i32;
var<private> NN: i32;
var<private> rsn: i32;
var<private> zb: i32;
var<private> oH: i32; var<private> oWR: i32; var<private> oWI: i32; var<private> oD: i32; var<private> oP: i32;
var<private> oXR: i32; var<private> oXI: i32; var<private> oYR: i32; var<private> oYI: i32;

${reflectorWgsl}

// Parlett–Reinsch balancing by powers of 2 (exact); D's diagonal in DSC.
fn balance() {
  for (var i = 0; i < N; i++) { ${DSC('i')} = 1.0; }
  ${balanceSweepsWgsl(T, (i) => `${DSC(i)} *= f;`)}
}

// Householder reduction to upper Hessenberg form (accumulating Q in Z when kept).
fn hessenberg() {
  for (var k = 0; k + 2 < N; k++) {
    var mx = 0.0; var tail = 0.0;
    for (var i = k + 1; i < N; i++) {
      let x = abs(${T('i', 'k')});
      mx = max(mx, x);
      if (i > k + 1) { tail = max(tail, x); }
    }
    if (tail == 0.0) { continue; }
    var ns = 0.0;
    for (var i = k + 1; i < N; i++) { let x = ${T('i', 'k')} / mx; ${HV('i')} = x; ns += x * x; }
    let nrm = sqrt(ns);
    let alpha = select(nrm, -nrm, ${HV('k + 1')} >= 0.0);
    ${HV('k + 1')} -= alpha;
    var vs = 0.0;
    for (var i = k + 1; i < N; i++) { vs += ${HV('i')} * ${HV('i')}; }
    let beta = 2.0 / vs;
    for (var j = k + 1; j < N; j++) {
      var d = 0.0;
      for (var i = k + 1; i < N; i++) { d += ${HV('i')} * ${T('i', 'j')}; }
      d *= beta;
      for (var i = k + 1; i < N; i++) { ${T('i', 'j')} -= d * ${HV('i')}; }
    }
    for (var i = 0; i < N; i++) {
      var d = 0.0;
      for (var j = k + 1; j < N; j++) { d += ${T('i', 'j')} * ${HV('j')}; }
      d *= beta;
      for (var j = k + 1; j < N; j++) { ${T('i', 'j')} -= d * ${HV('j')}; }
    }
    ${full ? `for (var i = 0; i < N; i++) {
      var d = 0.0;
      for (var j = k + 1; j < N; j++) { d += ${Z('i', 'j')} * ${HV('j')}; }
      d *= beta;
      for (var j = k + 1; j < N; j++) { ${Z('i', 'j')} -= d * ${HV('j')}; }
    }` : ''}
    ${T('k + 1', 'k')} = alpha * mx;
    for (var i = k + 2; i < N; i++) { ${T('i', 'k')} = 0.0; }
  }
}

// One implicit double-shift step on the unreduced window lo…hi (size ≥ 3).${full ? '' : ' Only the window is updated: eigenvalues need no more.'}
fn francis_step(lo: i32, hi: i32, sh: vec4<f32>) {
  let v = bulge_start(${T('lo', 'lo')}, ${T('lo', 'lo + 1')}, ${T('lo + 1', 'lo')}, ${T('lo + 1', 'lo + 1')}, ${T('lo + 2', 'lo + 1')}, sh);
  var x = v.x; var y = v.y; var z = v.z;
  for (var k = lo; k <= hi - 2; k++) {
    let h = reflector(x, y, z);
    if (h.w != 0.0) {
      ${left('k', ['max(lo, k - 1)', full ? 'N - 1' : 'hi'], 3)}
      ${right(T, 'k', [full ? '0' : 'lo', 'min(k + 3, hi)'], 3)}
      ${full ? right(Z, 'k', ['0', 'N - 1'], 3) : ''}
    }
    x = ${T('k + 1', 'k')};
    y = ${T('k + 2', 'k')};
    if (k < hi - 2) { z = ${T('k + 3', 'k')}; }
  }
  {
    let h = reflector(x, y, 0.0);
    if (h.w != 0.0) {
      ${left('hi - 1', ['hi - 2', full ? 'N - 1' : 'hi'], 2)}
      ${right(T, 'hi - 1', [full ? '0' : 'lo', 'hi'], 2)}
      ${full ? right(Z, 'hi - 1', ['0', 'N - 1'], 2) : ''}
    }
  }
  for (var i = lo + 2; i <= hi; i++) {
    for (var j = lo; j <= i - 2; j++) { ${T('i', 'j')} = 0.0; }
  }
}

// Standardizes the 2×2 block at p, p+1 (and, when kept, the rest of T and Z).
fn standardize(p: i32) {
  let q = p + 1;
  let s = std2x2(${T('p', 'p')}, ${T('p', 'q')}, ${T('q', 'p')}, ${T('q', 'q')});
  ${T('p', 'p')} = s.a; ${T('p', 'q')} = s.b; ${T('q', 'p')} = s.c; ${T('q', 'q')} = s.d;
  ${full ? `for (var j = q + 1; j < N; j++) ${rotate(T('p', 'j'), T('q', 'j'))}
  for (var i = 0; i < p; i++) ${rotate(T('i', 'p'), T('i', 'q'))}
  for (var i = 0; i < N; i++) ${rotate(Z('i', 'p'), Z('i', 'q'))}` : ''}
}

// Francis QR to real Schur form; false when a block does not deflate within the cap.
fn francis() -> bool {
  // subdiagonal entries below this count as zero even next to a tiny diagonal (LAPACK's SMLNUM)
  let small_num = SAFE_MIN * (f32(N) / EPS);
  let max_its = i32(params[4]);
  var hi = N - 1;
  var its = 0;
  loop {
    if (hi < 0) { break; }
    ${deflationScanWgsl(T)}
    if (lo == hi) { hi -= 1; its = 0; continue; }
    if (lo == hi - 1) { standardize(lo); hi -= 2; its = 0; continue; }
    if (its >= max_its) { return false; }
    var sh: vec4<f32>;
    ${pickShiftsWgsl(T, 'sh')}
    francis_step(lo, hi, sh);
    its += 1;
  }
  return true;
}

// Eigenvalues off the standardized Schur form, and each one's place in the sorted output.
fn eigenvalues() {
  for (var i = 0; i < N; i++) {
    if (i + 1 < N && ${T('i + 1', 'i')} != 0.0) {
      let im = sqrt(abs(${T('i', 'i + 1')})) * sqrt(abs(${T('i + 1', 'i')}));
      ${WR('i')} = ${T('i', 'i')}; ${WR('i + 1')} = ${T('i + 1', 'i + 1')};
      ${WI('i')} = im; ${WI('i + 1')} = -im;
      i += 1;
    } else {
      ${WR('i')} = ${T('i', 'i')}; ${WI('i')} = 0.0;
    }
  }
  for (var k = 0; k < N; k++) {
    let rk = ${WR('k')}; let ik = ${WI('k')};
    let mk = rk * rk + ik * ik;
    var r = 0;
    for (var j = 0; j < N; j++) {
      let rj = ${WR('j')}; let ij = ${WI('j')};
      let mj = rj * rj + ij * ij;
      if (mj > mk || (mj == mk && (rj > rk || (rj == rk && (ij > ik || (ij == ik && j < k)))))) { r += 1; }
    }
    ${slot('oP', 'k')} = f32(r);
  }
}
${full ? vectorsWgsl(mode) : ''}

${perMatrixMain(`
  N = i32(params[3]);
  NN = N * N;
  rsn = N * cnt;
  zb = NN * cnt + mb;
  oH = ${full ? 2 : 1} * NN; oWR = oH + N; oWI = oWR + N; oD = oWI + N; oP = oD + N;
  oXR = oP + N; oXI = oXR + N; oYR = oXI + N; oYI = oYR + N;
  let rows = ${mode === 'values' ? '1' : mode === 'right' ? '1 + N' : '1 + 2 * N'};
  let base = b * NN;
  let ob = b * rows * N * 2;
  var mx = 0.0;
  var finite = true;
  for (var e = 0; e < NN; e++) {
    let x = in0[base + e];
    finite = finite && is_finite(x);
    mx = max(mx, abs(x));
  }
  if (!finite) {
    report(${STATUS_NONFINITE}u, u32(b));
    for (var e = 0; e < rows * N * 2; e++) { out[ob + e] = nan_f32(); }
    return;
  }
  let c = pow2_scale(mx);
  for (var i = 0; i < N; i++) {
    for (var j = 0; j < N; j++) {
      ${T('i', 'j')} = in0[base + i * N + j] * c;
      ${full ? `${Z('i', 'j')} = select(0.0, 1.0, i == j);` : ''}
    }
  }
  balance();
  hessenberg();
  if (!francis()) {
    report(${STATUS_NO_CONVERGENCE}u, u32(b));
    for (var e = 0; e < rows * N * 2; e++) { out[ob + e] = nan_f32(); }
    return;
  }
  eigenvalues();
  let ic = 1.0 / c;
  for (var k = 0; k < N; k++) {
    let p = ${POS('k')};
    out[ob + 2 * p] = ${WR('k')} * ic;
    out[ob + 2 * p + 1] = ${WI('k')} * ic;
  }
  ${full ? 'vectors(ob);' : ''}`)}
`;
}

/**
 * Right (and left) eigenvectors of the quasi-triangular T by substitution, taken back to A
 * through Z and the balancing, normalized to unit 2-norm with the largest-magnitude component
 * real and positive (as the reference).
 */
function vectorsWgsl(mode: EigMode): string {
  const X = (i: string) => `vec2<f32>(${slot('oXR', i)}, ${slot('oXI', i)})`;
  const setX = (i: string, v: string) => `{ let xv_ = ${v}; ${slot('oXR', i)} = xv_.x; ${slot('oXI', i)} = xv_.y; }`;
  const Y = (i: string) => `vec2<f32>(${slot('oYR', i)}, ${slot('oYI', i)})`;
  const cT = (i: string, j: string) => `vec2<f32>(${T(i, j)}, 0.0)`;
  return `
fn frob_t() -> f32 {
  var mx = 0.0;
  for (var e = 0; e < NN; e++) { mx = max(mx, abs(${T('0', 'e')})); }
  if (mx == 0.0) { return 0.0; }
  var s = 0.0;
  for (var e = 0; e < NN; e++) { let x = ${T('0', 'e')} / mx; s += x * x; }
  return mx * sqrt(s);
}
// a (nearly) zero divisor means a repeated eigenvalue: replace it by a tiny one (as LAPACK)
fn guard(d: vec2<f32>, small: f32) -> vec2<f32> {
  return select(d, vec2<f32>(small, 0.0), length(d) < small);
}
// [[m11, m12], [m21, m22]]·[x1, x2] = [r1, r2] by Cramer's rule
fn solve2(m11: vec2<f32>, m12: vec2<f32>, m21: vec2<f32>, m22: vec2<f32>, r1: vec2<f32>, r2: vec2<f32>, small: f32) -> mat2x2<f32> {
  let det = guard(cmul(m11, m22) - cmul(m12, m21), small * small);
  return mat2x2<f32>(cdiv(cmul(r1, m22) - cmul(m12, r2), det), cdiv(cmul(m11, r2) - cmul(m21, r1), det));
}
// rescale a vector whose entries grew huge (near-defective λ) while a division by a pivot
// (≥ ε·‖T‖) and a sum of n terms still cannot overflow float32
fn limit_growth() {
  var mx = 0.0;
  for (var i = 0; i < N; i++) { mx = max(mx, max(abs(${slot('oXR', 'i')}), abs(${slot('oXI', 'i')}))); }
  if (mx > 1e18) { for (var i = 0; i < N; i++) { ${slot('oXR', 'i')} /= mx; ${slot('oXI', 'i')} /= mx; } }
}
// the eigenvector of the diagonal block (m12, m21: its off-diagonal entries) at k
fn seed(k: i32, m12: f32, m21: f32) {
  for (var i = 0; i < N; i++) { ${setX('i', 'vec2<f32>(0.0)')} }
  let wi = ${WI('k')};
  if (wi == 0.0) { ${setX('k', 'vec2<f32>(1.0, 0.0)')} return; }
  if (abs(m12) >= abs(m21)) { ${setX('k', 'vec2<f32>(1.0, 0.0)')} ${setX('k + 1', 'vec2<f32>(0.0, wi / m12)')} }
  else { ${setX('k', 'vec2<f32>(0.0, wi / m21)')} ${setX('k + 1', 'vec2<f32>(1.0, 0.0)')} }
}
// T·y = λy solved upward from the eigenvalue's block; returns the block's last index
fn right_schur(k: i32, small: f32) -> i32 {
  let lam = vec2<f32>(${WR('k')}, ${WI('k')});
  let pair = lam.y != 0.0;
  seed(k, select(0.0, ${T('k', 'min(k + 1, N - 1)')}, pair), select(0.0, ${T('min(k + 1, N - 1)', 'k')}, pair));
  let be = select(k, k + 1, pair);
  var i = k - 1;
  loop {
    if (i < 0) { break; }
    if (i > 0 && ${T('i', 'i - 1')} != 0.0) {
      let p = i - 1;
      var r1 = vec2<f32>(0.0); var r2 = vec2<f32>(0.0);
      for (var j = i + 1; j <= be; j++) { let x = ${X('j')}; r1 -= ${T('p', 'j')} * x; r2 -= ${T('i', 'j')} * x; }
      let x = solve2(${cT('p', 'p')} - lam, ${cT('p', 'i')}, ${cT('i', 'p')}, ${cT('i', 'i')} - lam, r1, r2, small);
      ${setX('p', 'x[0]')} ${setX('i', 'x[1]')}
      i -= 2;
    } else {
      var r = vec2<f32>(0.0);
      for (var j = i + 1; j <= be; j++) { r -= ${T('i', 'j')} * ${X('j')}; }
      ${setX('i', `cdiv(r, guard(${cT('i', 'i')} - lam, small))`)}
      i -= 1;
    }
    limit_growth();
  }
  return be;
}
// Tᵀ·s = λs solved downward from the eigenvalue's block
fn left_schur(k: i32, small: f32) {
  let lam = vec2<f32>(${WR('k')}, ${WI('k')});
  let pair = lam.y != 0.0;
  seed(k, select(0.0, ${T('min(k + 1, N - 1)', 'k')}, pair), select(0.0, ${T('k', 'min(k + 1, N - 1)')}, pair));
  var i = select(k, k + 1, pair) + 1;
  loop {
    if (i >= N) { break; }
    if (i + 1 < N && ${T('i + 1', 'i')} != 0.0) {
      let q = i + 1;
      var r1 = vec2<f32>(0.0); var r2 = vec2<f32>(0.0);
      for (var j = k; j < i; j++) { let x = ${X('j')}; r1 -= ${T('j', 'i')} * x; r2 -= ${T('j', 'q')} * x; }
      let x = solve2(${cT('i', 'i')} - lam, ${cT('q', 'i')}, ${cT('i', 'q')}, ${cT('q', 'q')} - lam, r1, r2, small);
      ${setX('i', 'x[0]')} ${setX('q', 'x[1]')}
      i += 2;
    } else {
      var r = vec2<f32>(0.0);
      for (var j = k; j < i; j++) { r -= ${T('j', 'i')} * ${X('j')}; }
      ${setX('i', `cdiv(r, guard(${cT('i', 'i')} - lam, small))`)}
      i += 1;
    }
    limit_growth();
  }
}
// y = D^(±1)·W·x (x nonzero in l0…l1), normalized, written (and its conjugate, for a pair) at
// row r0 of the packed output; conj: the left vector is conjugated.
fn emit(ob: i32, k: i32, l0: i32, l1: i32, r0: i32, inv_scale: bool, conj: bool) {
  var largest = 0.0; var lr = 0;
  var is_real = true;
  for (var i = 0; i < N; i++) {
    var s = vec2<f32>(0.0);
    for (var l = l0; l <= l1; l++) { s += ${Z('i', 'l')} * ${X('l')}; }
    s *= select(${DSC('i')}, 1.0 / ${DSC('i')}, inv_scale);
    if (conj) { s.y = -s.y; }
    ${slot('oYR', 'i')} = s.x; ${slot('oYI', 'i')} = s.y;
    let m = hypot2(s.x, s.y);
    if (m > largest) { largest = m; lr = i; }
    if (s.y != 0.0) { is_real = false; }
  }
  if (largest == 0.0) { largest = 1.0; }
  var ss = 0.0;
  for (var i = 0; i < N; i++) { let u = ${Y('i')} / largest; ss += dot(u, u); }
  let nrm = largest * sqrt(ss);
  let yl = ${Y('lr')};
  var ph = vec2<f32>(select(1.0, -1.0, yl.x < 0.0) / nrm, 0.0);
  if (!is_real) { ph = vec2<f32>(yl.x, -yl.y) / largest / nrm; }
  let pair = ${WI('k')} != 0.0;
  let pk = ${POS('k')};
  let pk1 = select(pk, ${POS('min(k + 1, N - 1)')}, pair);
  for (var i = 0; i < N; i++) {
    var v = cmul(${Y('i')}, ph);
    if (is_real || i == lr) { v.y = 0.0; }
    let o = ob + ((r0 + i) * N + pk) * 2;
    out[o] = v.x; out[o + 1] = v.y;
    if (pair) {
      let o2 = ob + ((r0 + i) * N + pk1) * 2;
      out[o2] = v.x; out[o2 + 1] = -v.y;
    }
  }
}
fn vectors(ob: i32) {
  let small = max(EPS * frob_t(), SAFE_MIN);
  for (var k = 0; k < N; k++) {
    let be = right_schur(k, small);
    emit(ob, k, 0, be, 1, false, false);
    ${mode === 'both' ? `left_schur(k, small);
    emit(ob, k, k, N - 1, 1 + N, true, true);` : ''}
    if (${WI('k')} != 0.0) { k += 1; }
  }
}
`;
}

/** Scratch words per matrix. */
const eigScratch = (n: number, mode: EigMode) => (mode === 'values' ? n * n + 5 * n : 2 * n * n + 9 * n);

/** Records the dispatch: a [..., n, n] → out [..., rows, n, 2] (see eigRows); failures to `status`. */
/** Which kernel computes eigenvalues only: chosen per adapter and size, or forced (tests, benchmarks). */
export type EigvalsPath = 'auto' | 'thread' | 'workgroup';
let forcedPath: EigvalsPath = 'auto';
export function setEigvalsPath(path: EigvalsPath): void {
  forcedPath = path;
}

const software = new WeakMap<GpuRuntime, boolean>();
/** A CPU implementation of WebGPU (lavapipe/llvmpipe, SwiftShader, WARP), where barriers are dear. */
export function isSoftware(rt: GpuRuntime): boolean {
  let s = software.get(rt);
  if (s === undefined) {
    const info = rt.adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
    s = !!info.isFallbackAdapter || /llvmpipe|lavapipe|swiftshader|warp|software/i.test(`${info.vendor} ${info.architecture} ${info.device} ${info.description}`);
    software.set(rt, s);
  }
  return s;
}

/**
 * One workgroup per matrix (the matrix in workgroup memory) or one thread per matrix (global
 * scratch). Measured, eigenvalues only: on an H100, the workgroup kernel was 2–9× faster for
 * n ≥ 8 up to a few thousand matrices, and on par or slower for 10⁴ matrices of n ≤ 16; on
 * lavapipe (two CPU cores) one thread per matrix was faster everywhere (3–10× for 1000 matrices).
 */
export function eigvalsPath(rt: GpuRuntime, n: number, count: number): 'thread' | 'workgroup' {
  const bytes = workgroupBytes(n);
  const fits = bytes !== null && bytes <= rt.limits.maxComputeWorkgroupStorageSize && workgroupThreads(n)! <= rt.limits.maxComputeInvocationsPerWorkgroup;
  if (!fits) return 'thread'; // the global-memory path beyond what workgroup memory holds
  if (forcedPath !== 'auto') return forcedPath;
  if (isSoftware(rt)) return 'thread';
  return n >= 32 || count <= 4096 ? 'workgroup' : 'thread';
}

/** maxIterations: Francis steps allowed per deflation (default eigMaxIterations(n)). */
export function launchEig(rt: GpuRuntime, a: GpuArg, out: GpuArg, status: GPUBuffer, mode: EigMode, maxIterations?: number): void {
  const n = a.shape[a.shape.length - 1]!;
  const count = a.size / (n * n);
  const cap = maxIterations ?? eigMaxIterations(n);
  if (mode === 'values' && eigvalsPath(rt, n, count) === 'workgroup') return launchEigWorkgroup(rt, a, out, status, cap);
  dispatchPerMatrix(rt, {
    wgsl: eigWgsl(mode),
    inputs: [a.buffer],
    out: out.buffer,
    status,
    count,
    scratchFloats: eigScratch(n, mode),
    params: [n, cap],
    label: `eig(${mode})`,
  });
}
