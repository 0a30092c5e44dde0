import type { GpuArg, GpuRuntime } from '../engine/webgpu/runtime.js';
import { broadcastStrides, sameShape, stridesOf, type Shape } from '../engine/shape.js';
import { bindings, flatIndex, mainSignature, mathPrelude, unravel, WG } from './wgsl.js';

const NAMES = ['a', 'b', 'c', 'd'];

/**
 * out[i] = expr(a, b, …) where a, b, … are the inputs read through strides: broadcasting,
 * transposition and plain copies are all this kernel with different strides. `expr` is a WGSL
 * expression fixed by the op definition (never user input).
 */
export function elementwiseWgsl(expr: string, arity: number, rank: number | 'contiguous'): string {
  const args = NAMES.slice(0, arity);
  const fn = `fn f(${args.map((a) => `${a}: f32`).join(', ')}) -> f32 { return ${expr}; }`;
  let body: string;
  if (rank === 'contiguous') {
    body = `out[i] = f(${args.map((_, k) => `in${k}[i]`).join(', ')});`;
  } else {
    // params: n, shape[rank], then strides[rank] per input
    body = `${unravel('i', rank, 1, args.map((_, k) => ({ name: `o${k}`, strideAt: 1 + rank * (k + 1) })))}
  out[i] = f(${args.map((_, k) => `in${k}[o${k}]`).join(', ')});`;
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

/**
 * Launches an elementwise kernel over `out`. Inputs broadcast to out's shape unless explicit
 * element strides (right-aligned to out's rank) are given.
 */
export function launchElementwise(rt: GpuRuntime, label: string, expr: string, inputs: GpuArg[], out: GpuArg, strides?: number[][]): void {
  const outShape: Shape = out.shape;
  const contiguous = !strides && inputs.every((x) => sameShape(x.shape, outShape));
  const rank = outShape.length;
  let params: number[];
  if (contiguous || rank === 0) {
    params = [out.size];
  } else {
    const st = strides ?? inputs.map((x) => broadcastStrides(x.shape, outShape));
    params = [out.size, ...outShape, ...st.flat()];
  }
  rt.dispatch({
    wgsl: elementwiseWgsl(expr, inputs.length, contiguous || rank === 0 ? 'contiguous' : rank),
    inputs: inputs.map((x) => x.buffer),
    outputs: [out.buffer],
    params,
    workgroups: rt.grid(out.size, WG),
    label,
  });
}

/** Strides that read `inShape` transposed by `perm` (out dim d reads in dim perm[d]). */
export function permutedStrides(inShape: Shape, perm: readonly number[]): number[] {
  const s = stridesOf(inShape);
  return perm.map((p) => s[p]!);
}
