import { div, mul, sqrt, square, sub } from '../../autodiff/ops/arith.js';
import { pow } from '../../autodiff/ops/binary-more.js';

const rsqrtOf = (c: Tensor) => div(1, sqrt(c));
import { mulAdd } from './fused.js';
import type { Tensor } from '../../engine/tensor.js';
import { optionKeys } from '../../engine/options.js';
import { checkNumber, checkOptimizerOptions, makeOptimizer, type SavableOptimizer, type OptimizerOptions, type UpdateRule } from './optimizer.js';

export interface AdamOptions extends OptimizerOptions {
  /** decay rates of the first and second moments (default 0.9, 0.999) */
  beta1?: number;
  beta2?: number;
  /** added to √v̂ in the denominator (default 1e-8) */
  eps?: number;
  /** adam: L2 penalty folded into the gradient; adamw: decoupled decay p ← p·(1 − lr·wd) (default 0, adamw 0.01) */
  weightDecay?: number;
}

const ADAM_KEYS = optionKeys<AdamOptions>({ lr: true, clipNorm: true, beta1: true, beta2: true, eps: true, weightDecay: true });

function adamRule(name: 'adam' | 'adamw', opts: AdamOptions): UpdateRule {
  const who = `optim.${name}`;
  checkOptimizerOptions(who, opts, ADAM_KEYS);
  const b1 = checkNumber(who, 'beta1', opts?.beta1 ?? 0.9, (x) => x >= 0 && x < 1, 'in [0, 1)');
  const b2 = checkNumber(who, 'beta2', opts?.beta2 ?? 0.999, (x) => x >= 0 && x < 1, 'in [0, 1)');
  const eps = checkNumber(who, 'eps', opts?.eps ?? 1e-8, (x) => x > 0, 'a positive number');
  const wd = checkNumber(who, 'weightDecay', opts?.weightDecay ?? (name === 'adamw' ? 0.01 : 0), (x) => x >= 0, 'a non-negative number');
  return {
    name,
    slots: ['m', 'v'],
    // PyTorch's form: p ← p − (lr/c₁)·m / (√v/√c₂ + ε), c₁ = 1 − β₁ᵗ, c₂ = 1 − β₂ᵗ (bias corrections as host numbers)
    update: (p0: Tensor, g0: Tensor, [m0, v0], { lr, t, scalar }) => {
      const g = name === 'adam' && wd ? mulAdd(p0, scalar(wd, p0), g0) : g0;
      const p = name === 'adamw' && wd ? mul(p0, 1 - lr * wd) : p0;
      const m = mulAdd(m0!, scalar(b1, p0), mul(g, scalar(1 - b1, p0)));
      const v = mulAdd(v0!, scalar(b2, p0), mul(square(g), scalar(1 - b2, p0)));
      // a pure update carries t as a tensor: the corrections are computed on the device
      if (typeof t !== 'number') {
        const c1 = sub(1, pow(b1, t));
        const c2 = sub(1, pow(b2, t));
        const denom = mulAdd(sqrt(v), rsqrtOf(c2), scalar(eps, p0));
        return { p: mulAdd(div(m, denom), div(-lr, c1), p), state: [m, v] };
      }
      const c1 = 1 - b1 ** t;
      const c2 = 1 - b2 ** t;
      const denom = mulAdd(sqrt(v), 1 / Math.sqrt(c2), scalar(eps, p0));
      return { p: mulAdd(div(m, denom), -lr / c1, p), state: [m, v] };
    },
  };
}

/** Adam (Kingma & Ba), with bias correction; `weightDecay` adds an L2 term to the gradient. */
export function adam(params: unknown, opts: AdamOptions): SavableOptimizer {
  return makeOptimizer(params, opts, adamRule('adam', opts));
}

/** AdamW (Loshchilov & Hutter): Adam with weight decay decoupled from the gradient. */
export function adamw(params: unknown, opts: AdamOptions): SavableOptimizer {
  return makeOptimizer(params, opts, adamRule('adamw', opts));
}
