import { ArgumentError } from '../../engine/errors.js';
import { mulAdd } from './fused.js';
import type { Tensor } from '../../engine/tensor.js';
import { optionKeys } from '../../engine/options.js';
import { checkNumber, checkOptimizerOptions, makeOptimizer, type SavableOptimizer, type OptimizerOptions, type UpdateContext } from './optimizer.js';

export interface SgdOptions extends OptimizerOptions {
  /** L2 penalty folded into the gradient: g + weightDecay·p */
  weightDecay?: number;
}

export interface MomentumOptions extends SgdOptions {
  /** μ in v ← μ·v + g (default 0.9) */
  momentum?: number;
  /** p ← p − lr·(g + μ·v) instead of p − lr·v */
  nesterov?: boolean;
}

const SGD_KEYS = optionKeys<SgdOptions>({ lr: true, clipNorm: true, weightDecay: true });
const MOMENTUM_KEYS = optionKeys<MomentumOptions>({ lr: true, clipNorm: true, weightDecay: true, momentum: true, nesterov: true });

const decayed = (p: Tensor, g: Tensor, wd: number, c: UpdateContext) => (wd ? mulAdd(p, c.scalar(wd, p), g) : g);

/** Plain gradient descent: p ← p − lr·g. */
export function sgd(params: unknown, opts: SgdOptions): SavableOptimizer {
  checkOptimizerOptions('optim.sgd', opts, SGD_KEYS);
  const wd = checkNumber('optim.sgd', 'weightDecay', opts?.weightDecay ?? 0, (x) => x >= 0, 'a non-negative number');
  return makeOptimizer(params, opts, {
    name: 'sgd',
    slots: [],
    update: (p, g, _s, c) => ({ p: mulAdd(decayed(p, g, wd, c), c.scalar(-c.lr, p), p), state: [] }),
  });
}

/**
 * Heavy-ball momentum as in PyTorch: v ← μ·v + g, p ← p − lr·v; with `nesterov`,
 * p ← p − lr·(g + μ·v) (the gradient at the look-ahead point, in Sutskever's form).
 */
export function momentum(params: unknown, opts: MomentumOptions): SavableOptimizer {
  return heavyBall('optim.momentum', params, opts);
}

function heavyBall(who: string, params: unknown, opts: MomentumOptions): SavableOptimizer {
  checkOptimizerOptions(who, opts, MOMENTUM_KEYS);
  const wd = checkNumber(who, 'weightDecay', opts?.weightDecay ?? 0, (x) => x >= 0, 'a non-negative number');
  const mu = checkNumber(who, 'momentum', opts?.momentum ?? 0.9, (x) => x >= 0 && x < 1, 'in [0, 1)');
  if (opts.nesterov !== undefined && typeof opts.nesterov !== 'boolean') throw new ArgumentError(`${who}: nesterov must be true or false, got ${String(opts.nesterov)}`);
  const nesterov = !!opts.nesterov;
  return makeOptimizer(params, opts, {
    name: nesterov ? 'nesterov' : 'momentum',
    slots: ['v'],
    update: (p, g0, [v0], c) => {
      const g = decayed(p, g0, wd, c);
      const m = c.scalar(mu, p);
      const v = mulAdd(v0!, m, g);
      const dir = nesterov ? mulAdd(v, m, g) : v;
      return { p: mulAdd(dir, c.scalar(-c.lr, p), p), state: [v] };
    },
  });
}

/** Momentum with Nesterov's look-ahead: momentum(params, { ...opts, nesterov: true }). */
export function nesterov(params: unknown, opts: MomentumOptions): SavableOptimizer {
  checkOptimizerOptions('optim.nesterov', opts, MOMENTUM_KEYS);
  return heavyBall('optim.nesterov', params, { ...opts, nesterov: true });
}
