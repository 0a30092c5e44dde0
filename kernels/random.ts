import type { GpuArg, GpuRuntime } from '../engine/webgpu/runtime.js';
import { bindings, flatIndex, mainSignature, WG } from './wgsl.js';

/**
 * The counter-based generator of engine/random.ts on the device: value i of a stream depends
 * only on (seed, i), so a key per batch member gives independent streams in one dispatch.
 * A key is a tensor [..., 2] holding a 32-bit seed as two 16-bit halves (exact in float32).
 * The uniforms come out in float32 (27 of the host's 53 bits survive the rounding).
 */
const generator = `
fn mix32(v: u32) -> u32 {
  var x = v;
  x ^= x >> 16u; x *= 0x7feb352du; x ^= x >> 15u; x *= 0x846ca68bu; x ^= x >> 16u;
  return x;
}
fn seed_of(hi: f32, lo: f32) -> u32 { return (u32(hi) << 16u) | u32(lo); }
fn uniform(seed: u32, i: u32) -> f32 {
  let k = mix32(seed ^ 0x9e3779b9u);
  let hi = mix32(k ^ mix32(2u * i)) >> 5u;
  let lo = mix32((k + 0x632be5abu) ^ mix32(2u * i + 1u)) >> 6u;
  return (f32(hi) + (f32(lo) + 0.5) / 67108864.0) / 134217728.0;
}
fn normal(seed: u32, i: u32) -> f32 {
  let p = i & ~1u;
  let r = sqrt(-2.0 * log(uniform(seed, p)));
  let th = 6.283185307179586 * uniform(seed, p + 1u);
  return select(r * sin(th), r * cos(th), i == p);
}
fn split(seed: u32, j: u32) -> u32 { return mix32(mix32(seed ^ 0x85ebca6bu) ^ mix32(j + 0x9e3779b9u)); }
`;

export type RandomKind = 'uniform' | 'normal';

/** params: n, values per key */
const drawSource = (kind: RandomKind) => `${bindings(1)}
${generator}
${mainSignature} {
  ${flatIndex}
  if (i >= params[0]) { return; }
  let per = params[1];
  let key = i / per;
  let seed = seed_of(in0[2u * key], in0[2u * key + 1u]);
  out[i] = ${kind}(seed, i % per);
}`;

/** the two sources, built once (a dispatch then hashes no new string) */
const drawWgsl: Record<RandomKind, string> = { uniform: drawSource('uniform'), normal: drawSource('normal') };

/** out[..., j] = value j of the stream of key[...]: keys [K, 2], `per` values each. */
export function launchRandom(rt: GpuRuntime, kind: RandomKind, key: GpuArg, out: GpuArg, per: number): void {
  rt.dispatch({ wgsl: drawWgsl[kind], inputs: [key.buffer], outputs: [out.buffer], params: [out.size, per], workgroups: rt.grid(out.size, WG), label: `random ${kind}` });
}

/** params: n (output values), children per key */
const splitWgsl = `${bindings(1)}
${generator}
${mainSignature} {
  ${flatIndex}
  if (i >= params[0]) { return; }
  let c = i / 2u;
  let key = c / params[1];
  let child = split(seed_of(in0[2u * key], in0[2u * key + 1u]), c % params[1]);
  out[i] = select(f32(child & 0xffffu), f32(child >> 16u), i % 2u == 0u);
}`;

/** out[..., j, :] = child key j of key[...]: keys [K, 2], n children each. */
export function launchSplitKey(rt: GpuRuntime, key: GpuArg, out: GpuArg, n: number): void {
  rt.dispatch({ wgsl: splitWgsl, inputs: [key.buffer], outputs: [out.buffer], params: [out.size, n], workgroups: rt.grid(out.size, WG), label: 'splitKey' });
}
