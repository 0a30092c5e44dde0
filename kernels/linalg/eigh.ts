/**
 * Symmetric eigendecomposition by the cyclic Jacobi method, ONE THREAD PER MATRIX, as
 * solvers/linalg/reference/eigh.ts in float32: only the lower triangle is read; eigenvalues
 * ascending; each eigenvector's largest-magnitude component positive.
 * Output per matrix [n + 1, n]: row 0 the eigenvalues, rows 1… the eigenvectors as columns.
 */

import type { GpuArg, GpuRuntime } from '../../engine/webgpu/runtime.js';
import { STATUS_NONFINITE, STATUS_NO_CONVERGENCE, linalgBindings, perMatrixMain, prelude, scratchDecls, slot } from './common.js';
import { dispatchPerMatrix } from './launch.js';

export const EIGH_MAX_SWEEPS = 60;

// S at scratch word 0, V at N², strides computed once per thread (rsn = N·cnt per row)
const S = (i: string, j: string) => `scr[(${i}) * rsn + (${j}) * cnt + mb]`;
const V = (i: string, j: string) => `scr[(${i}) * rsn + (${j}) * cnt + vb]`;
const POS = (i: string) => slot('2 * N * N', i);

export function eighWgsl(): string {
  return `${linalgBindings(1, true)}
${prelude}
${scratchDecls}
var<private> N: i32;
var<private> rsn: i32;
var<private> vb: i32;

fn sweep(frob: f32) -> bool {
  var done = true;
  for (var p = 0; p < N - 1; p++) {
    for (var q = p + 1; q < N; q++) {
      let apq = ${S('p', 'q')};
      let app = ${S('p', 'p')};
      let aqq = ${S('q', 'q')};
      // negligible relative to its diagonal (keeps small eigenvalues accurate) or to the matrix
      if (abs(apq) <= EPS * sqrt(abs(app * aqq)) || abs(apq) <= EPS * EPS * frob) {
        ${S('p', 'q')} = 0.0; ${S('q', 'p')} = 0.0;
        continue;
      }
      done = false;
      let zeta = (aqq - app) / (2.0 * apq);
      let t = sgn(zeta) / (abs(zeta) + hypot2(1.0, zeta));
      let c = 1.0 / hypot2(1.0, t);
      let s = t * c;
      // S ← Jᵀ S J in one pass over the other rows, keeping S symmetric; the 2×2 block in
      // closed form (Rutishauser): a_pp − t·a_pq, a_qq + t·a_pq, and 0 off the diagonal
      for (var k = 0; k < N; k++) {
        if (k == p || k == q) { continue; }
        let mp = ${S('k', 'p')}; let mq = ${S('k', 'q')};
        let np = c * mp - s * mq; let nq = s * mp + c * mq;
        ${S('k', 'p')} = np; ${S('p', 'k')} = np; ${S('k', 'q')} = nq; ${S('q', 'k')} = nq;
      }
      ${S('p', 'p')} = app - t * apq;
      ${S('q', 'q')} = aqq + t * apq;
      for (var k = 0; k < N; k++) {
        let mp = ${V('k', 'p')}; let mq = ${V('k', 'q')};
        ${V('k', 'p')} = c * mp - s * mq; ${V('k', 'q')} = s * mp + c * mq;
      }
      ${S('p', 'q')} = 0.0; ${S('q', 'p')} = 0.0;
    }
  }
  return done;
}

${perMatrixMain(`
  N = i32(params[3]);
  rsn = N * cnt;
  vb = N * N * cnt + mb;
  let base = b * N * N;
  let ob = b * (N + 1) * N;
  var mx = 0.0;
  var finite = true;
  for (var i = 0; i < N; i++) {
    for (var j = 0; j <= i; j++) {
      let x = in0[base + i * N + j];
      finite = finite && is_finite(x);
      mx = max(mx, abs(x));
    }
  }
  if (!finite) {
    report(${STATUS_NONFINITE}u, u32(b));
    for (var e = 0; e < (N + 1) * N; e++) { out[ob + e] = nan_f32(); }
    return;
  }
  let c = pow2_scale(mx);
  var frob = 0.0;
  for (var i = 0; i < N; i++) {
    for (var j = 0; j < N; j++) {
      let x = c * in0[base + max(i, j) * N + min(i, j)];
      ${S('i', 'j')} = x;
      ${V('i', 'j')} = select(0.0, 1.0, i == j);
      frob += x * x;
    }
  }
  frob = sqrt(frob);
  var converged = false;
  for (var sw = 0; sw < ${EIGH_MAX_SWEEPS} && !converged; sw++) { converged = sweep(frob); }
  if (!converged) {
    report(${STATUS_NO_CONVERGENCE}u, u32(b));
    for (var e = 0; e < (N + 1) * N; e++) { out[ob + e] = nan_f32(); }
    return;
  }
  for (var k = 0; k < N; k++) {
    var r = 0;
    let dk = ${S('k', 'k')};
    for (var j = 0; j < N; j++) {
      let dj = ${S('j', 'j')};
      if (dj < dk || (dj == dk && j < k)) { r += 1; }
    }
    ${POS('k')} = f32(r);
  }
  let ic = 1.0 / c;
  for (var k = 0; k < N; k++) {
    let to = i32(${POS('k')});
    out[ob + to] = ${S('k', 'k')} * ic;
    var lr = 0;
    for (var i = 1; i < N; i++) { if (abs(${V('i', 'k')}) > abs(${V('lr', 'k')})) { lr = i; } }
    let sg = select(1.0, -1.0, ${V('lr', 'k')} < 0.0);
    for (var i = 0; i < N; i++) { out[ob + (1 + i) * N + to] = sg * ${V('i', 'k')}; }
  }`)}
`;
}

/** a [..., n, n] → out [..., n + 1, n]. */
export function launchEigh(rt: GpuRuntime, a: GpuArg, out: GpuArg, status: GPUBuffer): void {
  const n = a.shape[a.shape.length - 1]!;
  const count = a.size / (n * n);
  dispatchPerMatrix(rt, { wgsl: eighWgsl(), inputs: [a.buffer], out: out.buffer, status, count, scratchFloats: 2 * n * n + n, params: [n], label: 'eigh' });
}
