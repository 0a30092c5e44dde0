import type { GpuRuntime } from '../engine/webgpu/runtime.js';
import { flatIndex, mainSignature, WG } from './wgsl.js';

// Layout changes in front of the convolution kernels. The kernels read channels four at a time
// (vec4) with no bounds checks in their inner loops, so images are padded, dilated and moved to
// channels-last here, once, and the weights are regrouped into the tiles the kernels walk.
// Every size is a WGSL constant: the pipeline is specialized on the shape.

/**
 * An image block in the layout the convolution kernels read: [n, hp, wp, groups, c4] of vec4,
 * four channels of one group per vec4 (zero beyond the group's channels).
 */
export interface ImageLayout {
  n: number;
  groups: number;
  /** channels per group in the source */
  cg: number;
  /** source image rows and columns */
  h: number;
  w: number;
  /** rows and columns of the prepared block */
  hp: number;
  wp: number;
  /** prepared row r reads source row (r − offY)/upY when that is a whole number in range (else 0) */
  offY: number;
  offX: number;
  upY: number;
  upX: number;
}

export const c4Of = (c: number) => Math.ceil(c / 4);

/** vec4 elements of a prepared image block */
export const imageVec4s = (l: ImageLayout) => l.n * l.hp * l.wp * l.groups * c4Of(l.cg);

/**
 * NCHW source → [n, hp, wp, groups, c4] vec4 block: zero padding (offsets), zero insertion
 * between source pixels (up > 1: the transposed convolution's input) and cropping (negative
 * offsets) in one pass, one thread per vec4.
 */
function prepareImageWgsl(l: ImageLayout): string {
  const c4 = c4Of(l.cg);
  const total = imageVec4s(l);
  const channels = l.groups * l.cg;
  const pick = (axis: 'y' | 'x', coord: string, off: number, up: number, size: number) => {
    const j = `(${coord} - (${off}))`;
    const inRange = up === 1 ? `${j} >= 0 && ${j} < ${size}` : `${j} >= 0 && ${j} % ${up} == 0 && ${j} / ${up} < ${size}`;
    return `let ${axis}ok = ${inRange}; let s${axis} = u32(select(0, ${j} / ${up}, ${axis}ok));`;
  };
  return `@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec4<f32>>;
${mainSignature} {
  ${flatIndex}
  if (i >= ${total}u) { return; }
  let c4 = i % ${c4}u; var rest = i / ${c4}u;
  let g = rest % ${l.groups}u; rest = rest / ${l.groups}u;
  let q = i32(rest % ${l.wp}u); rest = rest / ${l.wp}u;
  let r = i32(rest % ${l.hp}u); let n = rest / ${l.hp}u;
  ${pick('y', 'r', l.offY, l.upY, l.h)}
  ${pick('x', 'q', l.offX, l.upX, l.w)}
  var v = vec4<f32>(0.0);
  if (yok && xok) {
    let plane = ${l.h * l.w}u;
    let base = (n * ${channels}u + g * ${l.cg}u) * plane + sy * ${l.w}u + sx;
    for (var e = 0u; e < 4u; e++) {
      let c = c4 * 4u + e;
      if (c < ${l.cg}u) { v[e] = src[base + c * plane]; }
    }
  }
  dst[i] = v;
}`;
}

export function launchPrepareImage(rt: GpuRuntime, src: GPUBuffer, dst: GPUBuffer, l: ImageLayout): void {
  const n = imageVec4s(l);
  rt.dispatch({ wgsl: prepareImageWgsl(l), inputs: [src], outputs: [dst], workgroups: rt.grid(n, WG), label: 'conv2d (layout)' });
}

/**
 * Weights [O, Cg, kh, kw] as vec4 tiles [groups, taps, c4, colsPadded] for the kernels' inner
 * loop: one vec4 holds four reduction channels of one column.
 * - forward: reduction over input channels c, columns are output channels o;
 * - transposed (the input gradient): reduction over output channels o, columns are input
 *   channels c, and the kernel is flipped (tap t reads tap taps − 1 − t).
 */
export interface WeightLayout {
  groups: number;
  /** output and input channels per group */
  og: number;
  cg: number;
  taps: number;
  transposed: boolean;
  /** columns, padded with zeros to a multiple of the kernel's tile */
  colsPadded: number;
}

