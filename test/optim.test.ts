import { beforeAll, describe, expect, it, vi } from 'vitest';
import * as fg from '../index.js';
import { backendNamed } from '../engine/context.js';
import { maxAbsDiff, vals } from './helpers.js';

// On the CPU backend every update is a handful of float64 operations on numbers of order 1:
// 1e-14 leaves room for the few roundings (ε₆₄ ≈ 2.2e-16 per operation).
const F64 = 1e-14;

beforeAll(async () => {
  await fg.init({ backend: 'cpu' });
});

function setup() {
  const p = { w: fg.tensor([1, -2, 0.5]), b: [fg.tensor([[0.25]])] };
  const g1 = { w: fg.tensor([0.1, -0.3, 2]), b: [fg.tensor([[-1]])] };
  const g2 = { w: fg.tensor([-0.2, 0.05, 1]), b: [fg.tensor([[0.5]])] };
  const flat = (t: { w: fg.Tensor; b: fg.Tensor[] }) => Promise.all([vals(t.w), vals(t.b[0]!)]).then(([a, b]) => [...a, ...b]);
  return { p, g1, g2, flat };
}

describe('sgd and momentum', () => {
  it('sgd: p − lr·(g + wd·p)', async () => {
    const { p, g1, flat } = setup();
    const opt = fg.optim.sgd(p, { lr: 0.1, weightDecay: 0.01 });
    const p1 = opt.step(p, g1);
    const [P, G] = [await flat(p), await flat(g1)];
    expect(maxAbsDiff(await flat(p1), P.map((x, i) => x - 0.1 * (G[i]! + 0.01 * x)))).toBeLessThan(F64);
    expect(opt.steps).toBe(1);
  });

  it('momentum and Nesterov: two steps by hand', async () => {
    const { p, g1, g2, flat } = setup();
    const [P, G1, G2] = [await flat(p), await flat(g1), await flat(g2)];
    const lr = 0.1;
    const mu = 0.8;
    for (const nesterov of [false, true]) {
      const opt = fg.optim.momentum(p, { lr, momentum: mu, nesterov });
      const p1 = opt.step(p, g1);
      const p2 = opt.step(p1, g2);
      // v₁ = g₁, v₂ = μ·g₁ + g₂; heavy ball steps by v, Nesterov by g + μ·v
      const want = P.map((x, i) => {
        const v1 = G1[i]!;
        const v2 = mu * v1 + G2[i]!;
        const d1 = nesterov ? G1[i]! + mu * v1 : v1;
        const d2 = nesterov ? G2[i]! + mu * v2 : v2;
        return x - lr * d1 - lr * d2;
      });
      expect(maxAbsDiff(await flat(p2), want)).toBeLessThan(F64);
      expect(maxAbsDiff(await vals(opt.state().v![0]!), G1.slice(0, 3).map((g, i) => mu * g + G2[i]!))).toBeLessThan(F64);
    }
  });
});

