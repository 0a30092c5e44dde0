/**
 * Dense linear systems as registry ops, batched over leading dimensions (broadcast where two
 * arguments meet): `solve` (LU with partial pivoting), `lu` (packed [..., 2n, n]: L − I + U,
 * then P), `slogdet` ([..., 2]: sign, log|det|), `cholesky` and `solveTriangular`.
 * Kernels: kernels/linalg/lu.ts; float64 references: reference/lu.ts.
 *
 * Derivatives are written with these same ops, so they differentiate again:
 * - solve X = A⁻¹B: dX = A⁻¹(dB − dA·X); B̄ = A⁻ᵀḠ (another solve), Ā = −B̄·Xᵀ;
 * - lu: dF = L⁻¹·Pᵀ·dA·U⁻¹, dL = L·tril₋(dF), dU = triu(dF)·U; Ā = P·L⁻ᵀ(tril₋(LᵀL̄) + triu(ŪUᵀ))U⁻ᵀ;
 * - slogdet: d log|det A| = tr(A⁻¹dA), Ā = ḡ·A⁻ᵀ (the sign is locally constant);
 * - cholesky (Murray 2016): dL = L·Φ(L⁻¹·dS·L⁻ᵀ), Φ = lower triangle with half the diagonal;
 *   S̄ = L⁻ᵀ·Φ(LᵀL̄)·L⁻¹, folded onto the lower triangle that is read;
 * - solveTriangular X = op(T)⁻¹B: B̄ = op(T)⁻ᵀḠ, op(T)̄ = −B̄Xᵀ, masked to the triangle read.
 */

import { NumericalError, ShapeError, fmtShape } from '../../engine/errors.js';
import { fromValues } from '../../engine/creation.js';
import { broadcastShapes, broadcastStrides, sizeOf, type Shape } from '../../engine/shape.js';
import type { Tensor } from '../../engine/tensor.js';
import { launchDense, type DenseMode, type TriangularFlags } from '../../kernels/linalg/lu.js';
import { describeMatrix, statusBuffer } from '../../kernels/linalg/status.js';
import { apply, defineOp, type MaybeTensor, type OpDef } from '../../autodiff/op.js';
import { add, mul, neg, sub } from '../../autodiff/ops/arith.js';
import { concat } from '../../autodiff/ops/concat.js';
import { mm } from '../../autodiff/ops/matmul.js';
import { sum } from '../../autodiff/ops/reduce.js';
import { mT, unbroadcast } from '../../autodiff/ops/shape.js';
import { cholesky as refCholesky, luFactor, luSolve, slogdet as refSlogdet, solveTriangular as refTriangular } from './reference/lu.js';
import { assertFiniteMatrix, checkMatrix, matrixCount } from './checks.js';
import { asCol, rows } from './complex.js';
import { choleskySamples, luSamples, slogdetSamples, solveSamples, triangularSamples } from './dense-samples.js';

export const SINGULAR = 'it is singular to working precision (a pivot of its LU factorization is at most n·ε·max|A|)';
const NOT_PD = 'it is not positive definite (a pivot of its Cholesky factorization is not positive)';
const ZERO_DIAGONAL = 'its diagonal has a zero (the triangular system is singular)';

/** A [..., n, n] and B [..., n, k]: the broadcast batch shape, with errors naming the op. */
function pairShape(op: string, [a, b]: Shape[], names = ['A', 'B']): { batch: number[]; n: number; k: number } {
  checkMatrix(op, names[0]!, a!, true);
  checkMatrix(op, names[1]!, b!, false);
  const n = a![a!.length - 1]!;
  if (b![b!.length - 2] !== n) {
    throw new ShapeError(`${op}: ${names[1]} ${fmtShape(b!)} must have ${n} rows to match ${names[0]} ${fmtShape(a!)}, got ${b![b!.length - 2]}`);
  }
  const batch = broadcastShapes(op, [a!.slice(0, -2), b!.slice(0, -2)], [`${names[0]} (batch dims)`, `${names[1]} (batch dims)`]);
  return { batch, n, k: b![b!.length - 1]! };
}

