/**
 * Singular value decomposition as registry ops (thin: k = min(m, n), A = U diag(s) Vᵀ):
 * - `svdvals`: A [..., m, n] → s [..., k], descending;
 * - `svd`: A → [..., 1 + m + n, k]: row 0 s, rows 1…m U, rows m+1…m+n V.
 *
 * Derivatives, with dP = Uᵀ dA V, F[i][j] = 1/(sⱼ² − sᵢ²):
 *   ds = diag(dP);
 *   dU = U (F∘(dP S + S dPᵀ)) + (I − UUᵀ) dA V S⁻¹;
 *   dV = V (F∘(S dP + dPᵀ S)) + (I − VVᵀ) dAᵀ U S⁻¹;
 * and the VJP Ā = U [diag(s̄) + (F∘(UᵀŪ − ŪᵀU)) S + S (F∘(VᵀV̄ − V̄ᵀV))] Vᵀ
 *   + (I − UUᵀ) Ū S⁻¹ Vᵀ + U S⁻¹ V̄ᵀ (I − VVᵀ)   (Townsend, "Differentiating the SVD").
 * The singular values alone need no gap: svdvals' rules are Ā = U diag(s̄) Vᵀ and ds = diag(dP)
 * at any A. Between tied values F is 0, and S⁻¹ is 0 at zero ones; only singular-vector
 * cotangents that depend on the basis within a repeated singular subspace (UᵀŪ − ŪᵀU +
 * VᵀV̄ − V̄ᵀV not 0 between tied i, j), or that touch the vectors of a zero singular value, have
 * no derivative: a NumericalError naming the indices. Forward mode returns the tangent of the
 * basis that does not rotate within a repeated subspace.
 */

import { fromValues } from '../../engine/creation.js';
import type { Shape } from '../../engine/shape.js';
import type { Tensor } from '../../engine/tensor.js';
import { SVD_MAX_SWEEPS, launchSvd } from '../../kernels/linalg/svd.js';
import { statusBuffer } from '../../kernels/linalg/status.js';
import { apply, defineOp, type OpDef } from '../../autodiff/op.js';
import { add, div, mul, square, sub } from '../../autodiff/ops/arith.js';
import { abs } from '../../autodiff/ops/unary-more.js';
import { concat } from '../../autodiff/ops/concat.js';
import { mm } from '../../autodiff/ops/matmul.js';
import { sum } from '../../autodiff/ops/reduce.js';
import { mT, reshape } from '../../autodiff/ops/shape.js';
import { forEachMatrix, identity, svd as refSvd, svdvals as refSvdvals } from './reference/index.js';
import { assertFiniteMatrix, checkMatrix, matrixCount, runReference } from './checks.js';
import { asCol, asRow, diagEmbed, diagOf, rows } from './complex.js';
import { couplingGuard, tieMask } from './guards.js';
import { svdSamples } from './samples.js';

function cpuSvd(a: Float64Array, shape: Shape, vectors: boolean): Float64Array {
  const [m, n] = shape.slice(-2) as [number, number];
  const k = Math.min(m, n);
  const per = vectors ? (1 + m + n) * k : k;
  const op = vectors ? 'svd' : 'svdvals';
  const out = new Float64Array(matrixCount(shape) * per);
  if (out.length === 0) return out;
  forEachMatrix(a, matrixCount(shape), m * n, (x, b) => {
    assertFiniteMatrix(op, 'A', shape, x, b);
    if (!vectors) {
      out.set(runReference(op, 'A', shape, b, () => refSvdvals(x, m, n, { matrixIndex: b })), b * per);
      return;
    }
    const r = runReference(op, 'A', shape, b, () => refSvd(x, m, n, { matrixIndex: b }));
    out.set(r.s, b * per);
    out.set(r.u, b * per + k);
    out.set(r.v, b * per + k + m * k);
  });
  return out;
}

