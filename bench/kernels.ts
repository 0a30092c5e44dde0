import * as fg from '../index.js';
import { measure, type Measurement } from './harness.js';

export interface BenchCase {
  name: string;
  run(): Promise<Measurement[]>;
}

const seeded = (shape: number[], seed: number) => fg.randn(shape, { seed });

export const kernelBenches: BenchCase[] = [
  {
    name: 'matmul',
    async run() {
      const out: Measurement[] = [];
      for (const n of [128, 256, 512, 1024]) {
        const a = seeded([n, n], 1);
        const b = seeded([n, n], 2);
        const m = await measure(() => fg.matmul(a, b), { reps: n >= 1024 ? 3 : 5 });
        out.push({ name: 'matmul', size: `${n}×${n}×${n}`, ...m, flops: 2 * n ** 3 });
        a.dispose();
        b.dispose();
      }
      return out;
    },
  },
  {
    name: 'batched-matmul',
    async run() {
      const a = seeded([256, 32, 32], 1);
      const b = seeded([256, 32, 32], 2);
      const m = await measure(() => fg.matmul(a, b));
      return [{ name: 'batched matmul', size: '256×(32×32 @ 32×32)', ...m, flops: 256 * 2 * 32 ** 3 }];
    },
  },
  {
    name: 'tanh',
    async run() {
      const out: Measurement[] = [];
      for (const n of [1 << 20, 1 << 24]) {
        const x = seeded([n], 3);
        const m = await measure(() => fg.tanh(x));
        out.push({ name: 'tanh', size: `${n / (1 << 20)}M floats`, ...m, bytes: 8 * n });
        x.dispose();
      }
      return out;
    },
  },
  {
    name: 'sum',
    async run() {
      const out: Measurement[] = [];
      for (const n of [1e6, 1e7]) {
        const x = seeded([n], 4);
        const m = await measure(() => fg.sum(x));
        out.push({ name: 'sum (all)', size: `${n / 1e6}M floats`, ...m, bytes: 4 * n });
        x.dispose();
      }
      return out;
    },
  },
  {
    name: 'dispatch',
    async run() {
      const x = seeded([64], 5);
      const chain = 200;
      const m = await measure(() => {
        let y = x;
        for (let i = 0; i < chain; i++) y = fg.tanh(y);
        return y;
      });
      return [{ name: 'dispatch chain', size: `${chain} tanh on 64 floats`, ...m, extra: { 'µs/op': (m.wallMs * 1000) / chain } }];
    },
  },
];