export const weightVec4s = (l: WeightLayout) => l.groups * l.taps * c4Of(l.transposed ? l.og : l.cg) * l.colsPadded;

function prepareWeightsWgsl(l: WeightLayout): string {
  const red = l.transposed ? l.og : l.cg;
  const cols = l.transposed ? l.cg : l.og;
  const r4 = c4Of(red);
  // element (reduction index k, column j) of group g at tap t, as an index into w [O, Cg, taps]
  const src = l.transposed
    ? `((g * ${l.og}u + k) * ${l.cg}u + j) * ${l.taps}u + ${l.taps - 1}u - t`
    : `((g * ${l.og}u + j) * ${l.cg}u + k) * ${l.taps}u + t`;
  return `@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec4<f32>>;
${mainSignature} {
  ${flatIndex}
  if (i >= ${weightVec4s(l)}u) { return; }
  let j = i % ${l.colsPadded}u; var rest = i / ${l.colsPadded}u;
  let k4 = rest % ${r4}u; rest = rest / ${r4}u;
  let t = rest % ${l.taps}u; let g = rest / ${l.taps}u;
  var v = vec4<f32>(0.0);
  if (j < ${cols}u) {
    for (var e = 0u; e < 4u; e++) {
      let k = k4 * 4u + e;
      if (k < ${red}u) { v[e] = w[${src}]; }
    }
  }
  dst[i] = v;
}`;
}

export function launchPrepareWeights(rt: GpuRuntime, w: GPUBuffer, dst: GPUBuffer, l: WeightLayout): void {
  rt.dispatch({ wgsl: prepareWeightsWgsl(l), inputs: [w], outputs: [dst], workgroups: rt.grid(weightVec4s(l), WG), label: 'conv2d (weight layout)' });
}

/**
 * The output gradient g [N, O, ho, wo] as [groups, ogPadded, mPadded]: one row of pixels
 * (batch and space flattened) per output channel, zero in the padding, so that the weight
 * gradient reads four consecutive pixels of one channel as a vec4.
 */
export interface RowsLayout {
  n: number;
  groups: number;
  og: number;
  /** pixels per image */
  plane: number;
  ogPadded: number;
  mPadded: number;
}

export const rowsVec4s = (l: RowsLayout) => (l.groups * l.ogPadded * l.mPadded) / 4;

function prepareRowsWgsl(l: RowsLayout): string {
  const m = l.n * l.plane;
  return `@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec4<f32>>;
${mainSignature} {
  ${flatIndex}
  if (i >= ${rowsVec4s(l)}u) { return; }
  let m4 = i % ${l.mPadded / 4}u; let row = i / ${l.mPadded / 4}u;
  let o = row % ${l.ogPadded}u; let g = row / ${l.ogPadded}u;
  var v = vec4<f32>(0.0);
  if (o < ${l.og}u) {
    for (var e = 0u; e < 4u; e++) {
      let m = m4 * 4u + e;
      if (m < ${m}u) { v[e] = src[((m / ${l.plane}u) * ${l.groups * l.og}u + g * ${l.og}u + o) * ${l.plane}u + m % ${l.plane}u]; }
    }
  }
  dst[i] = v;
}`;
}

export function launchPrepareRows(rt: GpuRuntime, src: GPUBuffer, dst: GPUBuffer, l: RowsLayout): void {
  rt.dispatch({ wgsl: prepareRowsWgsl(l), inputs: [src], outputs: [dst], workgroups: rt.grid(rowsVec4s(l), WG), label: 'conv2d (gradient layout)' });
}

/** out[i] = Σ_k parts[k·size + i]: the sum of split-reduction partial results. */
export function launchSumParts(rt: GpuRuntime, parts: GPUBuffer, out: GPUBuffer, size: number, count: number): void {
  const wgsl = `@group(0) @binding(1) var<storage, read> parts: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
${mainSignature} {
  ${flatIndex}
  if (i >= ${size}u) { return; }
  var acc = 0.0;
  for (var k = 0u; k < ${count}u; k++) { acc += parts[k * ${size}u + i]; }
  out[i] = acc;
}`;
  rt.dispatch({ wgsl, inputs: [parts], outputs: [out], workgroups: rt.grid(size, WG), label: 'conv2d (sum of parts)' });
}
