import * as fg from '../index.js';

function sameShape(who: string, a: fg.Tensor, b: fg.Tensor, an: string, bn: string): void {
  if (a.shape.join() !== b.shape.join()) {
    throw new fg.ShapeError(`${who}: ${an} [${a.shape.join(', ')}] and ${bn} [${b.shape.join(', ')}] must have the same shape`);
  }
}

/**
 * Mean squared error over all elements. With a constant target (the usual case) its reverse-mode
 * rule is 2(pred − target)/n·g in three dispatches, not the five of mean∘square∘sub's rules.
 */
export function mse(pred: fg.Tensor, target: fg.Tensor): fg.Tensor {
  sameShape('mse', pred, target, 'pred', 'target');
  if (target.trace !== null || pred.size === 0) return fg.mean(fg.square(fg.sub(pred, target)));
  const n = pred.size;
  // the target is an input of the op (not a closure) so that the tape keeps it alive
  const op = fg.customVjp(
    'mse',
    (p, t) => fg.mean(fg.square(fg.sub(p!, t!))),
    ([p, t], _out, g) => {
      // g: [] or a batch [B] of cotangents (jacrev); scale it to the shape that broadcasts over pred
      const s = fg.reshape(fg.mul(g, 2 / n), [...g.shape, ...pred.shape.map(() => 1)]);
      return [fg.mul(fg.sub(p!, t!), s), null];
    },
    { batched: true },
  );
  return op(pred, target);
}

/** The largest entry of each row of z [batch, C], kept as [batch, 1] (no derivative: a shift). */
function rowMax(z: fg.Tensor): fg.Tensor {
  const [b, c] = z.shape as [number, number];
  let m = fg.slice(z, [0, 0], [b, 1]);
  for (let j = 1; j < c; j++) m = fg.maximum(m, fg.slice(z, [0, j], [b, j + 1]));
  return fg.stopGradient(m);
}

/** log softmax along the last axis of logits [batch, C], shifted by the row maximum (no overflow). */
export function logSoftmax(logits: fg.Tensor): fg.Tensor {
  if (logits.rank !== 2) throw new fg.ShapeError(`logSoftmax: logits must be [batch, classes], got [${logits.shape.join(', ')}]`);
  const z = fg.sub(logits, rowMax(logits));
  return fg.sub(z, fg.log(fg.sum(fg.exp(z), 1, true)));
}

/** Softmax cross-entropy, averaged over the batch: −mean Σ_c y_c log softmax(z)_c for one-hot (or soft) y. */
export function softmaxCrossEntropy(logits: fg.Tensor, targets: fg.Tensor): fg.Tensor {
  sameShape('softmaxCrossEntropy', logits, targets, 'logits', 'targets (one-hot)');
  return fg.neg(fg.mean(fg.sum(fg.mul(targets, logSoftmax(logits)), 1)));
}

/** Fraction of rows whose largest logit is at the label (host arrays: logits [n·C] row-major, labels [n]). */
export function accuracy(logits: ArrayLike<number>, labels: ArrayLike<number>, classes: number): number {
  let right = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[i * classes + c]! > logits[i * classes + best]!) best = c;
    if (best === labels[i]) right++;
  }
  return labels.length ? right / labels.length : NaN;
}
