// bayes on the WebGPU backend (float32): HMC chains and VI run there and give sane moments.
import { beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';
import { initBoth } from './helpers.js';

beforeAll(async () => {
  await initBoth();
  await fg.init({ backend: 'webgpu' });
});

describe('bayes on webgpu', () => {
  it('hmc samples a 2-D Gaussian with 8 chains on the device; vi fits it', async () => {
    expect(fg.backend()).toBe('webgpu');
    const scale = fg.tensor([1, 2]);
    const logDensity = (p: { x: fg.Tensor }) => fg.mul(fg.sum(fg.square(fg.div(fg.sub(p.x, 1), scale))), -0.5);
    const r = await fg.bayes.mcmc(logDensity, { x: fg.randn([8, 2], { seed: 1 }) }, { method: 'hmc', warmup: 150, samples: 200, steps: 3, seed: 2 });
    expect(r.samples.x.shape).toEqual([8, 200, 2]);
    expect(r.samples.x.dtype).toBe('float32');
    const d = (await r.samples.x.array()) as number[][][];
    const flat = d.flat();
    const mcse = fg.bayes.mcse(d) as number[];
    [1, 1].forEach((m, j) => expect(Math.abs(flat.reduce((s, v) => s + v[j]!, 0) / flat.length - m)).toBeLessThan(4 * mcse[j]!));
    for (const a of r.acceptRate) expect(a).toBeGreaterThan(0.5);
    expect(r.divergences.reduce((a, b) => a + b, 0)).toBe(0);

    const q = await fg.bayes.vi(logDensity, { x: fg.zeros([2]) }, { samples: 8, steps: 300, lr: 0.05, seed: 3 });
    const mu = await q.mean.x.data();
    const sd = await q.std.x.data();
    // fixed lr 0.05: the iterates wander about the optimum by a few lr
    expect(Math.abs(mu[0]! - 1)).toBeLessThan(0.1);
    expect(Math.abs(mu[1]! - 1)).toBeLessThan(0.2);
    expect(Math.abs(sd[0]! - 1)).toBeLessThan(0.15);
    expect(Math.abs(sd[1]! - 2)).toBeLessThan(0.3);
  });
});
