import { fromValues } from '../../engine/creation.js';
import { ArgumentError, ShapeError, fmtShape } from '../../engine/errors.js';
import { normAxis, sameShape, sizeOf, type Shape } from '../../engine/shape.js';
import type { Tensor } from '../../engine/tensor.js';
import { launchPlace } from '../../kernels/concat.js';
import { apply, defineOp, type MaybeTensor, type OpDef, type TensorOrNumber } from '../op.js';
import { broadcastTo, reshape } from './shape.js';
import { sliceAxis } from './slice.js';

const NONE = { inputs: false, output: false };

interface AxisAttrs {
  axis: number;
}

/** Argument names xs[0], xs[1], … (any number of them) for ops that take a list of tensors. */
function listArgs(name: string): readonly string[] {
  return new Proxy([] as string[], {
    get: (target, p) => (typeof p === 'string' && /^\d+$/.test(p) ? `${name}[${p}]` : Reflect.get(target, p)),
  });
}

/** float64 reference: each input's [outer, len, inner] block copied to its offset along the axis. */
function cpuConcat(xs: Float64Array[], lens: number[], outer: number, inner: number): Float64Array {
  const outLen = lens.reduce((a, b) => a + b, 0);
  const out = new Float64Array(outer * outLen * inner);
  for (let o = 0; o < outer; o++) {
    let off = 0;
    xs.forEach((x, k) => {
      const block = lens[k]! * inner;
      for (let j = 0; j < block; j++) out[(o * outLen + off) * inner + j] = x[o * block + j]!;
      off += lens[k]!;
    });
  }
  return out;
}

/** Tangents of a list: absent ones become zeros with the batch dimensions of the others. */
function fillTangents(xs: Tensor[], ts: MaybeTensor[]): { filled: Tensor[]; lead: number } | null {
  const some = ts.findIndex((t) => t);
  if (some < 0) return null;
  const lead = ts[some]!.shape.slice(0, ts[some]!.rank - xs[some]!.rank);
  const zero = fromValues([0], [], xs[some]!.backend);
  const filled = xs.map((x, i) => ts[i] ?? broadcastTo(zero, [...lead, ...x.shape]));
  return { filled, lead: lead.length };
}

// ---------------------------------------------------------------- concat

const concatOp: OpDef<AxisAttrs> = defineOp<AxisAttrs>({
  name: 'concat',
  args: listArgs('xs'),
  saves: NONE,
  shape: (shapes, { axis }) => {
    if (shapes.length === 0) throw new ShapeError('concat: xs must hold at least one tensor');
    const first = shapes[0]!;
    if (!(Number.isInteger(axis) && axis >= 0 && axis < first.length)) {
      throw new ShapeError(`concat: axis ${axis} is out of range for xs[0] ${fmtShape(first)}`);
    }
    shapes.forEach((s, i) => {
      if (s.length !== first.length || s.some((d, k) => k !== axis && d !== first[k])) {
        throw new ShapeError(`concat: xs[${i}] ${fmtShape(s)} does not match xs[0] ${fmtShape(first)} outside axis ${axis}`);
      }
    });
    return first.map((d, k) => (k === axis ? shapes.reduce((a, s) => a + s[axis]!, 0) : d));
  },
  cpu: (xs, shapes, { axis }, outShape) => cpuConcat(xs, shapes.map((s) => s[axis]!), sizeOf(outShape.slice(0, axis)), sizeOf(outShape.slice(axis + 1))),
  gpu: (rt, xs, out, { axis }) => {
    const inner = sizeOf(out.shape.slice(axis + 1));
    let off = 0;
    for (const x of xs) {
      launchPlace(rt, 'concat', x, out, x.shape[axis]!, inner, out.shape[axis]!, off);
      off += x.shape[axis]!;
    }
  },
  // the adjoint of joining is cutting the cotangent back into the pieces
  vjp: (_xs, _y, g, { axis }, shapes, outShape) => {
    const a = axis + g.rank - outShape.length;
    let off = 0;
    return shapes.map((s) => sliceAxis(g, a, off, (off += s[axis]!)));
  },
  jvp: (xs, _y, ts, { axis }) => {
    const f = fillTangents(xs, ts);
    return f && apply(concatOp, f.filled, { axis: axis + f.lead });
  },
  samples: [
    { shapes: [[3], [4]], attrs: { axis: 0 } },
    { shapes: [[2, 3], [2, 5], [2, 1]], attrs: { axis: 1 } },
    { shapes: [[1, 7], [3, 7]], attrs: { axis: 0 } },
    { shapes: [[2, 3, 4], [2, 2, 4]], attrs: { axis: 1 } },
    { shapes: [[5]], attrs: { axis: 0 } },
  ],
  rejects: [
    { shapes: [[2, 3], [3, 3]], attrs: { axis: 1 }, message: /concat: xs\[1\] \[3, 3\] does not match xs\[0\] \[2, 3\] outside axis 1/ },
    { shapes: [[2, 3], [2]], attrs: { axis: 0 }, message: /concat: xs\[1\] \[2\] does not match xs\[0\] \[2, 3\]/ },
    { shapes: [[2, 3]], attrs: { axis: 2 }, message: /concat: axis 2 is out of range for xs\[0\] \[2, 3\]/ },
    { shapes: [], attrs: { axis: 0 }, message: /concat: xs must hold at least one tensor/ },
  ],
});