/** Runs fn on each broadcast batch element: the offsets (in matrices) of A and B. */
function forEachPair(batch: Shape, as: Shape, bs: Shape, fn: (b: number, ao: number, bo: number) => void): void {
  const aStr = broadcastStrides(as.slice(0, -2), batch);
  const bStr = broadcastStrides(bs.slice(0, -2), batch);
  const idx = new Array<number>(batch.length).fill(0);
  for (let b = 0; b < sizeOf(batch); b++) {
    let ao = 0;
    let bo = 0;
    idx.forEach((c, d) => ((ao += c * aStr[d]!), (bo += c * bStr[d]!)));
    fn(b, ao, bo);
    for (let d = idx.length - 1; d >= 0; d--) {
      if (++idx[d]! < batch[d]!) break;
      idx[d] = 0;
    }
  }
}

const failure = (op: string, arg: string, shape: Shape, b: number, why: string) =>
  new NumericalError(`${op}: ${describeMatrix(b, shape)} of ${arg} ${fmtShape(shape)}: ${why}; its results are NaN`);

const gpuStatus = (rt: Parameters<OpDef['gpu']>[0], op: string, arg: string, shape: Shape, singular: string) =>
  statusBuffer(rt, { op, arg, shape, iteration: 'the factorization', singular });

function masks(n: number, backend: Tensor['backend']) {
  const make = (keep: (i: number, j: number) => boolean) => {
    const v = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) v[i * n + j] = keep(i, j) ? 1 : 0;
    return fromValues(v, [n, n], backend);
  };
  return { eye: make((i, j) => i === j), lowerStrict: make((i, j) => i > j), upper: make((i, j) => i <= j), lower: make((i, j) => i >= j) };
}

// ---------------------------------------------------------------- solve

/** `context`: who solves, for the error message (an implicit ODE step names its time and step). */
export type SolveAttrs = { context?: string } | undefined;

const singularIn = (context: string, b: number, shape: Shape) => new NumericalError(`${context}: the linear system of ${describeMatrix(b, shape)} (batch ${fmtShape(shape.slice(0, -2))}) is singular to working precision (a pivot of its LU factorization is at most n·ε·max|A|)`);

const solveOp: OpDef<SolveAttrs> = defineOp<SolveAttrs>({
  name: 'solve',
  args: ['A', 'B'],
  broadcasting: true,
  saves: { inputs: true, output: true },
  shape: (shapes) => {
    const { batch, n, k } = pairShape('solve', shapes);
    return [...batch, n, k];
  },
  cpu: ([a, b], [as, bs], attrs, outShape) => {
    const [n, k] = outShape.slice(-2) as [number, number];
    const batch = outShape.slice(0, -2);
    const aShape = [...batch, n, n];
    const out = new Float64Array(sizeOf(outShape));
    forEachPair(batch, as!, bs!, (i, ao, bo) => {
      const am = a!.subarray(ao * n * n, (ao + 1) * n * n);
      const bm = b!.subarray(bo * n * k, (bo + 1) * n * k);
      assertFiniteMatrix('solve', 'A', aShape, am, i);
      assertFiniteMatrix('solve', 'B', outShape, bm, i);
      const f = luFactor(am, n);
      if (f.singularAt >= 0) throw attrs?.context ? singularIn(attrs.context, i, aShape) : failure('solve', 'A', aShape, i, SINGULAR);
      out.set(luSolve(f, bm, n, k), i * n * k);
    });
    return out;
  },
  gpu: (rt, [a, b], out, attrs) => {
    const n = a!.shape[a!.shape.length - 1]!;
    const shape = [...out.shape.slice(0, -2), n, n];
    const context = attrs?.context;
    const status = context ? statusBuffer(rt, { op: 'solve', arg: 'A', shape, iteration: 'the factorization', singularMessage: (b) => singularIn(context, b, shape).message }) : gpuStatus(rt, 'solve', 'A', shape, SINGULAR);
    launchDense(rt, 'solve', a!, b!, out, status);
  },
  vjp: ([a, _b], x, g, _attrs, [as, bs], outShape) => {
    const batch = g.rank - outShape.length;
    const gb = solveRaw(mT(a!), g);
    return [unbroadcast(neg(mm(gb, x, false, true)), as!, batch), unbroadcast(gb, bs!, batch)];
  },
  jvp: ([a, _b], x, [da, db]) => {
    let rhs: MaybeTensor = db;
    if (da) rhs = rhs ? sub(rhs, mm(da, x, false, false)) : neg(mm(da, x, false, false));
    return rhs && solveRaw(a!, rhs);
  },
  samples: solveSamples,
  rejects: [
    { shapes: [[3, 3], [2, 1]], attrs: undefined, message: /solve: B \[2, 1\] must have 3 rows to match A \[3, 3\], got 2/ },
    { shapes: [[2, 3], [2, 1]], attrs: undefined, message: /solve: A must be square in its last two dimensions, got A \[2, 3\]/ },
    { shapes: [[2, 2, 2], [3, 2, 1]], attrs: undefined, message: /solve: shapes do not broadcast: A \(batch dims\) \[2\], B \(batch dims\) \[3\]/ },
  ],
});

