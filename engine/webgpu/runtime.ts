import { DeviceError, ArgumentError } from '../errors.js';
import type { Shape } from '../shape.js';
import { BufferPool } from './pool.js';

/** A tensor as a kernel launcher sees it. */
export interface GpuArg {
  buffer: GPUBuffer;
  shape: Shape;
  size: number;
}

export interface Dispatch {
  /** generated WGSL; also the pipeline cache key */
  wgsl: string;
  /** read-only inputs (bindings 1…), then the outputs */
  inputs: GPUBuffer[];
  outputs: GPUBuffer[];
  /** u32 words at binding 0 (reinterpret floats with bitcast in WGSL) */
  params?: ArrayLike<number>;
  workgroups: [number, number?, number?];
  /** a label for errors */
  label: string;
  /** arithmetic work, for the runtime's estimate of how long a submit takes */
  flops?: number;
}

const PARAM_SLOT = 256; // minStorageBufferOffsetAlignment
const ARENA_BYTES = 1 << 16;
const MAX_PENDING_DISPATCHES = 512;

/**
 * Records dispatches into one command encoder and one compute pass, submits them in batches,
 * and reads back only when asked. Pipelines are compiled once per WGSL source.
 */
export class GpuRuntime {
  readonly pool: BufferPool;
  private pipelines = new Map<string, GPUComputePipeline>();
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private pendingDispatches = 0;
  private arena: GPUBuffer;
  private arenaWords = new Uint32Array(ARENA_BYTES / 4);
  private arenaUsed = 0;
  private staging = new Map<number, GPUBuffer[]>();
  private lost: string | null = null;
  private uncaptured: string | null = null;
  private work = new WorkClock();
  readonly limits: GPUSupportedLimits;
  readonly features: ReadonlySet<string>;

  constructor(readonly device: GPUDevice, readonly adapter: GPUAdapter) {
    this.limits = device.limits;
    this.features = device.features as ReadonlySet<string>;
    this.pool = new BufferPool(device, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST);
    this.arena = device.createBuffer({ size: ARENA_BYTES, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    device.lost.then((info) => {
      this.lost = `${info.reason}: ${info.message}`;
    });
    device.addEventListener('uncapturederror', (ev) => {
      this.uncaptured ??= (ev as GPUUncapturedErrorEvent).error.message;
    });
  }

  private check(): void {
    if (this.lost) throw new DeviceError(`WebGPU: the device was lost (${this.lost}); call fg.init() again`);
    if (this.uncaptured) {
      const msg = this.uncaptured;
      this.uncaptured = null;
      throw new DeviceError(`WebGPU: the driver reported an error: ${msg}`);
    }
  }

  pipeline(wgsl: string, label: string): GPUComputePipeline {
    let p = this.pipelines.get(wgsl);
    if (!p) {
      const module = this.device.createShaderModule({ code: wgsl, label });
      p = this.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' }, label });
      this.pipelines.set(wgsl, p);
    }
    return p;
  }

  get pipelineCount(): number {
    return this.pipelines.size;
  }

  createBuffer(bytes: number): GPUBuffer {
    const max = this.limits.maxStorageBufferBindingSize;
    if (bytes > max) {
      throw new ArgumentError(`WebGPU: a buffer of ${bytes} bytes exceeds this adapter's maxStorageBufferBindingSize (${max} bytes)`);
    }
    return this.pool.acquire(Math.max(bytes, 4));
  }

  upload(buffer: GPUBuffer, data: Float32Array): void {
    this.check();
    if (data.byteLength > 0) this.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  }

  dispatch(d: Dispatch): void {
    this.check();
    const [x, y = 1, z = 1] = d.workgroups;
    if (x * y * z === 0) return;
    const maxDim = this.limits.maxComputeWorkgroupsPerDimension;
    if (x > maxDim || y > maxDim || z > maxDim) {
      throw new ArgumentError(`${d.label}: ${x}×${y}×${z} workgroups exceed this adapter's limit of ${maxDim} per dimension`);
    }
    const pipeline = this.pipeline(d.wgsl, d.label);
    const entries: GPUBindGroupEntry[] = [];
    if (d.params) {
      const words = d.params.length;
      const slots = Math.ceil((words * 4) / PARAM_SLOT) || 1;
      if (this.arenaUsed + slots * PARAM_SLOT > ARENA_BYTES) this.flush();
      const offset = this.arenaUsed;
      for (let i = 0; i < words; i++) this.arenaWords[offset / 4 + i] = d.params[i]!;
      this.arenaUsed += slots * PARAM_SLOT;
      entries.push({ binding: 0, resource: { buffer: this.arena, offset, size: Math.max(words, 1) * 4 } });
    }
    [...d.inputs, ...d.outputs].forEach((buffer, i) => entries.push({ binding: i + 1, resource: { buffer } }));
    const bindGroup = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries, label: d.label });
    const pass = this.computePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
    this.work.add(d.outputs.reduce((s, b) => s + b.size, 0) + d.inputs.reduce((s, b) => s + b.size, 0), d.flops);
    if (++this.pendingDispatches >= MAX_PENDING_DISPATCHES) this.flush();
  }

  /** 1-D dispatch over n threads of workgroup size wg, folded into 2-D when n is large. */
  grid(n: number, wg: number): [number, number] {
    const groups = Math.ceil(n / wg);
    const maxDim = this.limits.maxComputeWorkgroupsPerDimension;
    if (groups <= maxDim) return [groups, 1];
    const y = Math.ceil(groups / maxDim);
    return [Math.ceil(groups / y), y];
  }

