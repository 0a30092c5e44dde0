import { ArgumentError } from '../../engine/errors.js';

export function intOption(who: string, name: string, v: unknown, fallback: number, min: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new ArgumentError(`${who}: ${name} must be an integer ≥ ${min}, got ${String(v)}`);
  return v;
}

export function positiveOption(who: string, name: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new ArgumentError(`${who}: ${name} must be a positive finite number, got ${String(v)}`);
  return v;
}

/** A 32-bit seed for stream k of draw i of a run seeded with `seed` (independent streams per use). */
export function subSeed(seed: number, i: number, k: number): number {
  let x = (seed ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0;
  x = (x + Math.imul(k + 1, 0x85ebca6b)) >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  return x >>> 0;
}
