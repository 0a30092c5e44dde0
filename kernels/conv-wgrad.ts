import type { GpuRuntime } from '../engine/webgpu/runtime.js';
import type { DilatedWindow2d } from './window.js';
import { c4Of } from './conv-layout.js';

/**
 * The weight gradient dW[o, c, t] = Σ_m g[m, o] · x[m + tap t, c], a GEMM whose reduction runs
 * over all output pixels m (batch and space). Reads the prepared image of the forward pass and
 * the gradient as channel rows (kernels/conv-layout.ts).
 */
export interface WgradGeom extends DilatedWindow2d {
  n: number;
  groups: number;
  /** input and output channels per group */
  cg: number;
  og: number;
  hp: number;
  wp: number;
}

export interface WgradTile {
  lanes: number;
  subgroups: boolean;
  /** output channels per workgroup, input channels per workgroup (a multiple of 4) */
  ocols: number;
  ccols: number;
}

/** pixels padded so that every chunk starts on a multiple of 64 (vec4 rows, any lane count ≤ 64) */
export const wgradPixelsPadded = (g: WgradGeom) => Math.ceil((g.n * g.ho * g.wo) / 64) * 64;
export const wgradOgPadded = (g: WgradGeom, tile: WgradTile) => Math.ceil(g.og / tile.ocols) * tile.ocols;

/**
 * With subgroups (workgroup = one subgroup of S lanes): lane l owns output channels
 * o0 + l + k·S; every S pixels, lane l loads the image channels of pixel m0 + l once and the
 * lanes share them by subgroupBroadcast, while each lane reads its own channels' gradient as
 * vec4s of four pixels. Without subgroups: lanes split the pixels, each accumulates the whole
 * tile over its pixels, and the workgroup sums the lanes through workgroup memory at the end
 * (one barrier).
 */
