import { fromValues } from '../../engine/creation.js';
import { checkNumbers, checkTensor } from '../../engine/args.js';
import { ArgumentError, ShapeError, fmtShape } from '../../engine/errors.js';
import { normAxis, sameShape, sizeOf, type Shape } from '../../engine/shape.js';
import { Tensor } from '../../engine/tensor.js';
import { launchGather, launchOneHot, launchScatterAdd, type BadIndex } from '../../kernels/gather.js';
import { apply, defineOp, type OpDef } from '../op.js';
import { div } from './arith.js';
import { maximum } from './binary-more.js';
import { broadcastTo, reshape } from './shape.js';

/** The error for a bad index: the same text on both backends. */
function indexError(op: string, lo: number, n: number, what: string, position: number, value: number | undefined): ArgumentError {
  const found = value === undefined ? 'an index outside them' : `${value}`;
  return new ArgumentError(`${op}: indices must be integers in [${lo}, ${n}) for ${what}; found ${found} at position ${position}`);
}

/**
 * Indices as the float64 reference reads them: integers in [−n, n) (negative ones count from
 * the end), or an error naming the op. The WebGPU kernels report the same error from the next
 * read (see kernels/status.ts), through `badIndex`.
 */
function checkedIndices(op: string, idx: Float64Array, n: number, what: string, negative = true): number[] {
  const lo = negative ? -n : 0;
  return Array.from(idx, (v, j) => {
    if (!Number.isInteger(v) || v < lo || v >= n) throw indexError(op, lo, n, what, j, v);
    return v < 0 ? v + n : v;
  });
}

function badIndex(op: string, n: number, what: string, negative = true): BadIndex {
  const lo = negative ? -n : 0;
  return { key: `${op} ${lo} ${n} ${what}`, error: (position, value) => indexError(op, lo, n, what, position, value) };
}

// ---------------------------------------------------------------- gather

interface GatherAttrs {
  axis: number;
}

const gatherWhat = (xs: Shape, axis: number) => `axis ${axis} of x ${fmtShape(xs)}`;

const gatherOp: OpDef<GatherAttrs> = defineOp<GatherAttrs>({
  name: 'gather',
  args: ['x', 'indices'],
  nondiff: [1],
  saves: { inputs: true, output: false },
  shape: ([x, idx], { axis }) => {
    if (!(Number.isInteger(axis) && axis >= 0 && axis < x!.length)) throw new ShapeError(`gather: axis ${axis} is out of range for x ${fmtShape(x!)}`);
    return [...x!.slice(0, axis), ...idx!, ...x!.slice(axis + 1)];
  },
  cpu: ([x, idx], [xs], { axis }, outShape) => {
    const n = xs![axis]!;
    const ks = checkedIndices('gather', idx!, n, gatherWhat(xs!, axis));
    const outer = sizeOf(xs!.slice(0, axis));
    const inner = sizeOf(xs!.slice(axis + 1));
    const out = new Float64Array(sizeOf(outShape));
    for (let o = 0; o < outer; o++) {
      ks.forEach((k, j) => {
        for (let i = 0; i < inner; i++) out[(o * ks.length + j) * inner + i] = x![(o * n + k) * inner + i]!;
      });
    }
    return out;
  },
  gpu: (rt, [x, idx], out, { axis }) => {
    const n = x!.shape[axis]!;
    launchGather(rt, x!, idx!, out, n, sizeOf(x!.shape.slice(axis + 1)), badIndex('gather', n, gatherWhat(x!.shape, axis)));
  },
  // rows read several times receive the sum of their cotangents
  vjp: ([, idx], _y, g, { axis }, [xs], outShape) => [apply(scatterAddOp, [g, idx!], { axis: axis + g.rank - outShape.length, size: xs![axis]! }), null],
  jvp: ([x, idx], _y, [dx], { axis }) => dx && apply(gatherOp, [dx, idx!], { axis: axis + dx.rank - x!.rank }),
  samples: [
    { shapes: [[5, 3], [4]], attrs: { axis: 0 }, values: [undefined, [4, 0, 2, 0]] },
    { shapes: [[2, 7], [3]], attrs: { axis: 1 }, values: [undefined, [6, -1, 3]] },
    { shapes: [[3, 4, 2], [2, 2]], attrs: { axis: 1 }, values: [undefined, [3, 0, 1, -4]] },
    { shapes: [[6], []], attrs: { axis: 0 }, values: [undefined, [5]] },
  ],
  rejects: [{ shapes: [[5, 3], [2]], attrs: { axis: 2 }, message: /gather: axis 2 is out of range for x \[5, 3\]/ }],
});

type Indices = Tensor | readonly number[];

function indexTensor(who: string, like: Tensor, idx: Indices, name = 'indices'): Tensor {
  return idx instanceof Tensor ? idx : fromValues(Float64Array.from(checkNumbers(who, `${name} (a Tensor or an array of integers)`, idx)), [idx.length], like.backend);
}

