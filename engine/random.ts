/**
 * Seeded random numbers, generated on the host in float64 so that both backends get the same
 * values (WebGPU rounds them to float32). Counter-based: value i depends only on (seed, i).
 */
function mix32(x: number): number {
  // a 32-bit integer hash (lowbias32): well mixed, cheap
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** Uniform in (0, 1), never 0 (safe for log), 53 random bits. */
function uniform(seed: number, i: number): number {
  const k = mix32(seed ^ 0x9e3779b9);
  const hi = mix32(k ^ mix32(2 * i)) >>> 5; // 27 bits
  const lo = mix32(k + 0x632be5ab ^ mix32(2 * i + 1)) >>> 6; // 26 bits
  return (hi * 67108864 + lo + 0.5) / 9007199254740992;
}

export function uniformArray(n: number, seed: number, low = 0, high = 1): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = low + (high - low) * uniform(seed, i);
  return out;
}

/** Standard normal by Box–Muller over pairs of uniforms. */
export function normalArray(n: number, seed: number, mean = 0, std = 1): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(uniform(seed, i)));
    const th = 2 * Math.PI * uniform(seed, i + 1);
    out[i] = mean + std * r * Math.cos(th);
    if (i + 1 < n) out[i + 1] = mean + std * r * Math.sin(th);
  }
  return out;
}

let autoSeed = 0x2545f491;
/** A fresh seed for calls that give none (deterministic across runs of the same program). */
export function nextSeed(): number {
  autoSeed = mix32(autoSeed + 1);
  return autoSeed;
}

/**
 * A seed derived from `seed` and integer keys (a splittable generator: children of one seed
 * are independent streams, each reproducible from (seed, keys) alone).
 */
export function splitSeed(seed: number, ...keys: number[]): number {
  let s = mix32(seed ^ 0x85ebca6b);
  for (const k of keys) s = mix32(s ^ mix32((k >>> 0) + 0x9e3779b9));
  return s;
}
