import { ArgumentError, ShapeError, fmtShape } from '../../engine/errors.js';
import { checkOptions } from '../../engine/options.js';
import { fromValues } from '../../engine/creation.js';
import { keep, tidy } from '../../engine/scope.js';
import { shareHandle, Tensor } from '../../engine/tensor.js';
import { clipFactor } from './clip.js';
import { add, mul } from '../../autodiff/ops/arith.js';
import { scalarTensor } from '../../autodiff/op.js';
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
  /** the state as a tree to save (io.saveSafetensors): the optimizer's own tensors, not copies (built-in optimizers have it; train needs it to checkpoint) */
  stateDict?(): OptimizerState;
  /** continues from a saved state (same kind of optimizer, same parameter tree); copies nothing, shares the tensors */
  loadStateDict?(state: OptimizerState): void;
  /** frees the state */
  dispose(): void;
}

/** What a pure update carries from one step to the next. */
export interface OptimizerCarry {
  /** steps taken so far (a scalar tensor) */
  t: Tensor;
  slots: Record<string, Tensor[]>;
}

/** An optimizer whose state saves and loads (every built-in one). */
export interface SavableOptimizer extends Optimizer {
  stateDict(): OptimizerState;
  loadStateDict(state: OptimizerState): void;
  /**
   * The state as a value to carry through a pure update: the step count as a scalar tensor
   * and each slot's tensors (shared with the optimizer, not copies).
   */
  init(): OptimizerCarry;
  /**
   * The same update as `step`, as a pure function of parameters, gradients and carried state,
   * for use inside fg.jit (where a stateful step cannot be traced): nothing is kept, and the
   * step count travels as a tensor, so one trace serves every step. The learning rate must be a
   * number (a schedule needs the step count on the host: use step()).
   */
  update<P>(params: P, grads: P, carry: OptimizerCarry): { params: P; carry: OptimizerCarry };
}

/** What an optimizer needs to continue exactly: its kind, steps taken, and each slot's tensors in tree order. */
export interface OptimizerState {
  name: string;
  steps: number;
  slots: Record<string, Tensor[]>;
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
  /** step number, from 1 (a scalar tensor in a pure update) */
  t: number | Tensor;
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

export function makeOptimizer(params: unknown, opts: OptimizerOptions, rule: UpdateRule): SavableOptimizer {
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
      t = keep(scalarTensor(v, like.backend));
      scalars.set(key, t);
    }
    return t;
  };
  const dropScalars = () => {
    for (const t of scalars.values()) t.dispose();
    scalars.clear();
  };
  /** new parameters and slots for every leaf, by the rule */
  const updateAll = (ps: Tensor[], gs: Tensor[], slots: Tensor[][], ctx: UpdateContext) => {
    const factor = clip === undefined ? null : clipFactor(gs, clip);
    const newP: Tensor[] = [];
    const newS: Tensor[][] = rule.slots.map(() => []);
    ps.forEach((p, i) => {
      const g = factor ? mul(gs[i]!, factor) : gs[i]!;
      const r = rule.update(p, g, slots.map((s) => s[i]!), ctx);
      newP.push(r.p);
      r.state.forEach((s, k) => newS[k]!.push(s));
    });
    return { newP, newS };
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
      if (!ps.tensors.every((p) => p.hasValue)) throw new ArgumentError(`${who}: step() keeps state and cannot be traced by jit; inside a jitted function use update(params, grads, carry) with carry = init()`);
      const out = tidy(() => updateAll(ps.tensors, gs.tensors, state, { lr: lrAt(steps), t: steps + 1, scalar }));
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
    init: () => ({ t: scalarTensor(steps, ref.tensors[0]!.backend), slots: Object.fromEntries(rule.slots.map((name, k) => [name, state[k]!.map(shareHandle)])) }),
    update<P>(params: P, grads: P, carry: OptimizerCarry) {
      if (disposed) throw new ArgumentError(`${who}: update() after dispose()`);
      if (typeof lr !== 'number') throw new ArgumentError(`${who}: update() needs a number lr (a schedule needs the step count on the host; use step())`);
      const ps = leavesOf(params, who, 'params');
      const gs = leavesOf(grads, who, 'grads');
      matchLeaves(shape, ps, who, 'params', true);
      matchLeaves(shape, gs, who, 'grads', true);
      if (!carry || !(carry.t instanceof Tensor) || carry.t.size !== 1) throw new ArgumentError(`${who}: update(): carry must be what init() or update() returned, { t, slots }`);
      const slots = rule.slots.map((name) => {
        const ts = carry.slots?.[name];
        if (!Array.isArray(ts) || ts.length !== shape.shapes.length) throw new ShapeError(`${who}: update(): carry.slots.${name} must hold ${shape.shapes.length} tensor(s), got ${Array.isArray(ts) ? ts.length : typeof ts}`);
        return ts;
      });
      const t = add(carry.t, 1);
      const { newP, newS } = updateAll(ps.tensors, gs.tensors, slots, { lr, t, scalar });
      return { params: ps.rebuild(newP), carry: { t, slots: Object.fromEntries(rule.slots.map((name, k) => [name, newS[k]!])) } };
    },
    stateDict: () => ({ name: rule.name, steps, slots: Object.fromEntries(rule.slots.map((name, k) => [name, state[k]!.slice()])) }),
    loadStateDict(sd: OptimizerState) {
      const w = `${who}: loadStateDict`;
      if (disposed) throw new ArgumentError(`${w} after dispose()`);
      if (!sd || typeof sd !== 'object' || sd.name !== rule.name) throw new ArgumentError(`${w}: the state is of optimizer ${JSON.stringify(sd?.name)}, this one is ${rule.name}`);
      if (!Number.isInteger(sd.steps) || sd.steps < 0) throw new ArgumentError(`${w}: steps must be a non-negative integer, got ${String(sd.steps)}`);
      const next = rule.slots.map((slot) => {
        const ts = sd.slots?.[slot];
        if (!Array.isArray(ts) || ts.length !== shape.shapes.length) {
          throw new ShapeError(`${w}: slot ${slot} must hold ${shape.shapes.length} tensor(s) (one per parameter), got ${Array.isArray(ts) ? ts.length : typeof ts}`);
        }
        return ts.map((t, i) => {
          if (!(t instanceof Tensor)) throw new ArgumentError(`${w}: ${slot}[${i}] is not a tensor`);
          if (t.shape.join() !== shape.shapes[i]!.join()) throw new ShapeError(`${w}: ${slot}[${i}] (${shape.paths[i]}) has shape ${fmtShape(t.shape)}, expected ${fmtShape(shape.shapes[i]!)}`);
          if (t.backend !== ref.tensors[i]!.backend) throw new ArgumentError(`${w}: ${slot}[${i}] is on ${t.backend.name}, its parameter on ${ref.tensors[i]!.backend.name} (load the file after fg.init of that backend)`);
          return shareHandle(t.concrete());
        });
      });
      for (const s of state.flat()) s.dispose();
      state = next;
      steps = sd.steps;
    },
    dispose() {
      for (const s of state.flat()) s.dispose();
      state = rule.slots.map(() => []);
      dropScalars();
      disposed = true;
    },
  };
}