/**
 * x indexed along `axis` by integer indices (stored as floats; negative ones count from the
 * end), as NumPy's np.take: the result has shape x[:axis] + indices.shape + x[axis+1:].
 * indices carry no derivative. An index out of range or not an integer throws an ArgumentError
 * naming it: at once on the CPU backend; on WebGPU from the next read of any tensor (checking
 * at once would need a readback), the result being NaN where the index was bad.
 */
export function gather(x: Tensor, indices: Indices, axis = 0): Tensor {
  checkTensor('gather', 'x', x);
  return apply(gatherOp, [x, indexTensor('gather', x, indices)], { axis: normAxis('gather', axis, x.rank) });
}

// ---------------------------------------------------------------- scatterAdd

interface ScatterAttrs {
  axis: number;
  /** length of the output's axis */
  size: number;
  /** false: indices are segment ids, and a negative one is an error (default: counts from the end) */
  negative?: boolean;
  /** the public function the errors name (segmentSum, segmentMean; default scatterAdd) */
  who?: string;
}

const scatterWhat = (size: number) => `an axis of length ${size}`;

const scatterAddOp: OpDef<ScatterAttrs> = defineOp<ScatterAttrs>({
  name: 'scatterAdd',
  args: ['updates', 'indices'],
  nondiff: [1],
  saves: { inputs: true, output: false },
  shape: ([u, idx], { axis, size, who = 'scatterAdd' }) => {
    if (!(Number.isInteger(size) && size >= 0)) throw new ShapeError(`${who}: size must be a non-negative integer, got ${size}`);
    if (!(Number.isInteger(axis) && axis >= 0 && axis + idx!.length <= u!.length && sameShape(u!.slice(axis, axis + idx!.length), idx!))) {
      throw new ShapeError(`${who}: ${who === 'scatterAdd' ? 'updates' : 'data'} ${fmtShape(u!)} must hold the shape of ${who === 'scatterAdd' ? 'indices' : 'segmentIds'} ${fmtShape(idx!)} at axis ${axis}`);
    }
    return [...u!.slice(0, axis), size, ...u!.slice(axis + idx!.length)];
  },
  cpu: ([u, idx], [us, is], { axis, size, negative = true, who = 'scatterAdd' }, outShape) => {
    const ks = checkedIndices(who, idx!, size, scatterWhat(size), negative);
    const outer = sizeOf(us!.slice(0, axis));
    const inner = sizeOf(us!.slice(axis + is!.length));
    const out = new Float64Array(sizeOf(outShape));
    for (let o = 0; o < outer; o++) {
      ks.forEach((k, j) => {
        for (let i = 0; i < inner; i++) out[(o * size + k) * inner + i]! += u![(o * ks.length + j) * inner + i]!;
      });
    }
    return out;
  },
  gpu: (rt, [u, idx], out, { axis, size, negative = true, who = 'scatterAdd' }) =>
    launchScatterAdd(rt, u!, idx!, out, size, sizeOf(out.shape.slice(axis + 1)), badIndex(who, size, scatterWhat(size), negative), negative),
  vjp: ([, idx], _y, g, { axis }, _s, outShape) => [apply(gatherOp, [g, idx!], { axis: axis + g.rank - outShape.length }), null],
  jvp: ([u, idx], _y, [du], { axis, size, negative, who }) => du && apply(scatterAddOp, [du, idx!], { axis: axis + du.rank - u!.rank, size, negative, who }),
  samples: [
    { shapes: [[4, 3], [4]], attrs: { axis: 0, size: 5 }, values: [undefined, [4, 0, 2, 0]] },
    { shapes: [[2, 3], [3]], attrs: { axis: 1, size: 7 }, values: [undefined, [6, -1, 6]] },
    { shapes: [[2, 2, 3], [2, 2]], attrs: { axis: 0, size: 3 }, values: [undefined, [2, 2, 0, 2]] },
  ],
  rejects: [{ shapes: [[4, 3], [5]], attrs: { axis: 0, size: 5 }, message: /scatterAdd: updates \[4, 3\] must hold the shape of indices \[5\] at axis 0/ }],
});

/**
 * The adjoint of gather: a tensor with `size` entries along `axis`, where entry k holds the sum
 * of the slices of updates whose index is k (updates.shape = out[:axis] + indices.shape +
 * out[axis+1:]). On WebGPU the adds to one entry happen in a varying order. Bad indices throw
 * as in gather (on WebGPU from the next read, their updates dropped).
 */
export function scatterAdd(updates: Tensor, indices: Indices, size: number, axis = 0): Tensor {
  checkTensor('scatterAdd', 'updates', updates);
  const idx = indexTensor('scatterAdd', updates, indices);
  return apply(scatterAddOp, [updates, idx], { axis: normAxis('scatterAdd', axis, updates.rank - idx.rank + 1), size });
}

