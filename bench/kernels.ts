import * as fg from '../index.js';
import { gbps, gflops, goal, measure, measureBoth, measureCpu, type BenchContext, type Goal, type Measurement, type TimingOptions } from './harness.js';
import type { Tf } from './tfjs.js';

export interface BenchCase {
  name: string;
  run(ctx: BenchContext): Promise<Measurement[]>;
}

type TfTensor = ReturnType<Tf['tensor']>;

const seeded = (shape: number[], seed: number) => fg.randn(shape, { seed });

const x = (v: number) => `${v.toFixed(2)}×`;
const gf = (v: number) => `${v.toFixed(2)} GFLOP/s`;

/** Speed-up over tfjs (> 1: flowgrad is faster), from the two median wall times. */
const speedup = (m: { wallMs: number; tfjsMs?: number | null }) => (m.tfjsMs ? m.tfjsMs / m.wallMs : null);

/** "≥ r× tfjs-webgpu (wall)" against the measured speed-up. */
const vsTfjs = (m: Measurement, r: number): Goal | null => goal(`≥ ${r}× tfjs-webgpu (wall)`, speedup(m), r, 'atLeast', x);

const goals = (...gs: (Goal | null)[]) => gs.filter((g): g is Goal => g !== null);

/**
 * One comparison: ours (wall and GPU time), tfjs the same way and interleaved with ours when it
 * is there, and the float64 CPU reference when `cpu` builds the same work (only where it
 * finishes in a few seconds).
 */
async function compare(
  ctx: BenchContext,
  row: Omit<Measurement, 'wallMs' | 'gpuMs'>,
  ours: () => fg.Tensor,
  theirs: ((tf: Tf) => { run: () => TfTensor; dispose: () => void }) | null,
  cpu: (() => { run: () => fg.Tensor; dispose: () => void }) | null,
  opts: TimingOptions = {},
): Promise<Measurement> {
  let m: Measurement;
  if (ctx.tf && theirs) {
    const t = theirs(ctx.tf);
    m = { ...row, ...(await measureBoth(ours, ctx.tf, t.run, opts)) };
    t.dispose();
  } else m = { ...row, ...(await measure(ours, opts)) };
  if (cpu) m.cpuMs = await measureCpu(cpu);
  return m;
}

const tfRandn = (tf: Tf, shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);