describe('adam', () => {
  it("first two steps equal the closed form", async () => {
    const { p, g1, g2, flat } = setup();
    const [P, G1, G2] = [await flat(p), await flat(g1), await flat(g2)];
    const [lr, b1, b2, eps] = [0.01, 0.9, 0.999, 1e-8];
    const opt = fg.optim.adam(p, { lr });
    const p1 = opt.step(p, g1);
    // step 1: m̂ = g, v̂ = g², so p₁ = p₀ − lr·g/(|g| + ε)
    const want1 = P.map((x, i) => x - (lr * G1[i]!) / (Math.abs(G1[i]!) + eps));
    expect(maxAbsDiff(await flat(p1), want1)).toBeLessThan(F64);
    const p2 = opt.step(p1, g2);
    // step 2: m̂ = (β₁g₁ + g₂)/(1 + β₁), v̂ = (β₂g₁² + g₂²)/(1 + β₂)
    const want2 = want1.map((x, i) => {
      const m = (b1 * G1[i]! + G2[i]!) / (1 + b1);
      const v = (b2 * G1[i]! ** 2 + G2[i]! ** 2) / (1 + b2);
      return x - (lr * m) / (Math.sqrt(v) + eps);
    });
    expect(maxAbsDiff(await flat(p2), want2)).toBeLessThan(F64);
    // the raw moments after two steps
    const m2 = G1.map((g, i) => b1 * (1 - b1) * g + (1 - b1) * G2[i]!);
    expect(maxAbsDiff(await vals(opt.state().m![0]!), m2.slice(0, 3))).toBeLessThan(F64);
  });

  it('adamw decays the weights apart from the gradient; adam folds weightDecay into it', async () => {
    const { p, g1, flat } = setup();
    const [P, G] = [await flat(p), await flat(g1)];
    const [lr, wd, eps] = [0.01, 0.1, 1e-8];
    const w = fg.optim.adamw(p, { lr, weightDecay: wd }).step(p, g1);
    expect(maxAbsDiff(await flat(w), P.map((x, i) => x * (1 - lr * wd) - (lr * G[i]!) / (Math.abs(G[i]!) + eps)))).toBeLessThan(F64);
    const a = fg.optim.adam(p, { lr, weightDecay: wd }).step(p, g1);
    expect(maxAbsDiff(await flat(a), P.map((x, i) => { const g = G[i]! + wd * x; return x - (lr * g) / (Math.abs(g) + eps); }))).toBeLessThan(F64);
  });
});

describe('gradient clipping', () => {
  it('scales to the global norm only when it is larger', async () => {
    const g = { a: fg.tensor([3]), b: fg.tensor([[4, 0]]) }; // global norm 5
    const { grads, norm } = fg.optim.clipByGlobalNorm(g, 1);
    expect(await norm.item()).toBeCloseTo(5, 14);
    expect(maxAbsDiff([...(await vals(grads.a)), ...(await vals(grads.b))], [0.6, 0.8, 0])).toBeLessThan(F64);
    const same = fg.optim.clipByGlobalNorm(g, 10).grads;
    expect(maxAbsDiff([...(await vals(same.a)), ...(await vals(same.b))], [3, 4, 0])).toBeLessThan(F64);
    expect(await fg.optim.globalNorm(g).item()).toBeCloseTo(5, 14);
    // inside an optimizer: sgd with lr 1 moves by the clipped gradient
    const p = { a: fg.tensor([0]), b: fg.tensor([[0, 0]]) };
    const p1 = fg.optim.sgd(p, { lr: 1, clipNorm: 2 }).step(p, g);
    expect(maxAbsDiff([...(await vals(p1.a)), ...(await vals(p1.b))], [-1.2, -1.6, 0])).toBeLessThan(F64);
    expect(() => fg.optim.clipByGlobalNorm(g, 0)).toThrow(/maxNorm must be a positive number, got 0/);
  });
});

describe('schedules', () => {
  it('step decay and cosine with warm-up', () => {
    const s = fg.optim.schedules.stepDecay({ lr: 1, every: 10, gamma: 0.5 });
    expect([0, 9, 10, 25].map(s)).toEqual([1, 1, 0.5, 0.25]);
    const c = fg.optim.schedules.cosine({ lr: 1, steps: 110, minLr: 0.1, warmup: 10 });
    expect(c(0)).toBeCloseTo(0.1, 15);
    expect(c(9)).toBeCloseTo(1, 15);
    expect(c(10)).toBeCloseTo(1, 15);
    expect(c(60)).toBeCloseTo(0.55, 15); // halfway: the mean of lr and minLr
    expect(c(110)).toBeCloseTo(0.1, 15);
    expect(c(500)).toBeCloseTo(0.1, 15);
    expect(() => fg.optim.schedules.cosine({ lr: 1, steps: 10, warmup: 10 })).toThrow(/warmup \(10\) must be shorter than steps \(10\)/);
  });

  it('an optimizer follows its schedule', async () => {
    const p = fg.tensor([0]);
    const opt = fg.optim.sgd(p, { lr: fg.optim.schedules.stepDecay({ lr: 1, every: 1, gamma: 0.5 }) });
    let q = p;
    for (let i = 0; i < 3; i++) q = opt.step(q, fg.tensor([1]));
    expect(await q.item()).toBeCloseTo(-(1 + 0.5 + 0.25), 15);
    expect(opt.lr()).toBe(0.125);
  });
});

