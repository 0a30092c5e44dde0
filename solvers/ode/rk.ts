import { lincomb } from './lincomb.js';
import type { Arena } from './arena.js';
import type { Tableau } from './tableaus.js';
import type { Dynamics, State } from './types.js';

/**
 * y + Σ (h·w[i])·k[i], leaf by leaf, as one fused kernel (lincomb), skipping zero weights;
 * y itself when every weight is 0.
 */
export function combine(y: State, ks: State[], w: readonly number[], h: number): State {
  const terms = w.flatMap((wi, i) => (wi !== 0 ? [i] : []));
  if (terms.length === 0) return y;
  return y.map((yj, j) => lincomb([yj, ...terms.map((i) => ks[i]![j]!)], [1, ...terms.map((i) => h * w[i]!)]));
}

export interface RkResult {
  y: State;
  /** the stage derivatives k₁ … k_s */
  ks: State[];
}

/**
 * One explicit Runge–Kutta step of the tableau from (t, y) by h. `k1` is f(t, y) when the
 * caller has it already (first same as last). For FSAL tableaus the last stage's input is the
 * new state itself (its a-row equals b), so it is not combined twice.
 */
export function rkStep(tab: Tableau, dyn: Dynamics, t: number, h: number, y: State, k1: State | null): RkResult {
  const ks: State[] = [];
  let last: State = y;
  tab.c.forEach((c, i) => {
    last = i === 0 ? y : combine(y, ks, tab.a[i]!, h);
    ks.push(i === 0 && k1 ? k1 : dyn(t + c * h, last));
  });
  return { y: tab.fsal ? last : combine(y, ks, tab.b, h), ks };
}

/** A fixed-step integrator: one step from (t, y) by h, with what it carries to the next step. */
export interface Stepper {
  step(arena: Arena, dyn: Dynamics, t: number, h: number, y: State, carry: State | null): { y: State; carry: State | null };
}

/** Fixed steps of an explicit Runge–Kutta tableau; FSAL tableaus carry their last stage. */
export function rkStepper(tab: Tableau): Stepper {
  return {
    step(_arena, dyn, t, h, y, carry) {
      const { y: next, ks } = rkStep(tab, dyn, t, h, y, tab.fsal ? carry : null);
      return { y: next, carry: tab.fsal ? ks[ks.length - 1]! : null };
    },
  };
}
