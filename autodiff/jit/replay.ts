import type { Storage } from '../../engine/backend.js';
import type { Shape } from '../../engine/shape.js';
import type { WebGpuBackend } from '../../engine/webgpu/backend.js';
import type { Captured, GpuArg, Replayed } from '../../engine/webgpu/runtime.js';
import { arity, type FusedEpilogueAttrs } from './fused-epilogue.js';
import type { Step } from './plan.js';

/**
 * A step's dispatches as recorded the first time it ran, each buffer named by its place among
 * the step's arguments and output (the last place): later calls bind that call's buffers.
 */
export interface StepReplay {
  ops: { r: Replayed; ins: number[]; outs: number[] }[];
}

/**
 * Runs a step on WebGPU. The first time, what its kernel records is captured; from then on
 * the recording is replayed (no kernel code runs, no source or key is built). Steps whose
 * kernel makes scratch buffers, copies, uploads or status checks always run their kernel.
 */
export function runGpuStep(b: WebGpuBackend, s: Step & { replay?: StepReplay | null }, args: Storage[], shapes: Shape[]): Storage[] {
  if (s.replay) {
    const outs = s.raw === undefined ? [b.allocate(s.op.name, s.shape)] : [b.allocate(s.op.name, s.shape), b.allocate(s.op.name, s.shape)];
    const bufs = [...args, ...outs].map((a) => b.bufferOf(a));
    for (const o of s.replay.ops) b.rt.replay(o.r, o.ins.map((i) => bufs[i]!), o.outs.map((i) => bufs[i]!));
    return outs;
  }
  if (s.replay === null || s.op.alias) return s.raw === undefined ? [b.run(s.op, args, shapes, s.attrs, s.shape)] : withRaw(b, s, args, shapes);
  const cap: Captured = { dispatches: [], created: 0, replayable: true };
  b.rt.capture = cap;
  let outs: Storage[];
  try {
    outs = s.raw === undefined ? [b.run(s.op, args, shapes, s.attrs, s.shape)] : withRaw(b, s, args, shapes);
  } finally {
    b.rt.capture = null;
  }
  s.replay = replayOf(cap, s, [...args, ...outs].map((a) => b.bufferOf(a)), outs.length);
  return outs;
}

/** A fused epilogue's kernel that stores its product too: [the chain's values, the product]. */
function withRaw(b: WebGpuBackend, s: Step, args: Storage[], shapes: Shape[]): Storage[] {
  const a = s.attrs as FusedEpilogueAttrs;
  const n = arity(a);
  const outs = [b.allocate(s.op.name, s.shape), b.allocate(s.op.name, s.shape)];
  const gpu = (st: Storage, shape: Shape): GpuArg => ({ buffer: b.bufferOf(st), shape, size: st.size });
  const [out, raw] = outs.map((o) => gpu(o, s.shape));
  if (out!.size > 0) {
    const xs = args.map((x, i) => gpu(x, shapes[i]!));
    a.base.gpuEpilogue!(b.rt, xs.slice(0, n), out!, a.baseAttrs, { fn: a.chain.fn, at: a.at, inputs: xs.slice(n), raw: raw! });
  }
  return outs;
}

/** The capture as a replay, or null where it cannot be one. */
function replayOf(cap: Captured, s: Step, bufs: GPUBuffer[], outputs: number): StepReplay | null {
  // run() made a single output; any other buffer is the kernel's own scratch space
  if (!cap.replayable || cap.created > (outputs === 1 ? 1 : 0)) return null;
  // one buffer in two places must be one value in both, or a later call could differ
  const values = [...s.args, s.out, ...(s.raw === undefined ? [] : [s.raw])];
  const place = (buf: GPUBuffer) => {
    const k = bufs.indexOf(buf);
    if (k < 0) return -1;
    return bufs.every((x, j) => x !== buf || values[j] === values[k]) ? k : -1;
  };
  const ops: StepReplay['ops'] = [];
  for (const d of cap.dispatches) {
    const ins = d.inputs.map(place);
    const outs = d.outputs.map(place);
    if (ins.includes(-1) || outs.includes(-1)) return null;
    ops.push({ r: { dispatch: d }, ins, outs });
  }
  return { ops };
}
