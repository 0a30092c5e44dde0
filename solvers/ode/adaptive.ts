// The step-size loop shared by the adaptive methods (dopri5, rosenbrock23): it walks the output
// times, clips steps to them, reads each trial's error norm, accepts or rejects, and reports
// underflow and maxSteps. What differs per method — the trial step, what it carries from step
// to step, its controller — is the method's AdaptiveScheme.
import { NumericalError } from '../../engine/errors.js';
import type { Tensor } from '../../engine/tensor.js';
import type { Arena } from './arena.js';
import { checkFinite, fmtTime } from './checks.js';
import type { SolverConfig, State } from './types.js';

const EPS = 2.220446049250313e-16;

/** A read the controller needs: yields a scalar tensor, gets its value back. */
export type Reads<T> = Generator<Tensor, T, number>;

export interface AdaptiveResult {
  /** the state at every time in ts */
  outs: State[];
  /** the accepted step boundaries, from ts[0] to the last time, through every time in ts */
  grid: number[];
  accepted: number;
  rejected: number;
}

/** A trial step: the state it reached and the scaled RMS norm of its error (a scalar tensor). */
export interface Trial {
  y: State;
  norm: Tensor;
}

/** What one adaptive method brings to the loop. */
export interface AdaptiveScheme<T extends Trial> {
  /** the first step size (positive), given the direction and span of the solve */
  firstStep(dir: number, span: number): Reads<number>;
  /** a trial step of size h from (t, y), the n-th step to be accepted */
  trial(t: number, h: number, y: State, n: number): T;
  /** keeps what the accepted trial carries forward (it reached tNew) and frees what y carried */
  accept(trial: T, y: State, tNew: number): void;
  /** frees a rejected trial, keeping y and what it carries */
  reject(trial: T, y: State): void;
  /** the step after an accepted one of size h with error norm err ≤ 1 */
  grow(err: number, h: number): number;
  /** the retry after a rejected step of size h with error norm err (NaN or ∞: the trial blew up) */
  shrink(err: number, h: number): number;
  /** frees what the scheme still carries */
  dispose(): void;
  /** what to try when steps underflow, and when maxSteps is reached */
  advice: { underflow: string; maxSteps: string };
}

export function* read(arena: Arena, t: Tensor): Reads<number> {
  const v = yield t;
  arena.free(t, null);
  return v;
}

/** Integrates from y0 through ts with the scheme made (at ts[0], y0) by `makeScheme`. */
export function* adaptiveLoop<T extends Trial>(arena: Arena, y0: State, ts: readonly number[], cfg: SolverConfig, makeScheme: (t0: number, y0: State) => AdaptiveScheme<T>, names?: readonly string[]): Reads<AdaptiveResult> {
  const outs: State[] = [y0];
  const grid = [ts[0]!];
  const res = { outs, grid, accepted: 0, rejected: 0 };
  if (ts.length === 1) return res;
  const scheme = makeScheme(ts[0]!, y0);
  const span = Math.abs(ts[ts.length - 1]! - ts[0]!);
  const dir = Math.sign(ts[1]! - ts[0]!);
  let t = ts[0]!;
  let y = y0;
  let h = dir * (cfg.dt ?? (yield* scheme.firstStep(dir, span)));
  let justRejected = false;
  let nonFinite = false;
  for (let i = 1; i < ts.length; i++) {
    const target = ts[i]!;
    while (t !== target) {
      const hmin = 16 * EPS * Math.max(Math.abs(t), span);
      const remaining = target - t;
      if (Math.abs(remaining) <= hmin) {
        t = target; // round-off short of the output time: the state is there already
        break;
      }
      if (Math.abs(h) < hmin) {
        const where = `t = ${fmtTime(t)} (step ${res.accepted + 1}, |h| = ${Math.abs(h).toPrecision(3)})`;
        throw new NumericalError(nonFinite
          ? `${cfg.label}: the state became NaN/Inf after ${where}: every trial step from there gave NaN/Inf down to the smallest step; f blows up there`
          : `${cfg.label}: step size underflow at ${where} after ${res.accepted} accepted and ${res.rejected} rejected steps; ${scheme.advice.underflow}`);
      }
      if (res.accepted + res.rejected >= cfg.maxSteps) {
        throw new NumericalError(`${cfg.label}: reached maxSteps = ${cfg.maxSteps} (${res.accepted} accepted, ${res.rejected} rejected) at t = ${fmtTime(t)} with |h| = ${Math.abs(h).toPrecision(3)}, before t = ${fmtTime(target)}; ${scheme.advice.maxSteps}`);
      }
      const clipped = Math.abs(h) >= Math.abs(remaining);
      const step = clipped ? remaining : h;
      const trial = scheme.trial(t, step, y, res.accepted + 1);
      const err = yield* read(arena, trial.norm);
      if (err <= 1) {
        const tNew = clipped ? target : t + step;
        res.accepted++;
        checkFinite(trial.y, tNew, res.accepted, t, step, cfg.label, names);
        scheme.accept(trial, y, tNew);
        [y, t] = [trial.y, tNew];
        grid.push(t);
        let next = scheme.grow(err, step);
        if (justRejected) next = dir * Math.min(Math.abs(next), Math.abs(step));
        // a step clipped to an output time says little about the size the controller wanted
        h = clipped && Math.abs(next) < Math.abs(h) && err < 0.5 ? h : next;
        justRejected = nonFinite = false;
      } else {
        res.rejected++;
        scheme.reject(trial, y);
        nonFinite = !Number.isFinite(err);
        h = scheme.shrink(err, step);
        justRejected = true;
      }
    }
    outs.push(arena.keep(y));
  }
  scheme.dispose();
  return res;
}
