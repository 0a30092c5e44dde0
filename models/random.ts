import * as fg from '../index.js';
/**
 * A seeded random stream on the host, in float64 (initializers, dropout masks, data sets,
 * shuffles): splitmix32 for the integers, Box–Muller for the normals. The same seed gives the
 * same numbers on every backend and platform.
 */
export class Rng {
  private state: number;
  private spare: number | null = null;

  constructor(seed: number) {
    if (typeof seed !== 'number' || !Number.isFinite(seed)) throw new fg.ArgumentError(`Rng: seed must be a finite number, got ${typeof seed === 'string' ? JSON.stringify(seed) : String(seed)}`);
    this.state = (Math.floor(seed) ^ 0x6d2b79f5) >>> 0;
  }

  /** 32 random bits */
  next32(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  }

  /** uniform in [0, 1), 53 bits */
  uniform(low = 0, high = 1): number {
    const u = ((this.next32() >>> 5) * 67108864 + (this.next32() >>> 6)) / 9007199254740992;
    return low + (high - low) * u;
  }

  normal(mean = 0, std = 1): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return mean + std * s;
    }
    const u = 1 - this.uniform(); // (0, 1]: safe for log
    const r = Math.sqrt(-2 * Math.log(u));
    const th = 2 * Math.PI * this.uniform();
    this.spare = r * Math.sin(th);
    return mean + std * r * Math.cos(th);
  }

  /** integer in [0, n) */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  normals(n: number, std = 1): Float64Array {
    return Float64Array.from({ length: n }, () => this.normal(0, std));
  }

  uniforms(n: number, low = 0, high = 1): Float64Array {
    return Float64Array.from({ length: n }, () => this.uniform(low, high));
  }

  /** a random permutation of 0 … n−1 (Fisher–Yates) */
  permutation(n: number): Int32Array {
    const p = Int32Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i]!;
      p[i] = p[j]!;
      p[j] = t;
    }
    return p;
  }
}

/** A seed derived from a base seed and a few integers (layer index, epoch, …), well mixed. */
export function subSeed(seed: number, ...keys: number[]): number {
  let h = (Math.floor(seed) ^ 0x3c6ef372) >>> 0;
  for (const k of keys) {
    h = Math.imul(h ^ (Math.floor(k) >>> 0), 0x9e3779b1) >>> 0;
    h = (h ^ (h >>> 15)) >>> 0;
    h = Math.imul(h, 0x85ebca77) >>> 0;
    h = (h ^ (h >>> 13)) >>> 0;
  }
  return h;
}
