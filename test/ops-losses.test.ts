// softmax, logSoftmax, logSumExp, crossEntropy and mseLoss are compositions of ops; here they are
// checked as wholes: gradients against central differences in float64, WebGPU against the
// float64 backend (values and gradients), closed forms, and logits of ±10⁴ (no overflow).
import { beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';
import { F32_EPS, initBoth, maxAbs, maxAbsDiff } from './helpers.js';

beforeAll(async () => {
  await initBoth();
});

const labels = [2, 0, 4];
const cases: [string, (x: fg.Tensor) => fg.Tensor][] = [
  ['softmax', (x) => fg.softmax(x)],
  ['softmax axis 0', (x) => fg.softmax(x, 0)],
  ['logSoftmax', (x) => fg.logSoftmax(x)],
  ['logSumExp', (x) => fg.logSumExp(x, 1)],
  ['logSumExp all, keepDims', (x) => fg.logSumExp(x, null, true)],
  ['crossEntropy', (x) => fg.crossEntropy(x, labels)],
  ['mseLoss', (x) => fg.mseLoss(x, fg.reshape(fg.arange(15), [3, 5]).mul(0.1))],
];
const logits = () => fg.randn([3, 5], { seed: 5, std: 2 });

describe('softmax and losses', () => {
  for (const [name, f] of cases) {
    it(`${name}: gradient equals central differences in float64`, async () => {
      await fg.init({ backend: 'cpu' });
      const report = await fg.gradcheck(f, [logits()]);
      expect(report.pass, JSON.stringify(report.inputs)).toBe(true);
    });

    it(`${name}: WebGPU equals the float64 backend, value and gradient`, async () => {
      const run = async (backend: 'cpu' | 'webgpu') => {
        await fg.init({ backend });
        const x = logits();
        const g = fg.grad((x: fg.Tensor) => fg.sum(fg.mul(f(x), fg.reshape(fg.arange(f(x).size), f(x).shape as number[]))))(x);
        return [await f(x).data(), await g.data()];
      };
      const [vc, gc] = await run('cpu');
      const [vg, gg] = await run('webgpu');
      // a handful of float32 operations on values ≤ ~10, weighted by up to 14: ε times that scale
      expect(maxAbsDiff(vg!, vc!)).toBeLessThanOrEqual(64 * F32_EPS * Math.max(1, maxAbs(vc!)));
      expect(maxAbsDiff(gg!, gc!)).toBeLessThanOrEqual(64 * F32_EPS * 15 * Math.max(1, maxAbs(gc!)));
    });
  }

  for (const backend of ['cpu', 'webgpu'] as const) {
    it(`logits of ±10⁴ give no NaN or infinity on ${backend}, in values or gradients`, async () => {
      await fg.init({ backend });
      const x = fg.tensor([[1e4, -1e4, 0], [-1e4, -1e4, -1e4], [1e4, 1e4, 1e4 - 1]]);
      const outs = [fg.softmax(x), fg.logSoftmax(x), fg.logSumExp(x, 1), fg.crossEntropy(x, [1, 0, 2])];
      for (const o of outs) expect((Array.from(await o.data())).every(Number.isFinite)).toBe(true);
      const sm = await fg.softmax(x).array() as number[][];
      expect(sm[0]).toEqual([1, 0, 0]);
      expect(maxAbsDiff(sm[1]!, [1 / 3, 1 / 3, 1 / 3])).toBeLessThan(1e-6);
      const ls = await fg.logSoftmax(x).array() as number[][];
      expect(ls[0]![1]).toBe(-2e4); // exact: −10⁴ − 10⁴ − log(1 + e^−10⁴)
      const g = fg.grad((x: fg.Tensor) => fg.crossEntropy(x, [1, 0, 2]))(x);
      expect((Array.from(await g.data())).every(Number.isFinite)).toBe(true);
      // ∂CE/∂logits = (softmax − onehot)/batch
      const want = [[1, -1, 0], [1 / 3 - 1, 1 / 3, 1 / 3], [0, 0, 0]].map((r) => r.map((v) => v / 3));
      const e = 1 / (1 + 2 * Math.E); // row 3: softmax of (0, 0, −1) shifted
      want[2] = [Math.E * e, Math.E * e, e - 1].map((v) => v / 3);
      expect(maxAbsDiff(await g.data(), want.flat())).toBeLessThan(1e-6);
    });
  }

  it('closed forms and errors', async () => {
    await fg.init({ backend: 'cpu' });
    // CE of uniform logits is log C; mse of a shift by 2 is 4
    expect(await fg.crossEntropy(fg.zeros([4, 7]), [0, 1, 2, 6]).item()).toBeCloseTo(Math.log(7), 14);
    expect(await fg.mseLoss(fg.ones([2, 3]), fg.full([2, 3], 3)).item()).toBe(4);
    expect(await fg.logSumExp(fg.tensor([Math.log(2), Math.log(3)])).item()).toBeCloseTo(Math.log(5), 14);
    expect(() => fg.crossEntropy(fg.zeros([4, 7]), [0, 1])).toThrow(/crossEntropy: labels \[2\] must have the shape of logits \[4, 7\] without its last \(class\) axis/);
    expect(() => fg.crossEntropy(fg.zeros([2, 3]), [0, 3])).toThrow(/^crossEntropy: indices must be integers in \[0, 3\)/); // the public name, not oneHot
    expect(() => fg.mseLoss(fg.zeros([3]), fg.zeros([3, 1]))).toThrow(/mseLoss: pred \[3\] and target \[3, 1\] must have the same shape/);
  });
});
