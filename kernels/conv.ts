import type { GpuArg, GpuRuntime } from '../engine/webgpu/runtime.js';
import type { DilatedWindow2d } from './window.js';
import { launchPrepareImage, launchPrepareRows, launchPrepareWeights, launchSumParts, imageVec4s, rowsVec4s, weightVec4s, type ImageLayout } from './conv-layout.js';
import { gemmColsPadded, launchGemm, type GemmGeom, type GemmTile } from './conv-gemm.js';
import { launchZeros } from './elementwise.js';
import { launchWgrad, wgradChunks, wgradOgPadded, wgradPixelsPadded, type WgradTile } from './conv-wgrad.js';

/** A 2-D convolution, PyTorch's semantics: sizes per group, padding top/left (bottom/right follow from ho, wo). */
export interface Conv2dGeom extends DilatedWindow2d {
  n: number;
  groups: number;
  /** input and output channels per group */
  cg: number;
  og: number;
  h: number;
  w: number;
  pt: number;
  pl: number;
}

/** Kernel selection; tests turn subgroups off to cover the portable kernels on an adapter that has them. */
export const convKernelOptions = { subgroups: true };

/**
 * The subgroup size when subgroup kernels can run: the feature is on and the size is fixed
 * (min = max), so that a workgroup of that many invocations is exactly one subgroup.
 */
function subgroupLanes(rt: GpuRuntime): number {
  if (!convKernelOptions.subgroups || !rt.features.has('subgroups')) return 0;
  const info = rt.adapter.info as (GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number }) | undefined;
  const s = info?.subgroupMinSize;
  return s && s === info?.subgroupMaxSize && s >= 4 && s <= 32 && (s & (s - 1)) === 0 ? s : 0;
}

/**
 * Tile of the implicit GEMM, tuned on lavapipe (AVX2, 8 lanes): with subgroups 4 pixels × 16
 * columns per lane (64 accumulators; 2 × 16 and 8 × 8 ran 20–40% slower, 4 × 32 about as fast).
 */
function gemmTile(rt: GpuRuntime, cols: number): GemmTile {
  const s = subgroupLanes(rt);
  if (s) return { lanes: s, subgroups: true, pixelsPerLane: 4, cols: cols <= s ? s : Math.max(s, 16) };
  return { lanes: 64, subgroups: false, pixelsPerLane: 4, cols: cols <= 4 ? 4 : 8 };
}

function wgradTile(rt: GpuRuntime, og: number, cg: number): WgradTile {
  const s = subgroupLanes(rt);
  const ccols = cg <= 4 ? 4 : 8;
  if (s) return { lanes: s, subgroups: true, ocols: og <= s ? s : 2 * s, ccols };
  return { lanes: 64, subgroups: false, ocols: 4, ccols };
}

/** Scratch buffers for one op's layout passes, back to the pool once its dispatches are recorded. */
function scratch(rt: GpuRuntime) {
  const held: GPUBuffer[] = [];
  return {
    take(bytes: number): GPUBuffer {
      const b = rt.createBuffer(bytes);
      held.push(b);
      return b;
    },
    done(): void {
      for (const b of held) rt.pool.release(b);
    },
  };
}

/** The forward pass's view of x: padded and channels-last, only the rows and columns it reads. */
function forwardImage(g: Conv2dGeom): ImageLayout {
  return {
    n: g.n, groups: g.groups, cg: g.cg, h: g.h, w: g.w,
    hp: (g.ho - 1) * g.sh + (g.kh - 1) * g.dh + 1,
    wp: (g.wo - 1) * g.sw + (g.kw - 1) * g.dw + 1,
    offY: g.pt, offX: g.pl, upY: 1, upX: 1,
  };
}

/** y = conv2d(x, w): x [N, C, H, W], w [O, C/groups, kh, kw] → out [N, O, ho, wo]. */
export function launchConv2d(rt: GpuRuntime, x: GpuArg, w: GpuArg, out: GpuArg, g: Conv2dGeom): void {
  const tile = gemmTile(rt, g.og);
  const img = forwardImage(g);
  const gemm = { n: g.n, groups: g.groups, cin: g.cg, cout: g.og, hp: img.hp, wp: img.wp, ho: g.ho, wo: g.wo, kh: g.kh, kw: g.kw, sh: g.sh, sw: g.sw, dh: g.dh, dw: g.dw };
  convAsGemm(rt, x.buffer, img, w.buffer, false, out.buffer, gemm, tile, 'conv2d');
}