function checkList(op: string, xs: unknown): asserts xs is readonly TensorOrNumber[] {
  if (!Array.isArray(xs)) throw new ArgumentError(`${op}: xs must be an array of tensors, got ${xs === null ? 'null' : typeof xs}`);
  if (xs.length === 0) throw new ShapeError(`${op}: xs must hold at least one tensor`);
}

const rankOf = (x: TensorOrNumber) => (typeof x === 'number' ? 0 : x.rank);

/** The tensors joined along an existing axis (negative counts from the end), as np.concatenate. */
export function concat(xs: readonly TensorOrNumber[], axis = 0): Tensor {
  checkList('concat', xs);
  return apply(concatOp, [...xs], { axis: normAxis('concat', axis, rankOf(xs[0]!)) });
}

// ---------------------------------------------------------------- stack

const stackOp: OpDef<AxisAttrs> = defineOp<AxisAttrs>({
  name: 'stack',
  args: listArgs('xs'),
  saves: NONE,
  shape: (shapes, { axis }) => {
    if (shapes.length === 0) throw new ShapeError('stack: xs must hold at least one tensor');
    const first = shapes[0]!;
    if (!(Number.isInteger(axis) && axis >= 0 && axis <= first.length)) {
      throw new ShapeError(`stack: axis ${axis} is out of range for stacking tensors of shape ${fmtShape(first)}`);
    }
    shapes.forEach((s, i) => {
      if (!sameShape(s, first)) throw new ShapeError(`stack: xs[${i}] ${fmtShape(s)} does not match xs[0] ${fmtShape(first)}`);
    });
    return [...first.slice(0, axis), shapes.length, ...first.slice(axis)];
  },
  // stacking is concatenation of pieces with a new axis of length 1
  cpu: (xs, shapes, { axis }, outShape) => cpuConcat(xs, xs.map(() => 1), sizeOf(outShape.slice(0, axis)), sizeOf(shapes[0]!.slice(axis))),
  gpu: (rt, xs, out, { axis }) => {
    const inner = sizeOf(out.shape.slice(axis + 1));
    xs.forEach((x, k) => launchPlace(rt, 'stack', x, out, 1, inner, xs.length, k));
  },
  vjp: (_xs, _y, g, { axis }, shapes, outShape) => {
    const lead = g.shape.slice(0, g.rank - outShape.length);
    return shapes.map((s, k) => reshape(sliceAxis(g, axis + lead.length, k, k + 1), [...lead, ...s]));
  },
  jvp: (xs, _y, ts, { axis }) => {
    const f = fillTangents(xs, ts);
    return f && apply(stackOp, f.filled, { axis: axis + f.lead });
  },
  samples: [
    { shapes: [[3], [3]], attrs: { axis: 0 } },
    { shapes: [[3], [3], [3]], attrs: { axis: 1 } },
    { shapes: [[2, 5], [2, 5]], attrs: { axis: 1 } },
    { shapes: [[], [], [], [], []], attrs: { axis: 0 } },
    { shapes: [[1, 3, 2]], attrs: { axis: 3 } },
  ],
  rejects: [
    { shapes: [[2, 3], [3, 2]], attrs: { axis: 0 }, message: /stack: xs\[1\] \[3, 2\] does not match xs\[0\] \[2, 3\]/ },
    { shapes: [[2, 3], [2, 3]], attrs: { axis: 3 }, message: /stack: axis 3 is out of range for stacking tensors of shape \[2, 3\]/ },
    { shapes: [], attrs: { axis: 0 }, message: /stack: xs must hold at least one tensor/ },
  ],
});

/** The tensors (all of one shape) joined along a new axis (negative counts from the end), as np.stack. */
export function stack(xs: readonly TensorOrNumber[], axis = 0): Tensor {
  checkList('stack', xs);
  const rank = rankOf(xs[0]!) + 1;
  return apply(stackOp, [...xs], { axis: normAxis('stack', axis, rank) });
}
