// Softmax and the losses, as compositions of ops: each step is exact and stable (the shift by
// the maximum keeps exp ≤ 1), so no op of their own is needed; their derivatives are those of
// the parts.
import { fromValues } from '../../engine/creation.js';
import { ShapeError, fmtShape } from '../../engine/errors.js';
import { normAxis, sameShape } from '../../engine/shape.js';
import { Tensor } from '../../engine/tensor.js';
import { add, div, exp, log, mul, neg, square, sub } from './arith.js';
import { oneHot } from './gather.js';
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
  const m = stopGradient(max(x, axis, true));
  const s = log(sum(exp(sub(x, m)), axis, keepDims));
  return add(s, keepDims ? m : reshape(m, s.shape));
}

/** log softmax(x) along an axis (default the last): x − max − log Σ exp(x − max), stable for any logits. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  const a = normAxis('logSoftmax', axis, x.rank);
  const z = shifted(x, a);
  return sub(z, log(sum(exp(z), a, true)));
}

/** exp(x) / Σ exp(x) along an axis (default the last), computed from x − max (no overflow). */
export function softmax(x: Tensor, axis = -1): Tensor {
  const a = normAxis('softmax', axis, x.rank);
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
  const hot = oneHot(labels instanceof Tensor ? labels : fromValues(Float64Array.from(labels), [labels.length], ls.backend), classes, -1);
  if (!sameShape(hot.shape, ls.shape)) {
    throw new ShapeError(`crossEntropy: labels ${fmtShape(hot.shape.slice(0, -1))} must have the shape of logits ${fmtShape(ls.shape)} without its last (class) axis`);
  }
  return neg(mean(sum(mul(logSoftmax(ls, -1), hot), -1)));
}

/** Mean squared error over all elements: mean((pred − target)²); pred and target of one shape. */
export function mseLoss(pred: Tensor, target: Tensor): Tensor {
  if (!sameShape(pred.shape, target.shape)) {
    throw new ShapeError(`mseLoss: pred ${fmtShape(pred.shape)} and target ${fmtShape(target.shape)} must have the same shape`);
  }
  return mean(square(sub(pred, target)));
}