function svdShape(op: string, a: Shape, vectors: boolean): Shape {
  checkMatrix(op, 'A', a, false);
  const [m, n] = a.slice(-2) as [number, number];
  const k = Math.min(m, n);
  return vectors ? [...a.slice(0, -2), 1 + m + n, k] : [...a.slice(0, -2), k];
}

const status = (rt: Parameters<OpDef['gpu']>[0], op: string, shape: Shape) =>
  statusBuffer(rt, { op, arg: 'A', shape, iteration: `the one-sided Jacobi iteration (at most ${SVD_MAX_SWEEPS} sweeps)` });

const rejects = (op: string) => [{ shapes: [[4]], attrs: undefined, message: new RegExp(`${op}: A must be a matrix or a batch of matrices \\(rank ≥ 2\\), got A \\[4\\]`) }];

const svdvalsOp: OpDef = defineOp({
  name: 'svdvals',
  args: ['A'],
  saves: { inputs: true, output: false },
  shape: ([a]) => svdShape('svdvals', a!, false),
  cpu: ([a], [s]) => cpuSvd(a!, s!, false),
  gpu: (rt, [a], out) => launchSvd(rt, a!, out, status(rt, 'svdvals', a!.shape), false),
  vjp: ([a], _y, g) => [svdvalsVjp(a!, g)],
  jvp: ([a], _y, [da]) => da && svdvalsJvp(a!, da),
  samples: svdSamples.map((s) => ({ ...s, attrs: undefined })),
  rejects: rejects('svdvals'),
});

const svdOp: OpDef = defineOp({
  name: 'svd',
  args: ['A'],
  saves: { inputs: false, output: true },
  shape: ([a]) => svdShape('svd', a!, true),
  cpu: ([a], [s]) => cpuSvd(a!, s!, true),
  gpu: (rt, [a], out) => launchSvd(rt, a!, out, status(rt, 'svd', a!.shape), true),
  vjp: (_a, y, g, _attrs, [as]) => [svdVjp(y, g, as!)],
  jvp: (_a, y, [da]) => da && svdJvp(y, da),
  samples: svdSamples.map((s) => ({ ...s, attrs: undefined })),
  rejects: rejects('svd'),
});

/** A → [..., 1 + m + n, k]. */
export const svdPacked = (a: Tensor) => apply(svdOp, [a], undefined);
/** A → [..., k]. */
export const svdvalsPacked = (a: Tensor) => apply(svdvalsOp, [a], undefined);

interface SvdParts {
  m: number;
  n: number;
  k: number;
  s: Tensor;
  u: Tensor;
  v: Tensor;
  eye: Tensor;
  /** F[i][j] = 1/(sⱼ² − sᵢ²) off the diagonal, 0 between tied values */
  f: Tensor;
  /** 1 between tied values (off the diagonal) */
  tied: Tensor;
  /** 1 at zero singular values [..., 1, k] */
  zero: Tensor;
  /** 1/sᵢ, 0 at zero singular values [..., 1, k] */
  sInv: Tensor;
  argShape: Shape;
}

function parts(y: Tensor, argShape: Shape): SvdParts {
  const k = y.shape[y.rank - 1]!;
  const [m, n] = argShape.slice(-2) as [number, number];
  const s0 = rows(y, 0, 1);
  const s = reshape(s0, s0.shape.slice(0, -2).concat(k));
  const eye = fromValues(identity(k), [k, k], y.backend);
  const s2 = square(s);
  // the mask reads the values in row 0 of a [..., rows, k] tensor; its diagonal marks zeros
  const mask = tieMask(asRow(s), 'svd', true);
  const tied = mul(mask, sub(1, eye));
  const zero = asRow(diagOf(mask, eye));
  const f = div(sub(sub(1, eye), tied), add(add(sub(asRow(s2), asCol(s2)), eye), tied));
  const sInv = div(sub(1, zero), add(asRow(s), zero));
  return { m, n, k, s, u: rows(y, 1, 1 + m), v: rows(y, 1 + m, 1 + m + n), eye, f, tied, zero, sInv, argShape };
}

