// Ops at their edges: vector·vector products, biases of every broadcastable shape, segment ids
// that are not segments, axes that are not integers. Expected values are closed forms.
import { beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';
import type { Backend } from '../engine/backend.js';
import { F32_EPS, initBoth, maxAbsDiff, onBackend } from './helpers.js';

let cpu: Backend;
let gpu: Backend;
beforeAll(async () => ({ cpu, gpu } = await initBoth()));
const both = () => [cpu, gpu];

describe('matmul of two vectors is a scalar (rank 0), as in NumPy and PyTorch', () => {
  it('forward, VJP, JVP and batched tangents', async () => {
    for (const b of both()) {
      const r = onBackend(b, () => {
        const u = fg.tensor([1, 2, 3]);
        const v = fg.tensor([4, -5, 6]);
        const dot = (a: fg.Tensor) => fg.matmul(a, v);
        return {
          y: fg.matmul(u, v),
          // d(u·v)/du = v, d(u·v)/dv = u
          g: fg.grad((a: fg.Tensor, c: fg.Tensor) => fg.matmul(a, c), { argnums: [0, 1] })(u, v) as fg.Tensor[],
          t: fg.jvp(dot, [u], [fg.tensor([1, 0, 1])])[1] as fg.Tensor,
          // batches of tangents and cotangents: jacfwd and jacrev of a scalar of a vector are [3]
          jf: fg.jacfwd(dot)(u),
          jr: fg.jacrev(dot)(u),
          // the mixed cases keep their one remaining axis
          mixed: [fg.matmul(u, fg.ones([3, 2])), fg.matmul(fg.ones([2, 3]), v), fg.matmul(fg.ones([4, 2, 3]), v)].map((m) => m.shape),
        };
      });
      expect(r.y.shape).toEqual([]);
      expect(await r.y.item()).toBe(1 * 4 - 2 * 5 + 3 * 6);
      expect(Array.from(await r.g[0]!.data())).toEqual([4, -5, 6]);
      expect(Array.from(await r.g[1]!.data())).toEqual([1, 2, 3]);
      expect(r.t.shape).toEqual([]);
      expect(await r.t.item()).toBe(4 + 6);
      expect(r.jf.shape).toEqual([3]);
      expect(r.jr.shape).toEqual([3]);
      expect(Array.from(await r.jf.data())).toEqual([4, -5, 6]);
      expect(Array.from(await r.jr.data())).toEqual([4, -5, 6]);
      expect(r.mixed).toEqual([[2], [2], [4, 2]]);
    }
  });
});

describe('linear takes any bias that broadcasts to the output', () => {
  const x = [[1, 2], [3, -1], [0.5, 0]];
  const w = [[0.3, -0.2, 0.1], [0.05, 0.4, -0.3]];
  // z = x·w by hand, row by row
  const xw = x.map((r) => [0, 1, 2].map((j) => r[0]! * w[0]![j]! + r[1]! * w[1]![j]!));
  // [what, bias values, bias shape, which bias entry output entry (i, j) reads]
  const cases: [string, number[], number[], (i: number, j: number) => number][] = [
    ['a scalar', [0.25], [], () => 0],
    ['[1]', [0.25], [1], () => 0],
    ['[1, 3]', [0.1, 0.2, 0.3], [1, 3], (_i, j) => j],
    ['[3, 1] (one per row)', [1, 2, 3], [3, 1], (i) => i],
    ['[3, 3]', [1, 2, 3, 4, 5, 6, 7, 8, 9], [3, 3], (i, j) => i * 3 + j],
  ];
  for (const [what, flat, bs, slot] of cases) {
    it(`${what}: values and gradients of tanh(x·w + b)`, async () => {
      const want = xw.flatMap((r, i) => r.map((z, j) => Math.tanh(z + flat[slot(i, j)]!)));
      // d Σ tanh(z) / db sums 1 − tanh² over the entries each bias entry feeds
      const gWant = new Array(flat.length).fill(0);
      xw.forEach((r, i) => r.forEach((z, j) => (gWant[slot(i, j)] += 1 - Math.tanh(z + flat[slot(i, j)]!) ** 2)));
      for (const b of both()) {
        const bias = onBackend(b, () => fg.tensor(flat, bs));
        const f = (bb: fg.Tensor) => onBackend(b, () => fg.linear(fg.tensor(x), fg.tensor(w), bb, { activation: 'tanh' }));
        const y = f(bias);
        expect(y.shape).toEqual([3, 3]);
        const tol = b === cpu ? 1e-14 : 8 * F32_EPS;
        expect(maxAbsDiff(await y.data(), want)).toBeLessThanOrEqual(tol);
        const g = onBackend(b, () => fg.grad((bb: fg.Tensor) => fg.sum(f(bb)))(bias));
        expect(g.shape).toEqual(bs);
        // a sum of up to 9 terms, each within tol
        expect(maxAbsDiff(await g.data(), gWant)).toBeLessThanOrEqual(tol * 9);
      }
    });
  }
  it('refuses a bias that would grow the output, naming the shapes', () => {
    const xx = fg.ones([3, 2]);
    const ww = fg.ones([2, 4]);
    expect(() => fg.linear(xx, ww, fg.ones([5]))).toThrow(/linear: b must broadcast to the output \[3, 4\] of x·w \(the columns of w are 4\), got b \[5\]/);
    expect(() => fg.linear(xx, ww, fg.ones([2, 3, 4]))).toThrow(fg.ShapeError);
  });
});

describe('segment ids are segments: a negative one is an error, as one past the end is', () => {
  for (const where of ['cpu', 'webgpu'] as const) {
    it(`segmentSum and segmentMean on ${where}`, async () => {
      const b = where === 'cpu' ? cpu : gpu;
      const data = onBackend(b, () => fg.tensor([[1, 2], [3, 4], [5, 6]]));
      // on WebGPU the check happens on the device: the error comes from the next read
      const run = async (f: () => fg.Tensor) => onBackend(b, f).data();
      await expect(run(() => fg.segmentSum(data, [0, -1, 1], 2))).rejects.toThrow(/indices must be integers in \[0, 2\) for an axis of length 2; found -1 at position 1/);
      await expect(run(() => fg.segmentMean(data, [-2, 0, 1], 2))).rejects.toThrow(/indices must be integers in \[0, 2\) for an axis of length 2; found -2 at position 0/);
      await expect(run(() => fg.segmentSum(data, [0, 2, 1], 2))).rejects.toThrow(/found 2 at position 1/);
      // scatterAdd keeps NumPy-style indices: −1 is the last entry
      expect(Array.from(await run(() => fg.scatterAdd(data, [0, -1, 1], 2)))).toEqual([1, 2, 8, 10]);
      expect(Array.from(await run(() => fg.segmentSum(data, [1, 1, 0], 2)))).toEqual([5, 6, 4, 6]);
    });
  }
});

describe('axes must be integers', () => {
  it('sum, mean, max, softmax … of axis 1.5 say "not an integer", not "out of range"', () => {
    const x = fg.ones([2, 3]);
    for (const f of [
      () => fg.sum(x, 1.5),
      () => fg.mean(x, [0, 0.5]),
      () => fg.max(x, 1.5),
      () => fg.norm(x, 1.5),
      () => fg.softmax(x, 1.5),
      () => fg.logSumExp(x, 1.5),
      () => fg.concat([x, x], 0.5),
    ]) {
      expect(f).toThrow(fg.ArgumentError);
      expect(f).toThrow(/axis must be an integer, got (1\.5|0\.5)/);
    }
    expect(() => fg.sum(x, 2)).toThrow(/sum: axis 2 is out of range for a tensor of rank 2/);
  });
});
