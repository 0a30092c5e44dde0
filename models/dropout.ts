import * as fg from '../index.js';
import { checkTensor } from './model.js';
import { Rng } from './random.js';

let autoSeed = 0x5eed;

const DROPOUT_KEYS = fg.optionKeys<NonNullable<Parameters<typeof dropout>[2]>>({ train: true, seed: true });

/**
 * Inverted dropout: in training, each element is zeroed with probability `rate` and the others
 * are scaled by 1/(1 − rate), so evaluation (the identity) needs no rescaling. The mask is
 * drawn on the host from `seed` (the same mask on both backends); without a seed, a
 * deterministic sequence of seeds is used.
 */
export function dropout(x: fg.Tensor, rate: number, opts: { train?: boolean; seed?: number } = {}): fg.Tensor {
  checkTensor('dropout', 'x', x);
  opts = fg.checkOptions('dropout', opts, DROPOUT_KEYS) as typeof opts;
  if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) throw new fg.ArgumentError(`dropout: rate must be in [0, 1), got ${String(rate)}`);
  if (!opts.train || rate === 0) return x;
  const rng = new Rng(opts.seed ?? autoSeed++);
  const keep = 1 - rate;
  const mask = new Float64Array(x.size);
  for (let i = 0; i < mask.length; i++) mask[i] = rng.uniform() < keep ? 1 / keep : 0;
  return fg.mul(x, fg.tensor(mask, [...x.shape]));
}
