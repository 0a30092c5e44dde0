import { checkTensor } from '../../engine/args.js';
import { boolean, checkOptions, optionKeys } from '../../engine/options.js';
import { ArgumentError, ShapeError, fmtShape } from '../../engine/errors.js';
import { broadcastShapes, broadcastStrides, sizeOf, type Shape } from '../../engine/shape.js';
import type { Tensor } from '../../engine/tensor.js';
import { launchMatmul } from '../../kernels/matmul.js';
import { apply, defineOp, type OpDef } from '../op.js';
import { addMaybe } from './elementwise.js';
import { reshape, unbroadcast } from './shape.js';

/** Read a (b) as the transpose of its last two axes, without materializing it. */
export type MatmulAttrs = { transA?: boolean; transB?: boolean } | undefined;

/** m, k of op(a) and k, n of op(b) for stored shapes a, b. */
export function matmulDims(a: Shape, b: Shape, attrs: MatmulAttrs): { m: number; k: number; k2: number; n: number } {
  const [a0, a1] = a.slice(-2) as [number, number];
  const [b0, b1] = b.slice(-2) as [number, number];
  const [m, k] = attrs?.transA ? [a1, a0] : [a0, a1];
  const [k2, n] = attrs?.transB ? [b1, b0] : [b0, b1];
  return { m, k, k2, n };
}

/** The output shape of op(a) @ op(b); `op` names the caller (matmul, linear) in errors. */
export function matmulShapeOf(op: string, [a, b]: Shape[], attrs: MatmulAttrs, names = ['a', 'b']): Shape {
  if (a!.length < 2 || b!.length < 2) {
    throw new ShapeError(`${op}: ${names[0]} and ${names[1]} must have rank ≥ 2 here (vectors are promoted by fg.${op}), got ${names[0]} ${fmtShape(a!)}, ${names[1]} ${fmtShape(b!)}`);
  }
  const { m, k, k2, n } = matmulDims(a!, b!, attrs);
  if (k !== k2) {
    const t = (on?: boolean) => (on ? ' (transposed)' : '');
    throw new ShapeError(
      `${op}: inner dimensions differ: ${names[0]} ${fmtShape(a!)}${t(attrs?.transA)} has ${k} columns, ${names[1]} ${fmtShape(b!)}${t(attrs?.transB)} has ${k2} rows`,
    );
  }
  const batch = broadcastShapes(op, [a!.slice(0, -2), b!.slice(0, -2)], [`${names[0]} (batch dims)`, `${names[1]} (batch dims)`]);
  return [...batch, m, n];
}

