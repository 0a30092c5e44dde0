/**
 * Non-finite states on WebGPU, found without a readback: after each step a small kernel per
 * state leaf flags the first NaN or ±Inf into a status slot (kernels/status.ts), and the next
 * read of any tensor throws the NumericalError the CPU backend throws at once (checks.ts).
 */
import type { Tensor } from '../../engine/tensor.js';
import type { WebGpuBackend } from '../../engine/webgpu/backend.js';
import { firstKey, reportFirstWgsl, statusBinding, statusSlot } from '../../kernels/status.js';
import { WG, bindings, flatIndex, mainSignature } from '../../kernels/wgsl.js';
import { withValues } from '../../autodiff/jit/graph.js';
import { nonFiniteError } from './checks.js';
import type { Plan } from './times.js';
import type { State } from './types.js';

// Slot words: [first check, first element of it, counter A, counter B]. Checks number
// themselves on the device: check c reads c from one counter word and writes c + 1 to the
// other (params[2] says which, alternating), so no thread of a dispatch reads a word that a
// sibling writes, and the step need not be a parameter (a parameter per step would make a
// bind group per step). The first bad check keeps word 0; its threads, and only its, report
// the smallest key 2·element + (1 for NaN) into word 1 (earlier checks have all finished).
// params: size, slot base, parity.
const finiteWgsl = `${bindings(1, 0)}
${statusBinding(2)}
${reportFirstWgsl}
${mainSignature} {
  ${flatIndex}
  let s = params[1];
  let c = atomicLoad(&status[s + 2u + params[2]]);
  if (i == 0u) { atomicStore(&status[s + 3u - params[2]], c + 1u); }
  if (i >= params[0]) { return; }
  let bits = bitcast<u32>(in0[i]);
  if ((bits & 0x7f800000u) != 0x7f800000u) { return; }
  let before = atomicLoad(&status[s]);
  if (before != 0u && 0xffffffffu - before < c) { return; }
  report_first(s, c);
  report_first(s + 1u, 2u * i + select(0u, 1u, (bits & 0x007fffffu) != 0u));
}`;

/**
 * Checks recorded into each slot of a status buffer (the parity of the next), for the reads
 * epoch the buffer was taken in (a released status buffer may come back as a new one).
 */
const counts = new WeakMap<GPUBuffer, { epoch: number; bySlot: Map<number, number> }>();

/**
 * The finiteness check of a fixed-step solve on WebGPU, called with the state after each step.
 * Solves with the same label, plan and state shapes share a slot until the next read (a loop
 * that repeats a solve keeps one slot, however long it runs without a read).
 */
export function finiteWatch(y0: State, plan: Plan, label: string, names?: readonly string[]): (y: State) => void {
  const steps = plan.flat();
  const leaves = y0.length;
  const shapes = y0.map((t) => t.shape);
  const rt = (y0[0]!.backend as WebGpuBackend).rt;
  const key = `finite|${label}|${names}|${shapes.join(';')}|${steps.map((s) => `${s.t},${s.h}`).join(';')}`;
  return (state) => withValues(state, (y) => {
    const status = statusSlot(rt, 4, key, (w) => {
      const c = firstKey(w[0]!);
      if (c < 0) return null;
      const j = c % leaves;
      const s = Math.floor(c / leaves) % steps.length;
      const { t, h } = steps[s]!;
      const e = firstKey(w[1]!);
      return nonFiniteError(label, names?.[j], e % 2 === 1, t + h, s + 1, t, h, Math.floor(e / 2), shapes[j]!);
    });
    let entry = counts.get(status.buffer);
    if (entry?.epoch !== rt.checkEpoch) counts.set(status.buffer, (entry = { epoch: rt.checkEpoch, bySlot: new Map() }));
    const bySlot = entry.bySlot;
    y.forEach((leaf: Tensor) => {
      const done = bySlot.get(status.base) ?? 0;
      bySlot.set(status.base, done + 1);
      const c = leaf.concrete();
      rt.dispatch({
        wgsl: finiteWgsl,
        inputs: [(c.storage as unknown as { buffer: GPUBuffer }).buffer],
        outputs: [status.buffer],
        params: [c.size, status.base, done % 2],
        workgroups: rt.grid(Math.max(c.size, 1), WG),
        label: 'odeint finite check',
      });
    });
  });
}
