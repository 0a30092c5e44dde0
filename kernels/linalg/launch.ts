import type { GpuRuntime } from '../../engine/webgpu/runtime.js';
import { THREAD_WG } from './common.js';

/** Scratch per dispatch; larger batches are split into several dispatches. */
const MAX_SCRATCH_BYTES = 64 << 20;

/**
 * Records a one-thread-per-matrix kernel over `count` matrices: params [end, first, chunk,
 * ...extra], bindings inputs…, out, status, and a scratch buffer of `scratchFloats` per matrix
 * (released after recording; the pool keeps it from reuse until the work is submitted).
 */
export function dispatchPerMatrix(
  rt: GpuRuntime,
  d: { wgsl: string; inputs: GPUBuffer[]; out: GPUBuffer; status: GPUBuffer; count: number; scratchFloats?: number; params?: number[]; label: string; workgroupPerMatrix?: boolean },
): void {
  const per = (d.scratchFloats ?? 0) * 4;
  const chunk = per ? Math.max(1, Math.min(d.count, Math.floor(Math.min(MAX_SCRATCH_BYTES, rt.limits.maxStorageBufferBindingSize) / per))) : d.count;
  const scratch = per ? rt.createBuffer(chunk * per) : null;
  for (let first = 0; first < d.count; first += chunk) {
    const n = Math.min(chunk, d.count - first);
    rt.dispatch({
      wgsl: d.wgsl,
      inputs: d.inputs,
      outputs: scratch ? [d.out, d.status, scratch] : [d.out, d.status],
      params: [first + n, first, chunk, ...(d.params ?? [])],
      workgroups: rt.grid(n, d.workgroupPerMatrix ? 1 : THREAD_WG),
      label: d.label,
    });
  }
  if (scratch) rt.pool.release(scratch);
}
