import * as fg from '../index.js';

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
  target?: string;
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Times `run` (which records GPU work and returns the tensor to read): warm-up runs, then the
 * median of `reps` timed runs, each ending with a read of the result.
 */
export async function measure(run: () => fg.Tensor, opts: { warmup?: number; reps?: number } = {}): Promise<{ wallMs: number; gpuMs: number | null }> {
  const rt = fg.gpuRuntime();
  for (let i = 0; i < (opts.warmup ?? 2); i++) await readAndFree(fg.tidy(run));
  const walls: number[] = [];
  const gpus: number[] = [];
  for (let i = 0; i < (opts.reps ?? 7); i++) {
    const t0 = performance.now();
    const out = fg.tidy(run);
    await readAndFree(out);
    walls.push(performance.now() - t0);
  }
  for (let i = 0; i < (opts.reps ?? 7); i++) {
    let out: fg.Tensor | null = null;
    const ms = await rt.gpuTime(() => (out = fg.tidy(run)));
    out!.dispose();
    if (ms !== null) gpus.push(ms);
  }
  return { wallMs: median(walls), gpuMs: gpus.length ? median(gpus) : null };
}

async function readAndFree(t: fg.Tensor): Promise<void> {
  await t.data();
  t.dispose();
}
