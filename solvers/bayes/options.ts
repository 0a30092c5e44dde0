/** A 32-bit seed for stream k of draw i of a run seeded with `seed` (independent streams per use). */
export function subSeed(seed: number, i: number, k: number): number {
  let x = (seed ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0;
  x = (x + Math.imul(k + 1, 0x85ebca6b)) >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  return x >>> 0;
}