/** A⁻¹·B for A [..., n, n], B [..., n, k] (batch dims broadcast); `context` names the caller in errors. */
export const solveRaw = (a: Tensor, b: Tensor, context?: string) => apply(solveOp, [a, b], context ? { context } : undefined);

// ---------------------------------------------------------------- solveTriangular

const triangleMask = (m: ReturnType<typeof masks>, t: TriangularFlags) => (t.lower ? (t.unit ? m.lowerStrict : m.lower) : t.unit ? mul(m.upper, sub(1, m.eye)) : m.upper);

const triangularOp: OpDef<TriangularFlags> = defineOp<TriangularFlags>({
  name: 'solveTriangular',
  args: ['T', 'B'],
  broadcasting: true,
  saves: { inputs: true, output: true },
  shape: (shapes) => {
    const { batch, n, k } = pairShape('solveTriangular', shapes, ['T', 'B']);
    return [...batch, n, k];
  },
  cpu: ([t, b], [ts, bs], flags, outShape) => {
    const [n, k] = outShape.slice(-2) as [number, number];
    const batch = outShape.slice(0, -2);
    const tShape = [...batch, n, n];
    const out = new Float64Array(sizeOf(outShape));
    forEachPair(batch, ts!, bs!, (i, to, bo) => {
      const tm = t!.subarray(to * n * n, (to + 1) * n * n);
      const x = Float64Array.from(b!.subarray(bo * n * k, (bo + 1) * n * k));
      assertFiniteMatrix('solveTriangular', 'T', tShape, tm, i);
      assertFiniteMatrix('solveTriangular', 'B', outShape, x, i);
      if (refTriangular(tm, x, n, k, flags) >= 0) throw failure('solveTriangular', 'T', tShape, i, ZERO_DIAGONAL);
      out.set(x, i * n * k);
    });
    return out;
  },
  gpu: (rt, [t, b], out, flags) => {
    const n = t!.shape[t!.shape.length - 1]!;
    launchDense(rt, 'triangular', t!, b!, out, gpuStatus(rt, 'solveTriangular', 'T', [...out.shape.slice(0, -2), n, n], ZERO_DIAGONAL), flags);
  },
  vjp: ([t, _b], x, g, flags, [ts, bs], outShape) => {
    const batch = g.rank - outShape.length;
    const gb = triangular(t!, g, { ...flags, transpose: !flags.transpose });
    const gop = neg(mm(gb, x, false, true));
    const m = masks(t!.shape[t!.rank - 1]!, t!.backend);
    const gt = mul(flags.transpose ? mT(gop) : gop, triangleMask(m, flags));
    return [unbroadcast(gt, ts!, batch), unbroadcast(gb, bs!, batch)];
  },
  jvp: ([t, _b], x, [dt, db], flags) => {
    let rhs: MaybeTensor = db;
    if (dt) {
      const m = masks(t!.shape[t!.rank - 1]!, t!.backend);
      const dm = mul(dt, triangleMask(m, flags));
      const dx = mm(dm, x, flags.transpose, false);
      rhs = rhs ? sub(rhs, dx) : neg(dx);
    }
    return rhs && triangular(t!, rhs, flags);
  },
  samples: triangularSamples,
  rejects: [{ shapes: [[3, 3], [4, 2]], attrs: { lower: true, unit: false, transpose: false }, message: /solveTriangular: B \[4, 2\] must have 3 rows to match T \[3, 3\]/ }],
});

/** op(T)⁻¹·B reading one triangle of T (flags say which, and whether op transposes). */
export const triangular = (t: Tensor, b: Tensor, flags: TriangularFlags) => apply(triangularOp, [t, b], { lower: flags.lower, unit: flags.unit, transpose: flags.transpose });

// ---------------------------------------------------------------- lu

