import type { Backend, Kernel, Storage } from './backend.js';
import { ArgumentError, fmtShape } from './errors.js';
import type { Shape } from './shape.js';
import { countDispatch, countRead } from './stats.js';

/** The most elements one CPU tensor may hold: 2^30 float64 values are 8 GiB. */
export const CPU_MAX_ELEMENTS = 2 ** 30;

interface CpuStorage extends Storage {
  data: Float64Array;
}

/** The float64 reference backend: every op's `cpu` face, run synchronously. */
export class CpuBackend implements Backend {
  readonly name = 'cpu' as const;
  readonly dtype = 'float64' as const;
  private live = 0;
  private liveBytes = 0;
  private peak = 0;

  private wrap(data: Float64Array): CpuStorage {
    this.live++;
    this.liveBytes += data.byteLength;
    this.peak = Math.max(this.peak, this.liveBytes);
    return { backend: this, size: data.length, refs: 1, data };
  }

  checkSize(op: string, shape: Shape): void {
    const size = shape.reduce((a, b) => a * b, 1);
    if (size > CPU_MAX_ELEMENTS) {
      throw new ArgumentError(`${op}: its output ${fmtShape(shape)} has ${size} elements, more than the CPU backend's limit of 2^30 elements (8 GiB of float64) per tensor; split the work into smaller tensors`);
    }
  }

  upload(values: ArrayLike<number>, size: number): Storage {
    const data = new Float64Array(size);
    for (let i = 0; i < size; i++) data[i] = values[i]!;
    return this.wrap(data);
  }

  run<A>(kernel: Kernel<A>, inputs: Storage[], shapes: Shape[], attrs: A, outShape: Shape): Storage {
    if (kernel.alias) {
      this.retain(inputs[0]!);
      return inputs[0]!;
    }
    this.checkSize(kernel.name, outShape);
    const arrays = inputs.map((s) => (s as CpuStorage).data);
    countDispatch();
    return this.wrap(kernel.cpu(arrays, shapes, attrs, outShape));
  }

  async read(storage: Storage): Promise<Float64Array> {
    countRead();
    return (storage as CpuStorage).data.slice();
  }

  readSync(storage: Storage): Float64Array {
    return (storage as CpuStorage).data;
  }

  retain(storage: Storage): void {
    storage.refs++;
  }

  release(storage: Storage): void {
    if (--storage.refs === 0) {
      this.live--;
      this.liveBytes -= (storage as CpuStorage).data.byteLength;
    }
  }

  memory() {
    return { buffers: this.live, bytes: this.liveBytes };
  }

  peakBytes(reset = false): number {
    const p = this.peak;
    if (reset) this.peak = this.liveBytes;
    return p;
  }

  flush(): void {}
}
