import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';
import { F32_EPS, maxAbs, maxAbsDiff, vals, gradcheckTree, expectPass } from './helpers.js';

const M = fg.models;
beforeAll(async () => {
  await fg.init({ backend: 'cpu' });
});
afterAll(async () => {
  await fg.init({ backend: 'cpu' });
});

describe('Neural ODE', () => {
  it('variants: right-hand sides, parameter counts and shapes', async () => {
    const x = fg.randn([5, 3], { seed: 1 });
    const full = M.node({ width: 3, basis: { kind: 'linear' }, steps: 4, seed: 2 });
    expect(full.parameterCount).toBe(2 * 9 + 2 * 3);
    expect(M.node({ width: 3, variant: 'noBias', basis: { kind: 'linear' } }).parameterCount).toBe(2 * 9);
    expect(M.node({ width: 3, variant: 'constant' }).parameterCount).toBe(9 + 3);
    expect(M.node({ width: 4, inputSize: 1, outputSize: 1 }).parameterCount).toBe(5 * 16 + 5 * 4 + 4 + 1);
    expect(full.apply(full.params, x).shape).toEqual([5, 3]);
    // the linear variant with zero weights is the identity map x(T) = x(0)
    const lin = M.node({ width: 3, variant: 'linear', basis: { kind: 'constant' }, steps: 3 });
    const p0 = { W: fg.zeros([1, 3, 3]), b: fg.zeros([1, 3]) };
    expect(maxAbsDiff(await vals(lin.apply(p0, x)), await vals(x))).toBe(0);
    // linear, constant W = aI, b = 0: x(T) = e^{aT}·x; RK4 with 20 steps of h = 0.035: global
    // error ≈ 20·(ah)⁵/120·e^{a}·max|x| ≈ 4e-8 for |x| ≤ 2.5
    const a = 0.7;
    const pa = { W: fg.mul(fg.reshape(fg.eye(3), [1, 3, 3]), a), b: fg.zeros([1, 3]) };
    const ya = await vals(lin.withSolver({ steps: 20 }).apply(pa, x));
    const xe = await vals(x);
    expect(maxAbsDiff(ya, xe.map((v) => v * Math.exp(a)))).toBeLessThan(1e-7);
    // the augmented NODE's extra entries start at zero: its trajectory at t = 0 is the padded input
    const aug = M.node({ width: 3, inputSize: 1, steps: 2 });
    const tr = aug.trajectory(aug.params, fg.tensor([[0.5], [-1]]), { times: [0, 0.5, 1] });
    expect(tr.shape).toEqual([3, 2, 3]);
    expect((await vals(fg.slice(tr, [0], [1])))).toEqual([0.5, 0, 0, -1, 0, 0]);
  });

  it('bad input gives clear errors', () => {
    expect(() => M.node({ width: 2, inputSize: 3 })).toThrow(/node: inputSize 3 is larger than width 2/);
    expect(() => M.node({ width: 2, variant: 'wide' as never })).toThrow(/node: variant must be/);
    expect(() => M.node({ width: 2, method: 'dopri5' as never })).toThrow(/node: method must be one of euler/);
    const m = M.node({ width: 2 });
    expect(() => m.apply(m.params, fg.zeros([4, 3]))).toThrow(/node: input x has shape \[4, 3\], expected \[batch, 2\]/);
    expect(() => m.apply({ W: fg.zeros([2, 2, 2]) }, fg.zeros([4, 2]))).toThrow(/node: params.W has shape \[2, 2, 2\], expected \[5, 2, 2\]/);
    expect(() => M.resnetFromNode(m, 0)).toThrow(/resnetFromNode: L must be an integer ≥ 1/);
  });

  it('every variant’s gradient passes gradcheck in float64; the adjoint agrees with backprop', async () => {
    const x = fg.randn([3, 2], { seed: 4 });
    const y = fg.randn([3, 2], { seed: 5 });
    for (const variant of ['full', 'linear', 'noBias', 'constant'] as const) {
      const m = M.node({ width: 2, variant, basis: { kind: 'piecewiseLinear', intervals: 2 }, steps: 4, seed: 7 });
      const loss = (mm: fg.models.NodeModel) => (p: fg.models.NodeParams) => M.mse(mm.apply(p, x), y);
      expectPass(await gradcheckTree(loss(m), m.params));
      // the continuous adjoint is the exact gradient of the ODE, not of the 4-step solve; at 32
      // RK4 steps (aligned with the kinks of the hat basis) both are within ~h⁴ ≈ 1e-6 of it
      const fine = m.withSolver({ steps: 32 });
      const gb = M.leaves(fg.grad(loss(fine))(m.params)).map((l) => l.tensor);
      const ga = M.leaves(fg.grad(loss(fine.withSolver({ grad: 'adjoint' })))(m.params)).map((l) => l.tensor);
      for (let i = 0; i < gb.length; i++) expect(maxAbsDiff(await vals(ga[i]!), await vals(gb[i]!))).toBeLessThan(1e-5);
    }
    // augmented, with a readout and a Legendre basis
    const aug = M.node({ width: 3, inputSize: 1, outputSize: 1, basis: { kind: 'legendre', degree: 2 }, method: 'midpoint', steps: 3, seed: 8 });
    const xa = fg.tensor([[0.3], [-0.8]]);
    const ya = fg.tensor([[0.1], [0.6]]);
    expectPass(await gradcheckTree((p: fg.models.NodeParams) => M.mse(aug.apply(p, xa), ya), aug.params));
  }, 60_000);

  it('the augmented NODE fits y = x², the plain one cannot', async () => {
    // A 1-D flow map is monotone, and so is a linear readout of it. The best monotone fit of x²
    // on uniform [−1, 1] is max(x², 1/4) on x ≥ −1/2 side: MSE = 0.05625 (isotonic regression);
    // 64 samples move that by a few 1e-3, so the plain NODE must stay above 0.045.
    const ds = M.data.square({ n: 64, seed: 1 });
    const fit = async (width: number) => {
      const model = M.node({ width, inputSize: 1, outputSize: 1, basis: { kind: 'constant' }, steps: 8, seed: 3 });
      const r = await M.train({ model, data: { train: ds }, epochs: 300, batchSize: 64, optimizer: (p) => fg.optim.adam(p, { lr: 0.05 }), logEvery: 50 });
      return (await M.evaluate(model, r.params, ds)).loss;
    };
    const plain = await fit(1);
    const augmented = await fit(3);
    expect(plain).toBeGreaterThan(0.045);
    // measured 9.3e-4 (seeded, deterministic); 5e-3 is ten times below the monotone bound
    expect(augmented).toBeLessThan(5e-3);
  }, 60_000);
});

