/**
 * WGSL pieces shared by the batched linear-algebra kernels (one matrix per thread or per
 * workgroup): bindings with a status buffer, float32 constants, finiteness and power-of-2
 * scaling, complex arithmetic, and LAPACK's 2×2 standardization (dlanv2).
 */

import { nanWgsl, reportFirstWgsl } from '../status.js';

/** float32 machine epsilon (2^-23), the spacing of floats in [1, 2): LAPACK's dlamch('P'). */
export const F32_EPS = 1.1920929e-7;
/** Smallest positive normal float32. */
export const F32_SAFE_MIN = 1.1754944e-38;

/** Status codes a kernel reports per matrix (see status.ts). */
export const STATUS_NONFINITE = 0;
export const STATUS_NO_CONVERGENCE = 1;
/** a linear system that is singular (Lyapunov: some λᵢ·λⱼ = 1), or a derivative that does not exist */
export const STATUS_SINGULAR = 2;
export const STATUS_CODES = 3;

/**
 * params (u32) at 0, inputs in0… (read), out (read_write), status (atomic u32), and optionally
 * a scratch buffer for matrices that do not fit private or workgroup memory.
 */
export function linalgBindings(inputs: number, scratch: boolean): string {
  const lines = ['@group(0) @binding(0) var<storage, read> params: array<u32>;'];
  for (let i = 0; i < inputs; i++) lines.push(`@group(0) @binding(${i + 1}) var<storage, read> in${i}: array<f32>;`);
  lines.push(`@group(0) @binding(${inputs + 1}) var<storage, read_write> out: array<f32>;`);
  lines.push(`@group(0) @binding(${inputs + 2}) var<storage, read_write> status: array<atomic<u32>>;`);
  if (scratch) lines.push(`@group(0) @binding(${inputs + 3}) var<storage, read_write> scr: array<f32>;`);
  return lines.join('\n');
}

/** Float literal that WGSL parses as f32 (always with a decimal point or exponent). */
export const f32 = (x: number) => Math.fround(x).toExponential(9);

export const prelude = `
const EPS: f32 = ${f32(F32_EPS)};
const SAFE_MIN: f32 = ${f32(F32_SAFE_MIN)};
${nanWgsl}
${reportFirstWgsl}
// WGSL lets a compiler assume there are no NaN or Inf, so test the exponent bits instead.
fn is_finite(x: f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }
// The power of 2, c, with c·m in [1, 2) (exact scaling; m > 0 finite).
fn pow2_scale(m: f32) -> f32 {
  if (m == 0.0) { return 1.0; }
  let e = i32((bitcast<u32>(m) >> 23u) & 0xffu);
  return bitcast<f32>(u32(clamp(254 - max(e, 1), 1, 254)) << 23u);
}
fn sgn(x: f32) -> f32 { return select(-1.0, 1.0, x >= 0.0); }
fn hypot2(x: f32, y: f32) -> f32 {
  let m = max(abs(x), abs(y));
  if (m == 0.0) { return 0.0; }
  let u = x / m; let v = y / m;
  return m * sqrt(u * u + v * v);
}
// Shifts (r1, i1, r2, i2) from a 2×2 block, as LAPACK's dlahqr (and the float64 reference):
// its eigenvalues when complex, else the one closer to b22 twice.
fn shifts_of(b11: f32, b12: f32, b21: f32, b22: f32) -> vec4<f32> {
  let s = abs(b11) + abs(b12) + abs(b21) + abs(b22);
  if (s == 0.0) { return vec4<f32>(0.0); }
  let h11 = b11 / s; let h12 = b12 / s; let h21 = b21 / s; let h22 = b22 / s;
  let tr = (h11 + h22) * 0.5;
  let det = (h11 - tr) * (h22 - tr) - h12 * h21;
  let rd = sqrt(abs(det));
  if (det >= 0.0) { return vec4<f32>(tr * s, rd * s, tr * s, -rd * s); }
  let r = select(tr - rd, tr + rd, abs(tr + rd - h22) <= abs(tr - rd - h22)) * s;
  return vec4<f32>(r, 0.0, r, 0.0);
}
// First column (x, y, w) of (H − σ₁)(H − σ₂) at the window's corner, in factored form: the
// expanded H² − (σ₁+σ₂)H + σ₁σ₂ cancels catastrophically when the window's eigenvalues cluster.
fn bulge_start(h00: f32, h01: f32, h10: f32, h11: f32, h21: f32, sh: vec4<f32>) -> vec3<f32> {
  let s = abs(h00 - sh.z) + abs(sh.w) + abs(h10);
  if (s == 0.0) { return vec3<f32>(0.0); }
  let h10s = h10 / s;
  return vec3<f32>(h10s * h01 + (h00 - sh.x) * ((h00 - sh.z) / s) - sh.y * (sh.w / s), h10s * (h00 + h11 - sh.x - sh.z), h10s * h21);
}
// Marks matrix b as failed with a code: a flag and the first failing matrix.
fn report(code: u32, b: u32) {
  atomicMax(&status[2u * code], 1u);
  report_first(2u * code + 1u, b);
}
fn cmul(x: vec2<f32>, y: vec2<f32>) -> vec2<f32> { return vec2<f32>(x.x * y.x - x.y * y.y, x.x * y.y + x.y * y.x); }
// x / y by Smith's algorithm (no needless overflow).
fn cdiv(x: vec2<f32>, y: vec2<f32>) -> vec2<f32> {
  if (abs(y.x) >= abs(y.y)) {
    let r = y.y / y.x; let den = y.x + y.y * r;
    return vec2<f32>((x.x + x.y * r) / den, (x.y - x.x * r) / den);
  }
  let r = y.x / y.y; let den = y.x * r + y.y;
  return vec2<f32>((x.x * r + x.y) / den, (x.y * r - x.x) / den);
}
`;

