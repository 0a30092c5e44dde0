// Pooling against hand-computed values (ties, padding, NaN, the two averaging rules), its
// gradients through a small convolutional net, and its errors. The registry walk
// (test/conformance.test.ts) covers each pooling op's samples on both backends.
import { beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';
import { initBoth, maxAbs, maxAbsDiff, onBackend } from './helpers.js';
import type { Backend } from '../engine/backend.js';

let cpu: Backend;
let gpu: Backend;
beforeAll(async () => ({ cpu, gpu } = await initBoth()));

/** Runs fn with each backend current in turn (through its awaits), then the CPU again. */
const both = (fn: () => Promise<void>) => async () => {
  try {
    for (const b of ['cpu', 'webgpu'] as const) {
      await fg.init({ backend: b });
      await fn();
    }
  } finally {
    await fg.init({ backend: 'cpu' });
  }
};

describe('maxPool2d', () => {
  it(
    'routes the gradient to the first maximum of each window (ties: rows, then columns)',
    both(async () => {
      // one 2×2 window per quadrant; the top-right window holds three equal maxima
      const x = fg.tensor([[[
        [1, 5, 7, 7],
        [5, 2, 3, 7],
        [0, 0, -1, -2],
        [0, 0, -3, -1],
      ]]]);
      const y = fg.maxPool2d(x, { kernel: 2 });
      expect(Array.from(await y.data())).toEqual([5, 7, 0, -1]);
      const g = fg.grad((t: fg.Tensor) => fg.sum(fg.mul(fg.maxPool2d(t, { kernel: 2 }), fg.tensor([[[[1, 2], [3, 4]]]]))))(x);
      expect(Array.from(await g.data())).toEqual([0, 1, 2, 0, 0, 0, 0, 0, 3, 0, 4, 0, 0, 0, 0, 0]);
    }),
  );

  it(
    'treats padding as −∞, overlaps windows, and propagates NaN',
    both(async () => {
      const x = fg.tensor([[[[-3, -1, -2], [-4, -6, -5]]]]);
      // 3×3 windows, stride 1, padding 1: every window sees only negative numbers and padding
      expect(Array.from(await fg.maxPool2d(x, { kernel: 3, stride: 1, padding: 1 }).data())).toEqual([-1, -1, -1, -1, -1, -1]);
      // overlapping windows add up at a shared maximum
      const g = fg.grad((t: fg.Tensor) => fg.sum(fg.maxPool2d(t, { kernel: 3, stride: 1, padding: 1 })))(x);
      expect(Array.from(await g.data())).toEqual([0, 6, 0, 0, 0, 0]);
      const n = await fg.maxPool2d(fg.tensor([[[[1, NaN], [3, 2]]]]), { kernel: 2 }).data();
      expect(Number.isNaN(n[0])).toBe(true);
    }),
  );
});

describe('avgPool2d', () => {
  it(
    'divides by the whole window, or with countIncludePad false by its part inside the input',
    both(async () => {
      const x = fg.tensor([[[[1, 2], [3, 4]]]]);
      const a = await fg.avgPool2d(x, { kernel: 2, stride: 1, padding: 1 }).data();
      expect(maxAbsDiff(a, [1 / 4, 3 / 4, 2 / 4, 4 / 4, 10 / 4, 6 / 4, 3 / 4, 7 / 4, 4 / 4])).toBeLessThan(1e-6);
      const b = await fg.avgPool2d(x, { kernel: 2, stride: 1, padding: 1, countIncludePad: false }).data();
      expect(maxAbsDiff(b, [1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4])).toBeLessThan(1e-6);
      // the adjoint: each input receives Σ g / (window size) over the windows that hold it
      const g = fg.grad((t: fg.Tensor) => fg.sum(fg.avgPool2d(t, { kernel: 2, stride: 1, padding: 1, countIncludePad: false })))(x);
      expect(maxAbsDiff(await g.data(), [1 + 1 / 2 + 1 / 2 + 1 / 4, 1 + 1 / 2 + 1 / 2 + 1 / 4, 1 + 1 / 2 + 1 / 2 + 1 / 4, 1 + 1 / 2 + 1 / 2 + 1 / 4])).toBeLessThan(1e-6);
    }),
  );
});

describe('pooling inside a convolutional net', () => {
  // conv → tanh → maxPool → conv → avgPool, reduced to a scalar
  const net = (x: fg.Tensor, w1: fg.Tensor, w2: fg.Tensor) =>
    fg.sum(fg.square(fg.avgPool2d(fg.conv2d(fg.maxPool2d(fg.tanh(fg.conv2d(x, w1, { padding: 1 })), { kernel: 2, stride: 2, padding: 1 }), w2, { padding: 'same' }), { kernel: 2 })));
  const inputs = (b: Backend) => onBackend(b, () => [fg.randn([2, 2, 7, 6], { seed: 51 }), fg.randn([3, 2, 3, 3], { seed: 52 }), fg.randn([2, 3, 2, 2], { seed: 53 })] as [fg.Tensor, fg.Tensor, fg.Tensor]);

  it('passes gradcheck in float64', async () => {
    const report = await fg.gradcheck(net, inputs(cpu));
    expect(report.pass, JSON.stringify(report.inputs)).toBe(true);
  });

  it('Hessian-vector products through the pooling ops match differences of gradients', async () => {
    const [x, w1, w2] = inputs(cpu);
    const v = onBackend(cpu, () => fg.randn([3, 2, 3, 3], { seed: 54 }));
    const f = (t: fg.Tensor) => net(x!, t, w2!);
    const hv = await fg.hvp(f, w1!, v).data();
    // the argmax is locally constant: h = 1e-5 stays inside one linear piece of maxPool
    const h = 1e-5;
    const gp = await fg.grad(f)(fg.add(w1!, fg.mul(v, h))).data();
    const gm = await fg.grad(f)(fg.sub(w1!, fg.mul(v, h))).data();
    const fd = Array.from(gp as ArrayLike<number>, (p, i) => (p - gm[i]!) / (2 * h));
    expect(maxAbsDiff(hv, fd)).toBeLessThan(1e-6 * Math.max(1, maxAbs(fd)));
  });

  it('gradients on WebGPU agree with float64', async () => {
    const gc = fg.grad(net, { argnums: [0, 1, 2] })(...inputs(cpu)) as fg.Tensor[];
    const gg = onBackend(gpu, () => fg.grad(net, { argnums: [0, 1, 2] })(...inputs(gpu))) as fg.Tensor[];
    for (let i = 0; i < 3; i++) {
      const r = await gc[i]!.data();
      // float32 through two convolutions (≤ 27 terms), tanh and pooling: 1e-4 of the largest entry
      expect(maxAbsDiff(await gg[i]!.data(), r), `input ${i}`).toBeLessThan(1e-4 * maxAbs(r));
    }
  });
});

describe('pooling errors name the op, the argument and the shapes', () => {
  it('bad kernel, stride, padding and rank', () => {
    const x = fg.zeros([1, 2, 4, 4]);
    expect(() => fg.maxPool2d(x, {} as never)).toThrow(/maxPool2d: kernel must be a positive integer or two of them, got undefined/);
    expect(() => fg.maxPool2d(x, { kernel: 2, stride: 0 })).toThrow(/maxPool2d: stride must be a positive integer or two of them, got 0/);
    expect(() => fg.avgPool2d(x, { kernel: 2, padding: 2 })).toThrow(/avgPool2d: padding \[2, 2, 2, 2\] must be at most half the kernel \[2, 2\] on each side/);
    expect(() => fg.maxPool2d(fg.zeros([2, 4, 4]), { kernel: 2 })).toThrow(/maxPool2d: x must have rank 4 \(N, C, H, W\), got x \[2, 4, 4\]/);
    expect(() => fg.maxPool2d(x, { kernel: [5, 1] })).toThrow(/maxPool2d: the kernel \[5, 1\] is larger than the padded input 4×4 \(x \[1, 2, 4, 4\]\)/);
    expect(() => fg.maxPool2d(x, { kernel: 2, stride: -1 })).toThrow(fg.ArgumentError);
  });
});
