import { add, div, mul, sqrt, square, sub } from '../../autodiff/ops/arith.js';
import { abs } from '../../autodiff/ops/unary-more.js';
import { maximum } from '../../autodiff/ops/binary-more.js';
import { sum } from '../../autodiff/ops/reduce.js';
import { max } from '../../autodiff/ops/reduce-more.js';
import { sizeOf } from '../../engine/shape.js';
import { ArgumentError } from '../../engine/errors.js';
import type { Tensor } from '../../engine/tensor.js';
import { adaptiveLoop, read, type AdaptiveResult, type Reads } from './adaptive.js';
import type { Arena } from './arena.js';
import { readNow } from './checks.js';
import { lincomb } from './lincomb.js';
import { combine, rkStep } from './rk.js';
import { TABLEAUS } from './tableaus.js';
import type { Dynamics, SolverConfig, State } from './types.js';

// PI step-size control as in Hairer's DOPRI5: h_new = h·0.9·err^(−0.17)·err_prev^(0.04), by at
// most ×10 up and ÷5 down (÷5 also on a rejection, and no growth right after one)
const SAFETY = 0.9;
const ALPHA = 0.17;
const BETA = 0.04;
const GROW = 10;
const SHRINK = 5;

const conc = (s: State) => s.map((x) => x.concrete());

/**
 * RMS over every element of v / (atol + rtol·max(|a|, |b|)), computed on the values without
 * tracing (a number for the controller, not a derivative). Any NaN/Inf in `b` (the trial state)
 * makes it NaN, so such a step is rejected. Under vmap the values hold every member along
 * leading axes beyond each part's own rank (`ranks`): the RMS is taken per member and the
 * worst member's counts, so that one step size serves the whole batch.
 */
export function scaledNorm(arena: Arena, v: State, a: State, b: State, rtol: number, atol: number, ranks: readonly number[]): Tensor {
  let total: Tensor | null = null;
  let count = 0;
  v.forEach((vj, j) => {
    const own = ranks[j]!;
    const perMember = (x: Tensor) => (x.rank > own ? sum(x, Array.from({ length: own }, (_, i) => x.rank - own + i)) : sum(x));
    const scale = add(mul(maximum(abs(a[j]!), abs(b[j]!)), arena.scalar(rtol)), arena.scalar(atol));
    const s = add(perMember(square(div(vj, scale))), perMember(mul(b[j]!, arena.scalar(0))));
    total = total ? add(total, s) : s;
    count += sizeOf(vj.shape.slice(vj.rank - own));
  });
  const rms = sqrt(div(total!, Math.max(count, 1)));
  return rms.rank ? max(rms) : rms;
}

/** Hairer's starting step (Solving ODEs I, II.4) for a method of `order`: from the sizes of y, f(y) and a difference of f. */
export function* initialStep(arena: Arena, dyn: Dynamics, t: number, y: State, f0: State, dir: number, cfg: SolverConfig, span: number, order = 5): Reads<number> {
  const [yc, fc] = [conc(y), conc(f0)];
  const ranks = y.map((x) => x.rank);
  const batched = [...y, ...f0].some((x) => x.concrete().rank > x.rank);
  const norm = (v: State) => arena.run(() => scaledNorm(arena, v, yc, yc, cfg.rtol, cfg.atol, ranks));
  const d0 = yield* read(arena, norm(yc));
  const d1 = yield* read(arena, norm(fc));
  const h0 = Math.min(span, d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : (0.01 * d0) / d1);
  const diff = arena.run(() => {
    // under vmap f must see one member's state (its values would be the whole batch)
    const f1 = conc(batched ? dyn(t + dir * h0, combine(y, [f0], [1], dir * h0)) : dyn(t + dir * h0, combine(yc, [fc], [1], dir * h0)));
    return scaledNorm(arena, f1.map((x, j) => div(sub(x, fc[j]!), h0)), yc, yc, cfg.rtol, cfg.atol, ranks);
  });
  const d2 = yield* read(arena, diff);
  const dmax = Math.max(d1, d2);
  const h1 = dmax <= 1e-15 ? Math.max(1e-6, h0 * 1e-3) : (0.01 / dmax) ** (1 / order);
  return Math.min(100 * h0, h1, span);
}


