import { ArgumentError, ShapeError, fmtShape } from '../../engine/errors.js';
import { asPublic, checkTensor } from '../../engine/args.js';
import { normAxis, type Shape } from '../../engine/shape.js';
import type { Tensor } from '../../engine/tensor.js';
import { launchReduce } from '../../kernels/reduce.js';
import { apply, defineOp, type OpDef } from '../op.js';
import { div, mul } from './arith.js';
import { oneHot } from './gather.js';
import { expandBack, overAxes, reduceSamples, reducedShape, split, sum, type Axes, type ReduceAttrs } from './reduce.js';
import { where } from './select.js';
import { reshape } from './shape.js';
import { abs } from './unary-more.js';

type Kind = 'max' | 'min';

/** float64 reference over x viewed as [outer, len, inner]: f(values along the axis) per output. */
function cpuReduce(x: Float64Array, shape: Shape, axis: number | null, f: (v: number[]) => number): Float64Array {
  const [outer, len, inner] = split(shape, axis);
  const out = new Float64Array(outer * inner);
  const v = new Array<number>(len);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      for (let k = 0; k < len; k++) v[k] = x[(o * len + k) * inner + j]!;
      out[o * inner + j] = f(v);
    }
  }
  return out;
}

/** the first position of the largest (smallest) value: ties go to the first */
function firstExtremum(kind: Kind, v: number[]): number {
  let best = 0;
  for (let k = 1; k < v.length; k++) if (kind === 'max' ? v[k]! > v[best]! : v[k]! < v[best]!) best = k;
  return best;
}

function checkAxis(name: string, x: Shape, { axis }: ReduceAttrs, nonEmpty: boolean): void {
  if (axis !== null && !(Number.isInteger(axis) && axis >= 0 && axis < x.length)) {
    throw new ShapeError(`${name}: axis ${axis} is out of range for x ${fmtShape(x)}`);
  }
  if (nonEmpty && split(x, axis)[1] === 0) throw new ArgumentError(`${name}: the reduced axis of x ${fmtShape(x)} is empty`);
}

const SAMPLES = reduceSamples();

/** Reduces t, whose leading `lead` dimensions are a batch, the way `attrs` reduces a tensor of rank t.rank − lead. */
function sumAsReduced(t: Tensor, lead: number, { axis, keepDims }: ReduceAttrs): Tensor {
  const axes = axis === null ? Array.from({ length: t.rank - lead }, (_, i) => lead + i) : axis + lead;
  return sum(t, axes, keepDims);
}

// ---------------------------------------------------------------- argmax, argmin

function defineArg(kind: Kind): OpDef<ReduceAttrs> {
  const name = kind === 'max' ? 'argmax' : 'argmin';
  return defineOp<ReduceAttrs>({
    name,
    args: ['x'],
    saves: { inputs: false, output: false },
    shape: ([x], attrs) => (checkAxis(name, x!, attrs, true), reducedShape(x!, attrs)),
    cpu: ([x], [s], { axis }) => cpuReduce(x!, s!, axis, (v) => firstExtremum(kind, v)),
    // the extremum first, then the first position holding it (both passes split long axes)
    gpu: (rt, [x], out, { axis }) => {
      const [outer, len, inner] = split(x!.shape, axis);
      const m = { buffer: rt.createBuffer(out.size * 4), shape: out.shape, size: out.size };
      launchReduce(rt, name, kind, x!, m, outer, len, inner);
      launchReduce(rt, name, 'min', x!, out, outer, len, inner, { map: 'firstIndexOf', target: m });
      rt.pool.release(m.buffer);
    },
    // piecewise constant: zero derivative
    vjp: () => [null],
    jvp: () => null,
    samples: SAMPLES,
    rejects: [{ shapes: [[2, 3]], attrs: { axis: 2, keepDims: false }, message: new RegExp(`${name}: axis 2 is out of range for x \\[2, 3\\]`) }],
  });
}

const argmaxOp = defineArg('max');
const argminOp = defineArg('min');

const argWith = (op: OpDef<ReduceAttrs>, who: string) => (x: Tensor, axis?: number | null, keepDims = false): Tensor => {
  if (axis !== undefined && axis !== null && typeof axis !== 'number') throw new ArgumentError(`${who}: axis must be one axis or null, got ${JSON.stringify(axis)}`);
  return apply(op, [x], { axis: axis === undefined || axis === null ? null : normAxis(who, axis, checkTensor(who, 'x', x).rank), keepDims });
};

/**
 * Position of the largest value along one axis, or in the flattened tensor (axis null), as a
 * float; ties go to the first. Exact for positions below 2²⁴ on WebGPU (float32).
 */
export const argmax = argWith(argmaxOp, 'argmax');
/** Position of the smallest value (ties: the first), as argmax. */
export const argmin = argWith(argminOp, 'argmin');

// ---------------------------------------------------------------- max, min

