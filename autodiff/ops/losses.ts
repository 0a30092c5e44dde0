// Softmax and the losses, as compositions of ops: each step is exact and stable (the shift by
// the maximum keeps exp ≤ 1), so no op of their own is needed; their derivatives are those of
// the parts. The mean squared error, the loss of every regression step, is one op of its own.
import { asPublic, checkNumbers, checkTensor } from '../../engine/args.js';
import { fromValues } from '../../engine/creation.js';
import { ArgumentError, ShapeError, fmtShape } from '../../engine/errors.js';
import { normAxis, sameShape, sizeOf, type Shape } from '../../engine/shape.js';
import { launchReduce } from '../../kernels/reduce.js';
import { apply, defineOp, type OpDef } from '../op.js';
import { addMaybe, defineTernary } from './elementwise.js';
import { Tensor } from '../../engine/tensor.js';
import { add, div, exp, mul, neg, sub } from './arith.js';
import { log1p } from './unary-more.js';
import { where } from './select.js';
import { oneHotAs } from './gather.js';
import { mean, overAxes, reducedShape, sum, type Axes } from './reduce.js';
import { reshape } from './shape.js';
import { firstMask, max } from './reduce-more.js';
import { stopGradient } from './special.js';

/**
 * x minus its maximum along `axis` (kept as a dimension). The shift carries no derivative: the
 * functions below do not depend on it, so dropping its derivative is exact, and it saves the
 * arg-max pass.
 */
function shifted(x: Tensor, axis: Axes): Tensor {
  return sub(x, stopGradient(max(x, axis, true)));
}

/**
 * The parts of a stable log Σ exp along one axis (or all: null), kept as a dimension: m, the
 * value at the first maximum (x itself there, with x's derivative), z = x − m, and
 * l = log Σ exp(z) as log1p of the sum over every entry but that first maximum (whose term is
 * 1). In float32, log(1 + r) is 0 for r below ε, and 1 − p computed as a difference is 0 at a
 * confident class: logSoftmax there (≈ −r) and its derivatives came out 0. Written with
 * differences from x at the maximum, nothing cancels: the derivative at the maximum is r/(1 + r).
 */
function logSumExpParts(x: Tensor, axis: number | null): { m: Tensor; z: Tensor; l: Tensor } {
  const first = firstMask('max', x, axis);
  const m = sum(where(first, x, 0), axis, true);
  // 0 at the maximum itself, so that no cotangent of it is summed with the small ones through m
  const z = where(first, 0, sub(x, m));
  const rest = where(first, 0, exp(z));
  return { m, z, l: log1p(sum(rest, axis, true)) };
}

/** log Σ exp(x) over all elements, or one axis or several, without overflow (and with log1p: see above). */
export function logSumExp(x: Tensor, axis?: Axes, keepDims = false): Tensor {
  checkTensor('logSumExp', 'x', x);
  const axes = axis === undefined || axis === null ? x.shape.map((_, i) => i) : typeof axis === 'number' ? [axis] : axis;
  if (x.size === 0 && axes.some((a) => x.shape[normAxis('logSumExp', a, x.rank)] === 0)) {
    throw new ArgumentError(`logSumExp: the reduced axis of x ${fmtShape(x.shape)} is empty (log Σ exp of nothing is −∞; as max, this throws)`);
  }
  return asPublic('logSumExp', () => overAxes('logSumExp', x, axis, keepDims, (x1, a, kd) => {
    const { m, l } = logSumExpParts(x1, a);
    const y = add(m, l);
    return kd ? y : reshape(y, reducedShape(x1.shape, { axis: a, keepDims: false }));
  }));
}

/** log softmax(x) along an axis (default the last): x − max − log Σ exp(x − max), stable for any logits. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  const a = normAxis('logSoftmax', axis, checkTensor('logSoftmax', 'x', x).rank);
  if (x.size === 0) return neg(x); // nothing to normalize (also along an empty axis)
  const { z, l } = logSumExpParts(x, a);
  return sub(z, l);
}

/** exp(x) / Σ exp(x) along an axis (default the last), computed from x − max (no overflow). */
export function softmax(x: Tensor, axis = -1): Tensor {
  const a = normAxis('softmax', axis, checkTensor('softmax', 'x', x).rank);
  if (x.size === 0) return neg(x);
  const e = exp(shifted(x, a));
  return div(e, sum(e, a, true));
}

/**
 * Softmax cross-entropy of logits [..., C], averaged over all examples, against either of the
 * two usual targets, told apart by their shape:
 * - integer class labels [...] (the logits' shape without its class axis; stored as floats, no
 *   derivative): −mean log softmax(logits)[label];
 * - class probabilities [..., C] (the logits' shape: one-hot rows as `models.data.batches`
 *   gives, or soft labels): −mean Σ_c p_c log softmax(logits)_c, differentiable in p too.
 */