/**
 * Dormand–Prince 5(4) with PI step-size control, rejection of steps whose error estimate
 * exceeds the tolerance, a cap on attempted steps and an underflow check. Steps are clipped
 * to land on every time in ts. The controller needs each error estimate as a number: it yields
 * the scalar tensor and is resumed with its value (synchronously on the cpu backend, after an
 * asynchronous read in odeintGrid). Step sizes carry no derivative; the stages do.
 */
/** Dormand–Prince 5(4) with PI step-size control, on the shared adaptive loop. */
export function adaptive(arena: Arena, dyn: Dynamics, y0: State, ts: readonly number[], cfg: SolverConfig, names?: readonly string[]): Reads<AdaptiveResult> {
  const tab = TABLEAUS.dopri5;
  const terms = tab.e!.flatMap((w, s) => (w !== 0 ? [s] : []));
  const ranks = y0.map((x) => x.rank);
  return adaptiveLoop(arena, y0, ts, cfg, (t0, y0) => {
    // f at the current state: the last stage of the step that reached it (first same as last)
    let k1 = arena.run(() => dyn(t0, y0));
    let errOld = 1e-4;
    return {
      firstStep: (dir, span) => initialStep(arena, dyn, t0, y0, k1, dir, cfg, span),
      trial: (t, h, y) => arena.run(() => {
        const { y: yNew, ks } = rkStep(tab, dyn, t, h, y, k1);
        const err = y.map((_, j) => lincomb(terms.map((s) => ks[s]![j]!.concrete()), terms.map((s) => h * tab.e![s]!)));
        return { y: yNew, k7: ks[ks.length - 1]!, norm: scaledNorm(arena, err, conc(y), conc(yNew), cfg.rtol, cfg.atol, ranks) };
      }),
      accept: (trial, y) => {
        arena.free([y, k1], [trial.y, trial.k7]);
        k1 = trial.k7;
      },
      reject: (trial, y) => arena.free([trial.y, trial.k7], [y, k1]),
      grow: (err, h) => {
        const fac = Math.min(SHRINK, Math.max(1 / GROW, err ** ALPHA / errOld ** BETA / SAFETY));
        errOld = Math.max(err, 1e-4);
        return h / fac;
      },
      shrink: (err, h) => (Number.isFinite(err) ? h / Math.min(SHRINK, err ** ALPHA / SAFETY) : h / SHRINK),
      dispose: () => arena.free(k1, null),
      advice: {
        underflow: 'the solution may blow up or the problem be stiff there: check f, loosen rtol/atol, or use a fixed-step method',
        maxSteps: 'raise maxSteps, loosen rtol/atol, or use a fixed-step method (the problem may be stiff)',
      },
    };
  }, names);
}

/** Drives a controller on the cpu backend, where values are read without waiting. */
export function runSync<T>(gen: Reads<T>, label: string, method = 'dopri5'): T {
  let r = gen.next();
  while (!r.done) {
    const v = readNow(r.value);
    if (!v) {
      gen.return(undefined as T);
      throw new ArgumentError(`${label}: ${method} chooses each step from its error estimate, a value that must be read on the host, and WebGPU reads are asynchronous; compute the steps first with \`const grid = await fg.odeintGrid(f, y0, ts, opts)\` and pass { grid } (the solve on given steps is differentiable and never reads back), use a fixed-step method, or the cpu backend`);
    }
    r = gen.next(v[0]!);
  }
  return r.value;
}

/** Drives a controller with asynchronous reads (any backend). */
export async function runAsync<T>(gen: Reads<T>): Promise<T> {
  let r = gen.next();
  while (!r.done) r = gen.next((await r.value.data())[0]!);
  return r.value;
}
