// Stiffness penalties where the max or the min of |λ| (σ) ties, as from an orthogonal
// initialization: a subgradient by the max/min reductions' convention (the first position of the
// extremum; a repeated λ by its cluster's mean), checked against that definition and against the
// directional-derivative inequality f'(W; H) ≥ ⟨G, H⟩, and a few training steps that run.
import { beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';
import { maxAbs, maxAbsDiff, vals } from './helpers.js';

const M = fg.models;
const measures = ['eigen', 'singular'] as const;

beforeAll(async () => {
  await fg.init({ backend: 'cpu' });
});

const d = 4;
/** I, a Householder reflection (λ = −1, 1, 1, 1), a random orthogonal Q, and diag(R(θ), R(θ)) (a repeated pair) */
async function orthogonals(): Promise<number[][]> {
  const v = [0.5, -0.5, 0.5, 0.5];
  const house = Array.from({ length: d * d }, (_, e) => (e % (d + 1) === 0 ? 1 : 0) - 2 * v[Math.floor(e / d)]! * v[e % d]!);
  const [c, s] = [Math.cos(0.9), Math.sin(0.9)];
  const rot2 = [c, -s, 0, 0, s, c, 0, 0, 0, 0, c, -s, 0, 0, s, c];
  const eye = Array.from({ length: d * d }, (_, e) => (e % (d + 1) === 0 ? 1 : 0));
  return [eye, house, Array.from(await vals(M.init.orthogonal([d, d], { seed: 3 }))), rot2];
}

/** f'(W; H) ≥ ⟨G, H⟩ for random directions H, by one-sided differences (float64) */
async function checkDirectional(f: (w: fg.Tensor) => fg.Tensor, w: number[], g: number[], seed: number) {
  const f0 = await f(fg.tensor(w, [d, d])).item();
  for (let k = 0; k < 6; k++) {
    const h = await vals(fg.randn([d, d], { seed: seed + k }));
    const t = 1e-6;
    const slope = ((await f(fg.tensor(w.map((x, i) => x + t * h[i]!), [d, d])).item()) - f0) / t;
    const inner = g.reduce((acc, x, i) => acc + x * h[i]!, 0);
    // one-sided difference: error O(t·‖H‖²·f'') plus round-off ε/t, below 1e-6 here
    expect(slope).toBeGreaterThanOrEqual(inner - 1e-6);
  }
}

describe('stiffness penalties at ties', () => {
  it('at orthogonal matrices (all |λ| and all σ equal) the gradient is 0, the first position of both extremes; it satisfies f′(W; H) ≥ ⟨G, H⟩', async () => {
    for (const w of await orthogonals()) {
      for (const measure of measures) {
        const f = (x: fg.Tensor) => M.stiffnessPenalty(x, { measure });
        expect(await f(fg.tensor(w, [d, d])).item()).toBeLessThan(1e-14);
        const g = await vals(fg.grad(f)(fg.tensor(w, [d, d])));
        expect(maxAbs(g), measure).toBe(0);
        await checkDirectional(f, w, g, 10);
        // forward mode runs too (and agrees: f is at its minimum along any line, to first order 0 ≤ slope)
        const [, tangent] = fg.jvp(f, [fg.tensor(w, [d, d])], [fg.randn([d, d], { seed: 1 })]);
        expect(Number.isFinite(await tangent.item())).toBe(true);
      }
    }
  });

  it('partial ties: diag(2, 2, 0.5, 0.5) gets ½·diag(1, 1, −1, −1) (each extreme a repeated λ: its cluster mean), and the inequality holds', async () => {
    const w = [2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0.5, 0, 0, 0, 0, 0.5];
    const want = [0.5, 0, 0, 0, 0, 0.5, 0, 0, 0, 0, -0.5, 0, 0, 0, 0, -0.5];
    const f = (x: fg.Tensor) => M.stiffnessPenalty(x, { measure: 'eigen' });
    const g = await vals(fg.grad(f)(fg.tensor(w, [d, d])));
    expect(maxAbsDiff(g, want)).toBeLessThan(1e-14);
    await checkDirectional(f, w, g, 20);
    // 'singular' at diag(3, 1, 1, 1): σ₁ simple, σ_d the first of the tied 1s (index 1): e₀e₀ᵀ − u₁v₁ᵀ
    const w2 = [3, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
    const fs = (x: fg.Tensor) => M.stiffnessPenalty(x, { measure: 'singular' });
    const gs = await vals(fg.grad(fs)(fg.tensor(w2, [d, d])));
    const { u, v } = fg.linalg.svd(fg.tensor(w2, [d, d]));
    const [uu, vv] = [await vals(u), await vals(v)];
    const first = Array.from({ length: d * d }, (_, e) => (e === 0 ? 1 : 0) - uu[Math.floor(e / d) * d + 1]! * vv[(e % d) * d + 1]!);
    expect(maxAbsDiff(gs, first)).toBeLessThan(1e-14);
    await checkDirectional(fs, w2, gs, 30);
  });

  it('where nothing ties, spectralRadius and stiffness keep their derivative (gradcheck)', async () => {
    const A = fg.randn([2, 5, 5], { seed: 11 });
    for (const f of [(a: fg.Tensor) => fg.linalg.spectralRadius(a), (a: fg.Tensor) => fg.linalg.stiffness(a)]) {
      const report = await fg.gradcheck(f, [A]);
      expect(report.pass, JSON.stringify(report.inputs)).toBe(true);
    }
  });

  it('a few Adam steps from an orthogonal initialization run with both measures (no error mid-training), and the loss falls', async () => {
    const x = fg.randn([8, d], { seed: 5 });
    const y = fg.randn([8, d], { seed: 6 });
    for (const measure of measures) {
      let params = { W: fg.tensor((await orthogonals()).flat(), [4, d, d]) };
      const opt = fg.optim.adam(params, { lr: 0.01 });
      const loss = (p: { W: fg.Tensor }) => {
        let h = x;
        for (let l = 0; l < 4; l++) h = fg.matmul(h, fg.slice(p.W, [l], [l + 1], [0]).reshape([d, d]));
        return fg.add(fg.mseLoss(h, y), fg.mul(M.stiffnessPenalty(p.W, { measure }), 0.1));
      };
      const losses: number[] = [];
      for (let step = 0; step < 5; step++) {
        const [value, g] = fg.valueAndGrad(loss)(params);
        losses.push(await value.item());
        params = opt.step(params, g) as typeof params;
      }
      expect(losses.every(Number.isFinite), measure).toBe(true);
      expect(losses.at(-1)!, measure).toBeLessThan(losses[0]!);
    }
  });
});
