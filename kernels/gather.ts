import type { GpuArg, GpuRuntime } from '../engine/webgpu/runtime.js';
import { f32OfBits, firstKey, nanWgsl, reportFirstWgsl, statusBinding, statusSlot } from './status.js';
import { bindings, flatIndex, mainSignature, WG } from './wgsl.js';

/** What a bad index becomes. */
export interface BadIndex {
  /** the same key for the same error: like dispatches share a status slot */
  key: string;
  /** the error naming the op, given the first bad position and, when it is among the first VALUE_WORDS, the index found there */
  error(position: number, value: number | undefined): Error;
}

/** Words of status per dispatch: the first bad position, then the indices at the first 63 positions. */
const STATUS_WORDS = 64;
const VALUE_WORDS = STATUS_WORDS - 1;

// Status slot at word s: word s keeps the first bad position; word s + 1 + p a bad index found at
// position p < VALUE_WORDS (the threads of one dispatch that read position p write the same bits;
// a later dispatch with the same slot may overwrite them with its own bad index there).
const badIndexWgsl = `${reportFirstWgsl}
${nanWgsl}
fn bad_index(s: u32, p: u32, v: f32) {
  report_first(s, p);
  if (p < ${VALUE_WORDS}u) { atomicStore(&status[s + 1u + p], bitcast<u32>(v)); }
}`;

/** A status slot for a kernel that reads indices; the next read throws `bad`'s error if one was bad. */
function indexStatus(rt: GpuRuntime, bad: BadIndex): { buffer: GPUBuffer; base: number } {
  return statusSlot(rt, STATUS_WORDS, bad.key, (w) => {
    const p = firstKey(w[0]!);
    return p < 0 ? null : bad.error(p, p < VALUE_WORDS ? f32OfBits(w[1 + p]!) : undefined);
  });
}

// Indices arrive as f32; one that is not an integer or not in [−n, n) is reported (one compare
// per index read, no readback) and the next read throws. A negative one counts from the end.
// (f32(i32(v)) == v is false for non-integers, NaN and values past the i32 range.)
// With `negative` false (segment ids) a negative index is bad too.
const indexAt = (v: string, n: string, negative = true) => `let v = ${v}; let k0 = i32(v); let k = ${negative ? `select(k0, k0 + i32(${n}), k0 < 0)` : 'k0'};
  let inside = f32(k0) == v && k >= 0 && k < i32(${n});`;

// params: total, n (axis length of x), m (number of indices), inner, status slot
const gatherWgsl = `${bindings(2)}
${statusBinding(4)}
${badIndexWgsl}
${mainSignature} {
  ${flatIndex}
  if (i >= params[0]) { return; }
  let n = params[1]; let m = params[2]; let inner = params[3];
  let o = i / (m * inner); let r = i % (m * inner); let j = r / inner; let ii = r % inner;
  ${indexAt('in1[j]', 'n')}
  if (inside) { out[i] = in0[(o * n + u32(k)) * inner + ii]; } else { out[i] = nan_f32(); bad_index(params[4], j, v); }
}`;

/**
 * out[o, j, i] = x[o, indices[j], i] with x viewed as [outer, n, inner] around the axis; NaN
 * where the index is bad, and the next read throws `bad`'s error.
 */
export function launchGather(rt: GpuRuntime, x: GpuArg, indices: GpuArg, out: GpuArg, n: number, inner: number, bad: BadIndex): void {
  const status = indexStatus(rt, bad);
  rt.dispatch({
    wgsl: gatherWgsl,
    inputs: [x.buffer, indices.buffer],
    outputs: [out.buffer, status.buffer],
    params: [out.size, n, indices.size, inner, status.base],
    workgroups: rt.grid(out.size, WG),
    label: 'gather',
  });
}

const zeroWgsl = `${bindings(0)}
${mainSignature} {
  ${flatIndex}
  if (i >= params[0]) { return; }
  out[i] = 0.0;
}`;