describe('state and memory', () => {
  it('keeps its state through tidy(), frees replaced state, and reads nothing back', async () => {
    const cpu = backendNamed('cpu');
    const read = vi.spyOn(cpu, 'read');
    const start = fg.memory().buffers;
    let p = { w: fg.randn([4, 3], { seed: 1 }), b: fg.zeros([3]) };
    const opt = fg.optim.adam(p, { lr: 0.01, clipNorm: 1 });
    const step = () => {
      const next = fg.tidy(() => {
        const g = { w: fg.mul(p.w, 2), b: fg.add(p.b, 1) };
        return opt.step(p, g);
      });
      p.w.dispose();
      p.b.dispose();
      p = next;
    };
    step(); // the first step uploads the optimizer's scalars, which it keeps
    const before = fg.memory().buffers;
    for (let i = 0; i < 20; i++) step();
    expect(read).not.toHaveBeenCalled();
    read.mockRestore();
    expect(fg.memory().buffers).toBe(before);
    expect(opt.state().m![0]!.isDisposed).toBe(false);
    opt.dispose();
    p.w.dispose();
    p.b.dispose();
    expect(fg.memory().buffers).toBe(start);
  });
});

describe('bad input', () => {
  it('names the tree path and the shapes', () => {
    const p = { w: fg.zeros([2, 3]), b: fg.zeros([3]) };
    const opt = fg.optim.adam(p, { lr: 0.1 });
    expect(() => opt.step(p, { w: fg.zeros([3, 2]), b: fg.zeros([3]) })).toThrow(/optim\.adam: grads w has shape \[3, 2\], expected \[2, 3\]/);
    expect(() => opt.step(p, { w: fg.zeros([2, 3]) } as any)).toThrow(/optim\.adam: grads has tensors at w, expected w, b/);
    expect(() => fg.optim.sgd(p, { lr: -1 })).toThrow(/optim\.sgd: lr must be a non-negative number or a schedule/);
    expect(() => fg.optim.adam(p, { lr: 0.1, beta1: 1 })).toThrow(/optim\.adam: beta1 must be in \[0, 1\), got 1/);
    expect(() => fg.optim.sgd({}, { lr: 1 })).toThrow(/optim\.sgd: params holds no tensor/);
    const bad = fg.optim.sgd(p, { lr: () => NaN });
    expect(() => bad.step(p, p)).toThrow(/lr at step 0 \(from the schedule\) must be a non-negative number, got NaN/);
  });
});

describe('on WebGPU', () => {
  it('adam matches the float64 steps to float32 accuracy', async () => {
    const gpu = await fg.init({ backend: 'webgpu' });
    expect(gpu).toBe('webgpu');
    const run = async (backend: 'cpu' | 'webgpu') => {
      await fg.init({ backend });
      let p = fg.randn([5, 7], { seed: 3 });
      const opt = fg.optim.adam(p, { lr: 0.05 });
      for (let i = 0; i < 5; i++) p = opt.step(p, fg.mul(p, i + 1));
      return vals(p);
    };
    const [a, b] = [await run('webgpu'), await run('cpu')];
    // five Adam steps each move a weight by at most lr = 0.05 with |m/√v| ≤ 1; float32 rounding of
    // values of order 3 over ~15 operations per step: 1e-5 is ~30 ulps of 3
    expect(maxAbsDiff(a, b)).toBeLessThan(1e-5);
  });
});
