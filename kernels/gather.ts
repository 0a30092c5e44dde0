import type { GpuArg, GpuRuntime } from '../engine/webgpu/runtime.js';
import { bindings, flatIndex, mainSignature, WG } from './wgsl.js';

// Indices arrive as f32 holding integers; a negative one counts from the end of the axis.
// Out-of-range indices are not checked here (that would need a readback): a gather reads 0
// for them and a scatter drops them. The float64 reference rejects them.
const indexAt = (v: string, n: string) => `let k0 = i32(round(${v})); let k = select(k0, k0 + i32(${n}), k0 < 0);
  let inside = k >= 0 && k < i32(${n});`;

// params: total, n (axis length of x), m (number of indices), inner
const gatherWgsl = `${bindings(2)}
${mainSignature} {
  ${flatIndex}
  if (i >= params[0]) { return; }
  let n = params[1]; let m = params[2]; let inner = params[3];
  let o = i / (m * inner); let r = i % (m * inner); let j = r / inner; let ii = r % inner;
  ${indexAt('in1[j]', 'n')}
  if (inside) { out[i] = in0[(o * n + u32(k)) * inner + ii]; } else { out[i] = 0.0; }
}`;

/** out[o, j, i] = x[o, indices[j], i] with x viewed as [outer, n, inner] around the axis. */
export function launchGather(rt: GpuRuntime, x: GpuArg, indices: GpuArg, out: GpuArg, n: number, inner: number): void {
  rt.dispatch({
    wgsl: gatherWgsl,
    inputs: [x.buffer, indices.buffer],
    outputs: [out.buffer],
    params: [out.size, n, indices.size, inner],
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

// params: total (elements of updates), size (axis length of out), m (number of indices), inner.
// WGSL has no float atomics: each add is a compare-and-swap loop on the bits of the target.
const scatterAddWgsl = `@group(0) @binding(0) var<storage, read> params: array<u32>;
@group(0) @binding(1) var<storage, read> in0: array<f32>;
@group(0) @binding(2) var<storage, read> in1: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<atomic<u32>>;
${mainSignature} {
  ${flatIndex}
  if (i >= params[0]) { return; }
  let size = params[1]; let m = params[2]; let inner = params[3];
  let o = i / (m * inner); let r = i % (m * inner); let j = r / inner; let ii = r % inner;
  ${indexAt('in1[j]', 'size')}
  if (!inside) { return; }
  let dst = (o * size + u32(k)) * inner + ii;
  let v = in0[i];
  var old = atomicLoad(&out[dst]);
  loop {
    let res = atomicCompareExchangeWeak(&out[dst], old, bitcast<u32>(bitcast<f32>(old) + v));
    if (res.exchanged) { break; }
    old = res.old_value;
  }
}`;

/**
 * out[o, indices[j], i] += updates[o, j, i], out viewed as [outer, size, inner] and zeroed
 * first. One thread per update with an atomic add, so the cost is that of the updates
 * whatever the number of targets; the order of the adds to one target varies from run to run
 * (float sums then differ in the last bits, as with PyTorch's index_add_ on a GPU).
 */
export function launchScatterAdd(rt: GpuRuntime, updates: GpuArg, indices: GpuArg, out: GpuArg, size: number, inner: number): void {
  rt.dispatch({ wgsl: zeroWgsl, inputs: [], outputs: [out.buffer], params: [out.size], workgroups: rt.grid(out.size, WG), label: 'scatterAdd' });
  rt.dispatch({
    wgsl: scatterAddWgsl,
    inputs: [updates.buffer, indices.buffer],
    outputs: [out.buffer],
    params: [updates.size, size, indices.size, inner],
    workgroups: rt.grid(updates.size, WG),
    label: 'scatterAdd',
  });
}

// params: total, depth, inner
const oneHotWgsl = `${bindings(1)}
${mainSignature} {
  ${flatIndex}
  if (i >= params[0]) { return; }
  let depth = params[1]; let inner = params[2];
  let o = i / (depth * inner); let r = i % (depth * inner); let c = r / inner; let ii = r % inner;
  out[i] = select(0.0, 1.0, round(in0[o * inner + ii]) == f32(c));
}`;

/** out[o, c, i] = 1 where indices[o, i] = c, else 0. */
export function launchOneHot(rt: GpuRuntime, indices: GpuArg, out: GpuArg, depth: number, inner: number): void {
  rt.dispatch({
    wgsl: oneHotWgsl,
    inputs: [indices.buffer],
    outputs: [out.buffer],
    params: [out.size, depth, inner],
    workgroups: rt.grid(out.size, WG),
    label: 'oneHot',
  });
}