/** scatterAdd along axis 0 for the segment reductions: ids must not be negative, errors name `who`. */
function segments(who: string, data: Tensor, ids: Tensor, numSegments: number): Tensor {
  if (ids.rank > data.rank) throw new ShapeError(`${who}: segmentIds ${fmtShape(ids.shape)} has a higher rank than data ${fmtShape(data.shape)}`);
  return apply(scatterAddOp, [data, ids], { axis: 0, size: numSegments, negative: false, who });
}

/**
 * Sums of the rows of data (along axis 0) that share a segment id: out[s] = Σ_{ids[j] = s} data[j].
 * Segment ids are integers in [0, numSegments): a negative one is an ArgumentError, as one past
 * the end is (TensorFlow drops rows with a negative id; here it does not count from the end as
 * a gather index would, and is not dropped silently either).
 */
export function segmentSum(data: Tensor, segmentIds: Indices, numSegments: number): Tensor {
  checkTensor('segmentSum', 'data', data);
  const ids = indexTensor('segmentSum', data, segmentIds, 'segmentIds');
  return segments('segmentSum', data, ids, numSegments);
}

/** Means of the rows of data that share a segment id; an empty segment gives 0. Ids as in segmentSum. */
export function segmentMean(data: Tensor, segmentIds: Indices, numSegments: number): Tensor {
  checkTensor('segmentMean', 'data', data);
  const ids = indexTensor('segmentMean', data, segmentIds, 'segmentIds');
  const sums = segments('segmentMean', data, ids, numSegments);
  const counts = segments('segmentMean', broadcastTo(fromValues([1], [], data.backend), ids.shape), ids, numSegments);
  const shape = [numSegments, ...data.shape.slice(ids.rank).map(() => 1)];
  return div(sums, reshape(maximum(counts, 1), shape));
}

// ---------------------------------------------------------------- oneHot

interface OneHotAttrs {
  depth: number;
  axis: number;
  /** the public function the errors name (crossEntropy; default oneHot) */
  who?: string;
}

const oneHotWhat = (depth: number) => `depth ${depth}`;

const oneHotOp: OpDef<OneHotAttrs> = defineOp<OneHotAttrs>({
  name: 'oneHot',
  args: ['indices'],
  nondiff: [0],
  saves: { inputs: false, output: false },
  shape: ([idx], { depth, axis }) => {
    if (!(Number.isInteger(depth) && depth >= 0)) throw new ShapeError(`oneHot: depth must be a non-negative integer, got ${depth}`);
    if (!(Number.isInteger(axis) && axis >= 0 && axis <= idx!.length)) throw new ShapeError(`oneHot: axis ${axis} is out of range for indices ${fmtShape(idx!)}`);
    return [...idx!.slice(0, axis), depth, ...idx!.slice(axis)];
  },
  cpu: ([idx], [is], { depth, axis, who = 'oneHot' }, outShape) => {
    const ks = checkedIndices(who, idx!, depth, oneHotWhat(depth), false);
    const inner = sizeOf(is!.slice(axis));
    const out = new Float64Array(sizeOf(outShape));
    ks.forEach((k, p) => (out[(Math.floor(p / inner) * depth + k) * inner + (p % inner)] = 1));
    return out;
  },
  gpu: (rt, [idx], out, { depth, axis, who = 'oneHot' }) => launchOneHot(rt, idx!, out, depth, sizeOf(idx!.shape.slice(axis)), badIndex(who, depth, oneHotWhat(depth), false)),
  vjp: () => [null],
  jvp: () => null,
  samples: [
    { shapes: [[4]], attrs: { depth: 3, axis: 1 }, values: [[0, 2, 1, 2]] },
    { shapes: [[2, 3]], attrs: { depth: 4, axis: 0 }, values: [[3, 0, 1, 1, 2, 3]] },
    { shapes: [[]], attrs: { depth: 5, axis: 0 }, values: [[3]] },
  ],
  rejects: [{ shapes: [[4]], attrs: { depth: 3, axis: 2 }, message: /oneHot: axis 2 is out of range for indices \[4\]/ }],
});

/**
 * 1 where the position along the new axis (of length depth; by default the last) equals the
 * index, else 0; indices are integers in [0, depth) stored as floats, with no derivative.
 * Others throw as in gather (on WebGPU from the next read, their rows NaN).
 */
export function oneHot(indices: Indices, depth: number, axis = -1): Tensor {
  return oneHotAs('oneHot', indices, depth, axis);
}

/** oneHot with its errors naming `who` (crossEntropy's labels). */
export function oneHotAs(who: string, indices: Indices, depth: number, axis = -1): Tensor {
  const idx = indices instanceof Tensor ? indices : fromValues(Float64Array.from(checkNumbers(who, 'indices (a Tensor or an array of integers)', indices)), [indices.length]);
  return apply(oneHotOp, [idx], who === 'oneHot' ? { depth, axis: normAxis(who, axis, idx.rank + 1) } : { depth, axis: normAxis(who, axis, idx.rank + 1), who });
}