export const kernelBenches: BenchCase[] = [
  {
    name: 'matmul',
    async run(ctx) {
      const out: Measurement[] = [];
      for (const n of [128, 256, 512, 1024]) {
        const a = seeded([n, n], 1);
        const b = seeded([n, n], 2);
        const m = await compare(
          ctx,
          { name: 'matmul', size: `${n}×${n}×${n}`, flops: 2 * n ** 3 },
          () => fg.matmul(a, b),
          (tf) => {
            const [ta, tb] = [tfRandn(tf, [n, n], 1), tfRandn(tf, [n, n], 2)];
            return { run: () => tf.matMul(ta, tb), dispose: () => tf.dispose([ta, tb]) };
          },
          n <= 256 ? () => {
            const [ca, cb] = [seeded([n, n], 1), seeded([n, n], 2)];
            return { run: () => fg.matmul(ca, cb), dispose: () => [ca, cb].forEach((t) => t.dispose()) };
          } : null,
          { reps: 5 },
        );
        m.goals = goals(
          n === 1024 ? goal('gpu ≥ 8 GFLOP/s', m.gpuMs && gflops(m.flops!, m.gpuMs), 8, 'atLeast', gf) : null,
          vsTfjs(m, n === 1024 ? 1.5 : 1),
        );
        out.push(m);
        a.dispose();
        b.dispose();
      }
      return out;
    },
  },
  {
    name: 'batched-matmul',
    async run(ctx) {
      const a = seeded([256, 32, 32], 1);
      const b = seeded([256, 32, 32], 2);
      const m = await compare(
        ctx,
        { name: 'batched matmul', size: '256×(32×32 @ 32×32)', flops: 256 * 2 * 32 ** 3 },
        () => fg.matmul(a, b),
        (tf) => {
          const [ta, tb] = [tfRandn(tf, [256, 32, 32], 1), tfRandn(tf, [256, 32, 32], 2)];
          return { run: () => tf.matMul(ta, tb), dispose: () => tf.dispose([ta, tb]) };
        },
        () => {
          const [ca, cb] = [seeded([256, 32, 32], 1), seeded([256, 32, 32], 2)];
          return { run: () => fg.matmul(ca, cb), dispose: () => [ca, cb].forEach((t) => t.dispose()) };
        },
      );
      m.goals = goals(vsTfjs(m, 1.5));
      a.dispose();
      b.dispose();
      return [m];
    },
  },
  {
    // a dense layer's forward pass, fused on both sides: matmul, bias and activation in one kernel
    name: 'linear',
    async run(ctx) {
      const [rows, k, n] = [1024, 256, 256];
      const [xs, w, b] = [seeded([rows, k], 1), seeded([k, n], 2), seeded([n], 3)];
      const m = await compare(
        ctx,
        { name: 'linear sigmoid(x·W + b)', size: `${rows}×${k} @ ${k}×${n}`, flops: 2 * rows * k * n },
        () => fg.linear(xs, w, b, { activation: 'sigmoid' }),
        (tf) => {
          const [tx, tw, tb] = [tfRandn(tf, [rows, k], 1), tfRandn(tf, [k, n], 2), tfRandn(tf, [n], 3)];
          return {
            run: () => tf.fused.matMul({ a: tx as never, b: tw as never, bias: tb, activation: 'sigmoid' }),
            dispose: () => tf.dispose([tx, tw, tb]),
          };
        },
        null,
      );
      m.goals = goals(vsTfjs(m, 1));
      [xs, w, b].forEach((t) => t.dispose());
      return [m];
    },
  },
  {
    name: 'tanh',
    async run(ctx) {
      const out: Measurement[] = [];
      for (const n of [1 << 20, 1 << 24]) {
        const xs = seeded([n], 3);
        const m = await compare(
          ctx,
          { name: 'tanh', size: `${n / (1 << 20)}M floats`, bytes: 8 * n },
          () => fg.tanh(xs),
          (tf) => {
            const t = tfRandn(tf, [n], 3);
            return { run: () => tf.tanh(t), dispose: () => t.dispose() };
          },
          n <= 1 << 20 ? () => {
            const c = seeded([n], 3);
            return { run: () => fg.tanh(c), dispose: () => c.dispose() };
          } : null,
        );
        m.goals = goals(
          n === 1 << 24 ? goal('gpu ≥ 3 GB/s (read + write)', m.gpuMs && gbps(m.bytes!, m.gpuMs), 3, 'atLeast', (v) => `${v.toFixed(2)} GB/s`) : null,
          vsTfjs(m, 1),
        );
        out.push(m);
        xs.dispose();
      }
      return out;
    },
  },
  {
    name: 'sum',
    async run(ctx) {
      const out: Measurement[] = [];
      for (const n of [1e6, 1e7]) {
        const xs = seeded([n], 4);
        const m = await compare(
          ctx,
          { name: 'sum (all)', size: `${n / 1e6}M floats`, bytes: 4 * n },
          () => fg.sum(xs),
          (tf) => {
            const t = tfRandn(tf, [n], 4);
            return { run: () => tf.sum(t), dispose: () => t.dispose() };
          },
          n <= 1e6 ? () => {
            const c = seeded([n], 4);
            return { run: () => fg.sum(c), dispose: () => c.dispose() };
          } : null,
        );
        m.goals = goals(vsTfjs(m, 1));
        out.push(m);
        xs.dispose();
      }
      return out;
    },
  },
  {
    name: 'dispatch',
    async run(ctx) {
      const chain = 200;
      const xs = seeded([64], 5);
      const m = await compare(
        ctx,
        { name: 'dispatch chain', size: `${chain} tanh on 64 floats`, extra: {} },
        () => {
          let y = xs;
          for (let i = 0; i < chain; i++) y = fg.tanh(y);
          return y;
        },
        (tf) => {
          const t = tfRandn(tf, [64], 5);
          return {
            run: () => {
              let y = t;
              for (let i = 0; i < chain; i++) y = tf.tanh(y);
              return y;
            },
            dispose: () => t.dispose(),
          };
        },
        () => {
          const c = seeded([64], 5);
          return {
            run: () => {
              let y = c;
              for (let i = 0; i < chain; i++) y = fg.tanh(y);
              return y;
            },
            dispose: () => c.dispose(),
          };
        },
        // bind groups are cached from their second use, the pool hands buffers back in an order
        // that alternates between runs, and the JIT and heap settle: about 20 runs reach the
        // steady state of a loop that repeats (each run is a few milliseconds)
        { warmup: 20, reps: 15 },
      );
      const perOp = (m.wallMs * 1000) / chain;
      m.extra = { 'µs/op': perOp };
      m.goals = goals(goal('≤ 30 µs/op (wall)', perOp, 30, 'atMost', (v) => `${v.toFixed(1)} µs/op`), vsTfjs(m, 1));
      xs.dispose();
      return [m];
    },
  },
];
