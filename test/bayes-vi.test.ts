// Mean-field VI on a Bayesian linear regression, whose posterior N(m, Λ⁻¹) is known in closed
// form: the mean-field optimum is μ = m, σᵢ² = 1/Λᵢᵢ (exactly, for a Gaussian target).
import { beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';

beforeAll(async () => {
  await fg.init({ backend: 'cpu' });
});

const NOISE = 0.5;
const PRIOR = 2;

async function problem() {
  const X = fg.randn([20, 2], { seed: 11 });
  const y = fg.add(fg.add(fg.matmul(X, fg.tensor([[1.5], [-0.7]])), 0.3), fg.mul(fg.randn([20, 1], { seed: 12 }), NOISE));
  const logDensity = fg.bayes.logPosterior((p: { w: fg.Tensor; b: fg.Tensor }, x: fg.Tensor) => fg.add(fg.matmul(x, p.w), p.b), { x: X, y }, { noise: NOISE, priorScale: PRIOR });
  const x = (await X.array()) as number[][];
  const yv = Array.from(await y.data());
  const A = x.map((r) => [r[0]!, r[1]!, 1]);
  const L = [0, 1, 2].map((i) => [0, 1, 2].map((j) => A.reduce((s, r) => s + r[i]! * r[j]!, 0) / NOISE ** 2 + (i === j ? 1 / PRIOR ** 2 : 0)));
  const rhs = [0, 1, 2].map((i) => A.reduce((s, r, n) => s + r[i]! * yv[n]!, 0) / NOISE ** 2);
  return { logDensity, mean: solve3(L, rhs), precision: L };
}

/** Gaussian elimination on a 3×3 system (no pivoting needed: Λ is symmetric positive definite). */
function solve3(M: number[][], b: number[]): number[] {
  const a = M.map((r, i) => [...r, b[i]!]);
  for (let k = 0; k < 3; k++) for (let i = k + 1; i < 3; i++) {
    const f = a[i]![k]! / a[k]![k]!;
    for (let j = k; j < 4; j++) a[i]![j]! -= f * a[k]![j]!;
  }
  const x = [0, 0, 0];
  for (let i = 2; i >= 0; i--) x[i] = (a[i]![3]! - [0, 1, 2].filter((j) => j > i).reduce((s, j) => s + a[i]![j]! * x[j]!, 0)) / a[i]![i]!;
  return x;
}

describe('bayes.vi', () => {
  it('reaches the mean-field optimum of a Gaussian posterior: μ = m, σ² = 1/diag(Λ)', async () => {
    const { logDensity, mean, precision } = await problem();
    const init = { w: fg.zeros([2, 1]), b: fg.zeros([1]) };
    const r = await fg.bayes.vi(logDensity, init, { samples: 16, steps: 800, lr: (t) => 0.05 / (1 + t / 50), seed: 3 });
    expect(r.elbo.length).toBe(800);
    const mu = [...(await r.mean.w.data()), ...(await r.mean.b.data())];
    const sd = [...(await r.std.w.data()), ...(await r.std.b.data())];
    for (let i = 0; i < 3; i++) {
      // antithetic pairs make the μ-gradient exact for a quadratic log p: μ converges like plain Adam
      expect(Math.abs(mu[i]! - mean[i]!)).toBeLessThan(1e-6);
      // σ's gradient keeps the noise of the draws (εᵢεⱼ terms): the decayed lr leaves about 1% of σ
      expect(Math.abs(sd[i]! * Math.sqrt(precision[i]![i]!) - 1)).toBeLessThan(2e-2);
    }
    // the ELBO rises (a lower bound: the last is well above the first)
    expect(r.elbo.at(-1)!).toBeGreaterThan(r.elbo[0]! + 10);
  });

  it('rejects bad input by name', async () => {
    const f = (p: { x: fg.Tensor }) => fg.sum(p.x);
    await expect(fg.bayes.vi(f, { x: fg.zeros([2]) }, { step: 3 } as never)).rejects.toThrow(/bayes.vi: unknown option step.*; known: samples, steps, lr, seed, initStd/);
    await expect(fg.bayes.vi(f, { x: fg.zeros([2]) }, { lr: -1 })).rejects.toThrow(/bayes.vi: lr must be a positive number/);
    await expect(fg.bayes.vi((p: { x: fg.Tensor }) => fg.sum(fg.log(p.x)), { x: fg.tensor([-1, 1]) }, { steps: 3 })).rejects.toThrow(/bayes.vi: the ELBO is not finite \(NaN\) from step 0/);
  });
});
