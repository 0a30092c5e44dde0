/**
 * Singular value decomposition by one-sided Jacobi (Hestenes), ONE THREAD PER MATRIX, as
 * solvers/linalg/reference/svd.ts in float32: for m < n it runs on Aᵀ and swaps U and V;
 * singular values descending; each right singular vector of that tall problem has its
 * largest-magnitude entry positive; zero singular values get orthonormal completions in U.
 * Output per matrix [k] (values) or [1 + m + n, k] (row 0 S, then U's m rows, then V's n rows).
 */

import type { GpuArg, GpuRuntime } from '../../engine/webgpu/runtime.js';
import { STATUS_NONFINITE, STATUS_NO_CONVERGENCE, linalgBindings, perMatrixMain, prelude, scratchDecls, slot } from './common.js';
import { dispatchPerMatrix } from './launch.js';

export const SVD_MAX_SWEEPS = 60;

// the tall problem: W (M×K, overwritten by the rotations) and V (K×K)
// (strides computed once per thread: rsk = K·cnt per row, V at scratch word M·K)
const W = (i: string, j: string) => `scr[(${i}) * rsk + (${j}) * cnt + mb]`;
const V = (i: string, j: string) => `scr[(${i}) * rsk + (${j}) * cnt + vb]`;
const NRM = (i: string) => slot('oN', i);
const POS = (i: string) => `i32(${slot('oN + K', i)})`;
const CX = (i: string) => slot('oN + 2 * K', i);
const BEST = (i: string) => slot('oN + 2 * K + M', i);
// output entry (i, j) of U' (the tall problem's U, M×K) and V' (K×K) in the packed output
const UOUT = (i: string, j: string) => `out[ob + (uRow0 + (${i})) * K + (${j})]`;

export function svdWgsl(vectors: boolean): string {
  return `${linalgBindings(1, true)}
${prelude}
${scratchDecls}
var<private> M: i32;
var<private> K: i32;
var<private> oN: i32;
var<private> rsk: i32;
var<private> vb: i32;

fn sweep() -> bool {
  var done = true;
  let tol = f32(M) * EPS; // cos∠ at the rounding level of the dot product itself
  for (var p = 0; p < K - 1; p++) {
    for (var q = p + 1; q < K; q++) {
      var alpha = 0.0; var beta = 0.0; var gamma = 0.0;
      for (var i = 0; i < M; i++) {
        let wp = ${W('i', 'p')}; let wq = ${W('i', 'q')};
        alpha += wp * wp; beta += wq * wq; gamma += wp * wq;
      }
      if (abs(gamma) <= tol * sqrt(alpha) * sqrt(beta)) { continue; }
      done = false;
      let zeta = (beta - alpha) / (2.0 * gamma);
      let t = sgn(zeta) / (abs(zeta) + hypot2(1.0, zeta));
      let c = 1.0 / hypot2(1.0, t);
      let s = t * c;
      for (var i = 0; i < M; i++) {
        let mp = ${W('i', 'p')}; let mq = ${W('i', 'q')};
        ${W('i', 'p')} = c * mp - s * mq; ${W('i', 'q')} = s * mp + c * mq;
      }
      ${vectors ? `for (var i = 0; i < K; i++) {
        let mp = ${V('i', 'p')}; let mq = ${V('i', 'q')};
        ${V('i', 'p')} = c * mp - s * mq; ${V('i', 'q')} = s * mp + c * mq;
      }` : ''}
    }
  }
  return done;
}
${vectors ? completionWgsl : ''}

${perMatrixMain(`
  let m = i32(params[3]); let n = i32(params[4]);
  let tall = m >= n;
  M = max(m, n); K = min(m, n);
  oN = M * K + K * K;
  rsk = K * cnt;
  vb = M * K * cnt + mb;
  let outLen = ${vectors ? '(1 + m + n) * K' : 'K'};
  let base = b * m * n;
  let ob = b * outLen;
  var mx = 0.0;
  var finite = true;
  for (var e = 0; e < m * n; e++) {
    let x = in0[base + e];
    finite = finite && is_finite(x);
    mx = max(mx, abs(x));
  }
  if (!finite) {
    report(${STATUS_NONFINITE}u, u32(b));
    for (var e = 0; e < outLen; e++) { out[ob + e] = nan_f32(); }
    return;
  }
  let c = pow2_scale(mx);
  for (var i = 0; i < M; i++) {
    for (var j = 0; j < K; j++) { ${W('i', 'j')} = c * in0[base + select(j * n + i, i * n + j, tall)]; }
  }
  ${vectors ? `for (var i = 0; i < K; i++) {
    for (var j = 0; j < K; j++) { ${V('i', 'j')} = select(0.0, 1.0, i == j); }
  }` : ''}
  var converged = false;
  for (var sw = 0; sw < ${SVD_MAX_SWEEPS} && !converged; sw++) { converged = sweep(); }
  if (!converged) {
    report(${STATUS_NO_CONVERGENCE}u, u32(b));
    for (var e = 0; e < outLen; e++) { out[ob + e] = nan_f32(); }
    return;
  }
  for (var j = 0; j < K; j++) {
    var big = 0.0;
    for (var i = 0; i < M; i++) { big = max(big, abs(${W('i', 'j')})); }
    var ss = 0.0;
    if (big > 0.0) { for (var i = 0; i < M; i++) { let x = ${W('i', 'j')} / big; ss += x * x; } }
    ${NRM('j')} = big * sqrt(ss);
  }
  for (var k = 0; k < K; k++) {
    var r = 0;
    let nk = ${NRM('k')};
    for (var j = 0; j < K; j++) { let nj = ${NRM('j')}; if (nj > nk || (nj == nk && j < k)) { r += 1; } }
    ${slot('oN + K', 'k')} = f32(r);
  }
  let ic = 1.0 / c;
  for (var k = 0; k < K; k++) { out[ob + ${POS('k')}] = ${NRM('k')} * ic; }
  ${vectors ? `
  // rows of U' and V' in the packed output: U' is U when tall, else V (and V' the other)
  let uRow0 = select(1 + m, 1, tall);
  let vRow0 = select(1, 1 + m, tall);
  for (var k = 0; k < K; k++) {
    var lr = 0;
    for (var i = 1; i < K; i++) { if (abs(${V('i', 'k')}) > abs(${V('lr', 'k')})) { lr = i; } }
    let sg = select(1.0, -1.0, ${V('lr', 'k')} < 0.0);
    let pk = ${POS('k')};
    let nk = ${NRM('k')};
    for (var i = 0; i < K; i++) { out[ob + (vRow0 + i) * K + pk] = sg * ${V('i', 'k')}; }
    for (var i = 0; i < M; i++) { out[ob + (uRow0 + i) * K + pk] = select(0.0, sg * ${W('i', 'k')} / nk, nk > 0.0); }
  }
  complete(ob, uRow0);` : ''}`)}
`;
}

