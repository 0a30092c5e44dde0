import type { Shape } from './shape.js';
import type { GpuRuntime, GpuArg } from './webgpu/runtime.js';

export type BackendName = 'webgpu' | 'cpu';
export type DType = 'float32' | 'float64';

/** A block of numbers owned by a backend, shared (reference-counted) by tensor handles. */
export interface Storage {
  readonly backend: Backend;
  /** number of elements */
  readonly size: number;
  refs: number;
}

/** The forward faces of an op: what a backend needs to compute it. */
export interface Kernel<A = unknown> {
  readonly name: string;
  /** float64 reference: plain loops, written for clarity */
  cpu(inputs: Float64Array[], shapes: Shape[], attrs: A, outShape: Shape): Float64Array;
  /** WebGPU: record dispatches that fill `out` */
  gpu(rt: GpuRuntime, inputs: GpuArg[], out: GpuArg, attrs: A): void;
  /** an output that shares its input's storage (reshape) */
  alias?: boolean;
}

export interface Backend {
  readonly name: BackendName;
  readonly dtype: DType;
  /** Throws an ArgumentError naming op, the shape and this backend's limit when a tensor of that shape cannot be held. */
  checkSize(op: string, shape: Shape): void;
  upload(data: ArrayLike<number>, size: number): Storage;
  run<A>(kernel: Kernel<A>, inputs: Storage[], shapes: Shape[], attrs: A, outShape: Shape): Storage;
  read(storage: Storage): Promise<Float32Array | Float64Array>;
  retain(storage: Storage): void;
  release(storage: Storage): void;
  memory(): { buffers: number; bytes: number };
  /** the most bytes live at once since the last reset; `reset` starts a new window at the live bytes */
  peakBytes(reset?: boolean): number;
  /** the values of a storage without waiting, where the backend holds them on the host (cpu) */
  readSync?(storage: Storage): Float64Array;
  /** submits recorded work without waiting for it */
  flush(): void;
  /** storage buffers one kernel may bind (WebGPU's per-stage limit); none on the cpu backend */
  readonly maxStorageBuffers?: number;
}
