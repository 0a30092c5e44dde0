// MCMC on hard 2-D targets and its bad input: a banana (R̂ with 8 chains), Neal's funnel
// (divergences counted), HMC against random-walk Metropolis per log-density evaluation, the
// same draws for the same seed, and the log-densities' gradients against finite differences.
import { beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';

beforeAll(async () => {
  await fg.init({ backend: 'cpu' });
});

type XY = { x: fg.Tensor; y: fg.Tensor };
const at = (p: XY) => [fg.reshape(p.x, []), fg.reshape(p.y, [])];

/** x ~ N(0, 1), y | x ~ N((x² − 1)/2, 0.5²): a curved ridge */
const banana = (p: XY) => {
  const [x, y] = at(p) as [fg.Tensor, fg.Tensor];
  return fg.neg(fg.add(fg.mul(fg.square(x), 0.5), fg.mul(fg.square(fg.sub(y, fg.mul(fg.sub(fg.square(x), 1), 0.5))), 2)));
};

/** Neal's funnel: v ~ N(0, 3²), x | v ~ N(0, eᵛ) */
const funnel = (p: { v: fg.Tensor; x: fg.Tensor }) => {
  const v = fg.reshape(p.v, []);
  const x = fg.reshape(p.x, []);
  return fg.neg(fg.add(fg.div(fg.square(v), 18), fg.add(fg.mul(fg.square(x), fg.mul(fg.exp(fg.neg(v)), 0.5)), fg.mul(v, 0.5))));
};

const draws = async (t: fg.Tensor) => (await t.array()) as number[][][];
const init2 = (chains: number, seed: number): XY => ({ x: fg.randn([chains, 1], { seed }), y: fg.randn([chains, 1], { seed: seed + 1 }) });

describe('bayes.mcmc on hard targets', () => {
  it('banana: R̂ < 1.01 with 8 chains (HMC)', async () => {
    const r = await fg.bayes.mcmc(banana, init2(8, 1), { method: 'hmc', warmup: 300, samples: 1000, steps: 4, seed: 2 });
    for (const leaf of [r.samples.x, r.samples.y]) {
      const rhat = fg.bayes.rhat(await draws(leaf)) as number[];
      expect(rhat[0]!).toBeLessThan(1.01);
      expect(rhat[0]!).toBeGreaterThan(0.99);
    }
  });

  it('funnel: a too-large fixed step size gives divergences, counted per chain', async () => {
    const init = { v: fg.randn([4, 1], { seed: 3 }), x: fg.randn([4, 1], { seed: 4 }) };
    const r = await fg.bayes.mcmc(funnel, init, { method: 'hmc', warmup: 0, samples: 100, stepSize: 1.5, steps: 5, seed: 5 });
    expect(r.divergences.length).toBe(4);
    expect(r.stepSize).toBe(1.5);
    const total = r.divergences.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(5);
    for (const d of r.divergences) expect(d).toBeLessThanOrEqual(100);
    // a small step size on the same funnel mouth diverges far less
    const small = await fg.bayes.mcmc(funnel, init, { method: 'hmc', warmup: 0, samples: 100, stepSize: 0.05, steps: 5, seed: 5 });
    expect(small.divergences.reduce((a, b) => a + b, 0)).toBeLessThan(total / 4);
  });

  it('HMC has more ESS per log-density evaluation than random-walk Metropolis (10-D Gaussian)', async () => {
    const scales = fg.tensor(Array.from({ length: 10 }, (_, i) => 0.5 + 0.15 * i));
    const gauss = (p: { x: fg.Tensor }) => fg.mul(fg.sum(fg.square(fg.div(p.x, scales))), -0.5);
    const init = { x: fg.randn([4, 10], { seed: 6 }) };
    const perEval = async (method: 'hmc' | 'rwm') => {
      const r = await fg.bayes.mcmc(gauss, init, { method, warmup: 300, samples: 500, seed: 7, ...(method === 'hmc' ? { steps: 3 } : {}) });
      const ess = Math.min(...(fg.bayes.ess(await draws(r.samples.x)) as number[]));
      return ess / (4 * r.evaluations);
    };
    const [hmc, rwm] = [await perEval('hmc'), await perEval('rwm')];
    expect(hmc).toBeGreaterThan(2 * rwm);
  });

  it('the same seed gives the same draws; another seed other draws', async () => {
    const run = (seed: number) => fg.bayes.mcmc(banana, init2(2, 1), { method: 'mala', warmup: 30, samples: 20, seed });
    const [a, b, c] = [await run(9), await run(9), await run(10)];
    expect(Array.from(await a.samples.x.data())).toEqual(Array.from(await b.samples.x.data()));
    expect(Array.from(await a.logDensity.data())).toEqual(Array.from(await b.logDensity.data()));
    expect(Array.from(await a.samples.x.data())).not.toEqual(Array.from(await c.samples.x.data()));
  });

  it('the log-densities pass gradcheck', async () => {
    const X = fg.randn([6, 2], { seed: 1 });
    const y = fg.randn([6, 1], { seed: 2 });
    const post = fg.bayes.logPosterior((p: { w: fg.Tensor; b: fg.Tensor }, x: fg.Tensor) => fg.tanh(fg.add(fg.matmul(x, p.w), p.b)), { x: X, y }, { noise: 0.3, prior: 'laplace', priorScale: 0.7 });
    const checks: [string, (...xs: fg.Tensor[]) => fg.Tensor, fg.Tensor[]][] = [
      ['logPosterior (Laplace prior)', (w, b) => post({ w: w!, b: b! }), [fg.randn([2, 1], { seed: 3 }), fg.randn([1], { seed: 4 })]],
      ['gaussianLogPrior', (w) => fg.bayes.gaussianLogPrior({ w: w! }, 1.5, 0.2), [fg.randn([3, 2], { seed: 5 })]],
      ['gaussianLogLikelihood', (pred) => fg.bayes.gaussianLogLikelihood(pred!, y, 0.4), [fg.randn([6, 1], { seed: 6 })]],
      ['banana', (x, yy) => banana({ x: x!, y: yy! }), [fg.randn([1], { seed: 7 }), fg.randn([1], { seed: 8 })]],
      ['funnel', (v, x) => funnel({ v: v!, x: x! }), [fg.randn([1], { seed: 9 }), fg.randn([1], { seed: 10 })]],
    ];
    for (const [name, f, xs] of checks) {
      const report = await fg.gradcheck(f, xs);
      expect(report.pass, name).toBe(true);
    }
  });

  it('the log-densities have the closed-form values', async () => {
    // log N(1 | 0, 2²) + log N(−1 | 0, 2²) = −2·log 2 − log 2π − 1/4
    expect(await fg.bayes.gaussianLogPrior({ a: fg.tensor([1, -1]) }, 2).item()).toBeCloseTo(-2 * Math.log(2) - Math.log(2 * Math.PI) - 0.25, 12);
    // log Laplace(0.5 | 0, 2) = −log 4 − 0.25
    expect(await fg.bayes.laplaceLogPrior(fg.tensor([0.5]), 2).item()).toBeCloseTo(-Math.log(4) - 0.25, 12);
    // log N(y=1 | pred=0.4, 0.3²)
    expect(await fg.bayes.gaussianLogLikelihood(fg.tensor([0.4]), fg.tensor([1]), 0.3).item()).toBeCloseTo(-0.5 * (0.6 / 0.3) ** 2 - Math.log(0.3) - 0.5 * Math.log(2 * Math.PI), 12);
  });
});

describe('bayes.mcmc bad input', () => {
  const gauss = (p: { x: fg.Tensor }) => fg.mul(fg.sum(fg.square(p.x)), -0.5);
  it('a non-finite log density at the initial point names the chain', async () => {
    const logOfX = (p: { x: fg.Tensor }) => fg.sum(fg.log(p.x));
    const init = { x: fg.tensor([[1, 2], [3, -1], [1, 1]]) };
    await expect(fg.bayes.mcmc(logOfX, init, { method: 'hmc', warmup: 0, samples: 5 })).rejects.toThrow(/bayes.mcmc: the log density is not finite at the initial point of chain 1 \(value NaN\)/);
    await expect(fg.bayes.mcmc(logOfX, init, { method: 'hmc', warmup: 0, samples: 5 })).rejects.toBeInstanceOf(fg.NumericalError);
  });
  it('a non-finite gradient at the initial point names the chain and the parameter', async () => {
    const sqrtX = (p: { a: fg.Tensor; x: fg.Tensor }) => fg.add(fg.sum(p.a), fg.sum(fg.sqrt(p.x)));
    const init = { a: fg.zeros([2, 1]), x: fg.tensor([[1, 4], [0, 1]]) };
    await expect(fg.bayes.mcmc(sqrtX, init, { method: 'mala', warmup: 0, samples: 5 })).rejects.toThrow(/bayes.mcmc: the gradient of the log density is not finite at the initial point of chain 1, parameter x \(entry 0\)/);
  });
  it('init trees whose chain axes disagree, or disagree with chains', async () => {
    await expect(fg.bayes.mcmc(gauss as never, { x: fg.zeros([4, 2]), y: fg.zeros([3]) }, {})).rejects.toThrow(/bayes.mcmc: the chain axes of init disagree .*x \[4, 2\], y \[3\]/);
    await expect(fg.bayes.mcmc(gauss, { x: fg.zeros([4, 2]) }, { chains: 8 })).rejects.toThrow(/bayes.mcmc: chains is 8 but the leaves of init have a leading \(chain\) axis of 4/);
    await expect(fg.bayes.mcmc(gauss, { x: fg.tensor(1) }, {})).rejects.toThrow(/bayes.mcmc: init.x is a scalar; every leaf of init needs a leading chain axis/);
  });
  it('a step size that collapses during warm-up is reported', async () => {
    // the gradient ~1e30 makes every leapfrog step overshoot: dual averaging drives ε to ~0
    const steep = (p: { x: fg.Tensor }) => fg.mul(fg.sum(fg.square(p.x)), -1e30);
    await expect(fg.bayes.mcmc(steep, { x: fg.ones([2, 1]) }, { method: 'hmc', warmup: 100, samples: 5, steps: 2 })).rejects.toThrow(/bayes.mcmc: the step size collapsed to .* during warm-up/);
  });
  it('unknown options and bad values', async () => {
    const init = { x: fg.zeros([2, 2]) };
    await expect(fg.bayes.mcmc(gauss, init, { warmpu: 10 } as never)).rejects.toThrow(/bayes.mcmc: unknown option warmpu.*; known: method, chains, warmup, samples, seed, stepSize, steps, targetAccept/);
    await expect(fg.bayes.mcmc(gauss, init, { method: 'gibbs' as never })).rejects.toThrow(/bayes.mcmc: method must be one of/);
    await expect(fg.bayes.mcmc(gauss, init, { stepSize: -1 })).rejects.toThrow(/bayes.mcmc: stepSize must be a positive finite number, got -1/);
    await expect(fg.bayes.mcmc(gauss, init, { method: 'rwm', steps: 3 })).rejects.toThrow(/bayes.mcmc: steps applies to method 'hmc' only/);
    await expect(fg.bayes.mcmc(gauss, init, { samples: 0 })).rejects.toThrow(/bayes.mcmc: samples must be a positive integer, got 0/);
    await expect(fg.bayes.mcmc((p: { x: fg.Tensor }) => p.x, init, { warmup: 0, samples: 2 })).rejects.toThrow(/bayes.mcmc: logDensity must return a scalar tensor for one parameter tree, got shape \[2\]/);
  });
});
