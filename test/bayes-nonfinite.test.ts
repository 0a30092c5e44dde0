// A log density whose solver blows up for some proposals: the sampler rejects them and counts
// divergences (the solver's own finiteness check would make them errors), on both backends;
// and isFinite reads NaN and ±∞ from the bits (WGSL may fold x − x or x != x to constants).
import { beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';
import { withBackend } from '../engine/context.js';
import type { Backend } from '../engine/backend.js';
import { initBoth } from './helpers.js';

let cpu: Backend;
let gpu: Backend;
beforeAll(async () => ({ cpu, gpu } = await initBoth()));

describe('non-finite values in samplers', () => {
  it('isFinite is 0 at NaN and ±∞ on both backends', async () => {
    for (const b of [cpu, gpu]) {
      const v = await withBackend(b, () => fg.isFinite(fg.tensor([NaN, Infinity, -Infinity, 1, 0, -3.5e38]))).data();
      expect(Array.from(v), b.name).toEqual([0, 0, 0, 1, 1, b.name === 'cpu' ? 1 : 0]); // −3.5e38 overflows float32 to −∞
    }
  });

  it('HMC on a density through a solve that blows up rejects those proposals and counts them', async () => {
    for (const b of [cpu, gpu]) {
      await withBackend(b, async () => {
        // dy/dt = θ·y², y(0) = 1: y(1) = 1/(1 − θ), infinite for θ ≥ 1; the density favours θ near 0.9
        const y0 = fg.ones([1]);
        const logDensity = (p: { theta: fg.Tensor }) => {
          const ys = fg.odeint((_t: number, y: fg.Tensor, th: fg.Tensor) => fg.mul(th, fg.square(y)), y0, [0, 1], { method: 'rk4', steps: 8, params: p.theta });
          const y1 = fg.reshape(fg.slice(ys, [1, 0], [2, 1]), []);
          return fg.neg(fg.add(fg.mul(fg.square(fg.sub(fg.reshape(p.theta, []), 0.9)), 50), fg.mul(fg.square(fg.sub(y1, 10)), 1e-3)));
        };
        const init = { theta: fg.tensor([[0.5], [0.6], [0.7], [0.8]]) };
        const r = await fg.bayes.mcmc(logDensity, init, { method: 'hmc', warmup: 0, samples: 30, steps: 4, stepSize: 0.3, seed: 1 });
        const div = r.divergences.reduce((s, d) => s + d, 0);
        expect(div, b.name).toBeGreaterThan(0);
        const draws = await r.samples.theta.data();
        expect(Array.from(draws).every((v) => Number.isFinite(v) && v < 1), b.name).toBe(true);
        fg.models.disposeTree(r.samples);
        r.logDensity.dispose();
      });
    }
  });
});
