/**
 * Eigenvalues and eigenvectors of real nonsymmetric matrices as registry ops (WGSL kernel,
 * float64 reference, VJP and JVP written with ops):
 *
 * - `eigvals`: A [..., n, n] → [..., n, 2] (re, im), sorted by descending |λ|, then real part,
 *   then imaginary part (conjugate pairs adjacent, +i first);
 * - `eig` ({ left }): A → [..., 1 + n (+ n), n, 2]: row 0 the eigenvalues (same order), rows
 *   1…n the right eigenvectors V (columns), rows n+1…2n the left ones U (uᴴA = λuᴴ) on request.
 *   Each vector has unit 2-norm and its largest-magnitude entry real and positive.
 *
 * Derivatives, for simple eigenvalues (A = V Λ V⁻¹, V⁻¹ = S⁻¹Uᴴ with S = diag(uᵢᴴvᵢ)):
 *   dλᵢ = uᵢᴴ dA vᵢ / uᵢᴴvᵢ, i.e. dΛ = diag(P) with P = V⁻¹ dA V;
 *   dV = V (F∘P) + V diag(c_V),   F[k][i] = 1/(λᵢ − λₖ) (k ≠ i), 0 on the diagonal;
 *   dU = U S̄⁻¹ (Fᵀ∘P)ᴴ S̄ + U diag(c_U);
 * where c fixes the normalization (Re vᵢᴴdvᵢ = 0, and the largest entry stays real).
 *
 * A simple eigenvalue has its derivative whatever the rest of the spectrum does. At a repeated
 * (non-defective) eigenvalue, V⁻ᴴ = U·(diag(1/s̄) + C) with C = inv(VᴴU) on the tied cluster (its
 * left and right eigenvectors need not be biorthogonal), F is 0 between tied values, and a
 * cotangent equal over the cluster gets the derivative of the cluster's sum, tr(P_c dA) with P_c
 * its spectral projector (so the trace at A = I has gradient I). The derivative does not exist,
 * and the rules throw a NumericalError naming the indices, where the eigenvalue cotangents
 * differ over a cluster, where an eigenvector cotangent couples tied columns (VᴴḠ_V ≠ 0 between
 * them), or where an eigenvalue is defective (a Jordan block). Forward mode returns, for tied
 * eigenvalues, the diagonal of V⁻¹ dA V (their sum is exact).
 */

import { fromValues } from '../../engine/creation.js';
import type { Shape } from '../../engine/shape.js';
import type { Tensor } from '../../engine/tensor.js';
import { eigMaxIterations, eigRows, launchEig, type EigMode } from '../../kernels/linalg/eig.js';
import { statusBuffer } from '../../kernels/linalg/status.js';
import { apply, defineOp, type OpDef } from '../../autodiff/op.js';
import { add, div, mul, neg, square, sub } from '../../autodiff/ops/arith.js';
import { abs } from '../../autodiff/ops/unary-more.js';
import { mm } from '../../autodiff/ops/matmul.js';
import { sum } from '../../autodiff/ops/reduce.js';
import { mT, reshape } from '../../autodiff/ops/shape.js';
import { eig as refEig, eigvals as refEigvals, forEachMatrix, identity } from './reference/index.js';
import { assertFiniteMatrix, checkMatrix, eigenOrder, matrixCount, runReference } from './checks.js';
import { cRow, cadd, cadjoint, cconj, cdiagOf, cmatmul, cmul, cpart, csum, diagEmbed, packC, packRows, unpackC, type Cx } from './complex.js';
import { clip } from '../../autodiff/ops/unary-attrs.js';
import { clusterInverse, columnArgmax, couplingGuard, tieMask, type Coupling } from './guards.js';
import { eigSamples } from './samples.js';

interface EigAttrs {
  left: boolean;
  /** Francis steps allowed per deflation (default 30·max(n, 10)) */
  maxIterations?: number;
}
type EigvalsAttrs = { maxIterations?: number } | undefined;

const modeOf = (left: boolean): EigMode => (left ? 'both' : 'right');

