import { ShapeError, fmtShape } from '../../engine/errors.js';
import { asPublic, checkNumbers, checkTensor } from '../../engine/args.js';
import { describe } from '../../engine/options.js';
import { broadcastShapes, broadcastStrides, sameShape, sizeOf, type Shape, checkShape } from '../../engine/shape.js';
import type { Tensor } from '../../engine/tensor.js';
import { launchElementwise, permutedStrides } from '../../kernels/elementwise.js';
import { apply, defineOp, type OpDef } from '../op.js';
import { cpuMap } from './elementwise.js';
import { sum } from './reduce.js';

const NONE = { inputs: false, output: false };

/** Copies `src` read through `strides` (per output dimension) into a new array of outShape. */
function cpuStrided(src: Float64Array, strides: number[], outShape: Shape): Float64Array {
  const n = sizeOf(outShape);
  const out = new Float64Array(n);
  const idx = new Array<number>(outShape.length).fill(0);
  for (let i = 0; i < n; i++) {
    let off = 0;
    for (let d = 0; d < idx.length; d++) off += idx[d]! * strides[d]!;
    out[i] = src[off]!;
    for (let d = idx.length - 1; d >= 0; d--) {
      if (++idx[d]! < outShape[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}

// ---------------------------------------------------------------- reshape

const reshapeOp: OpDef<{ shape: Shape }> = defineOp({
  name: 'reshape',
  args: ['x'],
  alias: true, // same storage, new shape
  saves: NONE,
  shape: ([x], { shape }) => {
    if (sizeOf(shape) !== sizeOf(x!)) {
      throw new ShapeError(`reshape: cannot reshape x ${fmtShape(x!)} (size ${sizeOf(x!)}) to ${fmtShape(shape)} (size ${sizeOf(shape)})`);
    }
    return shape;
  },
  cpu: ([x]) => x!,
  gpu: () => {},
  vjp: (_x, _y, g, _a, [xs], outShape) => [reshape(g, [...g.shape.slice(0, g.rank - outShape.length), ...xs!])],
  jvp: ([x], _y, [dx], { shape }) => dx && reshape(dx, [...dx.shape.slice(0, dx.rank - x!.rank), ...shape]),
  samples: [
    { shapes: [[6]], attrs: { shape: [2, 3] } },
    { shapes: [[2, 3, 4]], attrs: { shape: [4, 6] } },
    { shapes: [[1]], attrs: { shape: [] } },
  ],
  rejects: [{ shapes: [[2, 3]], attrs: { shape: [4, 2] }, message: /reshape: cannot reshape x \[2, 3\] \(size 6\) to \[4, 2\] \(size 8\)/ }],
});

/** Same values in a new shape; one dimension may be −1 (inferred). */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  checkTensor('reshape', 'x', x);
  if (!Array.isArray(shape)) throw new ShapeError(`reshape: shape must be an array of non-negative integers (one may be −1), got ${describe(shape)}`);
  const known = shape.filter((d) => d !== -1);
  const holes = shape.length - known.length;
  if (holes > 1 || !known.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new ShapeError(`reshape: shape must be non-negative integers with at most one −1, got ${fmtShape(shape)}`);
  }
  const rest = sizeOf(known);
  const filled = holes ? shape.map((d) => (d === -1 ? (rest === 0 ? 0 : x.size / rest) : d)) : [...shape];
  if (holes && !Number.isInteger(filled[shape.indexOf(-1)])) {
    throw new ShapeError(`reshape: cannot reshape x ${fmtShape(x.shape)} (size ${x.size}) to ${fmtShape(shape)}`);
  }
  return apply(reshapeOp, [x], { shape: filled });
}

// ---------------------------------------------------------------- transpose

const transposeOp: OpDef<{ perm: number[] }> = defineOp({
  name: 'transpose',
  args: ['x'],
  saves: NONE,
  shape: ([x], { perm }) => {
    const ok = perm.length === x!.length && [...perm].sort((a, b) => a - b).every((p, i) => p === i);
    if (!ok) throw new ShapeError(`transpose: perm ${fmtShape(perm)} is not a permutation of the axes of x ${fmtShape(x!)}`);
    return perm.map((p) => x![p]!);
  },
  cpu: ([x], [xs], { perm }, outShape) => cpuStrided(x!, permutedStrides(xs!, perm), outShape),
  gpu: (rt, [x], out, { perm }) => launchElementwise(rt, 'transpose', 'a', [x!], out, [permutedStrides(x!.shape, perm)]),
  vjp: (_x, _y, g, { perm }, _s, outShape) => {
    const inv = new Array<number>(perm.length);
    perm.forEach((p, i) => (inv[p] = i));
    return [transpose(g, shiftPerm(inv, g.rank - outShape.length))];
  },
  jvp: ([x], _y, [dx], { perm }) => dx && transpose(dx, shiftPerm(perm, dx.rank - x!.rank)),
  samples: [
    { shapes: [[3, 5]], attrs: { perm: [1, 0] } },
    { shapes: [[2, 3, 4]], attrs: { perm: [2, 0, 1] } },
    { shapes: [[1, 7]], attrs: { perm: [1, 0] } },
  ],
  rejects: [{ shapes: [[2, 3]], attrs: { perm: [0, 0] }, message: /transpose: perm \[0, 0\] is not a permutation of the axes of x \[2, 3\]/ }],
});

/** A permutation for tensors with `lead` extra leading (batch) dimensions kept in front. */
function shiftPerm(perm: readonly number[], lead: number): number[] {
  return [...Array.from({ length: lead }, (_, i) => i), ...perm.map((p) => p + lead)];
}

/** Permutes axes (default: reverses them). Negative axes count from the end. */
export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  checkTensor('transpose', 'x', x);
  if (perm !== undefined && perm !== null) checkNumbers('transpose', 'perm', perm);
  const p = perm ? perm.map((a) => (a < 0 ? a + x.rank : a)) : Array.from({ length: x.rank }, (_, i) => x.rank - 1 - i);
  return apply(transposeOp, [x], { perm: p });
}

/** Swaps the last two axes (matrix transpose of every matrix in a batch). */
export function mT(x: Tensor): Tensor {
  if (checkTensor('mT', 'x', x).rank < 2) throw new ShapeError(`mT: x must have rank ≥ 2, got ${fmtShape(x.shape)}`);
  const perm = Array.from({ length: x.rank }, (_, i) => i);
  [perm[x.rank - 2], perm[x.rank - 1]] = [perm[x.rank - 1]!, perm[x.rank - 2]!];
  return asPublic('mT', () => transpose(x, perm));
}

// ---------------------------------------------------------------- broadcastTo

const broadcastOp: OpDef<{ shape: Shape }> = defineOp({
  name: 'broadcastTo',
  args: ['x'],
  saves: NONE,
  shape: ([x], { shape }) => {
    const b = broadcastShapes('broadcastTo', [x!, shape], ['x', 'shape']);
    if (!sameShape(b, shape)) throw new ShapeError(`broadcastTo: x ${fmtShape(x!)} cannot be broadcast to ${fmtShape(shape)}`);
    return shape;
  },
  cpu: ([x], [xs], _a, outShape) => cpuStrided(x!, broadcastStrides(xs!, outShape), outShape),
  gpu: (rt, [x], out) => launchElementwise(rt, 'broadcastTo', 'a', [x!], out, [broadcastStrides(x!.shape, out.shape)]),
  elementwise: { wgsl: 'a' },
  vjp: (_x, _y, g, _a, [xs], outShape) => [unbroadcast(g, xs!, g.rank - outShape.length)],
  jvp: ([x], _y, [dx], { shape }) => {
    if (!dx) return null;
    const lead = dx.rank - x!.rank;
    const padded = reshape(dx, [...dx.shape.slice(0, lead), ...new Array<number>(shape.length - x!.rank).fill(1), ...x!.shape]);
    return broadcastTo(padded, [...dx.shape.slice(0, lead), ...shape]);
  },
  samples: [
    { shapes: [[3]], attrs: { shape: [4, 3] } },
    { shapes: [[2, 1]], attrs: { shape: [2, 5] } },
    { shapes: [[]], attrs: { shape: [3, 2] } },
  ],
  rejects: [{ shapes: [[3]], attrs: { shape: [3, 2] }, message: /broadcastTo: .*x \[3\].*\[3, 2\]/ }],
});

export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  checkTensor('broadcastTo', 'x', x);
  checkShape('broadcastTo', shape);
  if (sameShape(x.shape, shape)) return x;
  return apply(broadcastOp, [x], { shape: [...shape] });
}

/**
 * Sums g, of shape [...batch, ...broadcast shape], down to [...batch, ...shape]: the adjoint of
 * broadcasting. `batch` leading dimensions are kept.
 */
export function unbroadcast(g: Tensor, shape: Shape, batch: number): Tensor {
  const lead = g.rank - batch - shape.length;
  let r = g;
  if (lead > 0) {
    const b = g.shape.slice(0, batch);
    r = sum(reshape(r, [...b, sizeOf(g.shape.slice(batch, batch + lead)), ...g.shape.slice(batch + lead)]), batch);
  }
  for (let i = 0; i < shape.length; i++) {
    if (shape[i] === 1 && r.shape[batch + i] !== 1) r = sum(r, batch + i, true);
  }
  return r;
}

