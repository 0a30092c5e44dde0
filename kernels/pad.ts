import type { GpuArg, GpuRuntime } from '../engine/webgpu/runtime.js';
import { stridesOf } from '../engine/shape.js';
import { bindings, f32bits, flatIndex, mainSignature, WG } from './wgsl.js';

const i32bits = (x: number) => x >>> 0;

/**
 * A window onto x: out[c] = x[c + shift] where that lies inside x, else `value`. Slicing is a
 * window with shift = begin (always inside); padding one with shift = −before.
 * params: n, value bits, outShape[r], xShape[r], xStrides[r], shift[r] (i32 bits)
 */
function windowWgsl(rank: number): string {
  const r = rank;
  const body =
    r === 0
      ? 'out[i] = in0[0];'
      : `var rem = i; var off = 0u; var inside = true;
  for (var d = ${r - 1}u; d < ${r}u; d = d - 1u) {
    let c = rem % params[2u + d]; rem = rem / params[2u + d];
    let s = i32(c) + bitcast<i32>(params[${2 + 3 * r}u + d]);
    inside = inside && s >= 0 && s < i32(params[${2 + r}u + d]);
    off += u32(s) * params[${2 + 2 * r}u + d];
  }
  if (inside) { out[i] = in0[off]; } else { out[i] = bitcast<f32>(params[1]); }`;
  return `${bindings(1)}
${mainSignature} {
  ${flatIndex}
  if (i >= params[0]) { return; }
  ${body}
}`;
}

export function launchWindow(rt: GpuRuntime, label: string, x: GpuArg, out: GpuArg, shift: readonly number[], value = 0): void {
  rt.dispatch({
    wgsl: windowWgsl(out.shape.length),
    inputs: [x.buffer],
    outputs: [out.buffer],
    params: [out.size, f32bits(value), ...out.shape, ...x.shape, ...stridesOf(x.shape), ...shift.map(i32bits)],
    workgroups: rt.grid(out.size, WG),
    label,
  });
}