/**
 * Prepares the image (layout `img`) and the weights (as they are, or flipped with their channel
 * axes swapped) in scratch memory and runs the implicit GEMM of `gemm` over them into out.
 */
function convAsGemm(rt: GpuRuntime, image: GPUBuffer, img: ImageLayout, w: GPUBuffer, transposed: boolean, out: GPUBuffer, gemm: GemmGeom, tile: GemmTile, label: string): void {
  const g = gemm;
  const wl = { groups: g.groups, og: transposed ? g.cin : g.cout, cg: transposed ? g.cout : g.cin, taps: g.kh * g.kw, transposed, colsPadded: gemmColsPadded(gemm, tile) };
  const tmp = scratch(rt);
  const iq = tmp.take(imageVec4s(img) * 16);
  const wq = tmp.take(weightVec4s(wl) * 16);
  launchPrepareImage(rt, image, iq, img);
  launchPrepareWeights(rt, w, wq, wl);
  launchGemm(rt, iq, wq, out, gemm, tile, label);
  tmp.done();
}

/**
 * The input gradient (a transposed convolution): g [N, O, ho, wo], w → out [N, C, h, w]. It is
 * a stride-1 convolution of g, spread out by the stride and padded by dilation·(k − 1) − pad,
 * with the kernel flipped and its channel axes swapped. With stride s it multiplies s² times
 * more zeros than a phase-split kernel would; stride 1 wastes nothing.
 */
export function launchConv2dInputGrad(rt: GpuRuntime, gy: GpuArg, w: GpuArg, out: GpuArg, g: Conv2dGeom): void {
  const tile = gemmTile(rt, g.cg);
  const img: ImageLayout = {
    n: g.n, groups: g.groups, cg: g.og, h: g.ho, w: g.wo,
    hp: g.h + g.dh * (g.kh - 1), wp: g.w + g.dw * (g.kw - 1),
    offY: g.dh * (g.kh - 1) - g.pt, offX: g.dw * (g.kw - 1) - g.pl, upY: g.sh, upX: g.sw,
  };
  const gemm = { n: g.n, groups: g.groups, cin: g.og, cout: g.cg, hp: img.hp, wp: img.wp, ho: g.h, wo: g.w, kh: g.kh, kw: g.kw, sh: 1, sw: 1, dh: g.dh, dw: g.dw };
  convAsGemm(rt, gy.buffer, img, w.buffer, true, out.buffer, gemm, tile, 'conv2dInputGrad');
}

/** The weight gradient: x [N, C, h, w], g [N, O, ho, wo] → out [O, C/groups, kh, kw]. */
export function launchConv2dWeightGrad(rt: GpuRuntime, x: GpuArg, gy: GpuArg, out: GpuArg, g: Conv2dGeom): void {
  if (x.size === 0 || gy.size === 0) return launchZeros(rt, 'conv2dWeightGrad', out); // an empty batch: a sum of nothing
  const img = forwardImage(g);
  const geom = { n: g.n, groups: g.groups, cg: g.cg, og: g.og, hp: img.hp, wp: img.wp, ho: g.ho, wo: g.wo, kh: g.kh, kw: g.kw, sh: g.sh, sw: g.sw, dh: g.dh, dw: g.dw };
  const tile = wgradTile(rt, g.og, g.cg);
  const rows = { n: g.n, groups: g.groups, og: g.og, plane: g.ho * g.wo, ogPadded: wgradOgPadded(geom, tile), mPadded: wgradPixelsPadded(geom) };
  const { chunks, per } = wgradChunks(geom, tile);
  const size = g.groups * g.og * g.cg * g.kh * g.kw;
  const tmp = scratch(rt);
  const xq = tmp.take(imageVec4s(img) * 16);
  const gr = tmp.take(rowsVec4s(rows) * 16);
  launchPrepareImage(rt, x.buffer, xq, img);
  launchPrepareRows(rt, gy.buffer, gr, rows);
  if (chunks === 1) {
    launchWgrad(rt, xq, gr, out.buffer, geom, tile, 1, per);
  } else {
    const parts = tmp.take(chunks * size * 4);
    launchWgrad(rt, xq, gr, parts, geom, tile, chunks, per);
    launchSumParts(rt, parts, out.buffer, size, chunks);
  }
  tmp.done();
}