/** float64 reference: the reference solver per matrix, sorted and packed as the kernel. */
function cpuEig(a: Float64Array, shape: Shape, mode: EigMode, op: string, maxIterations?: number): Float64Array {
  const n = shape[shape.length - 1]!;
  const rowsOut = eigRows(n, mode);
  const out = new Float64Array(matrixCount(shape) * rowsOut * n * 2);
  if (out.length === 0) return out;
  forEachMatrix(a, matrixCount(shape), n * n, (m, b) => {
    assertFiniteMatrix(op, 'A', shape, m, b);
    const base = b * rowsOut * n * 2;
    if (mode === 'values') {
      const { re, im } = runReference(op, 'A', shape, b, () => refEigvals(m, n, { matrixIndex: b, maxIterations }));
      eigenOrder(re, im).forEach((k, p) => ((out[base + 2 * p] = re[k]!), (out[base + 2 * p + 1] = im[k]!)));
      return;
    }
    const r = runReference(op, 'A', shape, b, () => refEig(m, n, { left: mode === 'both', matrixIndex: b, maxIterations }));
    eigenOrder(r.values.re, r.values.im).forEach((k, p) => {
      out[base + 2 * p] = r.values.re[k]!;
      out[base + 2 * p + 1] = r.values.im[k]!;
      for (let i = 0; i < n; i++) {
        out[base + ((1 + i) * n + p) * 2] = r.right.re[i * n + k]!;
        out[base + ((1 + i) * n + p) * 2 + 1] = r.right.im[i * n + k]!;
        if (r.left) {
          out[base + ((1 + n + i) * n + p) * 2] = r.left.re[i * n + k]!;
          out[base + ((1 + n + i) * n + p) * 2 + 1] = r.left.im[i * n + k]!;
        }
      }
    });
  });
  return out;
}

const status = (rt: Parameters<OpDef['gpu']>[0], op: string, shape: Shape, cap?: number) =>
  statusBuffer(rt, { op, arg: 'A', shape, iteration: `the Francis QR iteration (at most ${cap ?? eigMaxIterations(shape[shape.length - 1]!)} steps per eigenvalue)` });

function squareShape(op: string) {
  return (shape: Shape) => {
    checkMatrix(op, 'A', shape, true);
    return shape;
  };
}

const rejects = (op: string) => [
  { shapes: [[3, 4]], attrs: { left: false }, message: new RegExp(`${op}: A must be square in its last two dimensions, got A \\[3, 4\\]`) },
  { shapes: [[5]], attrs: { left: false }, message: new RegExp(`${op}: A must be a matrix or a batch of matrices \\(rank ≥ 2\\), got A \\[5\\]`) },
];

// ---------------------------------------------------------------- eigvals

const eigvalsOp: OpDef<EigvalsAttrs> = defineOp<EigvalsAttrs>({
  name: 'eigvals',
  args: ['A'],
  saves: { inputs: true, output: false },
  shape: ([a]) => [...squareShape('eigvals')(a!).slice(0, -1), 2],
  cpu: ([a], [s], attrs) => cpuEig(a!, s!, 'values', 'eigvals', attrs?.maxIterations),
  gpu: (rt, [a], out, attrs) => launchEig(rt, a!, out, status(rt, 'eigvals', a!.shape, attrs?.maxIterations), 'values', attrs?.maxIterations),
  vjp: ([a], _y, g) => [eigvalsVjp(a!, g)],
  jvp: ([a], _y, [da]) => da && eigvalsJvp(a!, da),
  samples: eigSamples.map((s) => ({ ...s, attrs: undefined })),
  rejects: rejects('eigvals').map((r) => ({ ...r, attrs: undefined })),
});

const eigOp: OpDef<EigAttrs> = defineOp<EigAttrs>({
  name: 'eig',
  args: ['A'],
  saves: { inputs: true, output: true },
  shape: ([a], { left }) => {
    const n = squareShape('eig')(a!).at(-1)!;
    return [...a!.slice(0, -2), eigRows(n, modeOf(left)), n, 2];
  },
  cpu: ([a], [s], { left, maxIterations }) => cpuEig(a!, s!, modeOf(left), 'eig', maxIterations),
  gpu: (rt, [a], out, { left, maxIterations }) => launchEig(rt, a!, out, status(rt, 'eig', a!.shape, maxIterations), modeOf(left), maxIterations),
  vjp: ([a], y, g, { left }) => [eigVjp(a!, left ? y : eigPacked(a!, true), g, left)],
  jvp: ([a], y, [da], { left }) => da && eigJvp(a!, left ? y : eigPacked(a!, true), da, left),
  samples: [...eigSamples.map((s) => ({ ...s, attrs: { left: false } })), ...eigSamples.slice(1, 3).map((s) => ({ ...s, attrs: { left: true } }))],
  rejects: rejects('eig'),
});

/** A → the packed eig output (see the file comment). */
export const eigPacked = (a: Tensor, left: boolean, maxIterations?: number) => apply(eigOp, [a], maxIterations === undefined ? { left } : { left, maxIterations });
/** A → [..., n, 2]. */
export const eigvalsPacked = (a: Tensor, maxIterations?: number) => apply(eigvalsOp, [a], maxIterations === undefined ? undefined : { maxIterations });

