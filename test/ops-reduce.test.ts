// Reductions through the public API: max/min/argmax and their tie rule, several axes at once,
// norms and their derivative at 0, long axes (the two-pass WebGPU reduction) against the
// float64 reference and closed forms up to 10⁷ elements, and an output too large for the adapter.
import { beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';
import { normalArray } from '../engine/random.js';
import { F32_EPS, initBoth, maxAbs, maxAbsDiff } from './helpers.js';

beforeAll(async () => {
  await initBoth();
});

const flat = async (t: fg.Tensor) => Array.from(await t.data());

for (const backend of ['cpu', 'webgpu'] as const) {
  // small integers and their sums are exact in float32; other values to a few ulps
  const tol = backend === 'cpu' ? 1e-12 : 1e-5;

  describe(`reductions on ${backend}`, () => {
    beforeAll(async () => {
      await fg.init({ backend });
    });

    it('max, min, argmax, argmin; the derivative goes to the first of tied extrema', async () => {
      const x = fg.tensor([[1, 5, 5], [7, 0, 7], [-1, -1, -3]]);
      expect(await flat(x.max(1))).toEqual([5, 7, -1]);
      expect(await flat(x.min(0))).toEqual([-1, -1, -3]);
      expect(await flat(x.argmax(1))).toEqual([1, 0, 0]);
      expect(await flat(x.argmin(1))).toEqual([0, 1, 2]);
      expect(await flat(x.argmax())).toEqual([3]);
      expect(await x.max(null, true).array()).toEqual([[7]]);
      expect(await x.max().item()).toBe(7);
      expect(await fg.grad((x: fg.Tensor) => fg.sum(x.max(1)))(x).array()).toEqual([[0, 1, 0], [1, 0, 0], [1, 0, 0]]);
      expect(await fg.grad((x: fg.Tensor) => x.max())(x).array()).toEqual([[0, 0, 0], [1, 0, 0], [0, 0, 0]]);
      expect(await fg.grad((x: fg.Tensor) => fg.sum(x.min(0)))(x).array()).toEqual([[0, 0, 0], [0, 0, 0], [1, 1, 1]]);
      // forward mode routes the tangent from the same position
      const [, t] = fg.jvp((x: fg.Tensor) => x.max(1), [x], [fg.reshape(fg.arange(9), [3, 3])]);
      expect(await flat(t)).toEqual([1, 3, 6]);
      expect(() => fg.max(fg.zeros([2, 0]), 1)).toThrow(/max: the reduced axis of x \[2, 0\] is empty/);
    });

    it('sum, mean, max, min and norm over several axes (adjacent or not)', async () => {
      const v = Array.from({ length: 24 }, (_, i) => ((i * 7) % 11) - 5);
      const x = fg.tensor(v, [2, 3, 4]);
      const at = (i: number, j: number, k: number) => v[i * 12 + j * 4 + k]!;
      const over = (keep: 'i' | 'j' | 'k', f: (xs: number[]) => number) =>
        [0, 1, 2, 3].slice(0, keep === 'i' ? 2 : keep === 'j' ? 3 : 4).map((c) => {
          const xs: number[] = [];
          for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) if ((keep === 'i' ? i : keep === 'j' ? j : k) === c) xs.push(at(i, j, k));
          return f(xs);
        });
      const total = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
      expect(await flat(fg.sum(x, [1, 2]))).toEqual(over('i', total));
      expect(await flat(fg.sum(x, [0, -1]))).toEqual(over('j', total));
      expect(maxAbsDiff(await fg.mean(x, [0, 2]).data(), over('j', (xs) => total(xs) / 8))).toBeLessThan(tol);
      expect(await flat(fg.max(x, [0, 1]))).toEqual(over('k', (xs) => Math.max(...xs)));
      expect(await flat(fg.min(x, [0, 2]))).toEqual(over('j', (xs) => Math.min(...xs)));
      expect(maxAbsDiff(await fg.norm(x, [0, 2]).data(), over('j', (xs) => Math.hypot(...xs)))).toBeLessThan(tol * 10);
      expect(fg.sum(x, [0, 2], true).shape).toEqual([1, 3, 1]);
      expect(() => fg.sum(x, [1, -2])).toThrow(/sum: axes \[1, -2\] name an axis twice/);
      // the gradient of max over [0, 2] goes to the first maximum in row-major order of (i, k)
      const g = await flat(fg.grad((x: fg.Tensor) => fg.sum(fg.max(x, [0, 2])))(x));
      for (let j = 0; j < 3; j++) {
        const m = Math.max(...over('j', (xs) => Math.max(...xs)).slice(j, j + 1));
        let first = -1;
        for (let i = 0; i < 2 && first < 0; i++) for (let k = 0; k < 4; k++) if (at(i, j, k) === m) { first = i * 12 + j * 4 + k; break; }
        for (let i = 0; i < 2; i++) for (let k = 0; k < 4; k++) expect(g[i * 12 + j * 4 + k]).toBe(i * 12 + j * 4 + k === first ? 1 : 0);
      }
    });

    it('norm: ord 2, 1 and ∞; derivative 0 (not NaN) at 0', async () => {
      const x = fg.tensor([[3, -4], [0, 0]]);
      expect(maxAbsDiff(await x.norm(1).data(), [5, 0])).toBeLessThan(tol);
      expect(maxAbsDiff(await fg.norm(x, 1, false, 1).data(), [7, 0])).toBeLessThan(tol);
      expect(maxAbsDiff(await fg.norm(x, 1, false, Infinity).data(), [4, 0])).toBeLessThan(tol);
      expect(maxAbsDiff(await x.norm().data(), [5])).toBeLessThan(tol);
      for (const ord of [1, 2, Infinity] as const) {
        const g = await flat(fg.grad((x: fg.Tensor) => fg.sum(fg.norm(x, 1, false, ord)))(x));
        const want = ord === 2 ? [0.6, -0.8, 0, 0] : ord === 1 ? [1, -1, 0, 0] : [0, -1, 0, 0]; // |x| routes through sign(0) = 0
        expect(maxAbsDiff(g, want)).toBeLessThan(tol);
      }
      // second derivative at 0 is finite too (the guard is a where, not a mask)
      const h = fg.hvp((x: fg.Tensor) => fg.sum(fg.norm(x, 1)), fg.tensor([[3, -4], [0, 0]]), fg.ones([2, 2]));
      expect((await flat(h)).every(Number.isFinite)).toBe(true);
      expect(() => fg.norm(x, 1, false, 3 as never)).toThrow(/norm: ord must be 1, 2 or Infinity, got 3/);
    });
  });
}

