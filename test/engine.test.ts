// Tensors, creation, memory and scheduling on both backends, and the errors users hit.
import { beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';
import { BufferPool } from '../engine/webgpu/pool.js';
import { initBoth, maxAbsDiff } from './helpers.js';

beforeAll(async () => {
  await initBoth();
});

describe('creation', () => {
  for (const backend of ['cpu', 'webgpu'] as const) {
    it(`creates tensors on ${backend}`, async () => {
      await fg.init({ backend });
      expect(fg.backend()).toBe(backend);
      const t = fg.tensor([[1, 2, 3], [4, 5, 6]]);
      expect(t.shape).toEqual([2, 3]);
      expect(t.dtype).toBe(backend === 'cpu' ? 'float64' : 'float32');
      expect(await t.array()).toEqual([[1, 2, 3], [4, 5, 6]]);
      expect(await fg.tensor(7).item()).toBe(7);
      expect(Array.from(await fg.eye(2, 3).data())).toEqual([1, 0, 0, 0, 1, 0]);
      expect(Array.from(await fg.arange(4).data())).toEqual([0, 1, 2, 3]);
      expect(Array.from(await fg.full([2], 2.5).data())).toEqual([2.5, 2.5]);
      expect(Array.from(await fg.tensor(new Float32Array([1, 2, 3, 4]), [2, 2]).data())).toEqual([1, 2, 3, 4]);
      expect((await fg.zeros([0, 3]).data()).length).toBe(0);
    });
  }

  it('seeded randn and rand give the same numbers on both backends', async () => {
    await fg.init({ backend: 'cpu' });
    const a = Array.from(await fg.randn([1000], { seed: 42 }).data());
    const u = Array.from(await fg.rand([1000], { seed: 42 }).data());
    await fg.init({ backend: 'webgpu' });
    const b = await fg.randn([1000], { seed: 42 }).data();
    expect(maxAbsDiff(a, b)).toBeLessThan(1e-6 * 5); // float32 rounding of values |x| < 5
    expect(maxAbsDiff(u, await fg.rand([1000], { seed: 42 }).data())).toBeLessThan(1e-7);
    // and they are plausible samples: mean ≈ 0, variance ≈ 1 (4σ bounds for n = 1000)
    const mean = a.reduce((s, x) => s + x, 0) / a.length;
    const variance = a.reduce((s, x) => s + (x - mean) ** 2, 0) / a.length;
    expect(Math.abs(mean)).toBeLessThan(4 / Math.sqrt(1000));
    expect(Math.abs(variance - 1)).toBeLessThan(4 * Math.sqrt(2 / 1000));
    expect(Math.min(...u)).toBeGreaterThan(0);
    expect(Math.max(...u)).toBeLessThan(1);
    await fg.init({ backend: 'cpu' });
    expect(Array.from(await fg.randn([4], { seed: 1 }).data())).not.toEqual(Array.from(await fg.randn([4], { seed: 2 }).data()));
  });

  it('rejects ragged arrays, wrong sizes and bad shapes', async () => {
    await fg.init({ backend: 'cpu' });
    expect(() => fg.tensor([[1, 2], [3]])).toThrow(/tensor: ragged nested array/);
    expect(() => fg.tensor([1, 2, 3], [2, 2])).toThrow(/tensor: 3 values do not fill shape \[2, 2\]/);
    expect(() => fg.zeros([2, -1])).toThrow(fg.ShapeError);
    expect(() => fg.reshape(fg.zeros([2, 3]), [4, -1])).toThrow(/reshape: cannot reshape x \[2, 3\]/);
    expect(fg.reshape(fg.zeros([2, 3]), [3, -1]).shape).toEqual([3, 2]);
    await expect(fg.zeros([2]).item()).rejects.toThrow(/item\(\): needs a tensor of size 1, got shape \[2\]/);
  });
});

describe('memory', () => {
  for (const backend of ['cpu', 'webgpu'] as const) {
    it(`tidy frees intermediates and keeps results, dispose frees, reads of disposed tensors fail (${backend})`, async () => {
      await fg.init({ backend });
      const x = fg.ones([64, 64]);
      const before = fg.memory();
      const y = fg.tidy(() => fg.tanh(fg.mul(fg.add(x, 1), 2)));
      expect(fg.memory().buffers).toBe(before.buffers + 1);
      y.dispose();
      y.dispose(); // idempotent
      expect(fg.memory()).toEqual(before);
      await expect(y.data()).rejects.toThrow(/disposed/);
      expect(() => fg.add(y, 1)).toThrow(/add: argument a: tensor #\d+ of shape \[64, 64\] was disposed/);
      // a long loop holds steady memory
      for (let i = 0; i < 200; i++) fg.tidy(() => void fg.sum(fg.matmul(fg.tanh(x), x)));
      expect(fg.memory()).toEqual(before);
      // reshape shares storage; the storage lives until its last handle goes
      const r = fg.reshape(x, [4096]);
      x.dispose();
      expect(Array.from((await r.data()).slice(0, 2))).toEqual([1, 1]);
      r.dispose();
    });
  }

  it('pool buckets are at most 1.5× the request (a third of a bucket wasted at most)', () => {
    for (const n of [1, 255, 257, 1000, 4096, 5000, 1 << 20, (1 << 20) + 1]) {
      const b = BufferPool.bucket(n);
      expect(b).toBeGreaterThanOrEqual(n);
      expect(b).toBeLessThanOrEqual(Math.max(256, 1.5 * n));
    }
  });

  it('mixing backends is an error that says what to do', async () => {
    await fg.init({ backend: 'cpu' });
    const a = fg.ones([2]);
    await fg.init({ backend: 'webgpu' });
    const b = fg.ones([2]);
    expect(() => fg.add(a, b)).toThrow(/add: argument b is on the webgpu backend but a is on cpu/);
  });
});

describe('WebGPU kernels at sizes beyond one grid dimension', () => {
  it('elementwise over 2^24 + 3 elements folds the grid and stays correct', async () => {
    await fg.init({ backend: 'webgpu' });
    const n = (1 << 24) + 3; // > 65535 × 256 threads
    const x = fg.arange(n);
    const y = await fg.sub(fg.mul(x, 2), x).data(); // = x
    expect(y.length).toBe(n);
    for (const i of [0, 1, 65535 * 256, n - 2, n - 1]) expect(y[i]).toBe(Math.fround(i));
    x.dispose();
  });

  it('sum over 10^6 elements equals the closed form', async () => {
    await fg.init({ backend: 'webgpu' });
    const n = 1_000_000;
    const s = await fg.sum(fg.ones([n])).item();
    expect(s).toBe(n); // integers below 2^24 are exact in float32
    const m = await fg.mean(fg.reshape(fg.arange(n), [1000, 1000]), 1).data();
    expect(maxAbsDiff(m, Array.from({ length: 1000 }, (_, i) => i * 1000 + 499.5))).toBeLessThan(1e-7 * n);
  });
});

describe('scheduling', () => {
  it('dispatches are batched: a chain of 300 ops submits without reading, one read flushes', async () => {
    await fg.init({ backend: 'webgpu' });
    const rt = fg.gpuRuntime();
    const x = fg.full([64], 0.5);
    let y = x;
    for (let i = 0; i < 300; i++) y = fg.tanh(y);
    const v = await y.data();
    let ref = 0.5;
    for (let i = 0; i < 300; i++) ref = Math.tanh(ref);
    expect(Math.abs(v[0]! - ref)).toBeLessThan(1e-5);
    expect(rt.pipelineCount).toBeGreaterThan(0);
    const compiled = rt.pipelineCount;
    fg.tanh(x);
    expect(rt.pipelineCount).toBe(compiled); // the pipeline is cached
  });
});
