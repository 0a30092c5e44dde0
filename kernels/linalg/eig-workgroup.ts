/**
 * Eigenvalues of real nonsymmetric n×n matrices, ONE WORKGROUP PER MATRIX, the matrix in
 * workgroup memory: the same algorithm as eig.ts (balancing, Householder Hessenberg, Francis
 * double-shift QR with deflation and exceptional shifts, standardized 2×2 blocks), with the
 * reflector updates spread over the threads (columns for updates from the left, rows for
 * those from the right) and the scalar decisions (deflation, shifts, balancing) taken by
 * thread 0. Two barriers per bulge-chase step.
 *
 * For few matrices (a batch smaller than the device's parallelism) this has far more threads at
 * work than one thread per matrix; for many matrices on a software driver, which pays for every
 * barrier, one thread per matrix is faster (see eigvalsPath in eig.ts).
 */

import type { GpuArg, GpuRuntime } from '../../engine/webgpu/runtime.js';
import { balanceSweepsWgsl, deflationScanWgsl, pickShiftsWgsl, STATUS_NONFINITE, STATUS_NO_CONVERGENCE, linalgBindings, prelude, standardize2x2Wgsl, reflectorWgsl } from './common.js';

/** Largest n of each pipeline, and its threads per workgroup. */
const BUCKETS = [
  { maxN: 32, wg: 32 },
  { maxN: 64, wg: 64 },
];

/** Threads per workgroup for n, or null beyond the largest bucket. */
export const workgroupThreads = (n: number) => BUCKETS.find((b) => n <= b.maxN)?.wg ?? null;

/** Workgroup memory the kernel needs for n (the matrix, one vector, a few scalars). */
export function workgroupBytes(n: number): number | null {
  const bucket = BUCKETS.find((b) => n <= b.maxN);
  return bucket ? 4 * (bucket.maxN * bucket.maxN + bucket.maxN + 16) : null;
}

