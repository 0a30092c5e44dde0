/**
 * A Brownian motion W on [t0, t1] (one independent component per element of a state) that can
 * be queried at any times, in any order, any number of times, with the same answers: a
 * Brownian tree (as torchsde's BrownianTree / Li et al. 2020). W(t1) comes from the seed, each
 * dyadic midpoint from its node's own seed by the Brownian bridge
 *   W(m) = (W(a) + W(b))/2 + √((b − a)/4)·Z,
 * down to MAX_DEPTH levels, and a time inside a deepest interval is bridged from its ends. So
 * W at a dyadic time is the same whatever the step size that asks for it (refining dt keeps
 * the path), and the adjoint regenerates the increments backwards without storing them.
 */

import { normalArray, splitSeed } from '../../engine/random.js';

const MAX_DEPTH = 24;

/** 32-bit words of a float64, for a seed keyed by a time. */
function timeKeys(t: number): [number, number] {
  const w = new Uint32Array(new Float64Array([t]).buffer);
  return [w[0]!, w[1]!];
}

export class BrownianTree {
  private readonly w1: Float64Array;

  constructor(readonly seed: number, readonly t0: number, readonly t1: number, readonly size: number) {
    this.w1 = this.normal(Math.sqrt(t1 - t0), 0, 0);
  }

  private normal(scale: number, ...keys: number[]): Float64Array {
    const z = normalArray(this.size, splitSeed(this.seed, ...keys));
    for (let i = 0; i < z.length; i++) z[i]! *= scale;
    return z;
  }

  /** W at each of `times` (sorted ascending, inside [t0, t1]), W(t0) = 0. */
  at(times: readonly number[]): Float64Array[] {
    const out = new Array<Float64Array>(times.length);
    const idx = times.map((_, i) => i);
    this.fill(this.t0, this.t1, new Float64Array(this.size), this.w1, 0, 0, idx, times, out);
    return out;
  }

  private fill(a: number, b: number, wa: Float64Array, wb: Float64Array, level: number, index: number, qs: number[], times: readonly number[], out: Float64Array[]): void {
    const inside: number[] = [];
    for (const q of qs) {
      if (times[q] === a) out[q] = wa;
      else if (times[q] === b) out[q] = wb;
      else inside.push(q);
    }
    if (inside.length === 0) return;
    if (level === MAX_DEPTH) {
      for (const q of inside) {
        const t = times[q]!;
        const z = this.normal(Math.sqrt(((t - a) * (b - t)) / (b - a)), level + 1, index, ...timeKeys(t));
        const u = (t - a) / (b - a);
        for (let i = 0; i < z.length; i++) z[i]! += wa[i]! + u * (wb[i]! - wa[i]!);
        out[q] = z;
      }
      return;
    }
    const m = a + (b - a) / 2;
    const wm = this.normal(Math.sqrt((b - a) / 4), level + 1, 2 * index + 1);
    for (let i = 0; i < wm.length; i++) wm[i]! += (wa[i]! + wb[i]!) / 2;
    const left = inside.filter((q) => times[q]! <= m);
    const right = inside.filter((q) => times[q]! > m);
    this.fill(a, m, wa, wm, level + 1, 2 * index, left, times, out);
    this.fill(m, b, wm, wb, level + 1, 2 * index + 1, right, times, out);
  }
}
