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

/** log softmax along the last axis of logits [batch, C] (`fg.logSoftmax`: shifted by the row maximum, no overflow). */
export function logSoftmax(logits: fg.Tensor): fg.Tensor {
  checkTensor('logSoftmax', 'logits', logits);
  if (logits.rank !== 2) throw new fg.ShapeError(`logSoftmax: logits must be [batch, classes], got [${logits.shape.join(', ')}]`);
  return fg.logSoftmax(logits, 1);
}

/** Softmax cross-entropy, averaged over the batch: −mean Σ_c y_c log softmax(z)_c for one-hot (or soft) y. */
export function softmaxCrossEntropy(logits: fg.Tensor, targets: fg.Tensor): fg.Tensor {
  checkTensor('softmaxCrossEntropy', 'logits', logits);
  checkTensor('softmaxCrossEntropy', 'targets', targets);
  sameShape('softmaxCrossEntropy', logits, targets, 'logits', 'targets (one-hot)');
  return fg.neg(fg.mean(fg.sum(fg.mul(targets, logSoftmax(logits)), 1)));
}

/** Fraction of rows whose largest logit is at the label (host arrays: logits [n·C] row-major, labels [n]). */
export function accuracy(logits: ArrayLike<number>, labels: ArrayLike<number>, classes: number): number {
  checkNumbers('accuracy', 'logits', logits);
  checkNumbers('accuracy', 'labels', labels);
  checkInt('accuracy', 'classes', classes);
  let right = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[i * classes + c]! > logits[i * classes + best]!) best = c;
    if (best === labels[i]) right++;
  }
  return labels.length ? right / labels.length : NaN;
}
