import { ShapeError, fmtShape } from '../../engine/errors.js';
import { checkNumbers, checkTensor } from '../../engine/args.js';
import { normAxis, sizeOf, stridesOf, type Shape } from '../../engine/shape.js';
import type { Tensor } from '../../engine/tensor.js';
import { launchWindow } from '../../kernels/pad.js';
import { apply, defineOp, type OpDef } from '../op.js';

const NONE = { inputs: false, output: false };

/** Normalized slice: one entry per axis, 0 ≤ begin ≤ end ≤ the axis length. */
interface SliceAttrs {
  begin: number[];
  end: number[];
}

/** Per axis [before, after] widths (non-negative integers) and the fill value. */
interface PadAttrs {
  widths: [number, number][];
  value: number;
}

/** float64 reference of a window: out[c] = x[c + shift] where inside x, else value. */
function cpuWindow(x: Float64Array, xShape: Shape, outShape: Shape, shift: readonly number[], value: number): Float64Array {
  const n = sizeOf(outShape);
  const out = new Float64Array(n);
  const strides = stridesOf(xShape);
  const idx = new Array<number>(outShape.length).fill(0);
  for (let i = 0; i < n; i++) {
    let off = 0;
    let inside = true;
    for (let d = 0; d < idx.length; d++) {
      const s = idx[d]! + shift[d]!;
      if (s < 0 || s >= xShape[d]!) inside = false;
      off += s * strides[d]!;
    }
    out[i] = inside ? x[off]! : value;
    for (let d = idx.length - 1; d >= 0; d--) {
      if (++idx[d]! < outShape[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}

const isInt = (v: unknown) => Number.isInteger(v);

// ---------------------------------------------------------------- slice

const sliceOp: OpDef<SliceAttrs> = defineOp<SliceAttrs>({
  name: 'slice',
  args: ['x'],
  saves: NONE,
  shape: ([x], { begin, end }) => {
    const ok =
      begin.length === x!.length && end.length === x!.length &&
      x!.every((dim, d) => isInt(begin[d]) && isInt(end[d]) && 0 <= begin[d]! && begin[d]! <= end[d]! && end[d]! <= dim);
    if (!ok) throw new ShapeError(`slice: begin ${fmtShape(begin)} and end ${fmtShape(end)} must hold one integer per axis of x ${fmtShape(x!)} with 0 ≤ begin ≤ end ≤ the axis length`);
    return x!.map((_, d) => end[d]! - begin[d]!);
  },
  cpu: ([x], [xs], { begin }, outShape) => cpuWindow(x!, xs!, outShape, begin, 0),
  gpu: (rt, [x], out, { begin }) => launchWindow(rt, 'slice', x!, out, begin),
  // the adjoint of cutting a window out is putting it back into zeros
  vjp: (_x, _y, g, { begin, end }, [xs], outShape) => {
    const lead = g.rank - outShape.length;
    const widths = [...zeroPairs(lead), ...xs!.map((dim, d): [number, number] => [begin[d]!, dim - end[d]!])];
    return [apply(padOp, [g], { widths, value: 0 })];
  },
  jvp: ([x], _y, [dx], { begin, end }) => {
    if (!dx) return null;
    const lead = dx.shape.slice(0, dx.rank - x!.rank);
    return apply(sliceOp, [dx], { begin: [...lead.map(() => 0), ...begin], end: [...lead, ...end] });
  },
  samples: [
    { shapes: [[7]], attrs: { begin: [2], end: [5] } },
    { shapes: [[3, 5]], attrs: { begin: [1, 0], end: [3, 5] } },
    { shapes: [[2, 3, 17]], attrs: { begin: [0, 1, 3], end: [2, 3, 16] } },
    { shapes: [[4, 1]], attrs: { begin: [3, 0], end: [4, 1] } },
  ],
  rejects: [
    { shapes: [[3, 4]], attrs: { begin: [0, 2], end: [3, 5] }, message: /slice: begin \[0, 2\] and end \[3, 5\] must hold one integer per axis of x \[3, 4\]/ },
    { shapes: [[3, 4]], attrs: { begin: [1], end: [2] }, message: /slice: begin \[1\] and end \[2\] .* x \[3, 4\]/ },
  ],
});

const zeroPairs = (n: number) => Array.from({ length: n }, (): [number, number] => [0, 0]);

/** A bound as NumPy reads it: negative counts from the end, then clamped to [0, dim]. */
function bound(v: number, dim: number, what: string, axis: number, x: Tensor): number {
  if (!(isInt(v) || v === Infinity || v === -Infinity)) {
    throw new ShapeError(`slice: ${what} ${v} for axis ${axis} of x ${fmtShape(x.shape)} must be an integer (or ±Infinity)`);
  }
  return Math.min(dim, Math.max(0, v < 0 ? v + dim : v));
}

/**
 * x[begin:end] along each axis, as NumPy slices with step 1: negative bounds count from the
 * end, bounds beyond the axis are clamped, end ≤ begin gives an empty axis. `begin` and `end`
 * name the leading axes (axes not named are kept whole), or the axes listed in `axes`
 * (negative axes count from the end): slice(y, [n], [2 * n], [-1]) is y[..., n:2n].
 * An omitted `end` means to the end of each axis.
 */
export function slice(x: Tensor, begin: readonly number[], end?: readonly number[], axes?: readonly number[]): Tensor {
  checkTensor('slice', 'x', x);
  checkNumbers('slice', 'begin', begin);
  if (end !== undefined) checkNumbers('slice', 'end', end);
  if (axes !== undefined) checkNumbers('slice', 'axes', axes);
  const ax = axes ? axes.map((a) => normAxis('slice', a, x.rank)) : begin.map((_, i) => i);
  if (new Set(ax).size !== ax.length || ax.length > x.rank || ax.length !== begin.length || (end && end.length !== begin.length)) {
    throw new ShapeError(`slice: begin ${fmtShape(begin)}${end ? `, end ${fmtShape(end)}` : ''}${axes ? ` and axes ${fmtShape(axes)}` : ''} must have one entry per sliced axis (at most the rank of x ${fmtShape(x.shape)}, each axis once)`);
  }
  const b = x.shape.map(() => 0);
  const e = [...x.shape];
  ax.forEach((a, k) => {
    const dim = x.shape[a]!;
    b[a] = bound(begin[k]!, dim, 'begin', a, x);
    e[a] = Math.max(b[a]!, end ? bound(end[k]!, dim, 'end', a, x) : dim);
  });
  return apply(sliceOp, [x], { begin: b, end: e });
}

/** x[start:end] along one axis (bounds already within the axis). */
export function sliceAxis(x: Tensor, axis: number, start: number, end: number): Tensor {
  const begin = x.shape.map((_, d) => (d === axis ? start : 0));
  const stop = x.shape.map((dim, d) => (d === axis ? end : dim));
  return apply(sliceOp, [x], { begin, end: stop });
}

// ---------------------------------------------------------------- pad

const padOp: OpDef<PadAttrs> = defineOp<PadAttrs>({
  name: 'pad',
  args: ['x'],
  saves: NONE,
  shape: ([x], { widths, value }) => {
    const ok = widths.length === x!.length && widths.every((w) => Array.isArray(w) && w.length === 2 && w.every((v) => isInt(v) && v >= 0));
    if (!ok) throw new ShapeError(`pad: widths ${JSON.stringify(widths)} must hold one [before, after] pair of non-negative integers per axis of x ${fmtShape(x!)}`);
    if (typeof value !== 'number') throw new ShapeError(`pad: value must be a number, got ${typeof value}`);
    return x!.map((dim, d) => widths[d]![0] + dim + widths[d]![1]);
  },
  cpu: ([x], [xs], { widths, value }, outShape) => cpuWindow(x!, xs!, outShape, widths.map(([b]) => -b), value),
  gpu: (rt, [x], out, { widths, value }) => launchWindow(rt, 'pad', x!, out, widths.map(([b]) => -b), value),
  // the fill value is a constant: only the window onto x carries a derivative
  vjp: (_x, _y, g, { widths }, [xs], outShape) => {
    const lead = g.shape.slice(0, g.rank - outShape.length);
    const begin = [...lead.map(() => 0), ...widths.map(([b]) => b)];
    const end = [...lead, ...xs!.map((dim, d) => widths[d]![0] + dim)];
    return [apply(sliceOp, [g], { begin, end })];
  },
  jvp: ([x], _y, [dx], { widths }) => dx && apply(padOp, [dx], { widths: [...zeroPairs(dx.rank - x!.rank), ...widths], value: 0 }),
  samples: [
    { shapes: [[7]], attrs: { widths: [[2, 3]], value: 0 } },
    { shapes: [[3, 5]], attrs: { widths: [[1, 0], [0, 2]], value: 1.5 } },
    { shapes: [[2, 3, 4]], attrs: { widths: [[0, 0], [1, 1], [3, 0]], value: -1 } },
    { shapes: [[1]], attrs: { widths: [[0, 4]], value: 0 } },
    { shapes: [[]], attrs: { widths: [], value: 0 } },
  ],
  rejects: [
    { shapes: [[3]], attrs: { widths: [[1, 2], [0, 0]], value: 0 }, message: /pad: widths \[\[1,2\],\[0,0\]\] must hold one \[before, after\] pair of non-negative integers per axis of x \[3\]/ },
    { shapes: [[2, 3]], attrs: { widths: [[0, 0], [-1, 0]], value: 0 }, message: /pad: widths .* x \[2, 3\]/ },
  ],
});

/**
 * x surrounded by `value`: widths[d] = [before, after] elements added on axis d (one pair per
 * axis, as NumPy's np.pad with mode 'constant').
 */
export function pad(x: Tensor, widths: readonly (readonly [number, number])[], value = 0): Tensor {
  checkTensor('pad', 'x', x);
  if (!Array.isArray(widths)) throw new ShapeError(`pad: widths must be an array of [before, after] pairs, got ${JSON.stringify(widths)}`);
  return apply(padOp, [x], { widths: widths.map((w) => (Array.isArray(w) ? [...w] : w) as [number, number]), value });
}
