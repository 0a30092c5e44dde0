import type { Storage } from '../../engine/backend.js';
import type { Shape } from '../../engine/shape.js';
import type { WebGpuBackend } from '../../engine/webgpu/backend.js';
import type { Captured, Replayed } from '../../engine/webgpu/runtime.js';
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
export function runGpuStep(b: WebGpuBackend, s: Step & { replay?: StepReplay | null }, args: Storage[], shapes: Shape[]): Storage {
  if (s.replay) {
    const out = b.allocate(s.op.name, s.shape);
    const bufs = [...args.map((a) => b.bufferOf(a)), b.bufferOf(out)];
    for (const o of s.replay.ops) b.rt.replay(o.r, o.ins.map((i) => bufs[i]!), o.outs.map((i) => bufs[i]!));
    return out;
  }
  if (s.replay === null || s.op.alias) return b.run(s.op, args, shapes, s.attrs, s.shape);
  const cap: Captured = { dispatches: [], created: 0, replayable: true };
  b.rt.capture = cap;
  let out: Storage;
  try {
    out = b.run(s.op, args, shapes, s.attrs, s.shape);
  } finally {
    b.rt.capture = null;
  }
  s.replay = replayOf(cap, s, [...args.map((a) => b.bufferOf(a)), b.bufferOf(out)]);
  return out;
}

/** The capture as a replay, or null where it cannot be one. */
function replayOf(cap: Captured, s: Step, bufs: GPUBuffer[]): StepReplay | null {
  // run() made the output; any other buffer is the kernel's own scratch space
  if (!cap.replayable || cap.created > 1) return null;
  // one buffer in two places must be one value in both, or a later call could differ
  const values = [...s.args, s.out];
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
    let bytes = 0;
    for (const x of [...d.inputs, ...d.outputs]) bytes += x.size;
    ops.push({ r: { dispatch: d, bytes }, ins, outs });
  }
  return { ops };
}