/**
 * LAPACK's dlanv2, as in solvers/linalg/reference/francis.ts: the Schur factorization of a
 * real 2×2 block in standard form, with the rotation [[cs, −sn], [sn, cs]] that produces it.
 */
export const standardize2x2Wgsl = `
struct Std2 { a: f32, b: f32, c: f32, d: f32, cs: f32, sn: f32 }
fn std2x2(A: f32, B: f32, C: f32, D: f32) -> Std2 {
  var a = A; var b = B; var c = C; var d = D; var cs = 1.0; var sn = 0.0;
  if (c == 0.0) {
  } else if (b == 0.0) {
    cs = 0.0; sn = 1.0; let tmp = a; a = d; d = tmp; b = -c; c = 0.0;
  } else if (a - d == 0.0 && sgn(b) != sgn(c)) {
    d = a;
  } else {
    let diff = a - d;
    var p = 0.5 * diff;
    let bcmax = max(abs(b), abs(c));
    let bcmis = min(abs(b), abs(c)) * sgn(b) * sgn(c);
    let scale = max(abs(p), bcmax);
    var zz = (p / scale) * p + (bcmax / scale) * bcmis;
    if (zz >= 4.0 * EPS * scale) {
      zz = p + sgn(p) * sqrt(scale) * sqrt(zz);
      a = d + zz;
      d = d - (bcmax / zz) * bcmis;
      let tau = hypot2(c, zz);
      cs = zz / tau; sn = c / tau; b = b - c; c = 0.0;
    } else {
      let sigma = b + c;
      let tau = hypot2(sigma, diff);
      cs = sqrt(0.5 * (1.0 + abs(sigma) / tau));
      sn = -(p / (tau * cs)) * sgn(sigma);
      let aa = a * cs + b * sn; let bb = -a * sn + b * cs;
      let cc = c * cs + d * sn; let dd = -c * sn + d * cs;
      a = aa * cs + cc * sn; b = bb * cs + dd * sn;
      c = -aa * sn + cc * cs; d = -bb * sn + dd * cs;
      let mean = 0.5 * (a + d); a = mean; d = mean;
      if (c != 0.0) {
        if (b != 0.0) {
          if (sgn(b) == sgn(c)) {
            let sab = sqrt(abs(b)); let sac = sqrt(abs(c));
            p = sgn(c) * sab * sac;
            let itau = 1.0 / sqrt(abs(b + c));
            a = mean + p; d = mean - p; b = b - c; c = 0.0;
            let cs1 = sab * itau; let sn1 = sac * itau;
            let ncs = cs * cs1 - sn * sn1; sn = cs * sn1 + sn * cs1; cs = ncs;
          }
        } else {
          b = -c; c = 0.0; let ocs = cs; cs = -sn; sn = ocs;
        }
      }
    }
  }
  return Std2(a, b, c, d, cs, sn);
}
`;

/**
 * Per-matrix working storage lives in a global scratch buffer interleaved by matrix: word w of
 * matrix b at w·cnt + mb, so that neighbouring threads touch neighbouring words. (On lavapipe,
 * 1000 matrices of 16×16: ~45 ms this way; private arrays ~140 ms with one thread per workgroup
 * and ~4 s with eight, as the driver gathers them lane by lane.) Sizes are runtime values, so
 * that one pipeline serves every n.
 */
export const scratchDecls = 'var<private> cnt: i32;\nvar<private> mb: i32;';

/** WGSL lvalue of word `idx` of the scratch region starting at word `off` (i32 expressions). */
export const slot = (off: string, idx: string) => `scr[(${off} + (${idx})) * cnt + mb]`;

/** WGSL lvalue of element (i, j) of a row-major matrix with `cols` columns at scratch word `off`. */
export const element = (off: string, cols: string, i: string, j: string) => slot(off, `(${i}) * ${cols} + (${j})`);

/**
 * Threads per workgroup for one-thread-per-matrix kernels: on lavapipe, 1000 matrices of 16×16
 * ran ~45 ms with 8, ~65 ms with 16 or 64 (more workgroups keep both cores busy).
 */
