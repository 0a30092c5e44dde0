/**
 * Size-bucketed pool of storage buffers. A buffer released while recorded work that uses it
 * is still unsubmitted waits in `pending` until the next submit: only then may an upload
 * (queue.writeBuffer, which runs before that submit) overwrite it.
 */
export class BufferPool {
  private free = new Map<number, GPUBuffer[]>();
  private pending: GPUBuffer[] = [];
  liveBuffers = 0;
  liveBytes = 0;
  pooledBytes = 0;
  /** the most live bytes since the last reset */
  peakBytes = 0;

  constructor(private device: GPUDevice, private usage: number) {}

  /** Buckets at 2^k and 1.5·2^k bytes (at most a third wasted), 256 bytes at least. */
  static bucket(bytes: number): number {
    if (bytes <= 256) return 256;
    const p = 2 ** Math.ceil(Math.log2(bytes));
    return bytes <= p * 0.75 ? p * 0.75 : p;
  }

  acquire(bytes: number): GPUBuffer {
    const size = BufferPool.bucket(bytes);
    const reused = this.free.get(size)?.pop();
    if (reused) this.pooledBytes -= size;
    const buffer = reused ?? this.device.createBuffer({ size, usage: this.usage });
    this.liveBuffers++;
    this.liveBytes += size;
    this.peakBytes = Math.max(this.peakBytes, this.liveBytes);
    return buffer;
  }

  release(buffer: GPUBuffer): void {
    this.liveBuffers--;
    this.liveBytes -= buffer.size;
    this.pending.push(buffer);
  }

  /** Called right after a submit. */
  submitted(): void {
    for (const b of this.pending) {
      let list = this.free.get(b.size);
      if (!list) this.free.set(b.size, (list = []));
      list.push(b);
      this.pooledBytes += b.size;
    }
    this.pending = [];
  }

  /** Destroys every pooled buffer (not the live ones). */
  trim(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.free.clear();
    this.pooledBytes = 0;
  }
}
