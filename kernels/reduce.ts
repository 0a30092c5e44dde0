import type { GpuArg, GpuRuntime } from '../engine/webgpu/runtime.js';
import { bindings, f32bits, WG } from './wgsl.js';

export type ReduceKind = 'sum' | 'max' | 'min';

const COMBINE: Record<ReduceKind, { init: string; op: (a: string, b: string) => string }> = {
  sum: { init: '0.0', op: (a, b) => `${a} + ${b}` },
  max: { init: '-3.4028235e38', op: (a, b) => `max(${a}, ${b})` },
  min: { init: '3.4028235e38', op: (a, b) => `min(${a}, ${b})` },
};

/**
 * Reduction of x viewed as [outer, len, inner] along the middle axis, times `scale`
 * (1/len for a mean). Short axes: one thread per output. Long axes with few outputs: one
 * workgroup per output, a strided loop and a tree in workgroup memory.
 */
function reduceWgsl(kind: ReduceKind, perWorkgroup: boolean): string {
  const { init, op } = COMBINE[kind];
  const head = `${bindings(1)}
// params: outer, len, inner, scale bits`;
  if (!perWorkgroup) {
    return `${head}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = gid.x + gid.y * nwg.x * ${WG}u;
  let len = params[1]; let inner = params[2];
  if (o >= params[0] * inner) { return; }
  let base = (o / inner) * len * inner + o % inner;
  var acc = ${init};
  for (var k = 0u; k < len; k++) { acc = ${op('acc', 'in0[base + k * inner]')}; }
  out[o] = acc * bitcast<f32>(params[3]);
}`;
  }
  return `${head}
var<workgroup> part: array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = wid.x + wid.y * nwg.x;
  let len = params[1]; let inner = params[2];
  let valid = o < params[0] * inner;
  let base = (o / inner) * len * inner + o % inner;
  var acc = ${init};
  if (valid) { for (var k = lid.x; k < len; k += ${WG}u) { acc = ${op('acc', 'in0[base + k * inner]')}; } }
  part[lid.x] = acc;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s >>= 1u) {
    if (lid.x < s) { part[lid.x] = ${op('part[lid.x]', 'part[lid.x + s]')}; }
    workgroupBarrier();
  }
  if (valid && lid.x == 0u) { out[o] = part[0] * bitcast<f32>(params[3]); }
}`;
}

export function launchReduce(rt: GpuRuntime, label: string, kind: ReduceKind, x: GpuArg, out: GpuArg, outer: number, len: number, inner: number, scale = 1): void {
  const outputs = outer * inner;
  const perWorkgroup = len >= 64 && outputs < 4096;
  rt.dispatch({
    wgsl: reduceWgsl(kind, perWorkgroup),
    inputs: [x.buffer],
    outputs: [out.buffer],
    params: [outer, len, inner, f32bits(scale)],
    workgroups: perWorkgroup ? rt.grid(outputs, 1) : rt.grid(outputs, WG),
    label,
  });
}