  private computePass(): GPUComputePassEncoder {
    this.encoder ??= this.device.createCommandEncoder();
    this.pass ??= this.encoder.beginComputePass();
    return this.pass;
  }

  private endPass(): GPUCommandEncoder {
    this.encoder ??= this.device.createCommandEncoder();
    this.pass?.end();
    this.pass = null;
    return this.encoder;
  }

  copy(src: GPUBuffer, dst: GPUBuffer, bytes: number): void {
    this.check();
    this.endPass().copyBufferToBuffer(src, 0, dst, 0, bytes);
  }

  /** Submits everything recorded so far; does not wait. */
  flush(): void {
    if (!this.encoder) return;
    const encoder = this.endPass();
    if (this.arenaUsed > 0) this.device.queue.writeBuffer(this.arena, 0, this.arenaWords.buffer, 0, this.arenaUsed);
    this.device.queue.submit([encoder.finish()]);
    this.work.submitted();
    this.encoder = null;
    this.pendingDispatches = 0;
    this.arenaUsed = 0;
    this.pool.submitted();
  }

  /**
   * Reads `bytes` from a buffer. Dawn's Node bindings spin the JS thread while a mapAsync
   * promise is pending, which takes CPU from a software driver; so first sleep for about
   * as long as the submitted work is expected to take, then map.
   */
  async read(buffer: GPUBuffer, bytes: number): Promise<ArrayBuffer> {
    this.check();
    const size = Math.max(4, Math.ceil(bytes / 4) * 4);
    const staging = this.takeStaging(size);
    this.copy(buffer, staging, size);
    this.flush();
    await this.work.sleepWhileBusy();
    try {
      await staging.mapAsync(GPUMapMode.READ, 0, size);
    } catch (err) {
      this.check();
      throw new DeviceError(`WebGPU: reading a buffer failed: ${(err as Error).message}`);
    }
    this.work.done();
    const out = staging.getMappedRange(0, size).slice(0, bytes);
    staging.unmap();
    this.returnStaging(staging);
    this.check();
    return out;
  }

  /** Staging buffers for reads, kept per size bucket. */
  private takeStaging(size: number): GPUBuffer {
    const bucket = BufferPool.bucket(size);
    return this.staging.get(bucket)?.pop() ?? this.device.createBuffer({ size: bucket, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  }

  private returnStaging(b: GPUBuffer): void {
    const list = this.staging.get(b.size) ?? [];
    list.push(b);
    this.staging.set(b.size, list);
  }

  /**
   * GPU time in milliseconds of the dispatches that `record` makes, from timestamp queries
   * around one compute pass; null where the adapter has no timestamp queries (record still runs).
   */
  async gpuTime(record: () => void): Promise<number | null> {
    if (!this.features.has('timestamp-query')) {
      record();
      return null;
    }
    this.flush();
    this.querySet ??= this.device.createQuerySet({ type: 'timestamp', count: 2 });
    this.queryBuffer ??= this.device.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    this.encoder = this.device.createCommandEncoder();
    this.pass = this.encoder.beginComputePass({ timestampWrites: { querySet: this.querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } });
    const before = this.pendingDispatches;
    record();
    if (this.pendingDispatches < before) throw new ArgumentError('gpuTime: the recorded work did not fit in one submit');
    this.endPass().resolveQuerySet(this.querySet, 0, 2, this.queryBuffer, 0);
    const [t0, t1] = new BigUint64Array(await this.read(this.queryBuffer, 16));
    return Number(t1! - t0!) / 1e6;
  }

  private querySet: GPUQuerySet | null = null;
  private queryBuffer: GPUBuffer | null = null;

  destroy(): void {
    this.pool.trim();
    for (const list of this.staging.values()) for (const b of list) b.destroy();
    this.device.destroy();
  }
}

/**
 * Estimates how long submitted work will run, so that a read can sleep instead of spinning in
 * mapAsync: a fixed cost per dispatch plus a rate per unit of work (kilobytes touched plus
 * kiloflops), the rate learned from earlier reads that took long enough to measure. Small jobs
 * never sleep; an estimate found too long is halved at once, so oversleeping does not repeat.
 */
class WorkClock {
  private static readonly DISPATCH_MS = 0.02;
  private queued = { units: 0, dispatches: 0 };
  private inFlight = { units: 0, dispatches: 0 };
  private since = 0;
  private slept = 0;
  /** milliseconds per unit */
  private rate = 1e-4;

  add(bytes: number, flops = 0): void {
    this.queued.units += (bytes + flops) / 1000;
    this.queued.dispatches++;
  }

  submitted(): void {
    if (this.inFlight.dispatches === 0) this.since = performance.now();
    this.inFlight.units += this.queued.units;
    this.inFlight.dispatches += this.queued.dispatches;
    this.queued = { units: 0, dispatches: 0 };
  }

  private predicted(): number {
    return WorkClock.DISPATCH_MS * this.inFlight.dispatches + this.rate * this.inFlight.units;
  }

  async sleepWhileBusy(): Promise<void> {
    const left = this.predicted() - (performance.now() - this.since);
    this.slept = left > 2 ? 0.8 * left : 0;
    if (this.slept > 0) await new Promise((r) => setTimeout(r, this.slept));
  }

  done(): void {
    const elapsed = performance.now() - this.since;
    const { units, dispatches } = this.inFlight;
    this.inFlight = { units: 0, dispatches: 0 };
    const work = elapsed - WorkClock.DISPATCH_MS * dispatches;
    if (this.slept > 0 && elapsed - this.slept < 0.5) this.rate *= 0.5; // done while we slept
    else if (elapsed > 2 && work > 0 && units > 0) this.rate = 0.5 * this.rate + 0.5 * (work / units);
  }
}
