import type { Backend, Kernel, Storage } from '../backend.js';
import { ArgumentError, fmtShape } from '../errors.js';
import type { Shape } from '../shape.js';
import { GpuRuntime } from './runtime.js';

interface GpuStorage extends Storage {
  buffer: GPUBuffer;
}

/** float32 tensors in pooled GPU buffers; ops record dispatches, reads flush. */
export class WebGpuBackend implements Backend {
  readonly name = 'webgpu' as const;
  readonly dtype = 'float32' as const;

  constructor(readonly rt: GpuRuntime) {}

  get maxStorageBuffers(): number {
    return this.rt.limits.maxStorageBuffersPerShaderStage;
  }

  private wrap(buffer: GPUBuffer, size: number): GpuStorage {
    return { backend: this, size, refs: 1, buffer };
  }

  checkSize(op: string, shape: Shape): void {
    const size = shape.reduce((a, b) => a * b, 1);
    const max = this.rt.limits.maxStorageBufferBindingSize;
    if (size * 4 > max) {
      throw new ArgumentError(`${op}: its output ${fmtShape(shape)} needs ${size * 4} bytes, more than this adapter's maxStorageBufferBindingSize (${max} bytes); split the work into smaller tensors`);
    }
  }

  upload(values: ArrayLike<number>, size: number): Storage {
    const data =
      values instanceof Float32Array && values.length === size
        ? values
        : ArrayBuffer.isView(values) || Array.isArray(values)
          ? new Float32Array(values as ArrayLike<number>).subarray(0, size)
          : Float32Array.from({ length: size }, (_, i) => values[i]!);
    const buffer = this.rt.createBuffer(size * 4);
    this.rt.upload(buffer, data);
    return this.wrap(buffer, size);
  }

  /** A new storage for a tensor of this shape (what run() gives its kernel to fill). */
  allocate(op: string, shape: Shape): Storage {
    this.checkSize(op, shape);
    const size = shape.reduce((a, b) => a * b, 1);
    return this.wrap(this.rt.createBuffer(size * 4), size);
  }

  /** The GPU buffer of a storage of this backend. */
  bufferOf(storage: Storage): GPUBuffer {
    return (storage as GpuStorage).buffer;
  }

  run<A>(kernel: Kernel<A>, inputs: Storage[], shapes: Shape[], attrs: A, outShape: Shape): Storage {
    if (kernel.alias) {
      this.retain(inputs[0]!);
      return inputs[0]!;
    }
    this.checkSize(kernel.name, outShape);
    const size = outShape.reduce((a, b) => a * b, 1);
    const out = this.wrap(this.rt.createBuffer(size * 4), size);
    if (size > 0) {
      const args = inputs.map((s, i) => ({ buffer: (s as GpuStorage).buffer, shape: shapes[i]!, size: s.size }));
      kernel.gpu(this.rt, args, { buffer: out.buffer, shape: outShape, size }, attrs);
    }
    return out;
  }

  async read(storage: Storage): Promise<Float32Array> {
    if (storage.size === 0) return new Float32Array(0);
    return new Float32Array(await this.rt.read((storage as GpuStorage).buffer, storage.size * 4));
  }

  retain(storage: Storage): void {
    storage.refs++;
  }

  release(storage: Storage): void {
    if (--storage.refs === 0) this.rt.pool.release((storage as GpuStorage).buffer);
  }

  memory() {
    return { buffers: this.rt.pool.liveBuffers, bytes: this.rt.pool.liveBytes };
  }

  peakBytes(reset = false): number {
    const p = this.rt.pool.peakBytes;
    if (reset) this.rt.pool.peakBytes = this.rt.pool.liveBytes;
    return p;
  }

  flush(): void {
    this.rt.flush();
  }
}
