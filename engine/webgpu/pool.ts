/**
 * Size-bucketed pool of storage buffers. A released buffer can be handed out again at once:
 * recorded work runs in order, so a later dispatch may overwrite it. Only an upload
 * (queue.writeBuffer, which runs before the recorded work is submitted) may not: the runtime
 * submits first when it uploads into a buffer released since the last submit
 * (`releasedSinceSubmit`). (Holding such buffers back until the submit instead made which
 * buffers were free depend on where a step fell between submits, different at every step.)
 *
 * A free buffer is handed out lowest creation number first, not last released first: which
 * buffer an allocation gets then depends only on which buffers are free, not on the order they
 * came back, so a loop that allocates the same way every step gets the same buffers every step
 * (or every other step) and the runtime's bind-group cache hits. With last-released-first the
 * buffers came round in a new order at every step: every dispatch made a bind group, and Dawn
 * frees those only when their JS wrappers are collected, so a loop that never yields piled up
 * hundreds of thousands of them until lavapipe crashed.
 */
export class BufferPool {
  private free = new Map<number, MinHeap>();
  private recent = new Set<GPUBuffer>();
  private ids = new WeakMap<GPUBuffer, number>();
  private created = 0;
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
    let buffer = this.free.get(size)?.pop();
    if (buffer) this.pooledBytes -= size;
    else {
      buffer = this.device.createBuffer({ size, usage: this.usage });
      this.ids.set(buffer, this.created++);
    }
    this.liveBuffers++;
    this.liveBytes += size;
    this.peakBytes = Math.max(this.peakBytes, this.liveBytes);
    return buffer;
  }

  release(buffer: GPUBuffer): void {
    this.liveBuffers--;
    this.liveBytes -= buffer.size;
    let heap = this.free.get(buffer.size);
    if (!heap) this.free.set(buffer.size, (heap = new MinHeap()));
    heap.push(buffer, this.ids.get(buffer)!);
    this.pooledBytes += buffer.size;
    this.recent.add(buffer);
  }

  /** Whether unsubmitted work may still use this buffer's old contents. */
  releasedSinceSubmit(buffer: GPUBuffer): boolean {
    return this.recent.has(buffer);
  }

  /** Called right after a submit. */
  submitted(): void {
    this.recent.clear();
  }

  /** Destroys every pooled buffer (not the live ones). */
  trim(): void {
    for (const heap of this.free.values()) for (const b of heap.drain()) b.destroy();
    this.free.clear();
    this.pooledBytes = 0;
  }
}

/** Buffers by a number, smallest first (a binary heap). */
class MinHeap {
  private items: GPUBuffer[] = [];
  private keys: number[] = [];

  push(item: GPUBuffer, key: number): void {
    const { items, keys } = this;
    let i = items.length;
    items.push(item);
    keys.push(key);
    while (i > 0) {
      const up = (i - 1) >> 1;
      if (keys[up]! <= key) break;
      items[i] = items[up]!;
      keys[i] = keys[up]!;
      i = up;
    }
    items[i] = item;
    keys[i] = key;
  }

  pop(): GPUBuffer | undefined {
    const { items, keys } = this;
    if (items.length === 0) return undefined;
    const top = items[0]!;
    const item = items.pop()!;
    const key = keys.pop()!;
    const n = items.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && keys[c + 1]! < keys[c]!) c++;
        if (keys[c]! >= key) break;
        items[i] = items[c]!;
        keys[i] = keys[c]!;
        i = c;
      }
      items[i] = item;
      keys[i] = key;
    }
    return top;
  }

  drain(): GPUBuffer[] {
    const all = this.items;
    this.items = [];
    this.keys = [];
    return all;
  }
}
