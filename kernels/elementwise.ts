import type { GpuArg, GpuRuntime } from '../engine/webgpu/runtime.js';
import { broadcastStrides, sameShape, stridesOf, type Shape } from '../engine/shape.js';
import { bindings, flatIndex, mainSignature, mathPrelude, unravel, WG } from './wgsl.js';

const NAMES = ['a', 'b', 'c', 'd'];
/** vec4 path: each thread of a workgroup of WG handles VEC_PER_THREAD vec4, strided by WG */
const VEC_PER_THREAD = 4;

/**
 * The vec4 path: out and every input read as vec4 (pool buffers are whole multiples of 16
 * bytes, so the last partial vec4 stays inside them); an input of size 1 is broadcast from its
 * first element. `full[k]`: input k has out's size.
 */
function vec4Wgsl(fn: string, full: boolean[]): string {
  const args = full.map((_, k) => `x${k}`);
  const decls = [
    '@group(0) @binding(0) var<storage, read> params: array<u32>;',
    ...full.map((_, k) => `@group(0) @binding(${k + 1}) var<storage, read> in${k}: array<vec4<f32>>;`),
    `@group(0) @binding(${full.length + 1}) var<storage, read_write> out: array<vec4<f32>>;`,
  ];
  const comp = (c: string) => `f(${args.map((a) => `${a}.${c}`).join(', ')})`;
  const loads = full.map((f, k) => `let ${args[k]} = ${f ? `in${k}[j]` : `vec4<f32>(s${k})`};`).join(' ');
  const scalars = full.map((f, k) => (f ? '' : `let s${k} = in${k}[0].x;`)).join(' ');
  const steps = Array.from(
    { length: VEC_PER_THREAD },
    (_, s) => `{ let j = base + ${s * WG}u; if (j < n4) { ${loads} out[j] = vec4<f32>(${['x', 'y', 'z', 'w'].map(comp).join(', ')}); } }`,
  );
  return `${decls.join('\n')}
${mathPrelude}
${fn}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let n4 = params[0];
  let base = (wid.x + wid.y * nwg.x) * ${WG * VEC_PER_THREAD}u + lid.x;
  ${scalars}
  ${steps.join('\n  ')}
}`;
}

/** `fn f(a: f32, b: f32, …) -> f32` returning expr, the inputs named as op expressions name them. */
function exprFn(expr: string, arity: number): string {
  const args = NAMES.slice(0, arity);
  return `fn f(${args.map((a) => `${a}: f32`).join(', ')}) -> f32 { return ${expr}; }`;
}

/**
 * out[i] = expr(a, b, …) where a, b, … are the inputs read through strides: broadcasting,
 * transposition and plain copies are all this kernel with different strides. `expr` is a WGSL
 * expression fixed by the op definition (never user input).
 */
export function elementwiseWgsl(fn: string, arity: number, rank: number | 'contiguous'): string {
  const ins = Array.from({ length: arity }, (_, k) => k);
  let body: string;
  if (rank === 'contiguous') {
    body = `out[i] = f(${ins.map((k) => `in${k}[i]`).join(', ')});`;
  } else {
    // params: n, shape[rank], then strides[rank] per input
    body = `${unravel('i', rank, 1, ins.map((k) => ({ name: `o${k}`, strideAt: 1 + rank * (k + 1) })))}
  out[i] = f(${ins.map((k) => `in${k}[o${k}]`).join(', ')});`;
  }
  return `${bindings(arity)}
${mathPrelude}
${fn}
${mainSignature} {
  ${flatIndex}
  if (i >= params[0]) { return; }
  ${body}
}`;
}

// Generated sources by expression and variant, so that a dispatch neither rebuilds nor rehashes
// a long string (nor builds a key: the variant is a number).
const sources = new Map<string, Map<number, string>>();

function cached(expr: string, variant: number, make: () => string): string {
  let byVariant = sources.get(expr);
  if (!byVariant) sources.set(expr, (byVariant = new Map()));
  let s = byVariant.get(variant);
  if (s === undefined) byVariant.set(variant, (s = make()));
  return s;
}

/**
 * Launches an elementwise kernel over `out`. Inputs broadcast to out's shape unless explicit
 * element strides (right-aligned to out's rank) are given. Inputs that are out's size or a
 * single value take the vec4 path (four values per load, four vec4 per thread).
 */
export function launchElementwise(rt: GpuRuntime, label: string, expr: string, inputs: GpuArg[], out: GpuArg, strides?: number[][]): void {
  launchMap(rt, label, expr, () => exprFn(expr, inputs.length), inputs, out, strides);
}

/**
 * The same for a map given as a WGSL function `fn f(x0: f32, x1: f32, …) -> f32` of any arity
 * (a fused chain of elementwise ops); `key` identifies the function (its source, or shorter).
 */
export function launchMap(rt: GpuRuntime, label: string, key: string, fn: () => string, inputs: GpuArg[], out: GpuArg, strides?: number[][]): void {
  const outShape: Shape = out.shape;
  if (!strides && inputs.every((x) => x.size === 1 || sameShape(x.shape, outShape))) {
    // variant: one bit per input that has out's size, above a bit for the input count
    let variant = 1 << inputs.length;
    inputs.forEach((x, k) => (variant |= x.size === out.size ? 1 << k : 0));
    const n4 = Math.ceil(out.size / 4);
    rt.dispatch({
      wgsl: cached(key, variant, () => vec4Wgsl(fn(), inputs.map((x) => x.size === out.size))),
      inputs: inputs.map((x) => x.buffer),
      outputs: [out.buffer],
      params: [n4],
      workgroups: rt.grid(n4, WG * VEC_PER_THREAD),
      label,
    });
    return;
  }
  const rank = outShape.length;
  const st = strides ?? inputs.map((x) => broadcastStrides(x.shape, outShape));
  rt.dispatch({
    wgsl: cached(key, -(inputs.length * 64 + rank + 1), () => elementwiseWgsl(fn(), inputs.length, rank)),
    inputs: inputs.map((x) => x.buffer),
    outputs: [out.buffer],
    params: [out.size, ...outShape, ...st.flat()],
    workgroups: rt.grid(out.size, WG),
    label,
  });
}

/** out filled with zeros: what a reduction over nothing writes (a kernel of no input). */
export function launchZeros(rt: GpuRuntime, label: string, out: GpuArg): void {
  launchElementwise(rt, label, '0.0', [], out);
}

/** Strides that read `inShape` transposed by `perm` (out dim d reads in dim perm[d]). */
export function permutedStrides(inShape: Shape, perm: readonly number[]): number[] {
  const s = stridesOf(inShape);
  return perm.map((p) => s[p]!);
}
