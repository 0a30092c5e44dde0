import type { GpuArg, GpuRuntime } from '../engine/webgpu/runtime.js';
import { bindings, flatIndex, mainSignature, WG } from './wgsl.js';

// params: n (elements of x), len·inner, outLen·inner, offset·inner
const placeWgsl = `${bindings(1)}
${mainSignature} {
  ${flatIndex}
  if (i >= params[0]) { return; }
  out[(i / params[1]) * params[2] + params[3] + i % params[1]] = in0[i];
}`;

/**
 * Copies x, viewed as [outer, len, inner], into out, viewed as [outer, outLen, inner], at
 * `offset` along the middle axis: one thread per element of x. Concatenation (and stacking)
 * is one such copy per input, into disjoint parts of the output.
 */
export function launchPlace(rt: GpuRuntime, label: string, x: GpuArg, out: GpuArg, len: number, inner: number, outLen: number, offset: number): void {
  rt.dispatch({
    wgsl: placeWgsl,
    inputs: [x.buffer],
    outputs: [out.buffer],
    params: [x.size, len * inner, outLen * inner, offset * inner],
    workgroups: rt.grid(x.size, WG),
    label,
  });
}