describe('long axes on WebGPU (two-pass reduction) against the float64 reference', () => {
  const cases: [number[], number | null][] = [
    [[20011], null], // one output: 4 chunks of ~5000
    [[3, 50021], 1], // few outputs, inner 1
    [[40009, 3], 0], // few outputs, inner 3 (strided)
    [[5000, 70], 0], // many short outputs: one thread each
  ];
  for (const [shape, axis] of cases) {
    it(`sum, max, min, argmax, norm of ${JSON.stringify(shape)} along ${axis}`, async () => {
      const n = shape.reduce((a, b) => a * b, 1);
      const v = normalArray(n, 42).map(Math.fround);
      await fg.init({ backend: 'cpu' });
      const xc = fg.tensor(v, shape);
      await fg.init({ backend: 'webgpu' });
      const xg = fg.tensor(v, shape);
      const len = axis === null ? n : shape[axis]!;
      for (const f of [fg.sum, fg.max, fg.min, fg.argmax, fg.norm] as ((x: fg.Tensor, a: number | null) => fg.Tensor)[]) {
        const ref = await f(xc, axis).data();
        const out = await f(xg, axis).data();
        // float32 summation error grows at most like ε·len·max|x| (the tree makes it ~ε·√len);
        // max, min and argmax are exact (the inputs are float32 numbers)
        const bound = f === fg.sum || f === fg.norm ? 4 * F32_EPS * len * maxAbs(v) : 0;
        expect(maxAbsDiff(out, ref), f.name).toBeLessThanOrEqual(bound);
      }
    });
  }

  it('10⁷ elements: sum of ones, max and argmax of arange, norm of ones (closed forms)', async () => {
    await fg.init({ backend: 'webgpu' });
    const n = 1e7;
    const ones = fg.broadcastTo(fg.tensor(1), [n]); // made on the device, no host array
    const r = fg.arange(n);
    // integers below 2²⁴ and their partial sums are exact in float32
    expect(await fg.sum(ones).item()).toBe(n);
    expect(await fg.mean(ones).item()).toBe(1);
    expect(await fg.max(r).item()).toBe(n - 1);
    expect(await fg.min(r).item()).toBe(0);
    expect(await fg.argmax(r).item()).toBe(n - 1);
    expect(await fg.argmin(fg.neg(r)).item()).toBe(n - 1);
    expect(Math.abs((await fg.norm(ones).item()) - Math.sqrt(n))).toBeLessThan(Math.sqrt(n) * F32_EPS * 2); // sqrt of an exact sum: ≤ 1 ulp
    ones.dispose();
    r.dispose();
  });

  it('an output larger than the adapter allows is an error naming the op and the limit', async () => {
    await fg.init({ backend: 'webgpu' });
    const limit = fg.gpuRuntime().limits.maxStorageBufferBindingSize;
    const side = Math.ceil(Math.sqrt(limit / 4 + 1)); // side² floats exceed the limit
    const before = fg.memory();
    expect(() => fg.broadcastTo(fg.tensor(0), [side, side])).toThrow(
      new RegExp(`broadcastTo: its output \\[${side}, ${side}\\] needs ${side * side * 4} bytes, more than this adapter's maxStorageBufferBindingSize \\(${limit} bytes\\)`),
    );
    expect(() => fg.broadcastTo(fg.tensor(0), [side, side])).toThrow(fg.ArgumentError);
    expect(fg.memory().buffers).toBeLessThanOrEqual(before.buffers + 2); // the two scalars, nothing else
    expect(await fg.tensor([1, 2]).sum().item()).toBe(3); // the device still works
  });
});