/** out [..., 2n, n] per matrix: rows 0…n−1 L − I + U, rows n…2n−1 P, with A = P·L·U. */
function cpuLu(a: Float64Array, shape: Shape): Float64Array {
  const n = shape[shape.length - 1]!;
  const out = new Float64Array(matrixCount(shape) * 2 * n * n);
  for (let b = 0; b < matrixCount(shape); b++) {
    const m = a.subarray(b * n * n, (b + 1) * n * n);
    assertFiniteMatrix('lu', 'A', shape, m, b);
    const { lu, perm } = luFactor(m, n);
    out.set(lu, b * 2 * n * n);
    // row i of L·U is row perm[i] of A, so P[perm[i]][i] = 1
    for (let i = 0; i < n; i++) out[b * 2 * n * n + n * n + perm[i]! * n + i] = 1;
  }
  return out;
}

const luOp: OpDef = defineOp({
  name: 'lu',
  args: ['A'],
  saves: { inputs: false, output: true },
  shape: ([a]) => {
    checkMatrix('lu', 'A', a!, true);
    const n = a![a!.length - 1]!;
    return [...a!.slice(0, -2), 2 * n, n];
  },
  cpu: ([a], [s]) => cpuLu(a!, s!),
  gpu: (rt, [a], out) => launchDense(rt, 'lu', a!, null, out, gpuStatus(rt, 'lu', 'A', a!.shape, SINGULAR)),
  vjp: (_a, y, g) => [luVjp(y, g)],
  jvp: (_a, y, [da]) => da && luJvp(y, da),
  samples: luSamples,
  rejects: [{ shapes: [[2, 3]], attrs: undefined, message: /lu: A must be square in its last two dimensions, got A \[2, 3\]/ }],
});

export const luPacked = (a: Tensor) => apply(luOp, [a], undefined);

const UNIT_LOWER: TriangularFlags = { lower: true, unit: true, transpose: false };
const UPPER: TriangularFlags = { lower: false, unit: false, transpose: false };

function luParts(y: Tensor) {
  const n = y.shape[y.rank - 1]!;
  const m = masks(n, y.backend);
  const f = rows(y, 0, n);
  return { n, m, f, p: rows(y, n, 2 * n), l: add(mul(f, m.lowerStrict), m.eye), u: mul(f, m.upper) };
}

/** Z·U⁻¹ = (U⁻ᵀZᵀ)ᵀ, and Z·U⁻ᵀ = (U⁻¹Zᵀ)ᵀ. */
const rightSolveU = (f: Tensor, z: Tensor, transpose: boolean) => mT(triangular(f, mT(z), { ...UPPER, transpose: !transpose }));

function luJvp(y: Tensor, da: Tensor): Tensor {
  const { m, f, p, l, u } = luParts(y);
  const df = rightSolveU(f, triangular(f, mm(p, da, true, false), UNIT_LOWER), false);
  const dlu = add(mm(l, mul(df, m.lowerStrict), false, false), mm(mul(df, m.upper), u, false, false));
  return concat([dlu, mul(dlu, 0)], -2);
}

function luVjp(y: Tensor, g: Tensor): Tensor {
  const { n, m, f, p, l, u } = luParts(y);
  const gf = rows(g, 0, n);
  const inner = add(mul(mm(l, mul(gf, m.lowerStrict), true, false), m.lowerStrict), mul(mm(mul(gf, m.upper), u, false, true), m.upper));
  const z = triangular(f, inner, { ...UNIT_LOWER, transpose: true });
  return mm(p, rightSolveU(f, z, true), false, false);
}

// ---------------------------------------------------------------- slogdet