/** float64 reference: the textbook triple loop per batch element, op(a)[i, p] read through strides. */
export function cpuMatmul(a: Float64Array, b: Float64Array, as: Shape, bs: Shape, outShape: Shape, attrs: MatmulAttrs): Float64Array {
  const { m, k, n } = matmulDims(as, bs, attrs);
  // element strides of op(a) (rows i, columns p) and op(b) (rows p, columns j)
  const [ai, ap] = attrs?.transA ? [1, m] : [k, 1];
  const [bp, bj] = attrs?.transB ? [1, k] : [n, 1];
  const batchShape = outShape.slice(0, -2);
  const aStr = broadcastStrides(as.slice(0, -2), batchShape);
  const bStr = broadcastStrides(bs.slice(0, -2), batchShape);
  const batches = sizeOf(batchShape);
  const out = new Float64Array(batches * m * n);
  const idx = new Array<number>(batchShape.length).fill(0);
  for (let t = 0; t < batches; t++) {
    let ao = 0;
    let bo = 0;
    idx.forEach((c, d) => ((ao += c * aStr[d]!), (bo += c * bStr[d]!)));
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let p = 0; p < k; p++) acc += a[ao * m * k + i * ai + p * ap]! * b[bo * k * n + p * bp + j * bj]!;
        out[t * m * n + i * n + j] = acc;
      }
    }
    for (let d = idx.length - 1; d >= 0; d--) {
      if (++idx[d]! < batchShape[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}

const matmulOp: OpDef<MatmulAttrs> = defineOp<MatmulAttrs>({
  name: 'matmul',
  args: ['a', 'b'],
  broadcasting: true,
  saves: { inputs: true, output: false },
  shape: (shapes, attrs) => matmulShapeOf('matmul', shapes, attrs),
  cpu: ([a, b], [as, bs], attrs, outShape) => cpuMatmul(a!, b!, as!, bs!, outShape, attrs),
  gpu: (rt, [a, b], out, attrs) => launchMatmul(rt, a!, b!, out, attrs ?? {}),
  gpuEpilogue: (rt, [a, b], out, attrs, epilogue) => launchMatmul(rt, a!, b!, out, { ...attrs, epilogue }),
  // C = op(A)·op(B): gA = g·op(B)ᵀ (or its transpose), gB = op(A)ᵀ·g (or its transpose),
  // each one matmul that reads its operands transposed in place
  vjp: ([a, b], _y, g, attrs, [as, bs], outShape, needs) => {
    const batch = g.rank - outShape.length;
    const tA = !!attrs?.transA;
    const tB = !!attrs?.transB;
    const ga = needs?.[0] === false ? null : tA ? mm(b!, g, tB, true) : mm(g, b!, false, !tB);
    const gb = needs?.[1] === false ? null : tB ? mm(g, a!, true, tA) : mm(a!, g, !tA, false);
    return [ga && unbroadcast(ga, as!, batch), gb && unbroadcast(gb, bs!, batch)];
  },
  jvp: ([a, b], _y, [da, db], attrs) => addMaybe(da && apply(matmulOp, [da, b!], attrs), db && apply(matmulOp, [a!, db], attrs)),
  samples: [
    { shapes: [[1, 1], [1, 1]], attrs: undefined },
    { shapes: [[3, 5], [5, 2]], attrs: undefined },
    { shapes: [[7, 13], [13, 17]], attrs: undefined },
    { shapes: [[4, 3, 5], [4, 5, 2]], attrs: undefined },
    { shapes: [[2, 1, 3, 4], [5, 4, 3]], attrs: undefined },
    { shapes: [[3, 4], [2, 4, 6]], attrs: undefined },
    // large enough for the register-blocked kernel: ragged tiles (8 rows × 4 columns per
    // thread), k past the k-step; n % 4 = 0 reads vec4 rows of b
    { shapes: [[19, 11], [11, 12]], attrs: undefined },
    { shapes: [[9, 17], [17, 33]], attrs: undefined },
    // operands read transposed in place, in both kernels (k % 4 = 0 reads b as vec4 along k)
    { shapes: [[5, 3], [5, 2]], attrs: { transA: true } },
    { shapes: [[3, 8], [6, 8]], attrs: { transB: true } },
    { shapes: [[9, 3], [5, 9]], attrs: { transA: true, transB: true } },
    { shapes: [[2, 12, 5], [7, 12]], attrs: { transA: true, transB: true } },
    { shapes: [[6, 4], [3, 5, 4]], attrs: { transB: true } },
    { shapes: [[17, 9], [17, 16]], attrs: { transA: true } },
    { shapes: [[12, 10], [20, 12]], attrs: { transA: true, transB: true } },
  ],
  rejects: [
    { shapes: [[3, 4], [5, 2]], attrs: undefined, message: /matmul: inner dimensions differ: a \[3, 4\] has 4 columns, b \[5, 2\] has 5 rows/ },
    { shapes: [[3, 4], [5, 2]], attrs: { transA: true }, message: /matmul: inner dimensions differ: a \[3, 4\] \(transposed\) has 3 columns, b \[5, 2\] has 5 rows/ },
    { shapes: [[2, 3, 4], [3, 4, 5]], attrs: undefined, message: /matmul: shapes do not broadcast: a \(batch dims\) \[2\], b \(batch dims\) \[3\]/ },
    { shapes: [[4], [4, 5]], attrs: undefined, message: /matmul: a and b must have rank ≥ 2/ },
  ],
});

/** op(a) @ op(b) on matrices (rank ≥ 2), the transposes read in place. */
export function mm(a: Tensor, b: Tensor, transA: boolean, transB: boolean): Tensor {
  return apply(matmulOp, [a, b], transA || transB ? { transA, transB } : undefined);
}

export interface MatmulOptions {
  /** use the transpose of a's last two axes (a is [..., k, m]) */
  transA?: boolean;
  /** use the transpose of b's last two axes (b is [..., n, k]) */
  transB?: boolean;
}

/**
 * Matrix product with NumPy's rules: batched over leading dimensions (broadcast), and a 1-D
 * operand is a vector (a row on the left, a column on the right) whose axis is dropped.
 * `transA`/`transB` read a matrix operand transposed without copying it.
 */
const MATMUL_KEYS = optionKeys<MatmulOptions>({ transA: true, transB: true });

export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  checkTensor('matmul', 'a', a);
  checkTensor('matmul', 'b', b);
  checkOptions('matmul', opts, MATMUL_KEYS);
  boolean('matmul', 'transA', opts.transA);
  boolean('matmul', 'transB', opts.transB);
  if (a.rank === 0 || b.rank === 0) {
    throw new ShapeError(`matmul: a and b must have rank ≥ 1, got a ${fmtShape(a.shape)}, b ${fmtShape(b.shape)}`);
  }
  if ((opts.transA && a.rank === 1) || (opts.transB && b.rank === 1)) {
    throw new ArgumentError(`matmul: transA/transB apply to matrices; got a ${fmtShape(a.shape)}, b ${fmtShape(b.shape)} with ${JSON.stringify(opts)}`);
  }
  const a2 = a.rank === 1 ? reshape(a, [1, a.shape[0]!]) : a;
  const b2 = b.rank === 1 ? reshape(b, [b.shape[0]!, 1]) : b;
  const y = mm(a2, b2, !!opts.transA, !!opts.transB);
  if (a.rank > 1 && b.rank > 1) return y;
  // drop the axis of each vector operand: two vectors give a scalar (rank 0)
  const [m, n] = y.shape.slice(-2) as [number, number];
  return reshape(y, [...y.shape.slice(0, -2), ...(a.rank > 1 ? [m] : []), ...(b.rank > 1 ? [n] : [])]);
}
