import * as fg from '../index.js';
import type { Tf } from './tfjs.js';

/** A target and what was measured against it. */
export interface Goal {
  target: string;
  measured: string;
  met: boolean;
}

export interface Measurement {
  name: string;
  size: string;
  /** median wall time per run, ms, readback included */
  wallMs: number;
  /** median GPU time per run from timestamp queries, ms (null without them) */
  gpuMs: number | null;
  /** work per run, for the rate column */
  flops?: number;
  bytes?: number;
  /** e.g. µs per op for dispatch chains */
  extra?: Record<string, number>;
  /** a target stated in words (see `goals` for targets checked against the measurement) */
  target?: string;
  /** TensorFlow.js on its WebGPU backend, same work, measured the same way (median wall ms) */
  tfjsMs?: number | null;
  /** flowgrad's float64 CPU reference backend, same work (median wall ms) */
  cpuMs?: number | null;
  goals?: Goal[];
}

/** What a benchmark case may compare against: tfjs (webgpu backend ready) or null. */
export interface BenchContext {
  tf: Tf | null;
}

/** What `run` returns and the dispatches it records (fg.stats: every backend). */
export function counted<T>(run: () => T): { result: T; dispatches: number } {
  const before = fg.stats().dispatches;
  const result = run();
  return { result, dispatches: fg.stats().dispatches - before };
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export interface TimingOptions {
  warmup?: number;
  /** timed runs (the median is reported); at least 5 */
  reps?: number;
}

/** Warm-up runs, then the median wall time of `reps` runs of `once` (which ends with a read). */
export async function medianWall(once: () => Promise<void>, opts: TimingOptions = {}): Promise<number> {
  for (let i = 0; i < (opts.warmup ?? 2); i++) await once();
  const walls: number[] = [];
  for (let i = 0; i < Math.max(5, opts.reps ?? 7); i++) {
    const t0 = performance.now();
    await once();
    walls.push(performance.now() - t0);
  }
  return median(walls);
}

/**
 * Times `run` (which records GPU work and returns the tensor to read): warm-up runs, then the
 * median of `reps` timed runs, each ending with a read of the result; then the median GPU time
 * of as many runs from timestamp queries.
 */
export async function measure(run: () => fg.Tensor, opts: TimingOptions = {}): Promise<{ wallMs: number; gpuMs: number | null }> {
  const rt = fg.gpuRuntime();
  const wallMs = await medianWall(async () => {
    const out = fg.tidy(run);
    await out.data();
    out.dispose();
  }, opts);
  const gpus: number[] = [];
  for (let i = 0; i < Math.max(5, opts.reps ?? 7); i++) {
    let out: fg.Tensor | null = null;
    const ms = await rt.gpuTime(() => (out = fg.tidy(run)));
    out!.dispose();
    if (ms !== null) gpus.push(ms);
  }
  return { wallMs, gpuMs: gpus.length ? median(gpus) : null };
}

/**
 * flowgrad and TensorFlow.js on the same work, timed the same way (tidy, read the result,
 * dispose) and interleaved run by run, so that load from other processes on a shared machine
 * falls on both alike: warm-up runs of each, then the median of `reps` runs of each; then
 * flowgrad's GPU time as in `measure`.
 */
export async function measureBoth(ours: () => fg.Tensor, tf: Tf, theirs: () => ReturnType<Tf['tensor']>, opts: TimingOptions = {}): Promise<{ wallMs: number; gpuMs: number | null; tfjsMs: number }> {
  const onces = [
    async () => {
      const out = fg.tidy(ours);
      await out.data();
      out.dispose();
    },
    async () => {
      const out = tf.tidy(theirs);
      await out.data();
      out.dispose();
    },
  ];
  for (let i = 0; i < (opts.warmup ?? 2); i++) for (const once of onces) await once();
  const walls: number[][] = [[], []];
  for (let i = 0; i < Math.max(5, opts.reps ?? 7); i++) {
    for (const [k, once] of onces.entries()) {
      const t0 = performance.now();
      await once();
      walls[k]!.push(performance.now() - t0);
    }
  }
  const { gpuMs } = await measure(ours, { warmup: 0, reps: opts.reps });
  return { wallMs: median(walls[0]!), gpuMs, tfjsMs: median(walls[1]!) };
}

/** TensorFlow.js the same way as `measure`'s wall time: tidy, read the result, dispose. */
export async function measureTfjs(tf: Tf, run: () => ReturnType<Tf['tensor']>, opts: TimingOptions = {}): Promise<number> {
  return medianWall(async () => {
    const out = tf.tidy(run);
    await out.data();
    out.dispose();
  }, opts);
}

/**
 * The float64 CPU reference backend on the same work: `make` builds the inputs (called with
 * the CPU backend current) and returns the run. The WebGPU backend is current again afterwards.
 */
export async function measureCpu(make: () => { run: () => fg.Tensor; dispose: () => void }, opts: TimingOptions = { warmup: 1, reps: 5 }): Promise<number> {
  await fg.init({ backend: 'cpu' });
  try {
    const { run, dispose } = make();
    const ms = await medianWall(async () => {
      const out = fg.tidy(run);
      await out.data();
      out.dispose();
    }, opts);
    dispose();
    return ms;
  } finally {
    await fg.init({ backend: 'webgpu' });
  }
}

/** Rates in the units the bench prints. */
export const gflops = (flops: number, ms: number) => flops / ms / 1e6;
export const gbps = (bytes: number, ms: number) => bytes / ms / 1e6;

/** A goal on a rate or a time: `at least` or `at most` a bound. */
export function goal(target: string, value: number | null | undefined, bound: number, dir: 'atLeast' | 'atMost', fmt: (v: number) => string): Goal | null {
  if (value === null || value === undefined || !Number.isFinite(value)) return null;
  return { target, measured: fmt(value), met: dir === 'atLeast' ? value >= bound : value <= bound };
}
