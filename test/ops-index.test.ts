// gather, scatterAdd, segmentSum/Mean and oneHot through the public API on both backends:
// values against hand-written results, gradients, many updates into few targets (the atomic
// adds of the WebGPU scatter), and the index errors of the float64 reference.
import { beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';
import { initBoth } from './helpers.js';

beforeAll(async () => {
  await initBoth();
});

// every value is a small integer, exact in float32: results must match exactly
const flat = async (t: fg.Tensor) => Array.from(await t.data());

for (const backend of ['cpu', 'webgpu'] as const) {
  describe(`index ops on ${backend}`, () => {
    beforeAll(async () => {
      await fg.init({ backend });
    });

    it('gather takes rows or columns (negative indices from the end); its gradient adds repeats', async () => {
      const x = fg.tensor([[1, 2, 3], [4, 5, 6]]);
      expect(await fg.gather(x, [1, 0, 1]).array()).toEqual([[4, 5, 6], [1, 2, 3], [4, 5, 6]]);
      expect(await x.gather(fg.tensor([[2, -3]]), 1).array()).toEqual([[[3, 1]], [[6, 4]]]);
      expect(await fg.gather(fg.tensor([5, 6, 7]), fg.tensor(2)).array()).toEqual(7);
      const g = fg.grad((x: fg.Tensor) => fg.sum(fg.mul(fg.gather(x, [1, 0, 1]), fg.tensor([[1], [10], [100]]))))(x);
      expect(await g.array()).toEqual([[10, 10, 10], [101, 101, 101]]);
      const [, t] = fg.jvp((x: fg.Tensor) => fg.gather(x, [2, 2], 1), [x], [fg.tensor([[0, 0, 1], [0, 0, 2]])]);
      expect(await t.array()).toEqual([[1, 1], [2, 2]]);
    });

    it('scatterAdd, segmentSum and segmentMean sum into their targets', async () => {
      const u = fg.tensor([[1, 1], [2, 2], [3, 3], [4, 4]]);
      expect(await fg.scatterAdd(u, [2, 0, 2, -1], 3).array()).toEqual([[2, 2], [0, 0], [8, 8]]);
      expect(await fg.scatterAdd(u, [1, 0], 3, 1).array()).toEqual([[1, 1, 0], [2, 2, 0], [3, 3, 0], [4, 4, 0]]);
      expect(await fg.segmentSum(u, [0, 0, 1, 3], 4).array()).toEqual([[3, 3], [3, 3], [0, 0], [4, 4]]);
      expect(await fg.segmentMean(u, [0, 0, 1, 3], 4).array()).toEqual([[1.5, 1.5], [3, 3], [0, 0], [4, 4]]);
      const g = fg.grad((u: fg.Tensor) => fg.sum(fg.mul(fg.segmentSum(u, [0, 0, 1, 3], 4), fg.tensor([[1], [2], [3], [4]]))))(u);
      expect(await g.array()).toEqual([[1, 1], [1, 1], [2, 2], [4, 4]]);
    });

    it('100 000 updates into 3 targets add up exactly', async () => {
      const n = 100_000;
      const ids = Array.from({ length: n }, (_, j) => j % 3);
      const sums = await flat(fg.scatterAdd(fg.broadcastTo(fg.tensor(1), [n]), ids, 3));
      // sums of ones below 2²⁴ are exact in float32, whatever the order of the adds
      expect(sums).toEqual([33334, 33333, 33333]);
    });

    it('oneHot marks classes along a new axis', async () => {
      expect(await fg.oneHot([2, 0], 3).array()).toEqual([[0, 0, 1], [1, 0, 0]]);
      expect(await fg.oneHot(fg.tensor([1, 0]), 2, 0).array()).toEqual([[0, 1], [1, 0]]);
    });
  });
}

describe('index errors', () => {
  it('the float64 reference rejects indices out of range or not integers, naming the op', async () => {
    await fg.init({ backend: 'cpu' });
    const x = fg.zeros([3, 2]);
    expect(() => fg.gather(x, [0, 3])).toThrow(/gather: indices must be integers in \[-3, 3\) for axis 0 of x \[3, 2\]; found 3 at position 1/);
    expect(() => fg.gather(x, [0.5])).toThrow(/gather: indices must be integers .* found 0.5 at position 0/);
    expect(() => fg.scatterAdd(x, [0, 1, 9], 4)).toThrow(/scatterAdd: indices must be integers in \[-4, 4\) .* found 9 at position 2/);
    expect(() => fg.oneHot([-1], 3)).toThrow(/oneHot: indices must be integers in \[0, 3\) for depth 3; found -1/);
    expect(() => fg.scatterAdd(x, [0, 1], 4)).toThrow(/scatterAdd: updates \[3, 2\] must hold the shape of indices \[2\] at axis 0/);
    expect(() => fg.gather(x, [0], 2)).toThrow(/gather: axis 2 is out of range for a tensor of rank 2/);
  });
});
