import { beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';
import { maxAbsDiff, vals } from './helpers.js';

const M = fg.models;
beforeAll(async () => {
  await fg.init({ backend: 'cpu' });
  probe = fg.tensor(ds.x.slice(0, 32), [16, 2]);
});

// f(x) = xᵀx in 2-D, full batch, seeded: deterministic on the float64 CPU backend
const ds = M.data.quadratic({ d: 2, n: 64, seed: 1 });
let probe: fg.Tensor;

async function fit(opts: fg.models.ContinuousNetOptions, epochs = 150, params?: fg.models.ContinuousNetParams) {
  const model = M.continuousNet(opts);
  const start = params ?? model.params;
  const before = (await M.evaluate(model, start, ds)).loss;
  const r = await M.train({ model, params: start, data: { train: ds }, epochs, batchSize: 64, optimizer: (p) => fg.optim.adam(p, { lr: 0.03 }), logEvery: 50 });
  const after = (await M.evaluate(model, r.params, ds)).loss;
  return { model, params: r.params, before, after };
}

describe('ContinuousNet', () => {
  it('its gradient passes gradcheck in float64 (two blocks, readout)', async () => {
    const m = M.continuousNet({ inputSize: 2, width: 3, outputSize: 1, blocks: 2, basis: { kind: 'legendre', degree: 1 }, method: 'rk38', steps: 2, seed: 9 });
    const x = fg.tensor([[0.2, -0.4], [0.9, 0.1]]);
    const y = fg.tensor([[0.3], [-0.2]]);
    const ls = M.leaves(m.params).map((l) => l.tensor);
    const rebuild = (ts: fg.Tensor[]) => {
      let k = 0;
      return M.mapTree(m.params, () => ts[k++]!);
    };
    const report = await fg.gradcheck((...ts) => M.mse(m.apply(rebuild(ts), x), y), ls, { maxElements: 24 });
    expect(report.inputs.filter((r) => !r.pass)).toEqual([]);
  });

  it('trained with RK4 at 8 steps: remanifests at 16 and 32 steps, converges at order ≈ 4', async () => {
    const { model, params, before, after } = await fit({ inputSize: 2, width: 4, outputSize: 1, basis: { kind: 'linear' }, method: 'rk4', steps: 8, seed: 3 });
    // measured 0.40 → 0.071 in 150 full-batch Adam steps
    expect(after).toBeLessThan(before / 4);
    const y8 = await vals(model.apply(params, probe));
    for (const steps of [16, 32]) {
      const y = await vals(model.remanifest({ steps }).apply(params, probe));
      // RK4's global error at 8 steps of this smooth W(t): measured 1e-5 against a fine solve
      expect(maxAbsDiff(y, y8)).toBeLessThan(1e-4);
    }
    // another scheme of the same order gives the same function
    expect(maxAbsDiff(await vals(model.remanifest({ method: 'rk38', steps: 32 }).apply(params, probe)), y8)).toBeLessThan(1e-4);
    const c = await M.convergence(model, params, probe);
    expect(c.steps).toEqual([1, 2, 4, 8, 16, 32, 64]);
    // the fitted slope over 1 … 64 steps: measured 4.06; the pre-asymptotic first points move it a little
    expect(c.order).toBeGreaterThan(3.5);
    expect(c.order).toBeLessThan(4.5);
    // the same net under Euler: order 1 (measured 0.95)
    const e = await M.convergence(model, params, probe, { method: 'euler' });
    expect(Math.abs(e.order - 1)).toBeLessThan(0.25);
  }, 60_000);

  it('a net trained as a plain discrete map (K = L = 8, Euler) shows no integrator order (a near-flat curve)', async () => {
    const { model, params, before, after } = await fit({ inputSize: 2, width: 4, outputSize: 1, basis: { kind: 'piecewiseConstant', intervals: 8 }, method: 'euler', steps: 8, seed: 3 });
    expect(after).toBeLessThan(before / 4);
    const c = await M.convergence(model, params, probe, { method: 'rk4' });
    // Its W(t) jumps at every layer, so remanifested with RK4 it shows no fourth-order
    // convergence: coarse solves skip layers and RK4's last stage reads the next layer's weights.
    // Measured: errors 1.6, 1.0, 0.74, 0.20, 0.10, 0.05, 0.024 — order 1.06 where the continuous
    // net shows 4.06, and at its own 8 steps it sits 0.2 away from its continuous limit (the
    // continuous net: 1e-5).
    expect(c.order).toBeLessThan(1.5);
    expect(c.errors[3]!).toBeGreaterThan(0.05);
    expect(c.errors[2]! / c.errors[0]!).toBeGreaterThan(0.2);
  }, 60_000);

  it('refine: a finer basis gives the same function, then training resumes', async () => {
    const opts = { inputSize: 2, width: 3, outputSize: 1, blocks: 2, basis: { kind: 'piecewiseLinear', intervals: 2 }, method: 'rk4', steps: 4, seed: 5 } as const;
    const { model, params, after } = await fit(opts, 60);
    const r = model.refine(params, 2);
    expect(r.model.blocks[0]!.basis.size).toBe(5);
    expect(r.model.parameterCount).toBe(2 * (5 * 9 + 5 * 3) + 3 + 1);
    // exact re-representation of W(t): only round-off of float64 sums
    expect(maxAbsDiff(await vals(r.model.apply(r.params, probe)), await vals(model.apply(params, probe)))).toBeLessThan(1e-12);
    const resumed = await M.train({ model: r.model, params: r.params, data: { train: ds }, epochs: 60, batchSize: 64, optimizer: (p) => fg.optim.adam(p, { lr: 0.01 }), logEvery: 20 });
    expect((await M.evaluate(r.model, resumed.params, ds)).loss).toBeLessThan(after);
    expect(() => model.remanifest({ method: 'dopri5' as never })).toThrow(/continuousNet.remanifest: method must be one of/);
    expect(() => model.apply({ blocks: [] }, probe)).toThrow(/continuousNet: params has 0 blocks, expected 2/);
    expect(() => M.continuousNet({ inputSize: 3, width: 2 })).toThrow(/continuousNet: inputSize 3 is larger than width 2/);
  }, 60_000);
});
