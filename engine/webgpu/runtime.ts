import { DeviceError, ArgumentError } from '../errors.js';
import type { Shape } from '../shape.js';
import { Backlog } from './backlog.js';
import { BufferPool } from './pool.js';
import { countDispatch, countRead, countSubmit } from '../stats.js';
import { collectGarbage } from './device.js';

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
}

/** What kernels recorded while `capture` was set. */
export interface Captured {
  dispatches: Dispatch[];
  /** buffers the kernels made for themselves (scratch space, which a replay would not have) */
  created: number;
  /** false when they also uploaded, copied or registered a status check */
  replayable: boolean;
}

/** A recorded dispatch to replay (see GpuRuntime.replay). */
export interface Replayed {
  readonly dispatch: Dispatch;
  pipeline?: GPUComputePipeline;
  slab?: GPUBuffer;
  slot?: [number, number];
}

interface StatusCheck {
  buffer: GPUBuffer;
  bytes: number;
  decode: (words: Uint32Array) => Error | null;
}

/** parameter slab: every distinct params content gets a slot, written once */
const SLAB_BYTES = 1 << 20;
const MAX_PENDING_DISPATCHES = 512;
/**
 * Submits this often while recording, so that the device works on the first dispatches while
 * the rest are recorded (a submit costs far less than the dispatches it carries).
 */
const EARLY_SUBMIT_DISPATCHES = 48;
/**
 * Bind groups kept, and first sightings remembered. A bind group is kept from its second use
 * on: a workload whose buffers never repeat then makes only short-lived ones, as without the
 * cache. (Long-lived ones that pile up, kept and then dropped in bulk, wait for V8's major
 * collections; meanwhile Dawn's descriptor pools for them kept growing until lavapipe crashed.)
 */
const MAX_BIND_GROUPS = 1024;
const MAX_BIND_GROUPS_SEEN = 16384;
/** bind groups made between two forced collections (see collectGarbage) */
const COLLECT_EVERY = 20000;

/**
 * Records dispatches into one command encoder and one compute pass, submits them in batches,
 * and reads back only when asked. Pipelines are compiled once per WGSL source.
 *
 * Per dispatch cost matters (a chain of small ops is bound by it). Creating a bind group costs
 * about as much as the dispatch itself on a software driver, and dynamic offsets doubled the
 * cost of a dispatch there; so params live in a slab where each distinct content has its own
 * slot (written once), pipelines use explicit layouts (params at binding 0, inputs read-only,
 * outputs read-write), and bind groups are cached by params slot and buffers (from their second
 * use on): a loop that reuses pooled buffers and shapes creates none after its first iterations.
 */
export class GpuRuntime {
  readonly pool: BufferPool;
  private pipelines = new Map<string, GPUComputePipeline>();
  private layouts = new Map<string, { group: GPUBindGroupLayout; pipeline: GPUPipelineLayout }>();
  /** bind groups by [counts, params offset, buffer ids…]: a trie of Maps, so a hit allocates nothing */
  private bindGroups = new Map<number, unknown>();
  private bindGroupCount = 0;
  private bindGroupSeen = 0;
  /** bind groups made so far (the cache's and the short-lived ones) */
  private bindGroupsMade = 0;
  /** the pipeline last set on the open pass (setting it again costs a call into Dawn) */
  private lastPipeline: GPUComputePipeline | null = null;
  private bufferIds = new WeakMap<GPUBuffer, number>();
  private nextBufferId = 1;
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private pendingDispatches = 0;
  /** no early submits while gpuTime records (its timestamps bracket one pass) */
  private holdSubmits = false;
  private slab: GPUBuffer;
  private slabUsed = 0;
  /** params content → [offset in the slab, bytes] */
  private paramSlots = new Map<string, [number, number]>();
  /** the same for params of one word (most elementwise kernels), without building a key */
  private paramSlots1 = new Map<number, [number, number]>();
  private readonly paramAlign: number;
  private staging = new Map<number, GPUBuffer[]>();
  private lost: string | null = null;
  private uncaptured: string | null = null;
  private work = new WorkClock();
  private backlog: Backlog;
  private checks: StatusCheck[] = [];
  /** reads that took the status buffers so far: one registered before the last of them is released */
  checkEpoch = 0;
  /** while set, what kernels record is also written here (jit turns it into a replay) */
  capture: Captured | null = null;
  readonly limits: GPUSupportedLimits;
  readonly features: ReadonlySet<string>;