/**
 * Zero singular values (sorted last) leave zero columns in U'; each gets the standard basis
 * vector with the largest part outside the span of the columns before it, orthogonalized
 * against them twice (as the reference).
 */
const completionWgsl = `
fn complete(ob: i32, uRow0: i32) {
  for (var j = 0; j < K; j++) {
    if (out[ob + j] != 0.0) { continue; }
    var bestNorm = 0.0;
    for (var cand = 0; cand < M; cand++) {
      for (var i = 0; i < M; i++) { ${CX('i')} = select(0.0, 1.0, i == cand); }
      for (var rep = 0; rep < 2; rep++) {
        for (var col = 0; col < j; col++) {
          var d = 0.0;
          for (var i = 0; i < M; i++) { d += ${UOUT('i', 'col')} * ${CX('i')}; }
          for (var i = 0; i < M; i++) { ${CX('i')} -= d * ${UOUT('i', 'col')}; }
        }
      }
      var nn = 0.0;
      for (var i = 0; i < M; i++) { nn += ${CX('i')} * ${CX('i')}; }
      nn = sqrt(nn);
      if (nn > bestNorm) { bestNorm = nn; for (var i = 0; i < M; i++) { ${BEST('i')} = ${CX('i')}; } }
    }
    for (var i = 0; i < M; i++) { ${UOUT('i', 'j')} = ${BEST('i')} / bestNorm; }
  }
}
`;

/** a [..., m, n] → out [..., k] (values) or [..., 1 + m + n, k] (vectors). */
export function launchSvd(rt: GpuRuntime, a: GpuArg, out: GpuArg, status: GPUBuffer, vectors: boolean): void {
  const m = a.shape[a.shape.length - 2]!;
  const n = a.shape[a.shape.length - 1]!;
  const count = a.size / (m * n);
  const M = Math.max(m, n);
  const K = Math.min(m, n);
  dispatchPerMatrix(rt, {
    wgsl: svdWgsl(vectors),
    inputs: [a.buffer],
    out: out.buffer,
    status,
    count,
    scratchFloats: M * K + K * K + 2 * K + 2 * M,
    params: [m, n],
    label: vectors ? 'svd' : 'svdvals',
  });
}
