// Transforms against closed forms: grad over trees and argnums, grad of grad, Hessians by
// forward-over-reverse and by jacfwd(grad), Jacobians both ways, and their errors.
import { beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';
import { initBoth, maxAbsDiff } from './helpers.js';

beforeAll(async () => {
  await initBoth();
});

for (const backend of ['cpu', 'webgpu'] as const) {
  // float64 results are exact to round-off; float32 to a few ε of the values involved (≤ 50)
  const tol = backend === 'cpu' ? 1e-12 : 5e-5;

  describe(`transforms on ${backend}`, () => {
    beforeAll(async () => {
      await fg.init({ backend });
    });

    it('grad over a tree of parameters, with argnums', async () => {
      const params = { w: fg.tensor([[1, 2], [3, 4]]), b: [fg.tensor([0.5, -1])] };
      const x = fg.tensor([1, -2]);
      // loss = Σ (W x + b)²  →  ∂/∂W = 2 r xᵀ, ∂/∂b = 2 r, ∂/∂x = 2 Wᵀ r
      const loss = (p: typeof params, x: fg.Tensor) => fg.sum(fg.square(fg.add(fg.matmul(p.w, x), p.b[0]!)));
      const [gp, gx] = fg.grad(loss, { argnums: [0, 1] })(params, x);
      const r = [1 * 1 + 2 * -2 + 0.5, 3 * 1 + 4 * -2 - 1]; // [-2.5, -6]
      expect(maxAbsDiff(await gp.w.data(), [2 * r[0]! * 1, 2 * r[0]! * -2, 2 * r[1]! * 1, 2 * r[1]! * -2])).toBeLessThan(tol * 10);
      expect(maxAbsDiff(await gp.b[0].data(), [2 * r[0]!, 2 * r[1]!])).toBeLessThan(tol * 10);
      expect(maxAbsDiff(await gx.data(), [2 * (1 * r[0]! + 3 * r[1]!), 2 * (2 * r[0]! + 4 * r[1]!)])).toBeLessThan(tol * 100);
      const [value] = fg.valueAndGrad(loss)(params, x);
      expect(await value.item()).toBeCloseTo(r[0]! ** 2 + r[1]! ** 2, backend === 'cpu' ? 12 : 4);
    });

    it('grad of grad: d²/dx² x³ = 6x and d³/dx³ = 6', async () => {
      const f = (x: fg.Tensor) => fg.sum(fg.mul(fg.square(x), x));
      const x = fg.tensor([0.5, -1.5, 2]);
      const d2 = fg.grad((x: fg.Tensor) => fg.sum(fg.grad(f)(x)))(x);
      expect(maxAbsDiff(await d2.data(), [3, -9, 12])).toBeLessThan(tol * 10);
      const d3 = fg.grad((x: fg.Tensor) => fg.sum(fg.grad((y: fg.Tensor) => fg.sum(fg.grad(f)(y)))(x)))(x);
      expect(maxAbsDiff(await d3.data(), [6, 6, 6])).toBeLessThan(tol * 10);
    });

    it('Hessian of a closed-form function by hvp and by jacfwd(grad(f))', async () => {
      // f(x) = Σ tanh(x)·x₀ + x₁² x₂ ; analytic Hessian below
      const x0 = [0.3, -0.7, 1.1];
      const f = (x: fg.Tensor) => {
        const [a, b, c] = [0, 1, 2].map((i) => fg.reshape(fg.matmul(fg.tensor([[0, 0, 0].map((_, j) => (j === i ? 1 : 0))]), fg.reshape(x, [3, 1])), []));
        return fg.add(fg.mul(fg.sum(fg.tanh(x)), a!), fg.mul(fg.square(b!), c!));
      };
      const t = x0.map(Math.tanh);
      const s = x0.map((_, i) => 1 - t[i]! ** 2); // tanh'
      const s2 = x0.map((_, i) => -2 * t[i]! * s[i]!); // tanh''
      const a = x0[0]!;
      const H = [
        [2 * s[0]! + a * s2[0]!, s[1]!, s[2]!],
        [s[1]!, a * s2[1]! + 2 * x0[2]!, 2 * x0[1]!],
        [s[2]!, 2 * x0[1]!, a * s2[2]!],
      ];
      const x = fg.tensor(x0);
      const Hfwd = await fg.jacfwd(fg.grad(f))(x).data();
      expect(maxAbsDiff(Hfwd, H.flat())).toBeLessThan(tol * 10);
      for (let j = 0; j < 3; j++) {
        const e = fg.tensor([0, 1, 2].map((i) => (i === j ? 1 : 0)));
        const col = await fg.hvp(f, x, e).data();
        expect(maxAbsDiff(col, H.map((row) => row[j]!))).toBeLessThan(tol * 10);
      }
      const Hrev = await fg.jacrev(fg.grad(f))(x).data();
      expect(maxAbsDiff(Hrev, H.flat())).toBeLessThan(tol * 10);
    });

    it('jacfwd and jacrev of a layer equal the closed form diag(1 − y²) W', async () => {
      const W = fg.tensor([[0.5, -1, 2], [1.5, 0.25, -0.5]]);
      const x = fg.tensor([0.2, -0.4, 0.9]);
      const f = (x: fg.Tensor) => fg.tanh(fg.matmul(W, x));
      const y = await f(x).data();
      const w = await W.data();
      const J = [0, 1].flatMap((i) => [0, 1, 2].map((j) => (1 - y[i]! ** 2) * w[i * 3 + j]!));
      const jf = fg.jacfwd(f)(x);
      expect(jf.shape).toEqual([2, 3]);
      expect(maxAbsDiff(await jf.data(), J)).toBeLessThan(tol * 10);
      expect(maxAbsDiff(await fg.jacrev(f)(x).data(), J)).toBeLessThan(tol * 10);
    });

    it('vjp with several outputs and a reusable pullback; jvp of an independent output is zero', async () => {
      const x = fg.tensor([1, 2, 3]);
      const [out, pull] = fg.vjp((x: fg.Tensor) => [fg.sum(x), fg.mul(x, x)], x);
      expect(await out[0].item()).toBe(6);
      const [g1] = pull([fg.tensor(2), fg.tensor([1, 0, 1])]);
      expect(Array.from(await g1.data())).toEqual([2 + 2, 2, 2 + 6]);
      const [g2] = pull([fg.tensor(0), fg.tensor([0, 1, 0])]);
      expect(Array.from(await g2.data())).toEqual([0, 4, 0]);
      pull.dispose();
      const [, t] = fg.jvp(() => fg.ones([2]), [x], [fg.ones([3])]);
      expect(Array.from(await t.data())).toEqual([0, 0]);
    });

    it('stopGradient blocks the derivative in both modes', async () => {
      const x = fg.tensor([2]);
      const g = fg.grad((x: fg.Tensor) => fg.sum(fg.mul(x, fg.stopGradient(x))))(x);
      expect(await g.item()).toBe(2);
    });

    it('errors: grad of a non-scalar, bad argnums, traced values used after their transform', () => {
      const x = fg.tensor([1, 2]);
      expect(() => fg.grad((x: fg.Tensor) => fg.mul(x, 2))(x)).toThrow(/grad.*f must return one scalar tensor.*\[2\]/);
      expect(() => fg.grad((x: fg.Tensor) => fg.sum(x), { argnums: 3 })(x)).toThrow(/argnums 3 out of range for 1 argument/);
      let leaked: fg.Tensor | null = null;
      fg.grad((x: fg.Tensor) => ((leaked = fg.mul(x, 2)), fg.sum(x)))(x);
      expect(() => fg.add(leaked!, 1)).toThrow(fg.FlowgradError);
      expect(() => fg.jvp((x: fg.Tensor) => x, [x], [fg.ones([3])])).toThrow(/jvp: tangent \[3\] does not match primal \[2\]/);
    });

    it('gradcheck reports pass on a correct gradient and fail on a wrong one', async () => {
      const x = fg.randn([4, 3], { seed: 3 });
      const good = await fg.gradcheck((x) => fg.sum(fg.tanh(fg.matmul(x, fg.transpose(x)))), [x], { backend });
      expect(good.pass).toBe(true);
      expect(good.dtype).toBe(backend === 'cpu' ? 'float64' : 'float32');
      expect(good.method).toMatch(/step h = ε\^\(1\/3\)/);
      // a function whose gradient is wrong on purpose: stopGradient hides half of x·x
      const bad = await fg.gradcheck((x) => fg.sum(fg.mul(x, fg.stopGradient(x))), [x], { backend });
      expect(bad.pass).toBe(false);
      expect(bad.inputs[0]!.maxAbsError).toBeGreaterThan(0.1);
    });

    it('memory is released: grad leaves no intermediates behind', async () => {
      const W = fg.randn([16, 16], { seed: 1 });
      const x = fg.randn([16, 8], { seed: 2 });
      const loss = (W: fg.Tensor) => fg.mean(fg.square(fg.tanh(fg.matmul(W, fg.tanh(fg.matmul(W, x))))));
      const step = () => fg.tidy(() => void fg.grad(loss)(W));
      step(); // warm-up fills the pool
      const before = fg.memory();
      for (let i = 0; i < 20; i++) step();
      expect(fg.memory()).toEqual(before);
      const g = fg.grad(loss)(W); // outside tidy: only the gradient survives
      expect(fg.memory().buffers).toBe(before.buffers + 1);
      g.dispose();
      expect(fg.memory()).toEqual(before);
    });
  });
}

describe('gradcheck of a function that closes over WebGPU tensors', () => {
  it('runs on WebGPU and says so, instead of failing on mixed backends', async () => {
    await fg.init({ backend: 'webgpu' });
    const data = fg.randn([3, 5], { seed: 9 });
    const W = fg.randn([4, 3], { seed: 10 });
    const report = await fg.gradcheck((W) => fg.mean(fg.tanh(fg.matmul(W, data))), [W]);
    expect(report.backend).toBe('webgpu');
    expect(report.method).toMatch(/f uses tensors on webgpu, so the check ran there/);
    expect(report.pass).toBe(true);
    await expect(fg.gradcheck((W) => fg.mean(fg.matmul(W, data)), [W], { backend: 'cpu' })).rejects.toThrow(/matmul: argument b is on the webgpu backend/);
  });
});

describe('gradcheck at a kink', () => {
  it('counts elements where f has a kink within ±h instead of failing them; smooth errors still fail', async () => {
    await fg.init({ backend: 'cpu' });
    const x = fg.tensor([0, 0.5, -0.5]); // relu's kink at exactly 0
    const r = await fg.gradcheck((x) => fg.sum(fg.relu(x)), [x]);
    expect(r.pass).toBe(true);
    expect(r.inputs[0]!.kinks).toBe(1);
    expect(r.inputs[0]!.checked).toBe(2);
    // a wrong gradient away from kinks is not excused
    const bad = await fg.gradcheck((x) => fg.sum(fg.mul(fg.relu(x), fg.stopGradient(x))), [fg.tensor([0.5, 1.5])]);
    expect(bad.pass).toBe(false);
    expect(bad.inputs[0]!.kinks).toBe(0);
  });
});

describe('customVjp', () => {
  it('uses its own rule in reverse mode and goes through forward in forward mode', async () => {
    await fg.init({ backend: 'cpu' });
    // forward computes x², the rule claims 3x (deliberately not 2x, so that the test can tell)
    const sq = fg.customVjp('sq', (x) => fg.square(x), ([x], _y, g) => [fg.mul(g, fg.mul(x!, 3))]);
    const x = fg.tensor([1, 2]);
    expect(Array.from(await sq(x).data())).toEqual([1, 4]);
    expect(Array.from(await fg.grad((x: fg.Tensor) => fg.sum(sq(x)))(x).data())).toEqual([3, 6]);
    const [, t] = fg.jvp(sq, [x], [fg.ones([2])]);
    expect(Array.from(await t.data())).toEqual([2, 4]);
    // grad of grad differentiates the rule: d/dx Σ 3x·x ... = 6x for the rule's own derivative
    const d2 = fg.grad((x: fg.Tensor) => fg.sum(fg.mul(fg.grad((y: fg.Tensor) => fg.sum(sq(y)))(x), x)))(x);
    expect(Array.from(await d2.data())).toEqual([6, 12]);
    // jacrev maps the rule over the rows of the identity (vmap), one cotangent per member
    expect(await fg.jacrev(sq)(x).array()).toEqual([[3, 0], [0, 6]]);
  });
});
