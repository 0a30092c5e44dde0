// fg.sdeint (Itô, diagonal noise): the Brownian tree, Ornstein–Uhlenbeck moments over 10 000
// paths, strong orders of Euler–Maruyama and Milstein on geometric Brownian motion against the
// exact solution on the same path, the stochastic adjoint against backprop and the closed-form
// pathwise gradient, reproducibility on both backends, and bad input.
import { beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';
import type { Backend } from '../engine/backend.js';
import { F32_EPS, initBoth, maxAbsDiff, onBackend } from './helpers.js';

let cpu: Backend;
let gpu: Backend;
beforeAll(async () => {
  ({ cpu, gpu } = await initBoth());
  await fg.init({ backend: 'cpu' });
});

const mean = (x: ArrayLike<number>) => Array.from(x).reduce((s, v) => s + v, 0) / x.length;
const variance = (x: ArrayLike<number>) => {
  const m = mean(x);
  return Array.from(x).reduce((s, v) => s + (v - m) ** 2, 0) / (x.length - 1);
};
const lastRow = async (out: fg.Tensor) => Array.from(await out.data()).slice(-out.shape.slice(1).reduce((a, b) => a * b, 1));

describe('Brownian tree', () => {
  it('answers the same at a time whatever else is asked, and refining keeps the path', () => {
    const tree = new fg.BrownianTree(7, 0, 1, 3);
    const coarse = tree.at([0, 0.25, 0.5, 0.75, 1]);
    const fine = tree.at(Array.from({ length: 17 }, (_, k) => k / 16));
    for (let k = 0; k <= 4; k++) expect(Array.from(fine[4 * k]!)).toEqual(Array.from(coarse[k]!));
    // a non-dyadic time too, asked alone or among others
    const alone = tree.at([0.3])[0]!;
    const among = tree.at([0.1, 0.3, 0.9])[1]!;
    expect(Array.from(among)).toEqual(Array.from(alone));
    expect(Array.from(coarse[0]!)).toEqual([0, 0, 0]);
  });

  it('has independent Gaussian increments of variance h', () => {
    const tree = new fg.BrownianTree(11, 0, 2, 20000);
    const [w0, w1, w2] = tree.at([0.5, 0.75, 2]);
    const d1 = w1!.map((x, i) => x - w0![i]!);
    const d2 = w2!.map((x, i) => x - w1![i]!);
    // standard errors of a variance estimate from 20 000 samples: σ²·√(2/N) ≈ 1%; 4 of them
    expect(Math.abs(variance(w0!) / 0.5 - 1)).toBeLessThan(0.04);
    expect(Math.abs(variance(d1) / 0.25 - 1)).toBeLessThan(0.04);
    expect(Math.abs(variance(d2) / 1.25 - 1)).toBeLessThan(0.04);
    // correlation of independent increments: standard error 1/√N ≈ 0.007
    const corr = mean(d1.map((x, i) => x * d2[i]!)) / Math.sqrt(0.25 * 1.25);
    expect(Math.abs(corr)).toBeLessThan(0.03);
  });
});

describe('Ornstein–Uhlenbeck dy = −θ(y − μ)dt + σ dW over 10 000 paths', () => {
  it('mean and variance at T within Monte-Carlo error of the closed form (both methods)', async () => {
    const [theta, mu, sigma, y0, T] = [1.5, 0.7, 0.6, 2, 1];
    const paths = 10_000;
    const dt = 1 / 128;
    const exactMean = mu + (y0 - mu) * Math.exp(-theta * T);
    const exactVar = ((sigma * sigma) / (2 * theta)) * (1 - Math.exp(-2 * theta * T));
    for (const method of ['eulerMaruyama', 'milstein'] as const) {
      const out = fg.sdeint((_t, y) => fg.mul(fg.sub(y, mu), -theta), (_t, y) => fg.add(fg.mul(y, 0), sigma), fg.full([paths], y0), [0, T], { method, dt, seed: 3 });
      const yT = await lastRow(out);
      const m = mean(yT);
      const v = variance(yT);
      // Monte-Carlo standard errors: √(var/N) for the mean, var·√(2/N) for the variance; the
      // discretization bias of the variance is ≈ θ·dt/2 relative (1.2 % here); 4 standard errors
      expect(Math.abs(m - exactMean)).toBeLessThan(4 * Math.sqrt(exactVar / paths));
      expect(Math.abs(v - exactVar)).toBeLessThan(4 * exactVar * Math.sqrt(2 / paths) + exactVar * theta * dt);
      console.log(`OU ${method}: mean ${m.toFixed(4)} (exact ${exactMean.toFixed(4)}), variance ${v.toFixed(4)} (exact ${exactVar.toFixed(4)}), ${paths} paths, dt = 1/128`);
    }
  }, 120_000);
});

describe('geometric Brownian motion dy = μy dt + σy dW: strong order from pathwise errors', () => {
  it('Euler–Maruyama ≈ 0.5 and Milstein ≈ 1 against y₀·exp((μ − σ²/2)T + σW(T)) on the same path', async () => {
    const [mu, sigma, y0, T, paths, seed] = [0.4, 0.8, 1, 1, 2000, 21];
    const wT = new fg.BrownianTree(seed, 0, T, paths).at([T])[0]!;
    const exact = Array.from(wT, (w) => y0 * Math.exp((mu - (sigma * sigma) / 2) * T + sigma * w));
    const dts = [1 / 8, 1 / 16, 1 / 32, 1 / 64, 1 / 128, 1 / 256];
    const rows: string[] = [];
    for (const [method, order] of [['eulerMaruyama', 0.5], ['milstein', 1]] as const) {
      const errs: number[] = [];
      for (const dt of dts) {
        const yT = await lastRow(fg.sdeint((_t, y) => fg.mul(y, mu), (_t, y) => fg.mul(y, sigma), fg.full([paths], y0), [0, T], { method, dt, seed }));
        errs.push(mean(yT.map((v, i) => Math.abs(v - exact[i]!))));
      }
      const s = fg.models.logSlope(dts, errs);
      rows.push(`${method.padEnd(14)} strong order ${order}: slope ${s.toFixed(3)}  E|error| ${errs.map((e) => e.toExponential(2)).join(' ')}`);
      // the fitted slope of the mean pathwise error over 2000 paths: within 0.15 of the order
      // (Monte-Carlo scatter of the mean error is a few % per point, on one path set for all dt)
      expect(Math.abs(s - order)).toBeLessThan(0.15);
    }
    console.log(`GBM strong order, T = ${T}, ${paths} paths, dt = 1/8 … 1/256:\n${rows.join('\n')}`);
  }, 120_000);
});

describe('gradients: the stochastic adjoint against backprop on the same path', () => {
  it('on GBM, both tend to the closed-form pathwise gradient as dt → 0, and to each other', async () => {
    const [T, paths, seed] = [1, 64, 5];
    const y0v = Array.from({ length: paths }, (_, i) => 0.5 + i / paths);
    const wT = new fg.BrownianTree(seed, 0, T, paths).at([T])[0]!;
    const [MU, SIG] = [0.3, 0.5];
    // loss = Σ y(T); y(T) = y₀·exp((μ − σ²/2)T + σW): ∂/∂μ = T·y, ∂/∂σ = (W − σT)·y, ∂/∂y₀ = y/y₀
    const yT = y0v.map((y0, i) => y0 * Math.exp((MU - (SIG * SIG) / 2) * T + SIG * wT[i]!));
    const exact = [yT.reduce((s, y) => s + T * y, 0), yT.reduce((s, y, i) => s + (wT[i]! - SIG * T) * y, 0)];
    const gradsFor = async (dt: number, grad: 'backprop' | 'adjoint') => {
      const loss = (p: { mu: fg.Tensor; sigma: fg.Tensor }) =>
        fg.sum(fg.slice(fg.sdeint((_t, y, q: typeof p) => fg.mul(y, q.mu), (_t, y, q: typeof p) => fg.mul(y, q.sigma), fg.tensor(y0v), [0, 0.5, T], { method: 'milstein', dt, seed, params: p, grad }), [2], [3]));
      const g = fg.grad(loss)({ mu: fg.tensor(MU), sigma: fg.tensor(SIG) }) as { mu: fg.Tensor; sigma: fg.Tensor };
      return [await g.mu.item(), await g.sigma.item()];
    };
    const rows: string[] = [];
    const gaps: number[] = [];
    for (const dt of [1 / 16, 1 / 64, 1 / 256]) {
      const bp = await gradsFor(dt, 'backprop');
      const adj = await gradsFor(dt, 'adjoint');
      const rel = (x: number[]) => Math.max(...x.map((v, i) => Math.abs(v - exact[i]!) / Math.abs(exact[i]!)));
      gaps.push(Math.max(...bp.map((v, i) => Math.abs(v - adj[i]!) / Math.abs(exact[i]!))));
      rows.push(`dt = 1/${1 / dt}: backprop vs closed form ${rel(bp).toExponential(2)}, adjoint vs closed form ${rel(adj).toExponential(2)}, adjoint vs backprop ${gaps.at(-1)!.toExponential(2)}`);
      if (dt === 1 / 256) {
        // strong order 1 (Milstein forward, Heun backward, commutative noise): errors O(dt)
        expect(rel(bp)).toBeLessThan(0.02);
        expect(rel(adj)).toBeLessThan(0.02);
      }
    }
    console.log(`stochastic adjoint on GBM (${paths} paths, Milstein):\n${rows.join('\n')}`);
    // the gap closes about like dt: at least ×4 smaller over a ×16 refinement
    expect(gaps[2]!).toBeLessThan(gaps[0]! / 4);
  }, 300_000);
});

describe('reproducibility', () => {
  it('the seed fixes the path: the same on each backend run to run, the CPU and WebGPU paths agree to float32', async () => {
    const run = (b: Backend, seed: number) => onBackend(b, () => fg.sdeint((_t, y) => fg.neg(y), (_t, y) => fg.add(fg.mul(fg.tanh(y), 0.3), 0.5), fg.full([4, 3], 1), [0, 0.5, 1], { method: 'milstein', dt: 1 / 32, seed }).data());
    const [c1, c2, c3] = [await run(cpu, 9), await run(cpu, 9), await run(cpu, 10)];
    expect(Array.from(c2)).toEqual(Array.from(c1));
    expect(maxAbsDiff(c3, c1)).toBeGreaterThan(0.01);
    const [g1, g2] = [await run(gpu, 9), await run(gpu, 9)];
    expect(Array.from(g2)).toEqual(Array.from(g1));
    // float32 arithmetic over 32 steps of O(1) terms: a few ε per op
    expect(maxAbsDiff(g1, c1)).toBeLessThan(200 * F32_EPS);
  }, 60_000);
});

describe('bad input', () => {
  const f = (_t: number, y: fg.Tensor) => fg.neg(y);
  it('a g of the wrong shape, unsupported noise, missing dt, unknown options', () => {
    const y0 = fg.tensor([1, 2, 3]);
    expect(() => fg.sdeint(f, (_t, y) => fg.sum(y), y0, [0, 1], { dt: 0.1 })).toThrow(/sdeint \(eulerMaruyama\): g\(t, y, params\) returned shape \[\] at t = 0, but y has shape \[3\]; with noise: 'diagonal', g must return one diffusion coefficient per element of y/);
    expect(() => fg.sdeint(f, f, y0, [0, 1], { dt: 0.1, method: 'milstein', noise: 'general' as 'diagonal' })).toThrow(/sdeint \(milstein\): noise "general" is not supported by milstein; supported: 'diagonal'/);
    expect(() => fg.sdeint(f, f, y0, [0, 1], {} as { dt: number })).toThrow(/sdeint \(eulerMaruyama\): dt must be a positive finite number/);
    expect(() => fg.sdeint(f, f, y0, [0, 1], { dt: 0.1, method: 'heun' as 'milstein' })).toThrow(/sdeint: method must be one of eulerMaruyama, milstein; got "heun"/);
    expect(() => fg.sdeint(f, f, y0, [0, 1], { dt: 0.1, rtol: 1 } as never)).toThrow(/sdeint: unknown option rtol/);
    expect(() => fg.sdeint(f, f, y0, [1, 0], { dt: 0.1 })).toThrow(/ts must be increasing/);
    expect(() => fg.sdeint(f, f, y0, [0, 1], { dt: 0.1, seed: 0.5 })).toThrow(/seed must be an integer/);
  });
});