describe('resnetFromNode', () => {
  const check = async (tol: number) => {
    for (const variant of ['full', 'noBias'] as const) {
      const m = M.node({ width: 3, inputSize: 2, outputSize: 2, variant, basis: { kind: 'piecewiseLinear', intervals: 3 }, T: 1.5, method: 'euler', steps: 7, seed: 11, gain: 2 });
      const x = fg.randn([6, 2], { seed: 12 });
      const r = M.resnetFromNode(m, 7);
      expect(r.layers).toBe(7);
      const a = await vals(r.apply(r.params, x));
      const b = await vals(m.apply(m.params, x));
      expect(maxAbs(a)).toBeGreaterThan(0.1);
      expect(maxAbsDiff(a, b)).toBeLessThan(tol);
    }
  };
  // both evaluate the same fused σ(x·W + b) at the same t_n = nΔt; they differ only in how
  // x + Δt·f is rounded and in t_n's last bit: a few ulps of O(1) values
  it('equals the NODE under explicit Euler with L steps (CPU, float64)', () => check(1e-13));
  it('equals the NODE under explicit Euler with L steps (WebGPU, float32)', async () => {
    await fg.init({ backend: 'webgpu' });
    try {
      // float32: 7 steps of O(1) values, a few ulps each
      await check(50 * F32_EPS);
    } finally {
      await fg.init({ backend: 'cpu' });
    }
  });

  it('its gradient passes gradcheck in float64', async () => {
    const m = M.node({ width: 2, basis: { kind: 'linear' }, seed: 13 });
    const r = M.resnetFromNode(m, 3);
    const x = fg.randn([3, 2], { seed: 14 });
    const y0 = fg.zeros([3, 2]);
    expectPass(await gradcheckTree((p: fg.models.ResnetParams) => M.mse(r.apply(p, x), y0), r.params));
  });
});