  constructor(readonly device: GPUDevice, readonly adapter: GPUAdapter) {
    this.limits = device.limits;
    this.features = device.features as ReadonlySet<string>;
    this.paramAlign = Math.max(4, device.limits.minStorageBufferOffsetAlignment);
    this.pool = new BufferPool(device, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST);
    this.slab = this.newSlab();
    this.backlog = new Backlog(device.queue);
    device.lost.then((info) => {
      this.lost = `${info.reason}: ${info.message}`;
    });
    device.addEventListener('uncapturederror', (ev) => {
      this.uncaptured ??= (ev as GPUUncapturedErrorEvent).error.message;
    });
  }

  /**
   * Whether the device is lost. Dawn reports a loss (a destroyed device included) on a later
   * turn of the event loop, so this waits one turn for a report not yet delivered.
   */
  async isLost(): Promise<boolean> {
    if (this.lost) return true;
    const reported = await Promise.race([this.device.lost.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 0))]);
    this.lost ??= reported ? 'destroyed' : null;
    return reported;
  }

  private check(): void {
    if (this.lost) throw new DeviceError(`WebGPU: the device was lost (${this.lost}); call fg.init() again`);
    if (this.uncaptured) {
      const msg = this.uncaptured;
      this.uncaptured = null;
      throw new DeviceError(`WebGPU: the driver reported an error: ${msg}`);
    }
  }

  /** params (read-only) at 0, then `inputs` read-only and `outputs` read-write buffers */
  private layout(inputs: number, outputs: number) {
    const key = `${inputs}.${outputs}`;
    let l = this.layouts.get(key);
    if (!l) {
      const entry = (binding: number, type: GPUBufferBindingType): GPUBindGroupLayoutEntry => ({ binding, visibility: GPUShaderStage.COMPUTE, buffer: { type } });
      const entries = [entry(0, 'read-only-storage')];
      for (let i = 0; i < inputs + outputs; i++) entries.push(entry(i + 1, i < inputs ? 'read-only-storage' : 'storage'));
      const group = this.device.createBindGroupLayout({ entries, label: `flowgrad ${key}` });
      l = { group, pipeline: this.device.createPipelineLayout({ bindGroupLayouts: [group] }) };
      this.layouts.set(key, l);
    }
    return l;
  }

  /** The compute pipeline of a WGSL source whose bindings follow the layout above. */
  pipeline(wgsl: string, label: string, inputs: number, outputs: number): GPUComputePipeline {
    let p = this.pipelines.get(wgsl);
    if (!p) {
      const module = this.device.createShaderModule({ code: wgsl, label });
      p = this.device.createComputePipeline({ layout: this.layout(inputs, outputs).pipeline, compute: { module, entryPoint: 'main' }, label });
      this.pipelines.set(wgsl, p);
      this.work.compiled();
      this.backlog.pipelineCompiled();
    }
    return p;
  }

  get pipelineCount(): number {
    return this.pipelines.size;
  }

  private bufferId(b: GPUBuffer): number {
    let id = this.bufferIds.get(b);
    if (id === undefined) this.bufferIds.set(b, (id = this.nextBufferId++));
    return id;
  }

  private newSlab(): GPUBuffer {
    this.slabUsed = 0;
    this.paramSlots.clear();
    this.paramSlots1.clear();
    this.clearBindGroups(); // they bind the previous slab
    return this.device.createBuffer({ size: SLAB_BYTES, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST, label: 'flowgrad params' });
  }

  /** The slab slot holding these params, written on first use (before the submit that reads it). */
  private paramSlot(params: ArrayLike<number> | undefined): [number, number] {
    const words = params?.length ?? 0;
    let key = '';
    let slot: [number, number] | undefined;
    if (words === 1) slot = this.paramSlots1.get(params![0]!);
    else {
      for (let i = 0; i < words; i++) key += `${params![i]},`;
      slot = this.paramSlots.get(key);
    }
    if (!slot) {
      const bytes = Math.max(words, 1) * 4;
      const span = Math.ceil(bytes / this.paramAlign) * this.paramAlign;
      if (span > SLAB_BYTES) throw new ArgumentError(`${words} parameter words exceed the parameter slab (${SLAB_BYTES} bytes)`);
      // a full slab is replaced, not overwritten: recorded work may still read its slots
      if (this.slabUsed + span > SLAB_BYTES) this.slab = this.newSlab();
      const data = new Uint32Array(bytes / 4);
      for (let i = 0; i < words; i++) data[i] = params![i]!;
      this.device.queue.writeBuffer(this.slab, this.slabUsed, data);
      slot = [this.slabUsed, bytes];
      this.slabUsed += span;
      if (words === 1) this.paramSlots1.set(params![0]!, slot);
      else this.paramSlots.set(key, slot);
    }
    return slot;
  }

  private clearBindGroups(): void {
    this.bindGroups = new Map();
    this.bindGroupCount = 0;
    this.bindGroupSeen = 0;
  }

  private bindGroup(inputs: GPUBuffer[], outputs: GPUBuffer[], [offset, size]: [number, number]): GPUBindGroup {
    if (this.bindGroupCount >= MAX_BIND_GROUPS || this.bindGroupSeen >= MAX_BIND_GROUPS_SEEN) this.clearBindGroups();
    const step = (node: Map<number, unknown>, key: number) => {
      let next = node.get(key) as Map<number, unknown> | undefined;
      if (!next) node.set(key, (next = new Map()));
      return next;
    };
    let node = step(step(this.bindGroups, inputs.length * 1024 + outputs.length), offset);
    for (let i = 0; i < inputs.length + outputs.length - 1; i++) node = step(node, this.bufferId(i < inputs.length ? inputs[i]! : outputs[i - inputs.length]!));
    const last = this.bufferId(outputs[outputs.length - 1] ?? inputs[inputs.length - 1]!);
    const found = node.get(last) as GPUBindGroup | true | undefined;
    if (found && found !== true) return found;
    const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: this.slab, offset, size } }];
    inputs.forEach((buffer, i) => entries.push({ binding: i + 1, resource: { buffer } }));
    outputs.forEach((buffer, i) => entries.push({ binding: inputs.length + i + 1, resource: { buffer } }));
    const g = this.device.createBindGroup({ layout: this.layout(inputs.length, outputs.length).group, entries });
    if (++this.bindGroupsMade % COLLECT_EVERY === 0) collectGarbage();
    // kept from its second use on: bind groups used once die young, as they would uncached
    if (found) {
      node.set(last, g);
      this.bindGroupCount++;
    } else {
      node.set(last, true);
      this.bindGroupSeen++;
    }
    return g;
  }


  createBuffer(bytes: number): GPUBuffer {
    if (this.capture) this.capture.created++;
    const max = this.limits.maxStorageBufferBindingSize;
    if (bytes > max) {
      throw new ArgumentError(`WebGPU: a buffer of ${bytes} bytes exceeds this adapter's maxStorageBufferBindingSize (${max} bytes)`);
    }
    return this.pool.acquire(Math.max(bytes, 4));
  }

  upload(buffer: GPUBuffer, data: Float32Array): void {
    this.check();
    if (this.capture) this.capture.replayable = false;
    // writeBuffer runs before the recorded work: submit that first if it may read the old contents
    if (this.encoder && this.pool.releasedSinceSubmit(buffer)) this.flush();
    if (data.byteLength > 0) this.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  }

  dispatch(d: Dispatch): void {
    this.check();
    const [x, y = 1, z = 1] = d.workgroups;
    if (x * y * z === 0) return;
    this.capture?.dispatches.push(d);
    const maxDim = this.limits.maxComputeWorkgroupsPerDimension;
    if (x > maxDim || y > maxDim || z > maxDim) {
      throw new ArgumentError(`${d.label}: ${x}×${y}×${z} workgroups exceed this adapter's limit of ${maxDim} per dimension`);
    }
    const pipeline = this.pipeline(d.wgsl, d.label, d.inputs.length, d.outputs.length);
    this.encode(pipeline, d.inputs, d.outputs, this.paramSlot(d.params), d);
  }

  /**
   * A dispatch recorded once and replayed with other buffers of the same sizes: its pipeline
   * and parameter slot are looked up on the first replay and kept (the slot until the slab is
   * replaced), so a replay costs the bind group and the pass calls alone.
   */
  replay(r: Replayed, inputs: GPUBuffer[], outputs: GPUBuffer[]): void {
    this.check();
    const d = r.dispatch;
    r.pipeline ??= this.pipeline(d.wgsl, d.label, inputs.length, outputs.length);
    if (r.slab !== this.slab) {
      r.slot = this.paramSlot(d.params);
      r.slab = this.slab;
    }
    this.encode(r.pipeline, inputs, outputs, r.slot!, d);
  }

  /** Records one dispatch into the open pass, and submits when enough are pending. */
  private encode(pipeline: GPUComputePipeline, inputs: GPUBuffer[], outputs: GPUBuffer[], slot: [number, number], d: Dispatch): void {
    const bindGroup = this.bindGroup(inputs, outputs, slot);
    const pass = this.profiled ? this.profiledPass(d.label) : this.computePass();
    if (pipeline !== this.lastPipeline) pass.setPipeline((this.lastPipeline = pipeline));
    pass.setBindGroup(0, bindGroup);
    const [x, y = 1, z = 1] = d.workgroups;
    pass.dispatchWorkgroups(x, y, z);
    countDispatch();
    let bytes = 0;
    for (const b of inputs) bytes += b.size;
    for (const b of outputs) bytes += b.size;
    this.work.add(bytes);
    this.pendingDispatches++;
    if (this.pendingDispatches >= MAX_PENDING_DISPATCHES || (this.pendingDispatches % EARLY_SUBMIT_DISPATCHES === 0 && !this.holdSubmits)) this.flush();
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
    this.lastPipeline = null;
    return this.encoder;
  }

  copy(src: GPUBuffer, dst: GPUBuffer, bytes: number): void {
    this.check();
    if (this.capture) this.capture.replayable = false;
    this.endPass().copyBufferToBuffer(src, 0, dst, 0, bytes);
  }

  /**
   * A buffer that recorded kernels write error flags into (non-convergence, bad input), read
   * back with the next read and then released to the pool: `decode` turns its words into the
   * error to throw, or null. Kernels cannot throw, and reading right after them would stall.
   */
  checkAtRead(buffer: GPUBuffer, bytes: number, decode: (words: Uint32Array) => Error | null): void {
    if (this.capture) this.capture.replayable = false;
    this.checks.push({ buffer, bytes: Math.ceil(bytes / 4) * 4, decode });
  }

  /** Submits everything recorded so far; does not wait. */
  flush(): void {
    if (!this.encoder) return;
    const encoder = this.endPass();
    this.device.queue.submit([encoder.finish()]);
    countSubmit();
    this.work.submitted();
    this.encoder = null;
    const dispatches = this.pendingDispatches;
    this.pendingDispatches = 0;
    this.pool.submitted();
    this.backlog.submit(dispatches);
  }

  /**
   * Reads `bytes` from a buffer. Dawn's Node bindings spin the JS thread while a mapAsync
   * promise is pending, which takes CPU from a software driver; so first sleep for about
   * as long as the submitted work is expected to take, then map.
   */
  async read(buffer: GPUBuffer, bytes: number): Promise<ArrayBuffer> {
    this.check();
    countRead();
    const size = Math.max(4, Math.ceil(bytes / 4) * 4);
    const checks = this.checks;
    this.checks = [];
    this.checkEpoch++;
    const total = checks.reduce((s, c) => s + c.bytes, size);
    const staging = this.takeStaging(total);
    this.copy(buffer, staging, size);
    let at = size;
    for (const c of checks) {
      this.endPass().copyBufferToBuffer(c.buffer, 0, staging, at, c.bytes);
      at += c.bytes;
    }
    this.flush();
    const t0 = performance.now();
    await this.work.sleepWhileBusy();
    try {
      await staging.mapAsync(GPUMapMode.READ, 0, total);
    } catch (err) {
      this.check();
      throw new DeviceError(`WebGPU: reading a buffer failed: ${(err as Error).message}`);
    }
    this.work.done();
    this.backlog.drained(performance.now() - t0);
    const mapped = staging.getMappedRange(0, total);
    const out = mapped.slice(0, bytes);
    let error: Error | null = null;
    at = size;
    for (const c of checks) {
      error ??= c.decode(new Uint32Array(mapped.slice(at, at + c.bytes)));
      at += c.bytes;
      this.pool.release(c.buffer);
    }
    staging.unmap();
    this.returnStaging(staging);
    this.check();
    if (error) throw error;
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
    this.lastPipeline = null;
    this.pass = this.encoder.beginComputePass({ timestampWrites: { querySet: this.querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } });
    const before = this.pendingDispatches;
    this.holdSubmits = true;
    try {
      record();
    } finally {
      this.holdSubmits = false;
    }
    if (this.pendingDispatches < before) throw new ArgumentError('gpuTime: the recorded work did not fit in one submit');
    this.endPass().resolveQuerySet(this.querySet, 0, 2, this.queryBuffer, 0);
    const [t0, t1] = new BigUint64Array(await this.read(this.queryBuffer, 16));
    return Number(t1! - t0!) / 1e6;
  }

  private querySet: GPUQuerySet | null = null;
  private queryBuffer: GPUBuffer | null = null;
  /** labels of the dispatches recorded under profile(), each in its own timed pass */
  private profiled: string[] | null = null;
  private profileSet: GPUQuerySet | null = null;

  private profiledPass(label: string): GPUComputePassEncoder {
    const i = this.profiled!.length;
    if (i >= MAX_PENDING_DISPATCHES) throw new ArgumentError(`profile: more than ${MAX_PENDING_DISPATCHES} dispatches`);
    this.profiled!.push(label);
    this.endPass();
    this.pass = this.encoder!.beginComputePass({ timestampWrites: { querySet: this.profileSet!, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } });
    return this.pass;
  }

  /**
   * GPU time of each dispatch that `record` makes (one timed pass each, so a profile also counts
   * what a pass boundary costs), in recording order; null without timestamp queries.
   */
  async profile(record: () => void): Promise<{ label: string; ms: number }[] | null> {
    if (!this.features.has('timestamp-query')) {
      record();
      return null;
    }
    this.flush();
    this.profileSet ??= this.device.createQuerySet({ type: 'timestamp', count: 2 * MAX_PENDING_DISPATCHES });
    const labels: string[] = (this.profiled = []);
    this.holdSubmits = true;
    try {
      record();
    } finally {
      this.holdSubmits = false;
      this.profiled = null;
    }
    const n = labels.length;
    if (n === 0) return [];
    const bytes = 16 * n;
    const buffer = this.device.createBuffer({ size: bytes, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    this.endPass().resolveQuerySet(this.profileSet, 0, 2 * n, buffer, 0);
    const t = new BigUint64Array(await this.read(buffer, bytes));
    buffer.destroy();
    return labels.map((label, i) => ({ label, ms: Number(t[2 * i + 1]! - t[2 * i]!) / 1e6 }));
  }

  destroy(): void {
    this.clearBindGroups();
    this.pool.trim();
    for (const list of this.staging.values()) for (const b of list) b.destroy();
    this.device.destroy();
  }
}

/**
 * Estimates how long submitted work will run, so that a read can sleep instead of spinning in
 * mapAsync (Dawn's Node bindings spin the JS thread while a map is pending, which takes a core
 * from a software driver). Work is known by its number of dispatches and the bytes they touch
 * (to a factor of √2): a loop repeats the same work, and the time measured for it predicts the
 * next time. Work not seen before sleeps UNSEEN_MS_PER_DISPATCH per dispatch, at most
 * UNSEEN_MS, then spins: a rate learned on one workload and carried to another once made a
 * solve of few large dispatches sleep 30× too long (12 s for 0.4 s), and a cost per dispatch
 * learned on large products made small ones sleep 100× too long; sleeping too long costs
 * without bound, spinning only a core.
 * Small jobs never sleep. A read that finds its work done on waking knows only an upper bound,
 * the time slept: the estimate then drops to 70% of the smaller of itself and 80% of that, so
 * one inflated by a stall is gone in a few reads, and settles just under the true time, where a
 * read wakes shortly before the work is done and spins the rest (halving at once made the
 * estimate swing between oversleeping and spinning). A batch that compiled a pipeline teaches
 * nothing (a driver may compile while the batch runs), nor one whose recording took most of the
 * time measured (that times the recording, not the device).
 */
class WorkClock {
  /** the sleep per dispatch, and the longest sleep, for work not seen before */
  private static readonly UNSEEN_MS_PER_DISPATCH = 0.02;
  private static readonly UNSEEN_MS = 20;
  /** kinds of work remembered */
  private static readonly REMEMBERED = 256;
  /** weight of the newest read */
  private static readonly NEWEST = 0.3;
  private queued = { dispatches: 0, bytes: 0, compiled: false };
  private inFlight = { dispatches: 0, bytes: 0, compiled: false };
  private since = 0;
  /** when the last batch of the work in flight was submitted */
  private lastSubmit = 0;
  private slept = 0;
  /** when the last sleep ended */
  private woke = 0;
  /** milliseconds measured for each kind of work (most recent last) */
  private byKind = new Map<number, number>();

  add(bytes: number): void {
    this.queued.dispatches++;
    this.queued.bytes += bytes;
  }

  /** the kind of work: its dispatch count, and its bytes touched to a factor of √2 */
  private static kind(w: { dispatches: number; bytes: number }): number {
    return w.dispatches * 128 + Math.min(127, Math.round(2 * Math.log2(1 + w.bytes / 1024)));
  }

  /** a pipeline was compiled for the queued work */
  compiled(): void {
    this.queued.compiled = true;
  }

  submitted(): void {
    if (this.inFlight.dispatches === 0) this.since = performance.now();
    this.lastSubmit = performance.now();
    this.inFlight.dispatches += this.queued.dispatches;
    this.inFlight.bytes += this.queued.bytes;
    this.inFlight.compiled ||= this.queued.compiled;
    this.queued = { dispatches: 0, bytes: 0, compiled: false };
  }

  private predicted(): number {
    return this.byKind.get(WorkClock.kind(this.inFlight)) ?? Math.min(WorkClock.UNSEEN_MS, WorkClock.UNSEEN_MS_PER_DISPATCH * this.inFlight.dispatches);
  }

  async sleepWhileBusy(): Promise<void> {
    const left = this.predicted() - (performance.now() - this.since);
    this.slept = left > 1 ? 0.9 * left : 0; // Node's timers are about a millisecond coarse
    if (this.slept > 0) await new Promise((r) => setTimeout(r, this.slept));
    this.woke = performance.now();
  }

  done(): void {
    const elapsed = performance.now() - this.since;
    const kind = WorkClock.kind(this.inFlight);
    const { dispatches, compiled } = this.inFlight;
    this.inFlight = { dispatches: 0, bytes: 0, compiled: false };
    if (compiled || elapsed <= 1 || dispatches === 0) return;
    if (this.lastSubmit - this.since > 0.5 * elapsed) return;
    // done while we slept (the map came back at once after waking): the time is at most the
    // time slept, and the estimate shrinks fast (one inflated by a stall decays in a few reads)
    const overslept = this.slept > 0 && performance.now() - this.woke < 0.5;
    const w = WorkClock.NEWEST;
    const seen = this.byKind.get(kind);
    this.byKind.delete(kind);
    const next = seen === undefined ? elapsed : overslept ? 0.7 * Math.min(seen, 0.8 * elapsed) : (1 - w) * seen + w * elapsed;
    this.byKind.set(kind, next);
    if (this.byKind.size > WorkClock.REMEMBERED) this.byKind.delete(this.byKind.keys().next().value!);
  }
}