function wgradWgsl(g: WgradGeom, tile: WgradTile, per: number): string {
  const S = tile.lanes;
  const c4 = c4Of(g.cg);
  const gc4 = g.groups * c4;
  const taps = g.kh * g.kw;
  const m = g.n * g.ho * g.wo;
  const plane = g.ho * g.wo;
  const mp = wgradPixelsPadded(g);
  const ogp = wgradOgPadded(g, tile);
  const oBlocks = ogp / tile.ocols;
  const cBlocks = Math.ceil(g.cg / tile.ccols);
  const Qc = tile.ccols;
  const Qo = tile.subgroups ? tile.ocols / S : tile.ocols; // output channels per lane
  const acc: string[] = [];
  for (let a = 0; a < Qo; a++) for (let b = 0; b < Qc; b++) acc.push(`var a${a}_${b} = 0.0;`);
  const pixelBase = (mExpr: string, name: string) =>
    `let ${name}m = min(${mExpr}, ${m - 1}u); let ${name}r = ${name}m % ${plane}u;
    let ${name} = (((${name}m / ${plane}u) * ${g.hp}u + (${name}r / ${g.wo}u) * ${g.sh}u) * ${g.wp}u + (${name}r % ${g.wo}u) * ${g.sw}u) * ${gc4}u + tapoff;`;
  const head = `let tileId = wid.x; let t = wid.y; let chunk = wid.z;
  let cb = tileId % ${cBlocks}u; let ob = (tileId / ${cBlocks}u) % ${oBlocks}u; let grp = tileId / ${cBlocks * oBlocks}u;
  let tapoff = ((t / ${g.kw}u) * ${g.dh * g.wp}u + (t % ${g.kw}u) * ${g.dw}u) * ${gc4}u + grp * ${c4}u + cb * ${Qc / 4}u;
  let mBeg = chunk * ${per}u; let mEnd = min(${mp}u, mBeg + ${per}u);`;
  const store = (o: string, c: string, v: string) => `if (${o} < ${g.og}u && ${c} < ${g.cg}u) { out[((chunk * ${g.groups * g.og}u + grp * ${g.og}u + ${o}) * ${g.cg}u + ${c}) * ${taps}u + t] = ${v}; }`;
  if (tile.subgroups) {
    const body: string[] = [];
    body.push(pixelBase('m0 + lane', 'xb'));
    for (let b4 = 0; b4 < Qc / 4; b4++) body.push(`let xl${b4} = xq[xb + ${b4}u];`);
    for (let a = 0; a < Qo; a++) for (let v = 0; v < S / 4; v++) body.push(`let g${a}_${v} = gr[row${a} + m0 / 4u + ${v}u];`);
    for (let j = 0; j < S; j++) {
      body.push('{');
      for (let b4 = 0; b4 < Qc / 4; b4++) body.push(`  let x${b4} = subgroupBroadcast(xl${b4}, ${j}u);`);
      for (let a = 0; a < Qo; a++) for (let b = 0; b < Qc; b++) {
        body.push(`  a${a}_${b} = fma(g${a}_${j >> 2}[${j & 3}], x${b >> 2}[${b & 3}], a${a}_${b});`);
      }
      body.push('}');
    }
    const rows = Array.from({ length: Qo }, (_, a) => `let o${a} = ob * ${tile.ocols}u + ${a * S}u + lane; let row${a} = (grp * ${ogp}u + o${a}) * ${mp / 4}u;`);
    const writes: string[] = [];
    for (let a = 0; a < Qo; a++) for (let b = 0; b < Qc; b++) writes.push(store(`o${a}`, `cb * ${Qc}u + ${b}u`, `a${a}_${b}`));
    return `enable subgroups;
@group(0) @binding(1) var<storage, read> xq: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> gr: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(${S})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_invocation_id) lane: u32) {
  ${head}
  ${rows.join('\n  ')}
  ${acc.join(' ')}
  for (var m0 = mBeg; m0 < mEnd; m0 += ${S}u) {
    ${body.join('\n    ')}
  }
  ${writes.join('\n  ')}
}`;
  }
  // fallback: lane handles four consecutive pixels per step
  const body: string[] = [];
  for (let a = 0; a < Qo; a++) body.push(`let g${a} = gr[(grp * ${ogp}u + ob * ${Qo}u + ${a}u) * ${mp / 4}u + m4];`);
  for (let e = 0; e < 4; e++) {
    body.push(pixelBase(`m4 * 4u + ${e}u`, `xb${e}`));
    for (let b4 = 0; b4 < Qc / 4; b4++) body.push(`let x${e}_${b4} = xq[xb${e} + ${b4}u];`);
    for (let a = 0; a < Qo; a++) for (let b = 0; b < Qc; b++) body.push(`a${a}_${b} = fma(g${a}[${e}], x${e}_${b >> 2}[${b & 3}], a${a}_${b});`);
  }
  const T = Qo * Qc;
  const spill: string[] = [];
  for (let a = 0; a < Qo; a++) for (let b = 0; b < Qc; b++) spill.push(`red[${(a * Qc + b) * S}u + lane] = a${a}_${b};`);
  return `@group(0) @binding(1) var<storage, read> xq: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> gr: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
var<workgroup> red: array<f32, ${T * S}>;
@compute @workgroup_size(${S})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  ${head}
  ${acc.join(' ')}
  for (var m4 = mBeg / 4u + lane; m4 < mEnd / 4u; m4 += ${S}u) {
    ${body.join('\n    ')}
  }
  ${spill.join(' ')}
  workgroupBarrier();
  for (var k = lane; k < ${T}u; k += ${S}u) {
    var s = 0.0;
    for (var l = 0u; l < ${S}u; l++) { s += red[k * ${S}u + l]; }
    let o = ob * ${Qo}u + k / ${Qc}u;
    ${store('o', `cb * ${Qc}u + k % ${Qc}u`, 's')}
  }
}`;
}

/**
 * Splits the pixel reduction into chunks so that there are a few hundred workgroups: enough to
 * keep every core busy, and short enough that a core delayed by other work does not leave the
 * rest waiting on a long tail. Each chunk writes its own partial result (summed afterwards).
 * Returns the chunk count and the pixels per chunk.
 */
export function wgradChunks(g: WgradGeom, tile: WgradTile): { chunks: number; per: number } {
  const tiles = g.groups * (wgradOgPadded(g, tile) / tile.ocols) * Math.ceil(g.cg / tile.ccols) * g.kh * g.kw;
  const mp = wgradPixelsPadded(g);
  const wanted = Math.ceil(256 / tiles);
  const most = Math.max(1, Math.floor(mp / 512)); // a chunk of fewer pixels costs more than it saves
  const chunks = Math.max(1, Math.min(wanted, most));
  const per = Math.ceil(mp / chunks / 64) * 64;
  return { chunks: Math.ceil(mp / per), per };
}

/** Records the weight-gradient kernel into `out`, [chunks, groups·og, cg, taps] of partial sums. */
export function launchWgrad(rt: GpuRuntime, xq: GPUBuffer, gr: GPUBuffer, out: GPUBuffer, geom: WgradGeom, tile: WgradTile, chunks: number, per: number): void {
  const tiles = geom.groups * (wgradOgPadded(geom, tile) / tile.ocols) * Math.ceil(geom.cg / tile.ccols);
  rt.dispatch({
    wgsl: wgradWgsl(geom, tile, per),
    inputs: [xq, gr],
    outputs: [out],
    workgroups: [tiles, geom.kh * geom.kw, chunks],
    label: 'conv2dWeightGrad',
  });
}
