import { ArgumentError } from '../../engine/errors.js';

/** A learning rate as a function of the step index (0, 1, 2, …). */
export type Schedule = (step: number) => number;

function positive(who: string, what: string, v: unknown, allowZero = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
    throw new ArgumentError(`optim.schedules.${who}: ${what} must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${String(v)}`);
  }
  return v;
}

/** lr·γ^⌊step/every⌋: multiply by gamma every `every` steps. */
export function stepDecay(opts: { lr: number; every: number; gamma?: number }): Schedule {
  const lr = positive('stepDecay', 'lr', opts?.lr, true);
  const every = positive('stepDecay', 'every', opts?.every);
  if (!Number.isInteger(every)) throw new ArgumentError(`optim.schedules.stepDecay: every must be a whole number of steps, got ${every}`);
  const gamma = positive('stepDecay', 'gamma', opts.gamma ?? 0.1, true);
  return (step) => lr * gamma ** Math.floor(step / every);
}

/**
 * Cosine annealing from lr to minLr over `steps` steps (minLr afterwards), after an optional
 * linear warm-up from lr/warmup to lr over the first `warmup` steps.
 */
export function cosine(opts: { lr: number; steps: number; minLr?: number; warmup?: number }): Schedule {
  const lr = positive('cosine', 'lr', opts?.lr, true);
  const steps = positive('cosine', 'steps', opts.steps);
  const minLr = positive('cosine', 'minLr', opts.minLr ?? 0, true);
  const warmup = positive('cosine', 'warmup', opts.warmup ?? 0, true);
  if (warmup >= steps) throw new ArgumentError(`optim.schedules.cosine: warmup (${warmup}) must be shorter than steps (${steps})`);
  return (step) => {
    if (step < warmup) return (lr * (step + 1)) / warmup;
    const u = Math.min(1, (step - warmup) / (steps - warmup));
    return minLr + 0.5 * (lr - minLr) * (1 + Math.cos(Math.PI * u));
  };
}