// ---------------------------------------------------------------- derivative rules

interface EigParts {
  n: number;
  lam: Cx;
  v: Cx;
  u: Cx;
  /** sᵢ = uᵢᴴvᵢ */
  s: Cx;
  eye: Tensor;
  /** 1 between tied eigenvalues */
  tied: Tensor;
  /** V⁻ᴴ = U·(diag(1/s̄) on simple eigenvalues + inv(VᴴU) on tied clusters); NaN when defective */
  vInvH: Cx;
  guard: (c: Tensor, x: Tensor, coupling: Coupling) => Tensor;
}

function parts(a: Tensor, packed: Tensor, op: string): EigParts {
  const n = a.shape[a.rank - 1]!;
  const first = cpart(packed, 0, 1);
  const lam = { re: reshape(first.re, first.re.shape.slice(0, -2).concat(n)), im: reshape(first.im, first.im.shape.slice(0, -2).concat(n)) };
  const v = cpart(packed, 1, 1 + n);
  const u = cpart(packed, 1 + n, 1 + 2 * n);
  const s = csum(cmul(cconj(u), v), -2);
  const tied = tieMask(packed, 'eig');
  const clustered = clip(sum(tied, -1), 0, 1);
  // 1/s̄ on simple eigenvalues (differentiable), 0 on tied ones, whose block comes from clusterInverse
  const sb = cconj(s);
  const rs = crecip({ re: add(sb.re, clustered), im: sb.im });
  const simple = sub(1, clustered);
  const block = unpackC(clusterInverse(packed, tied, { op, argShape: a.shape }));
  const vInvH = cadd(cmul(u, cRow({ re: mul(rs.re, simple), im: mul(rs.im, simple) })), cmatmul(u, block));
  return {
    n,
    lam,
    v,
    u,
    s,
    eye: fromValues(identity(n), [n, n], a.backend),
    tied,
    vInvH,
    guard: (c, x, coupling) => couplingGuard(c, x, { kind: 'eig', coupling, op, arg: 'A', argShape: a.shape }),
  };
}

/** |re| + |im| of a complex tensor. */
const cabs1 = (z: Cx) => add(abs(z.re), abs(z.im));

/** 1 per matrix, or the error when the eigenvalue cotangents differ over a tied cluster. */
function valuesGuard(p: EigParts, g: Cx): Tensor {
  const diff = add(abs(sub(cRowOf(g.re), cColOf(g.re))), abs(sub(cRowOf(g.im), cColOf(g.im))));
  return p.guard(mul(p.tied, diff), cRowOf(cabs1(g)), 'values');
}

/** 1 per matrix, or the error when X (e.g. VᴴḠ_V) couples tied columns. */
const vectorsGuard = (p: EigParts, x: Cx) => p.guard(mul(p.tied, cabs1(x)), cabs1(x), 'vectors');

const crecip = (z: Cx): Cx => {
  const den = add(square(z.re), square(z.im));
  return { re: div(z.re, den), im: neg(div(z.im, den)) };
};

/** dA (real, [B?, ..., n, n]) @ V. */
const realTimes = (d: Tensor, v: Cx): Cx => ({ re: mm(d, v.re, false, false), im: mm(d, v.im, false, false) });

function eigvalsVjp(a: Tensor, g: Tensor): Tensor {
  const p = parts(a, eigPacked(a, true), 'eigvals');
  // ∂L/∂A = Re(V⁻ᴴ diag(g) Vᴴ) with gᵢ = ∂L/∂Re λᵢ + i ∂L/∂Im λᵢ (for a simple λᵢ: uᵢvᵢᴴ gᵢ / s̄ᵢ)
  const gc = unpackC(g);
  const x = cmul(p.vInvH, cRow(gc));
  return mul(add(mm(x.re, p.v.re, false, true), mm(x.im, p.v.im, false, true)), valuesGuard(p, gc));
}

function eigvalsJvp(a: Tensor, da: Tensor): Tensor {
  const p = parts(a, eigPacked(a, true), 'eigvals');
  // dλᵢ = (V⁻¹ dA V)ᵢᵢ (for a simple λᵢ: uᵢᴴ dA vᵢ / sᵢ)
  return packC(csum(cmul(cconj(p.vInvH), realTimes(da, p.v)), -2));
}

