import { ArgumentError } from '../../engine/errors.js';
import { checkOptions } from '../../engine/options.js';
import { fromValues } from '../../engine/creation.js';
import { keep, tidy } from '../../engine/scope.js';
import type { Tensor } from '../../engine/tensor.js';
import { clipFactor } from './clip.js';
import { mul } from '../../autodiff/ops/arith.js';
import { leavesOf, matchLeaves } from './tree.js';

/** A learning rate: a number, or a schedule giving it for step 0, 1, 2, … */
export type LearningRate = number | ((step: number) => number);

export interface OptimizerOptions {
  lr: LearningRate;
  /** scale the gradients so that their global norm is at most this (before the update) */
  clipNorm?: number;
}

/**
 * An optimizer over one parameter tree. Its state (moments) lives on the parameters' device;
 * `step` records the update there and reads nothing back. It is pure in the parameters: it
 * returns a new tree and leaves `params` and `grads` to the caller (dispose them when done).
 */
export interface Optimizer {
  readonly name: string;
  /** steps taken so far */
  readonly steps: number;
  /** the learning rate the next step uses */
  lr(): number;
  /** new parameters from the current ones and their gradients (trees of the same shape) */
  step<P>(params: P, grads: P): P;
  /** the state tensors by slot (e.g. { m: [...], v: [...] }), one per parameter, in tree order */
  state(): Record<string, Tensor[]>;
  /** frees the state */
  dispose(): void;
}

/** How one parameter tensor is updated: new parameter and new state from gradient and old state. */
export interface UpdateRule {
  name: string;
  slots: string[];
  update(p: Tensor, g: Tensor, state: Tensor[], ctx: UpdateContext): { p: Tensor; state: Tensor[] };
}

export interface UpdateContext {
  /** learning rate of this step */
  lr: number;
  /** step number, from 1 */
  t: number;
  /** a scalar tensor of this value on p's backend, uploaded once and reused across steps */
  scalar(v: number, like: Tensor): Tensor;
}

/** Which optimizers take each option: an option of another optimizer is named as such in the error. */
const OWNERS: Record<string, string> = { momentum: 'optim.momentum/nesterov', nesterov: 'optim.momentum', beta1: 'optim.adam/adamw', beta2: 'optim.adam/adamw', eps: 'optim.adam/adamw' };

/** Checks an optimizer's options object against its known keys (one list per optimizer). */
export function checkOptimizerOptions(who: string, opts: unknown, known: readonly string[]): void {
  if (opts === undefined || opts === null || typeof opts !== 'object') throw new ArgumentError(`${who}: options { lr, … } are required`);
  const foreign = Object.keys(opts).find((k) => !known.includes(k) && OWNERS[k]);
  if (foreign) throw new ArgumentError(`${who}: ${foreign} is an option of ${OWNERS[foreign]}, not of ${who}; known: ${known.join(', ')}`);
  checkOptions(who, opts as object, known);
}

export function checkNumber(who: string, what: string, v: unknown, ok: (x: number) => boolean, expected: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) throw new ArgumentError(`${who}: ${what} must be ${expected}, got ${String(v)}`);
  return v;
}

function checkLr(who: string, lr: unknown): LearningRate {
  if (typeof lr === 'function') return lr as (s: number) => number;
  return checkNumber(who, 'lr', lr, (x) => x >= 0, 'a non-negative number or a schedule (step) => number');
}

export function makeOptimizer(params: unknown, opts: OptimizerOptions, rule: UpdateRule): Optimizer {
  const who = `optim.${rule.name}`;
  if (!opts || typeof opts !== 'object') throw new ArgumentError(`${who}: options { lr, … } are required`);
  const lr = checkLr(who, opts.lr);
  const clip = opts.clipNorm === undefined ? undefined : checkNumber(who, 'clipNorm', opts.clipNorm, (x) => x > 0, 'a positive number');
  const ref = leavesOf(params, who, 'params');
  const shape = { paths: ref.paths, shapes: ref.tensors.map((t) => t.shape) };
  // zero state on each parameter's backend, kept out of any enclosing tidy()
  let state: Tensor[][] = rule.slots.map(() => ref.tensors.map((p) => keep(fromValues(new Float64Array(p.size), p.shape, p.backend))));
  let steps = 0;
  let disposed = false;
  // scalars (learning rate, decay rates) stay on the device between steps: no upload per step
  const scalars = new Map<string, Tensor>();
  const scalar = (v: number, like: Tensor) => {
    const key = `${like.backend.name}:${v}`;
    let t = scalars.get(key);
    if (!t || t.isDisposed) {
      if (scalars.size >= 64) dropScalars();
      t = keep(fromValues([v], [], like.backend));
      scalars.set(key, t);
    }
    return t;
  };
  const dropScalars = () => {
    for (const t of scalars.values()) t.dispose();
    scalars.clear();
  };
  const lrAt = (t: number) => {
    const v = typeof lr === 'number' ? lr : lr(t);
    return checkNumber(who, `lr at step ${t} (from the schedule)`, v, (x) => x >= 0, 'a non-negative number');
  };

  return {
    name: rule.name,
    get steps() {
      return steps;
    },
    lr: () => lrAt(steps),
    step<P>(params: P, grads: P): P {
      if (disposed) throw new ArgumentError(`${who}: step() after dispose()`);
      const ps = leavesOf(params, who, 'params');
      const gs = leavesOf(grads, who, 'grads');
      matchLeaves(shape, ps, who, 'params');
      matchLeaves(shape, gs, who, 'grads');
      const ctx: UpdateContext = { lr: lrAt(steps), t: steps + 1, scalar };
      const out = tidy(() => {
        const factor = clip === undefined ? null : clipFactor(gs.tensors, clip);
        const newP: Tensor[] = [];
        const newS: Tensor[][] = rule.slots.map(() => []);
        ps.tensors.forEach((p, i) => {
          const g = factor ? mul(gs.tensors[i]!, factor) : gs.tensors[i]!;
          const r = rule.update(p, g, state.map((s) => s[i]!), ctx);
          newP.push(r.p);
          r.state.forEach((s, k) => newS[k]!.push(s));
        });
        return { newP, newS };
      });
      for (const s of state.flat()) s.dispose();
      state = out.newS.map((slot) => slot.map((s) => keep(s)));
      steps++;
      // a step ends an iteration: submitting here starts the device on it, and a training loop
      // then recycles the same pooled buffers in the same order every step, so the runtime's
      // cached bind groups are hit (submits at other points shuffled them: most missed)
      ps.tensors[0]?.backend.flush();
      return ps.rebuild(out.newP);
    },
    state: () => Object.fromEntries(rule.slots.map((name, k) => [name, state[k]!.slice()])),
    dispose() {
      for (const s of state.flat()) s.dispose();
      state = rule.slots.map(() => []);
      dropScalars();
      disposed = true;
    },
  };
}
