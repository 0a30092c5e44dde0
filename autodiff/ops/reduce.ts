import { ArgumentError, ShapeError, fmtShape } from '../../engine/errors.js';
import { checkTensor } from '../../engine/args.js';
import { normAxis, sizeOf, type Shape } from '../../engine/shape.js';
import type { Tensor } from '../../engine/tensor.js';
import { launchReduce } from '../../kernels/reduce.js';
import { apply, defineOp, type OpDef } from '../op.js';
import { mul } from './arith.js';
import { broadcastTo, reshape, transpose } from './shape.js';

/** axis: null reduces everything. */
export interface ReduceAttrs {
  axis: number | null;
  keepDims: boolean;
}

/** x viewed as [outer, len, inner] around the reduced axis. */
export function split(shape: Shape, axis: number | null): [number, number, number] {
  if (axis === null) return [1, sizeOf(shape), 1];
  return [sizeOf(shape.slice(0, axis)), shape[axis]!, sizeOf(shape.slice(axis + 1))];
}

export function reducedShape(shape: Shape, { axis, keepDims }: ReduceAttrs): number[] {
  if (axis === null) return keepDims ? shape.map(() => 1) : [];
  return keepDims ? shape.map((d, i) => (i === axis ? 1 : d)) : shape.filter((_, i) => i !== axis);
}

function cpuSum(x: Float64Array, shape: Shape, axis: number | null, scale: number): Float64Array {
  const [outer, len, inner] = split(shape, axis);
  const out = new Float64Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      let acc = 0;
      for (let k = 0; k < len; k++) acc += x[(o * len + k) * inner + j]!;
      out[o * inner + j] = acc * scale;
    }
  }
  return out;
}

/** Broadcasts a cotangent of the reduced shape (with leading batch dims) back to x's shape. */
export function expandBack(g: Tensor, xShape: Shape, attrs: ReduceAttrs, outRank: number): Tensor {
  const lead = g.shape.slice(0, g.rank - outRank);
  const kept = reducedShape(xShape, { ...attrs, keepDims: true });
  return broadcastTo(reshape(g, [...lead, ...kept]), [...lead, ...xShape]);
}

function defineReduce(name: 'sum' | 'mean'): OpDef<ReduceAttrs> {
  const scaleOf = (shape: Shape, axis: number | null) => (name === 'mean' ? 1 / split(shape, axis)[1] : 1);
  const op: OpDef<ReduceAttrs> = defineOp<ReduceAttrs>({
    name,
    args: ['x'],
    saves: { inputs: false, output: false },
    shape: ([x], attrs) => {
      if (attrs.axis !== null && !(attrs.axis >= 0 && attrs.axis < x!.length)) {
        throw new ShapeError(`${name}: axis ${attrs.axis} is out of range for x ${fmtShape(x!)}`);
      }
      if (name === 'mean' && split(x!, attrs.axis)[1] === 0) {
        throw new ArgumentError(`mean: the reduced axis of x ${fmtShape(x!)} is empty`);
      }
      return reducedShape(x!, attrs);
    },
    cpu: ([x], [s], { axis }) => cpuSum(x!, s!, axis, scaleOf(s!, axis)),
    gpu: (rt, [x], out, { axis }) => {
      const [outer, len, inner] = split(x!.shape, axis);
      launchReduce(rt, name, 'sum', x!, out, outer, len, inner, scaleOf(x!.shape, axis));
    },
    gpuEpilogue: (rt, [x], out, { axis }, epilogue) => {
      const [outer, len, inner] = split(x!.shape, axis);
      launchReduce(rt, name, 'sum', x!, out, outer, len, inner, { scale: scaleOf(x!.shape, axis), epilogue });
    },
    vjp: (_x, _y, g, attrs, [xs], outShape) => {
      const back = expandBack(g, xs!, attrs, outShape.length);
      return [name === 'mean' ? mul(back, scaleOf(xs!, attrs.axis)) : back];
    },
    jvp: ([x], _y, [dx], { axis, keepDims }) => {
      if (!dx) return null;
      const lead = dx.rank - x!.rank;
      if (axis === null) {
        const flat = reshape(dx, [...dx.shape.slice(0, lead), x!.size]);
        return reshape(apply(op, [flat], { axis: lead, keepDims: false }), [...dx.shape.slice(0, lead), ...reducedShape(x!.shape, { axis, keepDims })]);
      }
      return apply(op, [dx], { axis: axis + lead, keepDims });
    },
    samples: reduceSamples(),
    rejects: [{ shapes: [[2, 3]], attrs: { axis: 2, keepDims: false }, message: new RegExp(`${name}: axis 2 is out of range for x \\[2, 3\\]`) }],
  });
  return op;
}

