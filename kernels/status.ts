/**
 * Status buffers: how a kernel reports bad input without a readback. A kernel sets words of a
 * small atomic buffer bound as its last output; the runtime copies the buffer out together with
 * the next read of any tensor, and that read throws the error its decoder builds. Kernels cannot
 * throw, and reading right after them would stall the pipeline.
 */
import type { GpuRuntime } from '../engine/webgpu/runtime.js';

/** WGSL declaration of the status buffer at `binding`. */
export const statusBinding = (binding: number) => `@group(0) @binding(${binding}) var<storage, read_write> status: array<atomic<u32>>;`;

/**
 * WGSL: keep the smallest key reported into word w, stored as 0xffffffff − key (atomicMax keeps
 * it, and the zeroed word means "nothing reported"); `firstKey` decodes it.
 */
export const reportFirstWgsl = `fn report_first(w: u32, key: u32) { atomicMax(&status[w], 0xffffffffu - key); }`;

/** The smallest key reported into a word, or -1 when none was. */
export const firstKey = (word: number) => (word ? 0xffffffff - word : -1);

/** WGSL nan_f32(): a NaN constant is rejected by WGSL's constant evaluation, so it is read from a variable. */
export const nanWgsl = `var<private> nan_bits: u32 = 0x7fc00000u;
fn nan_f32() -> f32 { return bitcast<f32>(nan_bits); }`;

/** The float32 whose bits are `word`. */
export const f32OfBits = (word: number) => new Float32Array(new Uint32Array([word]).buffer)[0]!;

/**
 * A zeroed status buffer of `words` u32 for one dispatch, checked with the next read: `decode`
 * turns its words into the error to throw, or null. The runtime releases it after that read.
 */
export function statusWords(rt: GpuRuntime, words: number, decode: (w: Uint32Array) => Error | null): GPUBuffer {
  const bytes = words * 4;
  const buffer = rt.createBuffer(bytes);
  rt.upload(buffer, new Float32Array(words));
  rt.checkAtRead(buffer, bytes, decode);
  return buffer;
}

type Decode = (w: Uint32Array) => Error | null;

interface SharedStatus {
  buffer: GPUBuffer;
  epoch: number;
  /** slot index by key, in order of first use */
  slots: Map<string, number>;
  decoders: Decode[];
}

/** Slots per shared status buffer. */
const SLOTS = 16;
/** by runtime, then by words per slot */
const shared = new WeakMap<GpuRuntime, Map<number, SharedStatus>>();

/**
 * `words` zeroed status words at word `base` of a buffer shared by the dispatches recorded
 * between two reads: no buffer or upload per dispatch. Dispatches with the same `key` (one
 * that determines `decode`) share a slot, so that a loop of like ops keeps the same params and
 * bind group. The next read throws the error of the first slot, in order of first use, whose
 * `decode` (given that slot's words) returns one.
 */
export function statusSlot(rt: GpuRuntime, words: number, key: string, decode: Decode): { buffer: GPUBuffer; base: number } {
  let byWords = shared.get(rt);
  if (!byWords) shared.set(rt, (byWords = new Map()));
  let s = byWords.get(words);
  // a buffer registered before the last read has been read back and released
  const fresh = s && s.epoch === rt.checkEpoch;
  const slot = fresh ? s!.slots.get(key) : undefined;
  if (slot !== undefined) return { buffer: s!.buffer, base: words * slot };
  if (!fresh || s!.decoders.length === SLOTS) {
    const decoders: Decode[] = [];
    const buffer = statusWords(rt, words * SLOTS, (w) => {
      for (let k = 0; k < decoders.length; k++) {
        const error = decoders[k]!(w.subarray(k * words, (k + 1) * words));
        if (error) return error;
      }
      return null;
    });
    byWords.set(words, (s = { buffer, epoch: rt.checkEpoch, slots: new Map(), decoders }));
  }
  s!.slots.set(key, s!.decoders.length);
  s!.decoders.push(decode);
  return { buffer: s!.buffer, base: words * (s!.decoders.length - 1) };
}
