import type { GpuArg, GpuRuntime } from '../engine/webgpu/runtime.js';
import { bindings, f32bits, flatIndex, mainSignature, mathPrelude, WG } from './wgsl.js';

const NAMES = ['p0', 'p1', 'p2', 'p3'];
const F32_MAX = 3.4028235e38;

/**
 * out[i] = expr(a, p0, p1, …): an elementwise map of one contiguous input whose numeric
 * attributes (clip bounds, a slope) arrive as parameters, so one pipeline serves every value.
 * `expr` is fixed by the op definition (never user input). params: n, then attribute bits.
 */
function unaryAttrsWgsl(expr: string, count: number): string {
  const ps = NAMES.slice(0, count);
  return `${bindings(1)}
${mathPrelude}
fn f(a: f32${ps.map((p) => `, ${p}: f32`).join('')}) -> f32 { return ${expr}; }
${mainSignature} {
  ${flatIndex}
  if (i >= params[0]) { return; }
  out[i] = f(in0[i]${ps.map((_, k) => `, bitcast<f32>(params[${k + 1}])`).join('')});
}`;
}

/**
 * Launches the map over x. Infinite attributes become ±FLT_MAX: WGSL lets a compiler assume
 * that no infinities occur, and in float32 every finite value lies within ±FLT_MAX anyway.
 */
export function launchUnaryAttrs(rt: GpuRuntime, label: string, expr: string, x: GpuArg, out: GpuArg, attrs: readonly number[]): void {
  if (attrs.length > NAMES.length) throw new Error(`${label}: at most ${NAMES.length} attributes`);
  const finite = attrs.map((v) => Math.max(-F32_MAX, Math.min(F32_MAX, v)));
  rt.dispatch({
    wgsl: unaryAttrsWgsl(expr, attrs.length),
    inputs: [x.buffer],
    outputs: [out.buffer],
    params: [out.size, ...finite.map(f32bits)],
    workgroups: rt.grid(out.size, WG),
    label,
  });
}
