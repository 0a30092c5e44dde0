import type { GpuArg } from '../engine/webgpu/runtime.js';
import { broadcastStrides, sameShape } from '../engine/shape.js';

/**
 * An elementwise map a kernel applies to each value it stores (jit fuses an activation's
 * backward or an optimizer's update into the product or reduction before it): `fn f(x0, x1, …)`
 * of which input `at` is the kernel's value and the others are `inputs`, read at the output's
 * index (broadcast to the output's shape).
 */
export interface Epilogue {
  fn: string;
  at: number;
  inputs: GpuArg[];
  /** where given, the kernel's own value is stored here too (a second output, bound after the first) */
  raw?: GpuArg;
}

/** How an epilogue input is read: at the output's index, its only value, or through strides. */
type EpilogueRead = 'full' | 'scalar' | 'strided';

/** What the generated source depends on. */
export interface EpilogueSpec {
  fn: string;
  at: number;
  reads: EpilogueRead[];
  raw: boolean;
}

/** The source spec, the params (rank, shape, strides of the strided inputs) and the buffers of an epilogue. */
export function epilogueLayout(e: Epilogue, out: GpuArg): { spec: EpilogueSpec; params: number[]; buffers: GPUBuffer[] } {
  const reads = e.inputs.map((x): EpilogueRead => (x.size === 1 ? 'scalar' : sameShape(x.shape, out.shape) ? 'full' : 'strided'));
  const strided = e.inputs.filter((_, k) => reads[k] === 'strided');
  const params = strided.length ? [out.shape.length, ...out.shape, ...strided.flatMap((x) => broadcastStrides(x.shape, out.shape))] : [];
  return { spec: { fn: e.fn, at: e.at, reads, raw: !!e.raw }, params, buffers: e.inputs.map((x) => x.buffer) };
}

/** A short key of a spec for source caches. */
export const epilogueKey = (e: EpilogueSpec) => `${e.at},${e.reads.join('')},${e.raw},${e.fn}`;

/**
 * The epilogue as `fn epi(v: f32, i: u32) -> f32` for the output at flat index i; input k is
 * the storage array `input(k)`; strided inputs read params from `paramsAt`: rank, shape, strides.
 */
export function epilogueWgsl(e: EpilogueSpec, paramsAt: number, input: (k: number) => string): string {
  const strided = e.reads.flatMap((r, k) => (r === 'strided' ? [k] : []));
  const rank = `params[${paramsAt}u]`;
  const offsets = strided.length
    ? `var rem = i; ${strided.map((k) => `var o${k} = 0u;`).join(' ')}
  for (var d = ${rank} - 1u; d < ${rank}; d = d - 1u) {
    let c = rem % params[${paramsAt + 1}u + d]; rem = rem / params[${paramsAt + 1}u + d];
    ${strided.map((k, j) => `o${k} += c * params[${paramsAt + 1}u + ${rank} * ${j + 1}u + d];`).join(' ')}
  }`
    : '';
  const args: string[] = [];
  let k = 0;
  for (let x = 0; x <= e.reads.length; x++) {
    if (x === e.at) args.push('v');
    else {
      const r = e.reads[k];
      args.push(r === 'full' ? `${input(k)}[i]` : r === 'scalar' ? `${input(k)}[0]` : `${input(k)}[o${k}]`);
      k++;
    }
  }
  return `${e.fn}
fn epi(v: f32, i: u32) -> f32 {
  ${offsets}
  return f(${args.join(', ')});
}`;
}