/** U and V of A from the packed SVD (what the derivatives of the values alone need: no gaps). */
function vectors(a: Tensor): { u: Tensor; v: Tensor } {
  const y = svdPacked(a);
  const [m, n] = a.shape.slice(-2) as [number, number];
  return { u: rows(y, 1, 1 + m), v: rows(y, 1 + m, 1 + m + n) };
}

function svdvalsVjp(a: Tensor, g: Tensor): Tensor {
  const { u, v } = vectors(a);
  return mm(mul(u, asRow(g)), v, false, true);
}

function svdvalsJvp(a: Tensor, da: Tensor): Tensor {
  const { u, v } = vectors(a);
  return sum(mul(u, mm(da, v, false, false)), -2);
}

function svdJvp(y: Tensor, da: Tensor): Tensor {
  const argShape = [...y.shape.slice(0, -2), ...da.shape.slice(-2)];
  const p = parts(y, argShape);
  const dav = mm(da, p.v, false, false);
  const dp = mm(p.u, dav, true, false);
  const ds = diagOf(dp, p.eye);
  const sr = asRow(p.s);
  const sc = asCol(p.s);
  let du = mm(p.u, mul(p.f, add(mul(dp, sr), mul(sc, mT(dp)))), false, false);
  if (p.m > p.k) du = add(du, mul(sub(dav, mm(p.u, dp, false, false)), p.sInv));
  let dv = mm(p.v, mul(p.f, add(mul(sc, dp), mul(mT(dp), sr))), false, false);
  if (p.n > p.k) dv = add(dv, mul(sub(mm(da, p.u, true, false), mm(p.v, dp, false, true)), p.sInv));
  return concat([asRow(ds), du, dv], -2);
}

function svdVjp(y: Tensor, g: Tensor, argShape: Shape): Tensor {
  const p = parts(y, argShape);
  const gs0 = rows(g, 0, 1);
  const gs = reshape(gs0, gs0.shape.slice(0, -2).concat(p.k));
  const gu = rows(g, 1, 1 + p.m);
  const gv = rows(g, 1 + p.m, 1 + p.m + p.n);
  const sr = asRow(p.s);
  const sc = asCol(p.s);
  const utgu = mm(p.u, gu, true, false);
  const vtgv = mm(p.v, gv, true, false);
  const au = sub(utgu, mT(utgu));
  const av = sub(vtgv, mT(vtgv));
  // a rotation R shared by the tied columns of U and V leaves A unchanged: the cotangent's
  // component along it (AU + AV between tied i, j) must vanish; the vectors of a zero singular
  // value may turn on their own, so their cotangent must vanish altogether
  const guardOf = (c: Tensor, x: Tensor, coupling: 'vectors' | 'zero') => couplingGuard(c, x, { kind: 'svd', coupling, op: 'svd', arg: 'A', argShape });
  const colSums = add(sum(abs(gu), -2, true), sum(abs(gv), -2, true));
  const guard = mul(guardOf(mul(p.tied, add(au, av)), add(abs(utgu), abs(vtgv)), 'vectors'), guardOf(mul(p.zero, colSums), colSums, 'zero'));
  const inner = add(add(diagEmbed(gs, p.eye), mul(mul(p.f, au), sr)), mul(sc, mul(p.f, av)));
  let ga = mm(mm(p.u, inner, false, false), p.v, false, true);
  if (p.m > p.k) ga = add(ga, mm(mul(sub(gu, mm(p.u, utgu, false, false)), p.sInv), p.v, false, true));
  if (p.n > p.k) ga = add(ga, mm(p.u, mul(sub(gv, mm(p.v, vtgv, false, false)), p.sInv), false, true));
  return mul(ga, guard);
}
