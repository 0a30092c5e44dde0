import { ArgumentError } from '../../engine/errors.js';
import { checkOptions, optionKeys } from '../../engine/options.js';

/** A learning rate as a function of the step index (0, 1, 2, …). */
export type Schedule = (step: number) => number;

function positive(who: string, what: string, v: unknown, allowZero = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
    throw new ArgumentError(`optim.schedules.${who}: ${what} must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${String(v)}`);
  }
  return v;
}

export interface StepDecayOptions {
  lr: number;
  every: number;
  gamma?: number;
}
export interface CosineOptions {
  lr: number;
  steps: number;
  minLr?: number;
  warmup?: number;
}
const STEP_DECAY_KEYS = optionKeys<StepDecayOptions>({ lr: true, every: true, gamma: true });
const COSINE_KEYS = optionKeys<CosineOptions>({ lr: true, steps: true, minLr: true, warmup: true });

/** The options object of a schedule: required, and with known keys only. */
function scheduleOptions<T extends object>(who: string, opts: T, known: readonly string[]): T {
  if (opts === undefined) throw new ArgumentError(`optim.schedules.${who}: options { ${known.join(', ')} } are required`);
  checkOptions(`optim.schedules.${who}`, opts, known);
  return opts;
}

/** lr·γ^⌊step/every⌋: multiply by gamma every `every` steps. */
export function stepDecay(opts: StepDecayOptions): Schedule {
  scheduleOptions('stepDecay', opts, STEP_DECAY_KEYS);
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
export function cosine(opts: CosineOptions): Schedule {
  scheduleOptions('cosine', opts, COSINE_KEYS);
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
