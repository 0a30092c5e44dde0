import * as fg from '../index.js';
import { checkInt, checkNumbers, checkTensor } from './model.js';

function sameShape(who: string, a: fg.Tensor, b: fg.Tensor, an: string, bn: string): void {
  if (a.shape.join() !== b.shape.join()) {
    throw new fg.ShapeError(`${who}: ${an} [${a.shape.join(', ')}] and ${bn} [${b.shape.join(', ')}] must have the same shape`);
  }
}

/** Mean squared error over all elements: `fg.mseLoss`, one reduction forward and one dispatch back. */
export function mse(pred: fg.Tensor, target: fg.Tensor): fg.Tensor {
  checkTensor('mse', 'pred', pred);
  checkTensor('mse', 'target', target);
  sameShape('mse', pred, target, 'pred', 'target');
  return fg.mseLoss(pred, target);
}

/**
 * Softmax cross-entropy averaged over the batch: `fg.crossEntropy` itself, which takes one-hot
 * (or soft) targets of the logits' shape, as `data.batches` gives them, or integer labels [batch].
 */
export const softmaxCrossEntropy = fg.crossEntropy;

/**
 * Fraction of rows whose largest logit is at the label, as a scalar tensor (no readback):
 * logits [n, C]; labels integer [n] or one-hot [n, C] (as crossEntropy takes them).
 */
export function accuracy(logits: fg.Tensor, labels: fg.Tensor): fg.Tensor {
  if (!(logits instanceof fg.Tensor) || logits.rank !== 2) throw new fg.ShapeError(`accuracy: logits must be a tensor [n, classes], got ${logits instanceof fg.Tensor ? `[${logits.shape.join(', ')}]` : typeof logits}`);
  if (!(labels instanceof fg.Tensor)) throw new fg.ArgumentError(`accuracy: labels must be a tensor, got ${typeof labels}`);
  const hot = labels.rank === 2;
  if (hot ? labels.shape.join() !== logits.shape.join() : labels.rank !== 1 || labels.shape[0] !== logits.shape[0]) {
    throw new fg.ShapeError(`accuracy: labels [${labels.shape.join(', ')}] must be class indices [${logits.shape[0]}] or one-hot rows [${logits.shape.join(', ')}] for logits [${logits.shape.join(', ')}]`);
  }
  return fg.mean(fg.equal(fg.argmax(logits, 1), hot ? fg.argmax(labels, 1) : labels));
}
