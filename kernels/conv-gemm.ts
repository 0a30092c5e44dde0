import type { GpuRuntime } from '../engine/webgpu/runtime.js';
import type { DilatedWindow2d } from './window.js';
import { c4Of } from './conv-layout.js';

/**
 * A convolution as an implicit GEMM over a prepared image block (kernels/conv-layout.ts):
 * rows are output pixels (batch and space flattened), columns are output channels, the
 * reduction runs over taps × input channels. Stride and dilation are read in the prepared
 * block; padding, zero insertion and cropping are already in it.
 */
export interface GemmGeom extends DilatedWindow2d {
  n: number;
  groups: number;
  /** reduction channels and columns per group */
  cin: number;
  cout: number;
  /** prepared block rows and columns */
  hp: number;
  wp: number;
}

/** Tile of one variant: pixels per lane and columns per workgroup. */
export interface GemmTile {
  /** lanes per workgroup; with subgroups, the workgroup is exactly one subgroup */
  lanes: number;
  subgroups: boolean;
  pixelsPerLane: number;
  cols: number;
}

export const gemmColsPadded = (geom: GemmGeom, tile: GemmTile) => Math.ceil(geom.cout / tile.cols) * tile.cols;

/**
 * WGSL of the GEMM. On a software driver every buffer load costs far more than an FMA, so the
 * kernel maximizes FMAs per load. With subgroups (the workgroup is one subgroup): each lane owns
 * `pixelsPerLane` pixels and all `cols` columns; the lanes load the weights of `cols` columns
 * cooperatively (one vec4 of four reduction channels each) and share them with
 * subgroupBroadcast, which costs about as much as a register move. Without subgroups every lane
 * loads its own weights (the portable fallback; about 4× slower on lavapipe).
 */
function gemmWgsl(g: GemmGeom, tile: GemmTile, gridX: number): string {
  const { lanes: S, pixelsPerLane: P, cols: Q } = tile;
  const c4 = c4Of(g.cin);
  const gc4 = g.groups * c4;
  const taps = g.kh * g.kw;
  const colsPadded = gemmColsPadded(g, tile);
  const qBlocks = colsPadded / Q;
  const m = g.n * g.ho * g.wo;
  const plane = g.ho * g.wo;
  const blocks = Math.ceil(m / (S * P));
  const lines: string[] = [];
  const pix = (p: number) => `blk * ${S * P}u + ${p * S}u + lane`;
  for (let p = 0; p < P; p++) {
    lines.push(`let m${p} = min(${pix(p)}, ${m - 1}u); let n${p} = m${p} / ${plane}u; let r${p} = m${p} % ${plane}u;`);
    lines.push(`let b${p} = ((n${p} * ${g.hp}u + (r${p} / ${g.wo}u) * ${g.sh}u) * ${g.wp}u + (r${p} % ${g.wo}u) * ${g.sw}u) * ${gc4}u + grp * ${c4}u;`);
  }
  const acc: string[] = [];
  for (let p = 0; p < P; p++) for (let q = 0; q < Q; q++) acc.push(`var a${p}_${q} = 0.0;`);
  const fma = (x: string, w: string, a: string) => `${a} = fma(${x}.x, ${w}.x, fma(${x}.y, ${w}.y, fma(${x}.z, ${w}.z, fma(${x}.w, ${w}.w, ${a}))));`;
  const body: string[] = [];
  for (let p = 0; p < P; p++) body.push(`let x${p} = xq[b${p} + xo + c4];`);
  if (tile.subgroups) {
    for (let qq = 0; qq < Q / S; qq++) body.push(`let wl${qq} = wq[wt + c4 * ${colsPadded}u + ${qq * S}u];`);
    for (let q = 0; q < Q; q++) {
      body.push(`{ let wj = subgroupBroadcast(wl${Math.floor(q / S)}, ${q % S}u);`);
      for (let p = 0; p < P; p++) body.push(`  ${fma(`x${p}`, 'wj', `a${p}_${q}`)}`);
      body.push('}');
    }
  } else {
    for (let q = 0; q < Q; q++) {
      body.push(`{ let wj = wq[wt + c4 * ${colsPadded}u + ${q}u];`);
      for (let p = 0; p < P; p++) body.push(`  ${fma(`x${p}`, 'wj', `a${p}_${q}`)}`);
      body.push('}');
    }
  }
  const writes: string[] = [];
  for (let p = 0; p < P; p++) {
    writes.push(`if (${pix(p)} < ${m}u) {`);
    writes.push(`  let ob = (n${p} * ${g.groups * g.cout}u + grp * ${g.cout}u + o0) * ${plane}u + r${p};`);
    for (let q = 0; q < Q; q++) {
      const store = `out[ob + ${q * plane}u] = a${p}_${q};`;
      // columns past cout exist only when cout is not a multiple of the tile
      writes.push(g.cout % Q === 0 ? `  ${store}` : `  if (o0 + ${q}u < ${g.cout}u) { ${store} }`);
    }
    writes.push('}');
  }
  const laneDecl = tile.subgroups ? '@builtin(subgroup_invocation_id) lane: u32' : '@builtin(local_invocation_index) lane: u32';
  return `${tile.subgroups ? 'enable subgroups;\n' : ''}@group(0) @binding(1) var<storage, read> xq: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> wq: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(${S})
fn main(@builtin(workgroup_id) wid: vec3<u32>, ${laneDecl}) {
  let blk = wid.x + wid.z * ${gridX}u;
  if (blk >= ${blocks}u) { return; }
  let grp = wid.y / ${qBlocks}u;
  let o0 = (wid.y % ${qBlocks}u) * ${Q}u;
  ${lines.join('\n  ')}
  ${acc.join(' ')}
  for (var t = 0u; t < ${taps}u; t++) {
    let xo = ((t / ${g.kw}u) * ${g.dh * g.wp}u + (t % ${g.kw}u) * ${g.dw}u) * ${gc4}u;
    let wt = (grp * ${taps}u + t) * ${c4 * colsPadded}u + o0${tile.subgroups ? ' + lane' : ''};
    for (var c4 = 0u; c4 < ${c4}u; c4++) {
      ${body.join('\n      ')}
    }
  }
  ${writes.join('\n  ')}
}`;
}

/** Records the GEMM: xq (prepared image) and wq (prepared weights, columns padded) into out (NCHW). */
export function launchGemm(rt: GpuRuntime, xq: GPUBuffer, wq: GPUBuffer, out: GPUBuffer, geom: GemmGeom, tile: GemmTile, label: string): void {
  const m = geom.n * geom.ho * geom.wo;
  const blocks = Math.ceil(m / (tile.lanes * tile.pixelsPerLane));
  const maxDim = rt.limits.maxComputeWorkgroupsPerDimension;
  const gridX = Math.min(blocks, maxDim);
  const gridZ = Math.ceil(blocks / gridX);
  const qBlocks = gemmColsPadded(geom, tile) / tile.cols;
  rt.dispatch({
    wgsl: gemmWgsl(geom, tile, gridX),
    inputs: [xq, wq],
    outputs: [out],
    workgroups: [gridX, geom.groups * qBlocks, gridZ],
    label,
  });
}
