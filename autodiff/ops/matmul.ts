import { ShapeError, fmtShape } from '../../engine/errors.js';
import { broadcastShapes, broadcastStrides, sizeOf, type Shape } from '../../engine/shape.js';
import type { Tensor } from '../../engine/tensor.js';
import { launchMatmul } from '../../kernels/matmul.js';
import { apply, defineOp, type OpDef } from '../op.js';
import { addMaybe } from './elementwise.js';
import { mT, reshape, unbroadcast } from './shape.js';

function matmulShape([a, b]: Shape[]): Shape {
  if (a!.length < 2 || b!.length < 2) {
    throw new ShapeError(`matmul: a and b must have rank ≥ 2 here (vectors are promoted by fg.matmul), got a ${fmtShape(a!)}, b ${fmtShape(b!)}`);
  }
  const [m, k] = a!.slice(-2) as [number, number];
  const [k2, n] = b!.slice(-2) as [number, number];
  if (k !== k2) {
    throw new ShapeError(`matmul: inner dimensions differ: a ${fmtShape(a!)} has ${k} columns, b ${fmtShape(b!)} has ${k2} rows`);
  }
  const batch = broadcastShapes('matmul', [a!.slice(0, -2), b!.slice(0, -2)], ['a (batch dims)', 'b (batch dims)']);
  return [...batch, m, n];
}

/** float64 reference: the textbook triple loop per batch element. */
function cpuMatmul(a: Float64Array, b: Float64Array, as: Shape, bs: Shape, outShape: Shape): Float64Array {
  const [m, k] = as.slice(-2) as [number, number];
  const n = bs[bs.length - 1]!;
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
        for (let p = 0; p < k; p++) acc += a[ao * m * k + i * k + p]! * b[bo * k * n + p * n + j]!;
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

const matmulOp: OpDef = defineOp({
  name: 'matmul',
  args: ['a', 'b'],
  broadcasting: true,
  saves: { inputs: true, output: false },
  shape: matmulShape,
  cpu: ([a, b], [as, bs], _attrs, outShape) => cpuMatmul(a!, b!, as!, bs!, outShape),
  gpu: (rt, [a, b], out) => launchMatmul(rt, a!, b!, out),
  vjp: ([a, b], _y, g, _attrs, [as, bs], outShape) => {
    const batch = g.rank - outShape.length;
    return [unbroadcast(matmul2(g, mT(b!)), as!, batch), unbroadcast(matmul2(mT(a!), g), bs!, batch)];
  },
  jvp: ([a, b], _y, [da, db]) => addMaybe(da && matmul2(da, b!), db && matmul2(a!, db)),
  samples: [
    { shapes: [[1, 1], [1, 1]], attrs: undefined },
    { shapes: [[3, 5], [5, 2]], attrs: undefined },
    { shapes: [[7, 13], [13, 17]], attrs: undefined },
    { shapes: [[4, 3, 5], [4, 5, 2]], attrs: undefined },
    { shapes: [[2, 1, 3, 4], [5, 4, 3]], attrs: undefined },
    { shapes: [[3, 4], [2, 4, 6]], attrs: undefined },
  ],
  rejects: [
    { shapes: [[3, 4], [5, 2]], attrs: undefined, message: /matmul: inner dimensions differ: a \[3, 4\] has 4 columns, b \[5, 2\] has 5 rows/ },
    { shapes: [[2, 3, 4], [3, 4, 5]], attrs: undefined, message: /matmul: shapes do not broadcast: a \(batch dims\) \[2\], b \(batch dims\) \[3\]/ },
    { shapes: [[4], [4, 5]], attrs: undefined, message: /matmul: a and b must have rank ≥ 2/ },
  ],
});

const matmul2 = (a: Tensor, b: Tensor) => apply(matmulOp, [a, b], undefined);

/**
 * Matrix product with NumPy's rules: batched over leading dimensions (broadcast), and a 1-D
 * operand is a vector (a row on the left, a column on the right) whose axis is dropped.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.rank === 0 || b.rank === 0) {
    throw new ShapeError(`matmul: a and b must have rank ≥ 1, got a ${fmtShape(a.shape)}, b ${fmtShape(b.shape)}`);
  }
  const a2 = a.rank === 1 ? reshape(a, [1, a.shape[0]!]) : a;
  const b2 = b.rank === 1 ? reshape(b, [b.shape[0]!, 1]) : b;
  let y = matmul2(a2, b2);
  if (b.rank === 1) y = reshape(y, y.shape.slice(0, -1));
  if (a.rank === 1) y = reshape(y, [...y.shape.slice(0, -2), y.shape[y.rank - 1]!]);
  return y;
}