export const THREAD_WG = 8;

/**
 * WGSL of the entry point: b (i32) is this thread's matrix, in [first, end) of params[1], params[0];
 * a global scratch slice holds params[2] matrices, this one at mb = b − first.
 */
export function perMatrixMain(body: string, scratch = true): string {
  return `@compute @workgroup_size(${THREAD_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let b = i32(gid.x + gid.y * nwg.x * ${THREAD_WG}u) + i32(params[1]);
  if (b >= i32(params[0])) { return; }
  ${scratch ? 'cnt = i32(params[2]); mb = b - i32(params[1]);' : ''}
${body}
}`;
}

/**
 * Householder reflector I − β·v·vᵀ (v = h.xyz, β = h.w) that maps (x, y, z) to a multiple of e₀;
 * β = 0 when the tail is already zero.
 */
export const reflectorWgsl = `
fn reflector(x: f32, y: f32, z: f32) -> vec4<f32> {
  let tail = max(abs(y), abs(z));
  if (tail == 0.0) { return vec4<f32>(0.0); }
  let m = max(abs(x), tail);
  var v = vec3<f32>(x, y, z) / m;
  let nrm = sqrt(dot(v, v));
  v.x -= select(nrm, -nrm, v.x >= 0.0);
  return vec4<f32>(v, 2.0 / dot(v, v));
}
`;

type MatrixAt = (i: string, j: string) => string;

/**
 * WGSL of the Francis iteration's deflation scan (shared by the one-thread and the workgroup
 * kernels, whose matrices live in different storage, read through T): sets `lo` to the start of
 * the unreduced window ending at `hi`, zeroing the negligible subdiagonal entry found (LAPACK's
 * test, with the neighbouring subdiagonals standing in for a zero diagonal).
 */
export const deflationScanWgsl = (T: MatrixAt) => `var lo = 0;
    for (var k = hi; k > 0; k--) {
      let sub = abs(${T('k', 'k - 1')});
      var sc = abs(${T('k - 1', 'k - 1')}) + abs(${T('k', 'k')});
      if (sc == 0.0) {
        if (k >= 2) { sc += abs(${T('k - 1', 'k - 2')}); }
        if (k + 1 <= hi) { sc += abs(${T('k + 1', 'k')}); }
      }
      if (sub <= max(small_num, EPS * sc)) { ${T('k', 'k - 1')} = 0.0; lo = k; break; }
    }`;

/**
 * WGSL that sets `target` (a vec4 of shifts) for the Francis step `its` on the window lo…hi: an
 * exceptional shift (EISPACK/LAPACK) every 10 steps, from the window's top and bottom in turn,
 * which breaks cycles; else the eigenvalues of the trailing 2×2 block (Wilkinson).
 */
export const pickShiftsWgsl = (T: MatrixAt, target: string) => `if (its > 0 && its % 10 == 0) {
      let top = (its / 10) % 2 == 1;
      let s = select(abs(${T('hi', 'hi - 1')}) + abs(${T('hi - 1', 'hi - 2')}), abs(${T('lo + 1', 'lo')}) + abs(${T('lo + 2', 'lo + 1')}), top);
      let h11 = 0.75 * s + select(${T('hi', 'hi')}, ${T('lo', 'lo')}, top);
      ${target} = shifts_of(h11, -0.4375 * s, s, h11);
    } else {
      let p = hi - 1;
      ${target} = shifts_of(${T('p', 'p')}, ${T('p', 'hi')}, ${T('hi', 'p')}, ${T('hi', 'hi')});
    }`;

/**
 * WGSL of Parlett–Reinsch balancing sweeps by powers of 2 (exact) on the matrix read through T;
 * `scaled(i)` is a statement run with f when row i is divided and column i multiplied by f.
 */
export const balanceSweepsWgsl = (T: MatrixAt, scaled: (i: string) => string = () => '') => `var changed = true;
  for (var sweep = 0; sweep < 64 && changed; sweep++) {
    changed = false;
    for (var i = 0; i < N; i++) {
      var cn = 0.0; var rn = 0.0;
      for (var j = 0; j < N; j++) { if (j != i) { cn += abs(${T('j', 'i')}); rn += abs(${T('i', 'j')}); } }
      if (cn == 0.0 || rn == 0.0) { continue; }
      var f = 1.0; var sc = cn;
      for (var g = 0; g < 128 && sc < rn * 0.5; g++) { f *= 2.0; sc *= 4.0; }
      for (var g = 0; g < 128 && sc > rn * 2.0; g++) { f *= 0.5; sc *= 0.25; }
      if ((sc + rn) / f < 0.95 * (cn + rn)) {
        changed = true;
        ${scaled('i')}
        let inv = 1.0 / f;
        for (var j = 0; j < N; j++) { ${T('i', 'j')} *= inv; }
        for (var j = 0; j < N; j++) { ${T('j', 'i')} *= f; }
      }
    }
  }`;
