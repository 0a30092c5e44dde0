import type { GpuArg, GpuRuntime } from '../engine/webgpu/runtime.js';
import { broadcastStrides, type Shape } from '../engine/shape.js';
import { bindings, unravel } from './wgsl.js';

const TILE = 16;

/**
 * Batched C[b] = A[b] @ B[b] with broadcast batch dimensions: one thread per output element,
 * batches along z. Simple and correct; fast kernels are built on top of this contract.
 * params: m, k, n, batchRank, batchShape[r], aBatchStrides[r], bBatchStrides[r]
 */
function matmulWgsl(batchRank: number): string {
  const r = batchRank;
  return `${bindings(2)}
@compute @workgroup_size(${TILE}, ${TILE})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let m = params[0]; let k = params[1]; let n = params[2];
  let row = gid.y; let col = gid.x; let b = gid.z;
  if (row >= m || col >= n) { return; }
  ${unravel('b', r, 4, [{ name: 'aoff', strideAt: 4 + r }, { name: 'boff', strideAt: 4 + 2 * r }])}
  aoff = aoff * m * k + row * k; boff = boff * k * n + col;
  var acc = 0.0;
  for (var p = 0u; p < k; p++) { acc = fma(in0[aoff + p], in1[boff + p * n], acc); }
  out[b * m * n + row * n + col] = acc;
}`;
}

export function launchMatmul(rt: GpuRuntime, a: GpuArg, b: GpuArg, out: GpuArg): void {
  const m = a.shape[a.shape.length - 2]!;
  const k = a.shape[a.shape.length - 1]!;
  const n = b.shape[b.shape.length - 1]!;
  const batchShape: Shape = out.shape.slice(0, -2);
  const batches = batchShape.reduce((x, y) => x * y, 1);
  // strides in units of whole matrices, 0 along broadcast batch dimensions
  const aStr = broadcastStrides(a.shape.slice(0, -2), batchShape);
  const bStr = broadcastStrides(b.shape.slice(0, -2), batchShape);
  rt.dispatch({
    wgsl: matmulWgsl(batchShape.length),
    inputs: [a.buffer, b.buffer],
    outputs: [out.buffer],
    params: [m, k, n, batchShape.length, ...batchShape, ...aStr, ...bStr],
    workgroups: [Math.ceil(n / TILE), Math.ceil(m / TILE), batches],
    label: 'matmul',
    flops: 2 * batches * m * n * k,
  });
}