/** F[k][i] = 1/(λᵢ − λₖ) off the diagonal, 0 on it and between tied eigenvalues. */
function gapMatrix(p: EigParts): Cx {
  const d = { re: add(add(sub(cRowOf(p.lam.re), cColOf(p.lam.re)), p.eye), p.tied), im: sub(cRowOf(p.lam.im), cColOf(p.lam.im)) };
  const off = sub(sub(1, p.eye), p.tied);
  const r = crecip(d);
  return { re: mul(r.re, off), im: mul(r.im, off) };
}
const cRowOf = (t: Tensor) => reshape(t, [...t.shape.slice(0, -1), 1, t.shape[t.rank - 1]!]);
const cColOf = (t: Tensor) => reshape(t, [...t.shape, 1]);

/** The entry each column's phase convention makes real: one-hot mask and that entry's value. */
function anchor(x: Cx): { mask: Tensor; value: Tensor } {
  const mask = columnArgmax(add(square(x.re), square(x.im)));
  return { mask, value: sum(mul(mask, x.re), -2) };
}

/** dX' ↦ dX' + X diag(c): keeps Re xᵢᴴdxᵢ = 0 and the anchor entry real. */
function gauge(x: Cx, dx: Cx): Cx {
  const { mask, value } = anchor(x);
  const re = neg(csum(cmul(cconj(x), dx), -2).re);
  const im = neg(div(sum(mul(mask, dx.im), -2), value));
  return cadd(dx, cmul(x, cRow({ re, im })));
}

/** Adjoint of `gauge`: G ↦ G − X diag(Re h) − i·mask·diag(Im h / anchor), h = diag(XᴴG). */
function gaugeAdjoint(x: Cx, g: Cx): Cx {
  const { mask, value } = anchor(x);
  const h = csum(cmul(cconj(x), g), -2);
  return {
    re: sub(g.re, mul(x.re, cRowOf(h.re))),
    im: sub(sub(g.im, mul(x.im, cRowOf(h.re))), mul(mask, cRowOf(div(h.im, value)))),
  };
}

const transposeC = (z: Cx): Cx => ({ re: mT(z.re), im: mT(z.im) });

function eigJvp(a: Tensor, packed: Tensor, da: Tensor, left: boolean): Tensor {
  const p = parts(a, packed, 'eig');
  // P = V⁻¹ dA V
  const pm = cmatmul(cadjoint(p.vInvH), realTimes(da, p.v));
  const f = gapMatrix(p);
  const dl = cdiagOf(pm, p.eye);
  const dv = gauge(p.v, cmatmul(p.v, cmul(f, pm)));
  const blocks = [cRow(dl), dv];
  if (left) {
    // dU' = U S̄⁻¹ (Fᵀ∘P)ᴴ S̄
    const sc = cconj(p.s);
    const du0 = cmul(cmatmul(cmul(p.u, cRow(crecip(sc))), cadjoint(cmul(transposeC(f), pm))), cRow(sc));
    blocks.push(gauge(p.u, du0));
  }
  return packRows(blocks);
}
const cColC = (z: Cx): Cx => ({ re: cColOf(z.re), im: cColOf(z.im) });

function eigVjp(a: Tensor, packed: Tensor, g: Tensor, left: boolean): Tensor {
  const p = parts(a, packed, 'eig');
  const n = p.n;
  const first = cpart(g, 0, 1);
  const gl = { re: reshape(first.re, first.re.shape.slice(0, -2).concat(n)), im: reshape(first.im, first.im.shape.slice(0, -2).concat(n)) };
  const f = gapMatrix(p);
  // cotangent of P: diag(gλ) + conj(F)∘(Vᴴ G'_V) [+ conj(Fᵀ)∘(S̄ G'_Uᴴ U S̄⁻¹)]
  const vg = cmatmul(cadjoint(p.v), gaugeAdjoint(p.v, cpart(g, 1, 1 + n)));
  let guard = mul(valuesGuard(p, gl), vectorsGuard(p, vg));
  let z = cadd({ re: diagEmbed(gl.re, p.eye), im: diagEmbed(gl.im, p.eye) }, cmul(cconj(f), vg));
  if (left) {
    const sc = cconj(p.s);
    const gu = gaugeAdjoint(p.u, cpart(g, 1 + n, 1 + 2 * n));
    const at = cmul(cmul(cmatmul(cadjoint(gu), p.u), cRow(crecip(sc))), cColC(sc));
    guard = mul(guard, vectorsGuard(p, at));
    z = cadd(z, cmul(cconj(transposeC(f)), at));
  }
  // ∂L/∂A = Re(V⁻ᴴ Z Vᴴ)
  const y = cmatmul(cmatmul(p.vInvH, z), cadjoint(p.v));
  return mul(y.re, guard);
}
