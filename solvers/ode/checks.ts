import { ArgumentError, NumericalError, ShapeError, fmtShape } from '../../engine/errors.js';
import { sameShape } from '../../engine/shape.js';
import { Tensor } from '../../engine/tensor.js';
import type { State } from './types.js';

let tolerated = 0;

/**
 * Runs fn with the solvers' finiteness checks off: for callers that handle non-finite results
 * themselves (a sampler rejects a trajectory whose energy became NaN and counts it as divergent;
 * to the solver it would be an error).
 */
export function withNonFiniteTolerated<T>(fn: () => T): T {
  tolerated++;
  try {
    return fn();
  } finally {
    tolerated--;
  }
}

/** Whether a solve now should check that its states stay finite. */
export const checksFinite = () => tolerated === 0;

/** Values of a tensor without waiting, where its backend holds them on the host (cpu); else null. */
export function readNow(t: Tensor): Float64Array | null {
  if (!t.hasValue) return null;
  const c = t.concrete();
  return c.backend.readSync ? c.backend.readSync(c.storage!) : null;
}

/** A time for messages: short but exact enough to find the place. */
export const fmtTime = (t: number) => String(Number(t.toPrecision(10)));

/** The error of a state that became NaN or Inf, as both backends word it. */
export function nonFiniteError(label: string, name: string | undefined, nan: boolean, t: number, step: number, from: number, h: number, element: number, shape: readonly number[]): NumericalError {
  const what = name ? `${name} ` : 'state ';
  return new NumericalError(`${label}: the ${what}became ${nan ? 'NaN' : 'Inf'} at t = ${fmtTime(t)} (step ${step}, from t = ${fmtTime(from)} with h = ${h.toPrecision(4)}; element ${element} of ${fmtShape(shape)}); f or the step size blows up there: try a smaller step, tighter tolerances, or check f`);
}

/**
 * Throws where a new state holds NaN or ±Inf, naming the time and the step. Runs where values
 * can be read without waiting (the cpu backend); WebGPU reads are asynchronous and a read per
 * step would stall the queue, so there fixed-step solves flag the state in a status buffer
 * (finite.ts) and the next read throws this error; dopri5's error estimate notices too.
 */
export function checkFinite(y: State, t: number, step: number, from: number, h: number, label: string, names?: readonly string[]): void {
  if (!checksFinite()) return;
  for (let j = 0; j < y.length; j++) {
    const v = readNow(y[j]!);
    if (!v) return;
    for (let i = 0; i < v.length; i++) {
      if (!Number.isFinite(v[i]!)) throw nonFiniteError(label, names?.[j], Number.isNaN(v[i]!), t, step, from, h, i, y[j]!.shape);
    }
  }
}

/** f's result checked: a tensor of y's shape. */
export function checkDerivative(d: unknown, y: Tensor, t: number, label: string): Tensor {
  if (!(d instanceof Tensor)) {
    throw new ArgumentError(`${label}: f(t, y, params) must return a Tensor (dy/dt), got ${d === null ? 'null' : Array.isArray(d) ? 'an array' : typeof d} at t = ${fmtTime(t)}`);
  }
  if (!sameShape(d.shape, y.shape)) {
    throw new ShapeError(`${label}: f(t, y, params) returned shape ${fmtShape(d.shape)} at t = ${fmtTime(t)}, but y has shape ${fmtShape(y.shape)}; f must return dy/dt with the shape of y`);
  }
  return d;
}
