// Softmax and the losses, as compositions of ops: each step is exact and stable (the shift by
// the maximum keeps exp ≤ 1), so no op of their own is needed; their derivatives are those of
// the parts. The mean squared error, the loss of every regression step, is one op of its own.
import { asPublic, checkNumbers, checkTensor } from '../../engine/args.js';
import { fromValues } from '../../engine/creation.js';
import { ShapeError, fmtShape } from '../../engine/errors.js';
import { normAxis, sameShape, sizeOf, type Shape } from '../../engine/shape.js';
import { launchReduce } from '../../kernels/reduce.js';
import { apply, defineOp, type OpDef } from '../op.js';
import { addMaybe, defineTernary } from './elementwise.js';
import { Tensor } from '../../engine/tensor.js';
import { add, div, exp, log, mul, neg, square, sub } from './arith.js';
import { oneHotAs } from './gather.js';
import { mean, sum, type Axes } from './reduce.js';
import { reshape } from './shape.js';
import { max } from './reduce-more.js';
import { stopGradient } from './special.js';

/**
 * x minus its maximum along `axis` (kept as a dimension). The shift carries no derivative: the
 * functions below do not depend on it, so dropping its derivative is exact, and it saves the
 * arg-max pass.
 */
function shifted(x: Tensor, axis: Axes): Tensor {
  return sub(x, stopGradient(max(x, axis, true)));
}

/** log Σ exp(x) over all elements, or one axis or several, without overflow. */
export function logSumExp(x: Tensor, axis?: Axes, keepDims = false): Tensor {
  checkTensor('logSumExp', 'x', x);
  return asPublic('logSumExp', () => {
    const m = stopGradient(max(x, axis, true));
    const s = log(sum(exp(sub(x, m)), axis, keepDims));
    return add(s, keepDims ? m : reshape(m, s.shape));
  });
}

/** log softmax(x) along an axis (default the last): x − max − log Σ exp(x − max), stable for any logits. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  const a = normAxis('logSoftmax', axis, checkTensor('logSoftmax', 'x', x).rank);
  const z = shifted(x, a);
  return sub(z, log(sum(exp(z), a, true)));
}

/** exp(x) / Σ exp(x) along an axis (default the last), computed from x − max (no overflow). */
export function softmax(x: Tensor, axis = -1): Tensor {
  const a = normAxis('softmax', axis, checkTensor('softmax', 'x', x).rank);
  const e = exp(shifted(x, a));
  return div(e, sum(e, a, true));
}

/**
 * Softmax cross-entropy of logits [..., C] against integer class labels [...] (stored as
 * floats; no derivative), averaged over all labels: −mean log softmax(logits)[label].
 */
export function crossEntropy(logits: Tensor, labels: Tensor | readonly number[]): Tensor {
  const ls = logits instanceof Tensor ? logits : null;
  if (!ls || ls.rank < 1) throw new ShapeError(`crossEntropy: logits must be a tensor [..., classes], got ${ls ? fmtShape(ls.shape) : typeof logits}`);
  const classes = ls.shape[ls.rank - 1]!;
  if (!(labels instanceof Tensor)) checkNumbers('crossEntropy', 'labels (a Tensor or an array of class indices)', labels);
  const hot = oneHotAs('crossEntropy', labels instanceof Tensor ? labels : fromValues(Float64Array.from(labels), [labels.length], ls.backend), classes, -1);
  if (!sameShape(hot.shape, ls.shape)) {
    throw new ShapeError(`crossEntropy: labels ${fmtShape(hot.shape.slice(0, -1))} must have the shape of logits ${fmtShape(ls.shape)} without its last (class) axis`);
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
  if (pred.size === 0) return mean(square(sub(pred, target)));
  return apply(mseOp, [pred, target], undefined);
}
