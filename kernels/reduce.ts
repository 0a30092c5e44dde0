import type { GpuArg, GpuRuntime } from '../engine/webgpu/runtime.js';
import { epilogueKey, epilogueLayout, epilogueWgsl, type Epilogue, type EpilogueSpec } from './epilogue.js';
import { bindings, f32bits, mathPrelude, WG } from './wgsl.js';

export type ReduceKind = 'sum' | 'max' | 'min';

/**
 * What is reduced: the values themselves, their squares (for the 2-norm), or the positions k
 * along the axis where x equals a per-output value m (in1[o]), combined with min: the first
 * position of the max or min (argmax, argmin). Positions are f32: exact below 2²⁴.
 */
export type ReduceMap = 'value' | 'square' | 'firstIndexOf' | 'squaredDifference';

export interface ReduceOptions {
  map?: ReduceMap;
  /** times this at the end (1/len for a mean) */
  scale?: number;
  /** applied last (the 2-norm is the square root of the sum of squares) */
  post?: 'sqrt';
  /** for firstIndexOf: the value per output to look for; for squaredDifference: (x − target)², target laid out as x */
  target?: GpuArg;
  /** an elementwise map of each result on its way out (jit's fused kernels); after scale and post */
  epilogue?: Epilogue;
}

const F32_MAX = '0x1.fffffep+127f'; // the largest finite f32, exactly
const COMBINE: Record<ReduceKind, { init: string; op: (a: string, b: string) => string }> = {
  sum: { init: '0.0', op: (a, b) => `${a} + ${b}` },
  max: { init: `-${F32_MAX}`, op: (a, b) => `max(${a}, ${b})` },
  min: { init: F32_MAX, op: (a, b) => `min(${a}, ${b})` },
};

const LOAD: Record<ReduceMap, string> = {
  value: 'return in0[idx];',
  square: 'let v = in0[idx]; return v * v;',
  firstIndexOf: `return select(${F32_MAX}, f32(k), in0[idx] == in1[o]);`,
  squaredDifference: 'let v = in0[idx] - in1[idx]; return v * v;',
};

/**
 * WGSL of one reduction pass over x viewed as [outer, len, inner] along the middle axis.
 * Each output's axis is cut into `chunks` pieces of chunkLen; a pass either finishes
 * (scale, then post) or leaves one partial result per (output, chunk) for a second pass.
 * perWorkgroup: a workgroup per (output, chunk), a strided loop and a tree in workgroup
 * memory; otherwise one thread per output.
 * params: outer, len, inner, scale bits, chunkLen, chunks
 */
const sources = new Map<string, string>();

/** The source of a pass, generated once per variant (a dispatch then rebuilds no long string). */
function reduceWgsl(kind: ReduceKind, map: ReduceMap, perWorkgroup: boolean, finish: { scale: boolean; post?: 'sqrt' }, epi: EpilogueSpec | null = null): string {
  const key = `${kind},${map},${perWorkgroup},${finish.scale},${finish.post}${epi ? `,${epilogueKey(epi)}` : ''}`;
  let w = sources.get(key);
  if (w === undefined) sources.set(key, (w = reduceSource(kind, map, perWorkgroup, finish, epi)));
  return w;
}

function reduceSource(kind: ReduceKind, map: ReduceMap, perWorkgroup: boolean, finish: { scale: boolean; post?: 'sqrt' }, epi: EpilogueSpec | null): string {
  const { init, op } = COMBINE[kind];
  const scaled = finish.scale ? 'acc * bitcast<f32>(params[3])' : 'acc';
  const done = finish.post === 'sqrt' ? `sqrt(${scaled})` : scaled;
  const own = map === 'firstIndexOf' || map === 'squaredDifference' ? 2 : 1;
  // the epilogue's inputs follow the reduction's own; its params follow the six above
  const ins = own + (epi?.reads.length ?? 0);
  // with `raw`, the value before the epilogue is stored as a second output
  const head = `${bindings(ins)}
${epi?.raw ? `@group(0) @binding(${ins + 2}) var<storage, read_write> raw: array<f32>;` : ''}
${epi ? `${mathPrelude}\n${epilogueWgsl(epi, 6, (k) => `in${own + k}`)}` : ''}
fn load(o: u32, k: u32, idx: u32) -> f32 { ${LOAD[map]} }
fn finish(o: u32, acc: f32) -> f32 { ${epi ? `let v = ${done};${epi.raw ? ' raw[o] = v;' : ''} return epi(v, o);` : `return ${done};`} }`;
  if (!perWorkgroup) {
    return `${head}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = gid.x + gid.y * nwg.x * ${WG}u;
  let len = params[1]; let inner = params[2];
  if (o >= params[0] * inner) { return; }
  let base = (o / inner) * len * inner + o % inner;
  var acc = ${init};
  for (var k = 0u; k < len; k++) { acc = ${op('acc', 'load(o, k, base + k * inner)')}; }
  out[o] = finish(o, acc);
}`;
  }
  return `${head}
var<workgroup> part: array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let w = wid.x + wid.y * nwg.x;
  let len = params[1]; let inner = params[2]; let chunkLen = params[4]; let chunks = params[5];
  let o = w / chunks;
  let valid = o < params[0] * inner;
  let base = (o / inner) * len * inner + o % inner;
  let k0 = (w % chunks) * chunkLen;
  let k1 = min(len, k0 + chunkLen);
  var acc = ${init};
  if (valid) { for (var k = k0 + lid.x; k < k1; k += ${WG}u) { acc = ${op('acc', 'load(o, k, base + k * inner)')}; } }
  part[lid.x] = acc;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s >>= 1u) {
    if (lid.x < s) { part[lid.x] = ${op('part[lid.x]', 'part[lid.x + s]')}; }
    workgroupBarrier();
  }
  if (valid && lid.x == 0u) { out[w] = finish(o, part[0]); }
}`;
}