export function eigWorkgroupWgsl(maxN: number, wg: number): string {
  const T = (i: string, j: string) => `tw[(${i}) * N + (${j})]`;
  // columns j ∈ [c0, c1] of rows r0, r0+1 (, r0+2) ← P·(…), spread over the threads
  const left = (r0: string, c0: string, c1: string, len: 2 | 3) => `
    for (var j = ${c0} + li; j <= ${c1}; j += ${wg}) {
      let s = h.w * (h.x * ${T(r0, 'j')} + h.y * ${T(`${r0} + 1`, 'j')}${len === 3 ? ` + h.z * ${T(`${r0} + 2`, 'j')}` : ''});
      ${T(r0, 'j')} -= s * h.x; ${T(`${r0} + 1`, 'j')} -= s * h.y;${len === 3 ? ` ${T(`${r0} + 2`, 'j')} -= s * h.z;` : ''}
    }
    workgroupBarrier();`;
  const right = (c0: string, r0: string, r1: string, len: 2 | 3) => `
    for (var i = ${r0} + li; i <= ${r1}; i += ${wg}) {
      let s = h.w * (h.x * ${T('i', c0)} + h.y * ${T('i', `${c0} + 1`)}${len === 3 ? ` + h.z * ${T('i', `${c0} + 2`)}` : ''});
      ${T('i', c0)} -= s * h.x; ${T('i', `${c0} + 1`)} -= s * h.y;${len === 3 ? ` ${T('i', `${c0} + 2`)} -= s * h.z;` : ''}
    }
    workgroupBarrier();`;
  return `${linalgBindings(1, false)}
${prelude}
${standardize2x2Wgsl}
var<workgroup> tw: array<f32, ${maxN * maxN}>;
var<workgroup> hv: array<f32, ${maxN}>;
var<workgroup> red: array<f32, ${wg}>;
// control words decided by thread 0: (action, lo, hi, unused) and the shifts
var<workgroup> ctl: vec4<i32>;
var<workgroup> shift: vec4<f32>;
var<workgroup> hbeta: vec4<f32>;
var<private> N: i32;

${reflectorWgsl}

// thread 0: Parlett–Reinsch balancing (O(n²) per sweep, a few sweeps)
fn balance() {
  ${balanceSweepsWgsl(T)}
}

// thread 0: the Householder vector of column k below the subdiagonal, into hv; β (0: skip), α·max
fn hess_reflector(k: i32) -> vec4<f32> {
  var mx = 0.0; var tail = 0.0;
  for (var i = k + 1; i < N; i++) {
    let x = abs(${T('i', 'k')});
    mx = max(mx, x);
    if (i > k + 1) { tail = max(tail, x); }
  }
  if (tail == 0.0) { return vec4<f32>(0.0); }
  var ns = 0.0;
  for (var i = k + 1; i < N; i++) { let x = ${T('i', 'k')} / mx; hv[i] = x; ns += x * x; }
  let nrm = sqrt(ns);
  let alpha = select(nrm, -nrm, hv[k + 1] >= 0.0);
  hv[k + 1] -= alpha;
  var vs = 0.0;
  for (var i = k + 1; i < N; i++) { vs += hv[i] * hv[i]; }
  return vec4<f32>(2.0 / vs, alpha * mx, 0.0, 0.0);
}

// thread 0: find the active block, deflate what is done, pick the shifts; returns the action
// (0: keep going, 1: a Francis step on lo…hi, 2: finished, 3: no convergence)
fn control(small_num: f32, max_its: i32) {
  var hi = ctl.z;
  var its = ctl.w;
  loop {
    if (hi < 0) { ctl = vec4<i32>(2, 0, hi, its); return; }
    ${deflationScanWgsl(T)}
    if (lo == hi) { hi -= 1; its = 0; continue; }
    if (lo == hi - 1) {
      let p = lo; let q = lo + 1;
      let s = std2x2(${T('p', 'p')}, ${T('p', 'q')}, ${T('q', 'p')}, ${T('q', 'q')});
      ${T('p', 'p')} = s.a; ${T('p', 'q')} = s.b; ${T('q', 'p')} = s.c; ${T('q', 'q')} = s.d;
      hi -= 2; its = 0; continue;
    }
    if (its >= max_its) { ctl = vec4<i32>(3, lo, hi, its); return; }
    ${pickShiftsWgsl(T, 'shift')}
    ctl = vec4<i32>(1, lo, hi, its + 1);
    return;
  }
}

@compute @workgroup_size(${wg})
fn main(@builtin(local_invocation_index) lidx: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let li = i32(lidx);
  // workgroup_id is uniform, so a whole workgroup leaves together (no barrier is left waiting)
  let b = i32(wid.x + wid.y * nwg.x);
  if (b >= i32(params[0])) { return; }
  // params: count, −, −, n, maxIterations; n from a read-only buffer is uniform, as loops with barriers need
  let n = i32(params[3]);
  N = n;
  let NN = n * n;
  let base = b * NN;
  let ob = b * N * 2;
  var mx = 0.0;
  var finite = true;
  for (var e = li; e < NN; e += ${wg}) {
    let x = in0[base + e];
    tw[e] = x;
    finite = finite && is_finite(x);
    mx = max(mx, abs(x));
  }
  red[li] = select(-1.0, mx, finite);
  workgroupBarrier();
  if (li == 0) {
    var m = 0.0;
    for (var k = 0; k < ${wg}; k++) { m = select(-1.0, max(m, red[k]), m >= 0.0 && red[k] >= 0.0); }
    hbeta = vec4<f32>(m, 0.0, 0.0, 0.0);
  }
  let big = workgroupUniformLoad(&hbeta).x;
  if (big < 0.0) {
    if (li == 0) {
      report(${STATUS_NONFINITE}u, u32(b));
      for (var e = 0; e < 2 * n; e++) { out[ob + e] = nan_f32(); }
    }
    return;
  }
  let c = pow2_scale(big);
  for (var e = li; e < NN; e += ${wg}) { tw[e] *= c; }
  workgroupBarrier();
  if (li == 0) { balance(); }
  workgroupBarrier();

  for (var k = 0; k + 2 < n; k++) {
    if (li == 0) { hbeta = hess_reflector(k); }
    let hb = workgroupUniformLoad(&hbeta);
    if (hb.x == 0.0) { continue; }
    for (var j = k + 1 + li; j < n; j += ${wg}) {
      var d = 0.0;
      for (var i = k + 1; i < n; i++) { d += hv[i] * ${T('i', 'j')}; }
      d *= hb.x;
      for (var i = k + 1; i < N; i++) { ${T('i', 'j')} -= d * hv[i]; }
    }
    workgroupBarrier();
    for (var i = li; i < N; i += ${wg}) {
      var d = 0.0;
      for (var j = k + 1; j < N; j++) { d += ${T('i', 'j')} * hv[j]; }
      d *= hb.x;
      for (var j = k + 1; j < N; j++) { ${T('i', 'j')} -= d * hv[j]; }
    }
    workgroupBarrier();
    if (li == 0) {
      ${T('k + 1', 'k')} = hb.y;
      for (var i = k + 2; i < N; i++) { ${T('i', 'k')} = 0.0; }
    }
  }

  let small_num = SAFE_MIN * (f32(N) / EPS);
  let max_its = i32(params[0 + 4]);
  if (li == 0) { ctl = vec4<i32>(0, 0, N - 1, 0); }
  loop {
    if (li == 0) { control(small_num, max_its); }
    let cw = workgroupUniformLoad(&ctl);
    if (cw.x != 1) { break; }
    let lo = cw.y; let hi = cw.z;
    let sh = shift;
    let v = bulge_start(${T('lo', 'lo')}, ${T('lo', 'lo + 1')}, ${T('lo + 1', 'lo')}, ${T('lo + 1', 'lo + 1')}, ${T('lo + 2', 'lo + 1')}, sh);
    var x = v.x; var y = v.y; var z = v.z;
    workgroupBarrier();
    for (var k = lo; k <= hi - 2; k++) {
      let h = reflector(x, y, z);
      ${left('k', 'max(lo, k - 1)', 'hi', 3)}
      ${right('k', 'lo', 'min(k + 3, hi)', 3)}
      x = ${T('k + 1', 'k')};
      y = ${T('k + 2', 'k')};
      if (k < hi - 2) { z = ${T('k + 3', 'k')}; }
      workgroupBarrier();
    }
    {
      let h = reflector(x, y, 0.0);
      ${left('hi - 1', 'hi - 2', 'hi', 2)}
      ${right('hi - 1', 'lo', 'hi', 2)}
    }
    if (li == 0) {
      for (var i = lo + 2; i <= hi; i++) { for (var j = lo; j <= i - 2; j++) { ${T('i', 'j')} = 0.0; } }
    }
  }
  let fin = workgroupUniformLoad(&ctl);
  if (li != 0) { return; }
  if (fin.x == 3) {
    report(${STATUS_NO_CONVERGENCE}u, u32(b));
    for (var e = 0; e < 2 * N; e++) { out[ob + e] = nan_f32(); }
    return;
  }
  // eigenvalues off the standardized Schur form into hv (re) and red (im), then sorted
  for (var i = 0; i < N; i++) {
    if (i + 1 < N && ${T('i + 1', 'i')} != 0.0) {
      let im = sqrt(abs(${T('i', 'i + 1')})) * sqrt(abs(${T('i + 1', 'i')}));
      hv[i] = ${T('i', 'i')}; hv[i + 1] = ${T('i + 1', 'i + 1')};
      red[i] = im; red[i + 1] = -im;
      i += 1;
    } else {
      hv[i] = ${T('i', 'i')}; red[i] = 0.0;
    }
  }
  let ic = 1.0 / c;
  for (var k = 0; k < N; k++) {
    let rk = hv[k]; let ik = red[k];
    let mk = rk * rk + ik * ik;
    var r = 0;
    for (var j = 0; j < N; j++) {
      let rj = hv[j]; let ij = red[j];
      let mj = rj * rj + ij * ij;
      if (mj > mk || (mj == mk && (rj > rk || (rj == rk && (ij > ik || (ij == ik && j < k)))))) { r += 1; }
    }
    out[ob + 2 * r] = rk * ic;
    out[ob + 2 * r + 1] = ik * ic;
  }
}
`;
}

/** Records the workgroup-per-matrix eigvals dispatch (n must fit a bucket, see workgroupBytes). */
export function launchEigWorkgroup(rt: GpuRuntime, a: GpuArg, out: GpuArg, status: GPUBuffer, maxIterations: number): void {
  const n = a.shape[a.shape.length - 1]!;
  const count = a.size / (n * n);
  const bucket = BUCKETS.find((bk) => n <= bk.maxN)!;
  rt.dispatch({
    wgsl: eigWorkgroupWgsl(bucket.maxN, bucket.wg),
    inputs: [a.buffer],
    outputs: [out.buffer, status],
    params: [count, 0, 0, n, maxIterations],
    workgroups: rt.grid(count, 1),
    label: 'eigvals (workgroup per matrix)',
  });
}