export function crossEntropy(logits: Tensor, labels: Tensor | readonly number[]): Tensor {
  const ls = logits instanceof Tensor ? logits : null;
  if (!ls || ls.rank < 1) throw new ShapeError(`crossEntropy: logits must be a tensor [..., classes], got ${ls ? fmtShape(ls.shape) : typeof logits}`);
  if (labels instanceof Tensor && sameShape(labels.shape, ls.shape)) return neg(mean(sum(mul(logSoftmax(ls, -1), labels), -1)));
  const classes = ls.shape[ls.rank - 1]!;
  if (!(labels instanceof Tensor)) checkNumbers('crossEntropy', 'labels (a Tensor or an array of class indices)', labels);
  const hot = oneHotAs('crossEntropy', labels instanceof Tensor ? labels : fromValues(Float64Array.from(labels), [labels.length], ls.backend), classes, -1);
  if (!sameShape(hot.shape, ls.shape)) {
    throw new ShapeError(`crossEntropy: labels ${fmtShape(hot.shape.slice(0, -1))} must have the shape of logits ${fmtShape(ls.shape)} without its last (class) axis (class indices), or the logits' shape (class probabilities)`);
  }
  return neg(mean(sum(mul(logSoftmax(ls, -1), hot), -1)));
}

/** (a − b)·c in one dispatch (broadcasting): the cotangent of the squared error. */
const scaledDifference = defineTernary({
  name: 'scaledDifference',
  args: ['a', 'b', 'c'],
  wgsl: '(a - b) * c',
  cpu: (a, b, c) => (a - b) * c,
  saves: { inputs: true, output: false },
  vjp: ([a, b, c], _y, g) => {
    const gc = mul(g, c!);
    return [gc, neg(gc), mul(g, sub(a!, b!))];
  },
  jvp: ([a, b, c], _y, [da, db, dc]) => addMaybe(addMaybe(da && mul(da, c!), db && neg(mul(db, c!))), dc && mul(sub(a!, b!), dc)),
  samples: [
    { shapes: [[7], [7], [7]], attrs: undefined },
    { shapes: [[3, 4], [3, 4], []], attrs: undefined },
    { shapes: [[2, 1, 5], [3, 1], [5]], attrs: undefined },
    { shapes: [[1], [2, 3], []], attrs: undefined },
  ],
});

function mseShape([p, t]: Shape[]): Shape {
  if (!sameShape(p!, t!)) throw new ShapeError(`mseLoss: pred ${fmtShape(p!)} and target ${fmtShape(t!)} must have the same shape`);
  if (sizeOf(p!) === 0) throw new ArgumentError(`mseLoss: pred ${fmtShape(p!)} is empty (the mean of no squared error is undefined; as mean, this throws)`);
  return [];
}

/**
 * mean((pred − target)²) as one op: one reduction forward, and the cotangent 2(pred − target)·g/n
 * in one more dispatch after scaling g (the composition took three dispatches each way).
 */
const mseOp: OpDef = defineOp({
  name: 'mseLoss',
  args: ['pred', 'target'],
  saves: { inputs: true, output: false },
  shape: mseShape,
  cpu: ([p, t]) => {
    let acc = 0;
    for (let i = 0; i < p!.length; i++) acc += (p![i]! - t![i]!) ** 2;
    return Float64Array.of(acc / p!.length);
  },
  gpu: (rt, [p, t], out) => launchReduce(rt, 'mseLoss', 'sum', p!, out, 1, p!.size, 1, { map: 'squaredDifference', target: t!, scale: 1 / p!.size }),
  // g: [] or a batch [B] of cotangents, reshaped to broadcast over pred
  vjp: ([p, t], _y, g, _a, [ps], _o, needs) => {
    const s = reshape(mul(g, 2 / sizeOf(ps!)), [...g.shape, ...ps!.map(() => 1)]);
    const gp = scaledDifference(p!, t!, s);
    return [gp, needs?.[1] === false ? null : neg(gp)];
  },
  // tangents carry one optional leading batch axis: average over pred's axes behind it
  jvp: ([p, t], _y, [dp, dt]) => {
    const d = addMaybe(dp, dt && neg(dt));
    if (!d) return null;
    const r = p!.rank;
    const prod = mul(sub(p!, t!), d);
    const axes = Array.from({ length: r }, (_, i) => prod.rank - r + i);
    return mul(r ? mean(prod, axes) : prod, 2);
  },
  samples: [
    { shapes: [[7], [7]], attrs: undefined },
    { shapes: [[3, 5], [3, 5]], attrs: undefined },
    { shapes: [[1], [1]], attrs: undefined },
    { shapes: [[], []], attrs: undefined },
    { shapes: [[2, 3, 17], [2, 3, 17]], attrs: undefined },
  ],
  rejects: [{ shapes: [[3], [3, 1]], attrs: undefined, message: /mseLoss: pred \[3\] and target \[3, 1\] must have the same shape/ }],
});

/** Mean squared error over all elements: mean((pred − target)²); pred and target of one shape. */
export function mseLoss(pred: Tensor, target: Tensor): Tensor {
  checkTensor('mseLoss', 'pred', pred);
  checkTensor('mseLoss', 'target', target);
  mseShape([pred.shape, target.shape]);
  return apply(mseOp, [pred, target], undefined);
}
