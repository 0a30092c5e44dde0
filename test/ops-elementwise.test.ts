// The elementwise ops through the public API on both backends: values at the points where
// implementations differ (negative bases, kinks, ties, saturation), and the derivative
// conventions there, which the conformance suite (random points) does not reach.
import { beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';
import { initBoth, maxAbsDiff } from './helpers.js';

beforeAll(async () => {
  await initBoth();
});

const flat = async (t: fg.Tensor) => Array.from(await t.data());
const noNaN = (v: number[]) => v.every((x) => !Number.isNaN(x));

for (const backend of ['cpu', 'webgpu'] as const) {
  // float32 results agree with the exact values to a few ulps of numbers ≤ 100
  const tol = backend === 'cpu' ? 1e-12 : 1e-5;

  describe(`elementwise ops on ${backend}`, () => {
    beforeAll(async () => {
      await fg.init({ backend });
    });

    it('pow: integer exponents keep the sign of a negative base, 0⁰ = 1, tensor exponents broadcast', async () => {
      const x = fg.tensor([-2, -0.5, 0, 1.5, 3]);
      expect(maxAbsDiff(await x.pow(2).data(), [4, 0.25, 0, 2.25, 9])).toBeLessThan(tol);
      expect(maxAbsDiff(await x.pow(3).data(), [-8, -0.125, 0, 3.375, 27])).toBeLessThan(tol * 30);
      expect(await flat(fg.pow(x, 0))).toEqual([1, 1, 1, 1, 1]);
      expect(maxAbsDiff(await fg.pow(fg.tensor([[4], [9]]), fg.tensor([0.5, -1])).data(), [2, 0.25, 3, 1 / 9])).toBeLessThan(tol);
      // d/dx x³ = 3x², d²/dx² = 6x: the number exponent differentiates again as a power
      const d2 = fg.grad((x: fg.Tensor) => fg.sum(fg.grad((y: fg.Tensor) => fg.sum(y.pow(3)))(x)))(x);
      expect(maxAbsDiff(await d2.data(), [-12, -3, 0, 9, 18])).toBeLessThan(tol * 30);
      // ∂/∂b aᵇ = aᵇ·log a, and 0 where a ≤ 0 (no NaN)
      const [ga, gb] = fg.grad((a: fg.Tensor, b: fg.Tensor) => fg.sum(fg.pow(a, b)), { argnums: [0, 1] })(fg.tensor([2, 0, -2]), fg.tensor([3, 2, 2]));
      expect(maxAbsDiff(await ga.data(), [12, 0, -4])).toBeLessThan(tol * 10);
      expect(maxAbsDiff(await gb.data(), [8 * Math.log(2), 0, 0])).toBeLessThan(tol * 10);
    });

    it('abs and sign: derivative 0 at 0', async () => {
      const x = fg.tensor([-1.5, 0, 2]);
      expect(await flat(x.abs())).toEqual([1.5, 0, 2]);
      expect(await flat(x.sign())).toEqual([-1, 0, 1]);
      expect(await flat(fg.grad((x: fg.Tensor) => fg.sum(fg.abs(x)))(x))).toEqual([-1, 0, 1]);
    });

    it('maximum and minimum: ties split the derivative half and half', async () => {
      const a = fg.tensor([1, 2, 3]);
      const b = fg.tensor([3, 2, 1]);
      expect(await flat(fg.maximum(a, b))).toEqual([3, 2, 3]);
      expect(await flat(fg.minimum(a, b))).toEqual([1, 2, 1]);
      const [ga, gb] = fg.grad((a: fg.Tensor, b: fg.Tensor) => fg.sum(fg.maximum(a, b)), { argnums: [0, 1] })(a, b);
      expect(await flat(ga)).toEqual([0, 0.5, 1]);
      expect(await flat(gb)).toEqual([1, 0.5, 0]);
      const [gm] = fg.grad((a: fg.Tensor, b: fg.Tensor) => fg.sum(fg.minimum(a, b)), { argnums: [0, 1] })(a, b);
      expect(await flat(gm)).toEqual([1, 0.5, 0]);
      // maximum(x, x) = x has derivative exactly 1
      expect(await flat(fg.grad((x: fg.Tensor) => fg.sum(fg.maximum(x, x)))(a))).toEqual([1, 1, 1]);
    });

    it('where: selects with broadcasting; no NaN leaks from the branch not taken', async () => {
      const x = fg.tensor([-1, -2, 4]);
      const cond = fg.tensor([0, 0, 1]);
      expect(await flat(fg.where(cond, x, fg.tensor(7)))).toEqual([7, 7, 4]);
      expect(await fg.where(fg.tensor([[1], [0]]), fg.tensor([1, 2]), 0).array()).toEqual([[1, 2], [0, 0]]);
      // log(x) is NaN for x < 0, where the other branch is taken: no NaN in the value or the gradient.
      // (A branch whose own derivative rule is infinite where not taken, sqrt at 0, still gives
      // 0·∞: guard its input, as with jnp.where.)
      const f = (x: fg.Tensor) => fg.sum(fg.where(cond, fg.log(x), fg.square(x)));
      expect(await f(x).item()).toBeCloseTo(1 + 4 + Math.log(4), backend === 'cpu' ? 12 : 5);
      const g = fg.grad(f)(x);
      expect(maxAbsDiff(await g.data(), [-2, -4, 0.25])).toBeLessThan(tol);
      const [, t] = fg.jvp((a: fg.Tensor) => fg.where(cond, a, 0), [x], [fg.tensor([1, 1, 1])]);
      expect(await flat(t)).toEqual([0, 0, 1]);
    });

    it('clip: derivative 1 on the closed interval, 0 outside; one-sided bounds; bad bounds', async () => {
      const x = fg.tensor([-2, -1, 0, 1, 2]);
      expect(await flat(x.clip(-1, 1))).toEqual([-1, -1, 0, 1, 1]);
      expect(await flat(fg.clip(x, 0))).toEqual([0, 0, 0, 1, 2]);
      expect(await flat(fg.grad((x: fg.Tensor) => fg.sum(fg.clip(x, -1, 1)))(x))).toEqual([0, 1, 1, 1, 0]);
      expect(() => fg.clip(x, 1, -1)).toThrow(/clip: bounds must be numbers with lo ≤ hi, got lo = 1, hi = -1/);
    });

    it('activations: softplus saturates without overflow; gelu is the tanh form; kinks take the left derivative', async () => {
      const big = fg.tensor([-100, -20, 0, 20, 100]);
      const sp = await flat(fg.softplus(big));
      const exact = [-100, -20, 0, 20, 100].map((v) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v))));
      expect(maxAbsDiff(sp, exact)).toBeLessThan(tol * 100);
      // relative accuracy far out on the left tail (log1p, not log(1 + tiny), which gives 0 in float32)
      expect(Math.abs(sp[1]! / exact[1]! - 1)).toBeLessThan(backend === 'cpu' ? 1e-12 : 1e-5);
      expect(noNaN(await flat(fg.grad((x: fg.Tensor) => fg.sum(fg.softplus(x)))(big)))).toBe(true);
      // tanh-form GELU at 1 is 0.841192 (the erf form would give 0.841345)
      const g = await flat(fg.gelu(fg.tensor([1, -100, 100])));
      expect(Math.abs(g[0]! - 0.8411919906082768)).toBeLessThan(tol);
      expect(maxAbsDiff(g.slice(1), [0, 100])).toBeLessThan(tol);
      expect(maxAbsDiff(await fg.silu(fg.tensor([0, 1])).data(), [0, 1 / (1 + Math.exp(-1))])).toBeLessThan(tol);
      const z = fg.tensor([-1, 0, 1]);
      expect(maxAbsDiff(await fg.elu(z).data(), [Math.expm1(-1), 0, 1])).toBeLessThan(tol);
      expect(maxAbsDiff(await fg.leakyRelu(z, 0.1).data(), [-0.1, 0, 1])).toBeLessThan(tol);
      expect(maxAbsDiff(await fg.grad((x: fg.Tensor) => fg.sum(fg.elu(x, 0.5)))(z).data(), [0.5 * Math.exp(-1), 0.5, 1])).toBeLessThan(tol);
      expect(maxAbsDiff(await fg.grad((x: fg.Tensor) => fg.sum(fg.leakyRelu(x, 0.1)))(z).data(), [0.1, 0.1, 1])).toBeLessThan(tol);
      expect(maxAbsDiff(await fg.sin(fg.tensor([0, Math.PI / 2])).data(), [0, 1])).toBeLessThan(tol);
      expect(maxAbsDiff(await fg.grad((x: fg.Tensor) => fg.sum(fg.cos(x)))(fg.tensor([Math.PI / 2])).data(), [-1])).toBeLessThan(tol);
    });
  });
}