const slogdetOp: OpDef = defineOp({
  name: 'slogdet',
  args: ['A'],
  saves: { inputs: true, output: false },
  shape: ([a]) => {
    checkMatrix('slogdet', 'A', a!, true);
    return [...a!.slice(0, -2), 2];
  },
  cpu: ([a], [s]) => {
    const n = s![s!.length - 1]!;
    const out = new Float64Array(matrixCount(s!) * 2);
    for (let b = 0; b < matrixCount(s!); b++) {
      const m = a!.subarray(b * n * n, (b + 1) * n * n);
      assertFiniteMatrix('slogdet', 'A', s!, m, b);
      const { sign, logAbsDet } = refSlogdet(m, n);
      out[2 * b] = sign;
      out[2 * b + 1] = logAbsDet;
    }
    return out;
  },
  gpu: (rt, [a], out) => launchDense(rt, 'slogdet', a!, null, out, gpuStatus(rt, 'slogdet', 'A', a!.shape, SINGULAR)),
  vjp: ([a], _y, g) => {
    const n = a!.shape[a!.rank - 1]!;
    // ḡ (of log|det|) · A⁻ᵀ
    const glog = sum(mul(g, fromValues([0, 1], [2], g.backend)), -1, true);
    return [mul(asCol(glog), mT(solveRaw(a!, masks(n, a!.backend).eye)))];
  },
  jvp: ([a], _y, [da]) => {
    if (!da) return null;
    const n = a!.shape[a!.rank - 1]!;
    const trace = sum(sum(mul(solveRaw(a!, da), masks(n, a!.backend).eye), -1), -1, true);
    return mul(trace, fromValues([0, 1], [2], a!.backend));
  },
  samples: slogdetSamples,
  rejects: [{ shapes: [[3]], attrs: undefined, message: /slogdet: A must be a matrix or a batch of matrices \(rank ≥ 2\), got A \[3\]/ }],
});

export const slogdetPacked = (a: Tensor) => apply(slogdetOp, [a], undefined);

// ---------------------------------------------------------------- cholesky

const LOWER: TriangularFlags = { lower: true, unit: false, transpose: false };

const choleskyOp: OpDef = defineOp({
  name: 'cholesky',
  args: ['A'],
  saves: { inputs: false, output: true },
  shape: ([a]) => {
    checkMatrix('cholesky', 'A', a!, true);
    return a!;
  },
  cpu: ([a], [s]) => {
    const n = s![s!.length - 1]!;
    const out = new Float64Array(a!.length);
    for (let b = 0; b < matrixCount(s!); b++) {
      const m = a!.subarray(b * n * n, (b + 1) * n * n);
      const lowerPart = m.filter((_, e) => e % n <= Math.floor(e / n));
      assertFiniteMatrix('cholesky', 'A', s!, lowerPart, b);
      const { l, failedAt } = refCholesky(m, n);
      if (failedAt >= 0) throw failure('cholesky', 'A', s!, b, NOT_PD);
      out.set(l, b * n * n);
    }
    return out;
  },
  gpu: (rt, [a], out) => launchDense(rt, 'cholesky', a!, null, out, gpuStatus(rt, 'cholesky', 'A', a!.shape, NOT_PD)),
  vjp: (_a, l, g) => [choleskyVjp(l, g)],
  jvp: (_a, l, [da]) => da && choleskyJvp(l, da),
  samples: choleskySamples,
  rejects: [{ shapes: [[3, 2]], attrs: undefined, message: /cholesky: A must be square in its last two dimensions, got A \[3, 2\]/ }],
});

export const choleskyRaw = (a: Tensor) => apply(choleskyOp, [a], undefined);

/** Φ: the lower triangle with half the diagonal. */
const phi = (x: Tensor, m: ReturnType<typeof masks>) => add(mul(x, m.lowerStrict), mul(x, mul(m.eye, 0.5)));

function choleskyJvp(l: Tensor, da: Tensor): Tensor {
  const m = masks(l.shape[l.rank - 1]!, l.backend);
  const dl = mul(da, m.lowerStrict);
  const ds = add(add(mul(da, m.eye), dl), mT(dl));
  // L⁻¹·dS·L⁻ᵀ = L⁻¹(L⁻¹·dSᵀ)ᵀ, dS symmetric
  const z = triangular(l, mT(triangular(l, ds, LOWER)), LOWER);
  return mm(l, phi(z, m), false, false);
}

function choleskyVjp(l: Tensor, g: Tensor): Tensor {
  const m = masks(l.shape[l.rank - 1]!, l.backend);
  const p = phi(mm(l, g, true, false), m);
  // S̄ = L⁻ᵀ·P·L⁻¹ = L⁻ᵀ(L⁻ᵀ·Pᵀ)ᵀ
  const lt = { ...LOWER, transpose: true };
  const gs = triangular(l, mT(triangular(l, mT(p), lt)), lt);
  // adjoint of dA ↦ tril(dA) + tril(dA, −1)ᵀ
  return add(mul(gs, m.lower), mul(mT(gs), m.lowerStrict));
}

export type { TriangularFlags, DenseMode };