// params: total (elements of updates), size (axis length of out), m (number of indices), inner,
// status slot.
// WGSL has no float atomics: each add is a compare-and-swap loop on the bits of the target.
const scatterAddWgsl = (negative: boolean) => `@group(0) @binding(0) var<storage, read> params: array<u32>;
@group(0) @binding(1) var<storage, read> in0: array<f32>;
@group(0) @binding(2) var<storage, read> in1: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<atomic<u32>>;
${statusBinding(4)}
${badIndexWgsl}
${mainSignature} {
  ${flatIndex}
  if (i >= params[0]) { return; }
  let size = params[1]; let m = params[2]; let inner = params[3];
  let o = i / (m * inner); let r = i % (m * inner); let j = r / inner; let ii = r % inner;
  ${indexAt('in1[j]', 'size', negative)}
  if (!inside) { bad_index(params[4], j, v); return; }
  let dst = (o * size + u32(k)) * inner + ii;
  let upd = in0[i];
  var old = atomicLoad(&out[dst]);
  loop {
    let res = atomicCompareExchangeWeak(&out[dst], old, bitcast<u32>(bitcast<f32>(old) + upd));
    if (res.exchanged) { break; }
    old = res.old_value;
  }
}`;

/**
 * out[o, indices[j], i] += updates[o, j, i], out viewed as [outer, size, inner] and zeroed
 * first. One thread per update with an atomic add, so the cost is that of the updates
 * whatever the number of targets; the order of the adds to one target varies from run to run
 * (float sums then differ in the last bits, as with PyTorch's index_add_ on a GPU). An update
 * with a bad index is dropped, and the next read throws `bad`'s error; `negative` says whether
 * negative indices count from the end (scatterAdd) or are bad (segment ids).
 */
const scatterAddSources = [scatterAddWgsl(false), scatterAddWgsl(true)];

export function launchScatterAdd(rt: GpuRuntime, updates: GpuArg, indices: GpuArg, out: GpuArg, size: number, inner: number, bad: BadIndex, negative = true): void {
  rt.dispatch({ wgsl: zeroWgsl, inputs: [], outputs: [out.buffer], params: [out.size], workgroups: rt.grid(out.size, WG), label: 'scatterAdd' });
  const status = indexStatus(rt, bad);
  rt.dispatch({
    wgsl: scatterAddSources[negative ? 1 : 0]!,
    inputs: [updates.buffer, indices.buffer],
    outputs: [out.buffer, status.buffer],
    params: [updates.size, size, indices.size, inner, status.base],
    workgroups: rt.grid(updates.size, WG),
    label: 'scatterAdd',
  });
}

// params: total, depth, inner, status slot. Indices must be integers in [0, depth) (no negative ones).
const oneHotWgsl = `${bindings(1)}
${statusBinding(3)}
${badIndexWgsl}
${mainSignature} {
  ${flatIndex}
  if (i >= params[0]) { return; }
  let depth = params[1]; let inner = params[2];
  let o = i / (depth * inner); let r = i % (depth * inner); let c = r / inner; let ii = r % inner;
  let p = o * inner + ii; let v = in0[p];
  if (floor(v) == v && v >= 0.0 && v < f32(depth)) { out[i] = select(0.0, 1.0, v == f32(c)); } else { out[i] = nan_f32(); bad_index(params[3], p, v); }
}`;

/** out[o, c, i] = 1 where indices[o, i] = c, else 0; NaN where the index is bad, and the next read throws `bad`'s error. */
export function launchOneHot(rt: GpuRuntime, indices: GpuArg, out: GpuArg, depth: number, inner: number, bad: BadIndex): void {
  const status = indexStatus(rt, bad);
  rt.dispatch({
    wgsl: oneHotWgsl,
    inputs: [indices.buffer],
    outputs: [out.buffer, status.buffer],
    params: [out.size, depth, inner, status.base],
    workgroups: rt.grid(out.size, WG),
    label: 'oneHot',
  });
}
