import { ArgumentError, fmtShape } from '../../engine/errors.js';
import { Tensor } from '../../engine/tensor.js';
import { fmtTime, readNow } from './checks.js';

/** One step of a solve: from time t by h (negative when integrating backwards). */
export interface Step {
  t: number;
  h: number;
}

/** The steps of a solve, one list per interval between consecutive output times. */
export type Plan = Step[][];

/** ts as numbers: finite, strictly monotone (increasing or decreasing), at least one. */
export function parseTimes(ts: unknown, label: string): number[] {
  let values: ArrayLike<number>;
  if (ts instanceof Tensor) {
    if (ts.rank !== 1) throw new ArgumentError(`${label}: ts must be a 1-D tensor or an array of numbers, got a tensor of shape ${fmtShape(ts.shape)}`);
    const v = readNow(ts);
    if (!v) throw new ArgumentError(`${label}: ts is a ${ts.backend.name} tensor, whose values cannot be read without waiting; pass the times as numbers (Array.from(await ts.data()))`);
    values = v;
  } else if (Array.isArray(ts) || ts instanceof Float64Array || ts instanceof Float32Array) {
    values = ts as ArrayLike<number>;
  } else {
    throw new ArgumentError(`${label}: ts must be an array of numbers or a 1-D tensor, got ${ts === null ? 'null' : typeof ts}`);
  }
  const out = Array.from(values);
  if (out.length === 0) throw new ArgumentError(`${label}: ts must hold at least one time (the initial time)`);
  out.forEach((t, i) => {
    if (typeof t !== 'number' || !Number.isFinite(t)) throw new ArgumentError(`${label}: ts[${i}] must be a finite number, got ${t}`);
  });
  if (out.length > 1) {
    const dir = Math.sign(out[1]! - out[0]!);
    for (let i = 1; i < out.length; i++) {
      if (Math.sign(out[i]! - out[i - 1]!) !== dir || dir === 0) {
        throw new ArgumentError(`${label}: ts must be strictly increasing or strictly decreasing, but ts[${i}] = ${fmtTime(out[i]!)} follows ts[${i - 1}] = ${fmtTime(out[i - 1]!)}${dir === 0 ? '' : ` while ts[1] ${dir > 0 ? '>' : '<'} ts[0]`}`);
      }
    }
  }
  return out;
}

/**
 * Equal steps between consecutive output times: ⌈|Δ|/dt⌉ of them (a relative slack of 1e-12
 * absorbs round-off in |Δ|/dt), or `steps` of them. Step k starts at t_i + k·h, so that with
 * t_0 = 0 and h = T/L the stages see exactly the times n·(T/L).
 */
export function fixedPlan(ts: readonly number[], spec: { dt?: number; steps?: number }): Plan {
  const plan: Plan = [];
  for (let i = 0; i + 1 < ts.length; i++) {
    const [a, b] = [ts[i]!, ts[i + 1]!];
    const n = intervalSteps(a, b, spec);
    const h = (b - a) / n;
    plan.push(Array.from({ length: n }, (_, k) => ({ t: a + k * h, h })));
  }
  return plan;
}

/** The number of steps fixedPlan takes from a to b. */
const intervalSteps = (a: number, b: number, spec: { dt?: number; steps?: number }) => spec.steps ?? Math.max(1, Math.ceil((Math.abs(b - a) / spec.dt!) * (1 - 1e-12)));

/** The number of steps fixedPlan takes over all of ts, counted without building the plan. */
export function fixedStepCount(ts: readonly number[], spec: { dt?: number; steps?: number }): number {
  let n = 0;
  for (let i = 0; i + 1 < ts.length; i++) n += intervalSteps(ts[i]!, ts[i + 1]!, spec);
  return n;
}

/**
 * Steps between the given boundaries (from odeintGrid, or the user's), split at the output
 * times; the grid must run from ts[0] to the last time through every time in ts.
 */
export function gridPlan(ts: readonly number[], grid: readonly number[], label: string): Plan {
  const g = parseTimes(grid, `${label}: grid`);
  const dir = Math.sign(ts[ts.length - 1]! - ts[0]!);
  if (g[0] !== ts[0] || g[g.length - 1] !== ts[ts.length - 1] || (g.length > 1 && Math.sign(g[1]! - g[0]!) !== dir)) {
    throw new ArgumentError(`${label}: grid must run from ts[0] = ${fmtTime(ts[0]!)} to ts[${ts.length - 1}] = ${fmtTime(ts[ts.length - 1]!)} in the direction of ts, got ${fmtTime(g[0]!)} … ${fmtTime(g[g.length - 1]!)}`);
  }
  const plan: Plan = [];
  let k = 0;
  for (let i = 0; i + 1 < ts.length; i++) {
    const steps: Step[] = [];
    while (g[k] !== ts[i + 1]) {
      if (k + 1 >= g.length || dir * (g[k + 1]! - ts[i + 1]!) > 0) {
        throw new ArgumentError(`${label}: grid must contain every time in ts, but ts[${i + 1}] = ${fmtTime(ts[i + 1]!)} is missing`);
      }
      steps.push({ t: g[k]!, h: g[k + 1]! - g[k]! });
      k++;
    }
    plan.push(steps);
  }
  return plan;
}

/** The plan's step boundaries as one list (what odeintGrid returns for fixed-step methods). */
export function planTimes(ts: readonly number[], plan: Plan): number[] {
  const out = [ts[0]!];
  plan.forEach((steps, i) => {
    for (let k = 1; k < steps.length; k++) out.push(steps[k]!.t);
    out.push(ts[i + 1]!);
  });
  return out;
}