const sumOp = defineReduce('sum');
const meanOp = defineReduce('mean');

/** One axis, several, or all (null or undefined); negative axes count from the end. */
export type Axes = number | readonly number[] | null | undefined;

/**
 * Reduces x over `axes` with a reduction of one axis (or all): several axes that lie next to
 * each other are merged into one by a reshape (no copy); others are first moved to the end.
 * Their elements are then taken in row-major order, so "first" (ties of max and min) means
 * first in that order.
 */
export function overAxes(op: string, x: Tensor, axes: Axes, keepDims: boolean, reduce1: (x: Tensor, axis: number | null, keepDims: boolean) => Tensor): Tensor {
  checkTensor(op, 'x', x);
  if (axes === undefined || axes === null) return reduce1(x, null, keepDims);
  if (typeof axes === 'number') return reduce1(x, normAxis(op, axes, x.rank), keepDims);
  if (!Array.isArray(axes)) throw new ArgumentError(`${op}: axis must be a number, an array of numbers or null, got ${typeof axes}`);
  const list = [...new Set(axes.map((a) => normAxis(op, a, x.rank)))].sort((a, b) => a - b);
  if (list.length !== axes.length) throw new ShapeError(`${op}: axes ${fmtShape(axes)} name an axis twice for x ${fmtShape(x.shape)}`);
  if (list.length === 0) return x;
  if (list.length === 1) return reduce1(x, list[0]!, keepDims);
  const kept = x.shape.map((_, d) => d).filter((d) => !list.includes(d));
  const contiguous = list[list.length - 1]! - list[0]! === list.length - 1;
  const moved = contiguous ? x : transpose(x, [...kept, ...list]);
  const at = contiguous ? list[0]! : kept.length;
  const merged = reshape(moved, [...moved.shape.slice(0, at), sizeOf(list.map((d) => x.shape[d]!)), ...moved.shape.slice(at + list.length)]);
  const y = reduce1(merged, at, false);
  return keepDims ? reshape(y, x.shape.map((d, i) => (list.includes(i) ? 1 : d))) : y;
}

const reduceWith = (op: OpDef<ReduceAttrs>) => (x: Tensor, axis: number | null, keepDims: boolean) => apply(op, [x], { axis, keepDims });

/** Sum of all elements, or over one axis or several; over an empty axis it is 0 (as NumPy). */
export const sum = (x: Tensor, axis?: Axes, keepDims = false) => overAxes('sum', x, axis, keepDims, reduceWith(sumOp));
/**
 * Mean of all elements, or over one axis or several. Over an empty axis it throws an
 * ArgumentError (NumPy returns NaN with a warning; here no NaN appears silently), as max does.
 */
export const mean = (x: Tensor, axis?: Axes, keepDims = false) => overAxes('mean', x, axis, keepDims, reduceWith(meanOp));

/** Sample inputs shared by every reduction (hoisted: op files import each other). */
export function reduceSamples() {
  return [
    { shapes: [[7]], attrs: { axis: null, keepDims: false } },
    { shapes: [[3, 5]], attrs: { axis: 0, keepDims: false } },
    { shapes: [[3, 5]], attrs: { axis: 1, keepDims: true } },
    { shapes: [[2, 3, 4]], attrs: { axis: 1, keepDims: false } },
    { shapes: [[2, 300]], attrs: { axis: 1, keepDims: false } },
    { shapes: [[2, 3, 4]], attrs: { axis: null, keepDims: true } },
    { shapes: [[1]], attrs: { axis: 0, keepDims: false } },
  ];
}
