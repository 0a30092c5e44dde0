/**
 * Singular value decomposition as registry ops (thin: k = min(m, n), A = U diag(s) Vᵀ):
 * - `svdvals`: A [..., m, n] → s [..., k], descending;
 * - `svd`: A → [..., 1 + m + n, k]: row 0 s, rows 1…m U, rows m+1…m+n V.
 *
 * Derivatives (simple, nonzero singular values), with dP = Uᵀ dA V, F[i][j] = 1/(sⱼ² − sᵢ²):
 *   ds = diag(dP);
 *   dU = U (F∘(dP S + S dPᵀ)) + (I − UUᵀ) dA V S⁻¹;
 *   dV = V (F∘(S dP + dPᵀ S)) + (I − VVᵀ) dAᵀ U S⁻¹;
 * and the VJP Ā = U [diag(s̄) + (F∘(UᵀŪ − ŪᵀU)) S + S (F∘(VᵀV̄ − V̄ᵀV))] Vᵀ
 *   + (I − UUᵀ) Ū S⁻¹ Vᵀ + U S⁻¹ V̄ᵀ (I − VVᵀ)   (Townsend, "Differentiating the SVD").
 */

import { fromValues } from '../../engine/creation.js';
import type { Shape } from '../../engine/shape.js';
import type { Tensor } from '../../engine/tensor.js';
import { SVD_MAX_SWEEPS, launchSvd } from '../../kernels/linalg/svd.js';
import { statusBuffer } from '../../kernels/linalg/status.js';
import { apply, defineOp, type OpDef } from '../../autodiff/op.js';
import { add, div, mul, square, sub } from '../../autodiff/ops/arith.js';
import { concat } from '../../autodiff/ops/concat.js';
import { mm } from '../../autodiff/ops/matmul.js';
import { sum } from '../../autodiff/ops/reduce.js';
import { mT, reshape } from '../../autodiff/ops/shape.js';
import { forEachMatrix, identity, svd as refSvd, svdvals as refSvdvals } from './reference/index.js';
import { assertFiniteMatrix, checkMatrix, matrixCount, runReference } from './checks.js';
import { asCol, asRow, diagEmbed, diagOf, rows } from './complex.js';
import { simpleGuard } from './guards.js';
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
  /** F[i][j] = 1/(sⱼ² − sᵢ²) off the diagonal */
  f: Tensor;
  guard: Tensor;
}

function parts(y: Tensor, op: string, argShape: Shape): SvdParts {
  const k = y.shape[y.rank - 1]!;
  const [m, n] = argShape.slice(-2) as [number, number];
  const s0 = rows(y, 0, 1);
  const s = reshape(s0, s0.shape.slice(0, -2).concat(k));
  const eye = fromValues(identity(k), [k, k], y.backend);
  const s2 = square(s);
  const f = mul(div(1, add(sub(asRow(s2), asCol(s2)), eye)), sub(1, eye));
  // the guard reads the values in row 0 of a [..., rows, k] tensor
  const guard = simpleGuard(asRow(s), { kind: 'svd', zero: true, op, arg: 'A', argShape });
  return { m, n, k, s, u: rows(y, 1, 1 + m), v: rows(y, 1 + m, 1 + m + n), eye, f, guard };
}

function svdvalsVjp(a: Tensor, g: Tensor): Tensor {
  const p = parts(svdPacked(a), 'svdvals', a.shape);
  return mul(mm(mul(p.u, asRow(g)), p.v, false, true), p.guard);
}

function svdvalsJvp(a: Tensor, da: Tensor): Tensor {
  const p = parts(svdPacked(a), 'svdvals', a.shape);
  return mul(sum(mul(p.u, mm(da, p.v, false, false)), -2), reshape(p.guard, p.guard.shape.slice(0, -1)));
}

function svdJvp(y: Tensor, da: Tensor): Tensor {
  const argShape = [...y.shape.slice(0, -2), ...da.shape.slice(-2)];
  const p = parts(y, 'svd', argShape);
  const dav = mm(da, p.v, false, false);
  const dp = mm(p.u, dav, true, false);
  const ds = diagOf(dp, p.eye);
  const sr = asRow(p.s);
  const sc = asCol(p.s);
  let du = mm(p.u, mul(p.f, add(mul(dp, sr), mul(sc, mT(dp)))), false, false);
  if (p.m > p.k) du = add(du, div(sub(dav, mm(p.u, dp, false, false)), sr));
  let dv = mm(p.v, mul(p.f, add(mul(sc, dp), mul(mT(dp), sr))), false, false);
  if (p.n > p.k) dv = add(dv, div(sub(mm(da, p.u, true, false), mm(p.v, dp, false, true)), sr));
  return mul(concat([asRow(ds), du, dv], -2), p.guard);
}

function svdVjp(y: Tensor, g: Tensor, argShape: Shape): Tensor {
  const p = parts(y, 'svd', argShape);
  const gs0 = rows(g, 0, 1);
  const gs = reshape(gs0, gs0.shape.slice(0, -2).concat(p.k));
  const gu = rows(g, 1, 1 + p.m);
  const gv = rows(g, 1 + p.m, 1 + p.m + p.n);
  const sr = asRow(p.s);
  const sc = asCol(p.s);
  const utgu = mm(p.u, gu, true, false);
  const vtgv = mm(p.v, gv, true, false);
  const j = mul(p.f, sub(utgu, mT(utgu)));
  const kk = mul(p.f, sub(vtgv, mT(vtgv)));
  const inner = add(add(diagEmbed(gs, p.eye), mul(j, sr)), mul(sc, kk));
  let ga = mm(mm(p.u, inner, false, false), p.v, false, true);
  if (p.m > p.k) ga = add(ga, mm(div(sub(gu, mm(p.u, utgu, false, false)), sr), p.v, false, true));
  if (p.n > p.k) ga = add(ga, mm(p.u, div(sub(gv, mm(p.v, vtgv, false, false)), sr), false, true));
  return mul(ga, p.guard);
}