/** 1 at the first position of the extremum along the axis (or in the whole tensor), else 0. */
export function firstMask(kind: Kind, x: Tensor, axis: number | null): Tensor {
  const arg = kind === 'max' ? argmaxOp : argminOp;
  if (axis === null) return reshape(oneHot(apply(arg, [reshape(x, [x.size])], { axis: 0, keepDims: false }), x.size, 0), x.shape);
  return oneHot(apply(arg, [x], { axis, keepDims: false }), x.shape[axis]!, axis);
}

function defineExtremum(kind: Kind): OpDef<ReduceAttrs> {
  return defineOp<ReduceAttrs>({
    name: kind,
    args: ['x'],
    saves: { inputs: true, output: false },
    shape: ([x], attrs) => (checkAxis(kind, x!, attrs, true), reducedShape(x!, attrs)),
    cpu: ([x], [s], { axis }) => cpuReduce(x!, s!, axis, (v) => v[firstExtremum(kind, v)]!),
    gpu: (rt, [x], out, { axis }) => {
      const [outer, len, inner] = split(x!.shape, axis);
      launchReduce(rt, kind, kind, x!, out, outer, len, inner);
    },
    // the whole cotangent goes to the first position of the extremum (ties: the first)
    vjp: ([x], _y, g, attrs, [xs], outShape) => [mul(expandBack(g, xs!, attrs, outShape.length), firstMask(kind, x!, attrs.axis))],
    jvp: ([x], _y, [dx], attrs) => dx && sumAsReduced(mul(dx, firstMask(kind, x!, attrs.axis)), dx.rank - x!.rank, attrs),
    samples: SAMPLES,
    rejects: [{ shapes: [[2, 3]], attrs: { axis: 2, keepDims: false }, message: new RegExp(`${kind}: axis 2 is out of range for x \\[2, 3\\]`) }],
  });
}

const maxOp = defineExtremum('max');
const minOp = defineExtremum('min');

const reduceWith = (op: OpDef<ReduceAttrs>) => (x: Tensor, axis: number | null, keepDims: boolean) => apply(op, [x], { axis, keepDims });

/**
 * Largest value of all elements, or over one axis or several. Its derivative goes entirely to
 * the first position holding the largest value (row-major order over the reduced axes).
 */
export const max = (x: Tensor, axis?: Axes, keepDims = false) => overAxes('max', x, axis, keepDims, reduceWith(maxOp));
/** Smallest value, as max (ties: the derivative goes to the first). */
export const min = (x: Tensor, axis?: Axes, keepDims = false) => overAxes('min', x, axis, keepDims, reduceWith(minOp));

// ---------------------------------------------------------------- norm

const normOp: OpDef<ReduceAttrs> = defineOp<ReduceAttrs>({
  name: 'norm',
  args: ['x'],
  saves: { inputs: true, output: true },
  shape: ([x], attrs) => (checkAxis('norm', x!, attrs, false), reducedShape(x!, attrs)),
  cpu: ([x], [s], { axis }) => cpuReduce(x!, s!, axis, (v) => Math.sqrt(v.reduce((a, b) => a + b * b, 0))),
  gpu: (rt, [x], out, { axis }) => {
    const [outer, len, inner] = split(x!.shape, axis);
    launchReduce(rt, 'norm', 'sum', x!, out, outer, len, inner, { map: 'square', post: 'sqrt' });
  },
  // d‖x‖ = ⟨x, dx⟩/‖x‖; where ‖x‖ = 0 (so x = 0) the derivative is taken as 0, the least-norm
  // subgradient: dividing by 1 there instead of 0 gives exactly that, and no NaN
  vjp: ([x], y, g, attrs, [xs], outShape) => [mul(expandBack(div(g, where(y, y, 1)), xs!, attrs, outShape.length), x!)],
  jvp: ([x], y, [dx], attrs) => dx && div(sumAsReduced(mul(dx, x!), dx.rank - x!.rank, attrs), where(y, y, 1)),
  samples: SAMPLES.slice(0, 6),
  rejects: [{ shapes: [[2, 3]], attrs: { axis: 2, keepDims: false }, message: /norm: axis 2 is out of range for x \[2, 3\]/ }],
});

/**
 * Vector norm of all elements (flattened), or over one axis or several: ord 2 (default,
 * Euclidean; of a matrix flattened, Frobenius), 1 (Σ|x|) or Infinity (max |x|). At x = 0 the
 * derivative is 0 for every ord (abs′(0) = 0; ties of max |x| go to the first).
 */
export function norm(x: Tensor, axis?: Axes, keepDims = false, ord: 1 | 2 | typeof Infinity = 2): Tensor {
  checkTensor('norm', 'x', x);
  if (ord === 2) return overAxes('norm', x, axis, keepDims, reduceWith(normOp));
  if (ord === 1) return asPublic('norm', () => sum(abs(x), axis, keepDims));
  if (ord === Infinity) return asPublic('norm', () => max(abs(x), axis, keepDims));
  throw new ArgumentError(`norm: ord must be 1, 2 or Infinity, got ${String(ord)}`);
}