/** Workgroups wanted in flight: ~64 keep two software cores busy; more even out the tail. */
const TARGET_WORKGROUPS = 256;
/** Elements per workgroup below which a second pass costs more than it saves. */
const MIN_CHUNK = 4096;

/**
 * How a reduction of `outputs` results over axes of length `len` is split: one thread per
 * output when the axis is short or the outputs alone fill the device; else a workgroup per
 * output, and when that leaves the device idle (few outputs, a long axis) each axis is cut
 * into chunks, reduced in two passes: partial results per workgroup, then a reduction of them.
 */
export function reducePlan(outputs: number, len: number, inner = 1): { perWorkgroup: boolean; chunks: number } {
  // columns summed over a moderate axis (a bias gradient: 64 columns over a batch of 256): a
  // thread per column, neighbours reading neighbouring elements, beats workgroup trees, whose
  // barriers are costly on a software driver
  if (len < 64 || outputs >= 4096 || (inner >= 32 && len <= 1024)) return { perWorkgroup: false, chunks: 1 };
  const chunks = Math.max(1, Math.min(Math.ceil(TARGET_WORKGROUPS / outputs), Math.floor(len / MIN_CHUNK)));
  return { perWorkgroup: true, chunks };
}

export function launchReduce(rt: GpuRuntime, label: string, kind: ReduceKind, x: GpuArg, out: GpuArg, outer: number, len: number, inner: number, scaleOrOpts: number | ReduceOptions = 1): void {
  const opts: ReduceOptions = typeof scaleOrOpts === 'number' ? { scale: scaleOrOpts } : scaleOrOpts;
  const map = opts.map ?? 'value';
  const scale = opts.scale ?? 1;
  const outputs = outer * inner;
  const { perWorkgroup, chunks } = reducePlan(outputs, len, inner);
  const inputs = map === 'firstIndexOf' || map === 'squaredDifference' ? [x.buffer, opts.target!.buffer] : [x.buffer];
  const epi = opts.epilogue ? epilogueLayout(opts.epilogue, out) : null;
  const pass = (wgsl: string, ins: GPUBuffer[], dst: GPUBuffer, shape: [number, number, number], chunkLen: number, parts: number, workgroups: [number, number], last = false) =>
    rt.dispatch({
      wgsl,
      inputs: last && epi ? [...ins, ...epi.buffers] : ins,
      outputs: last && opts.epilogue?.raw ? [dst, opts.epilogue.raw.buffer] : [dst],
      params: [...shape, f32bits(scale), chunkLen, parts, ...(last && epi ? epi.params : [])],
      workgroups,
      label,
    });
  const finish = { scale: scale !== 1, post: opts.post };
  if (chunks === 1) {
    const wgsl = reduceWgsl(kind, map, perWorkgroup, finish, epi?.spec);
    pass(wgsl, inputs, out.buffer, [outer, len, inner], len, 1, perWorkgroup ? rt.grid(outputs, 1) : rt.grid(outputs, WG), true);
    return;
  }
  // pass 1: partials[o, c] over chunk c of output o's axis; pass 2 reduces them along c
  const chunkLen = Math.ceil(len / chunks);
  const partials = rt.createBuffer(outputs * chunks * 4);
  pass(reduceWgsl(kind, map, true, { scale: false }), inputs, partials, [outer, len, inner], chunkLen, chunks, rt.grid(outputs * chunks, 1));
  // squares are summed, positions minimized: the second pass combines plain values
  const second = reducePlan(outputs, chunks);
  const wgsl = reduceWgsl(kind, 'value', second.perWorkgroup, finish, epi?.spec);
  pass(wgsl, [partials], out.buffer, [outputs, chunks, 1], chunks, 1, second.perWorkgroup ? rt.grid(outputs, 1) : rt.grid(outputs, WG), true);
  rt.pool.release(partials); // reused only after the submit that carries both passes
}
