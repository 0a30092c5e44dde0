import { beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';
import { expectPass, initBoth, onBackend } from './helpers.js';
import type { Backend } from '../engine/backend.js';

let cpu: Backend;
let gpu: Backend;
beforeAll(async () => ({ cpu, gpu } = await initBoth()));

const A = fg.analysis;
/** Three 4×4 matrices with well separated eigenvalue moduli (near 2, 1.5, 1, 0.5): S is smooth around them. */
const regular = () => fg.add(fg.mul(fg.randn([3, 4, 4], { seed: 5 }), 0.2), fg.tensor([[2, 0, 0, 0], [0, 1.5, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0.5]]));
const cosine = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let d = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) (d += a[i]! * b[i]!, na += a[i]! ** 2, nb += b[i]! ** 2);
  return { cos: d / Math.sqrt(na * nb), ratio: Math.sqrt(na / nb) };
};

describe('analysis.kernelStiffness', () => {
  it('value and gradient against the exact stiffness max|λ| − min|λ| (fg.linalg.stiffness)', async () => {
    await onBackend(cpu, async () => {
      const W = regular();
      const ps = A.kernelParticles({ size: 1024, fresh: 1024, spread: 0.02, seed: 1 }).refresh(W);
      const sur = (w: fg.Tensor) => fg.sum(A.kernelStiffness(w, ps));
      const ex = (w: fg.Tensor) => fg.sum(fg.linalg.stiffness(w));
      const [v, e] = [await A.kernelStiffness(W, ps).data(), await fg.linalg.stiffness(W).data()];
      // the weighted mean over the cloud is S + ½σ²·ΔS plus sampling noise: a few 1e-3 at σ = 0.02
      Array.from(v).forEach((x, i) => expect(Math.abs(x - e[i]!), `matrix ${i}`).toBeLessThan(0.015));
      const [gs, ge] = [await (fg.grad(sur)(W) as fg.Tensor).data(), await (fg.grad(ex)(W) as fg.Tensor).data()];
      const { cos, ratio } = cosine(gs, ge);
      // the kernel gradient is Σ w_p (S_p − Ŝ)·2ξ_p/γ² ≈ (2σ²/γ²)·∇S with γ² = E‖ξ‖² = d²σ²: the
      // direction of ∇S (Monte Carlo error ~√(d²/P) ≈ 0.13 at P = 1024), shortened by 2/d² = 1/8
      expect(cos).toBeGreaterThan(0.95);
      expect(ratio).toBeGreaterThan(0.125 * 0.8);
      expect(ratio).toBeLessThan(0.125 * 1.25);
    });
  });

  it('is the derivative of what it returns (gradcheck, float64), normalized and raw; the raw sum by hand', async () => {
    await onBackend(cpu, async () => {
      const W = regular();
      const ps = A.kernelParticles({ size: 8, spread: 0.1, seed: 2 }).refresh(W).refresh(fg.add(W, 0.01));
      expectPass(await fg.gradcheck((w) => A.kernelStiffness(w, ps), [W]));
      expectPass(await fg.gradcheck((w) => A.kernelStiffness(w, ps, { gamma: 0.5, normalize: false }), [W]));
      // raw: Σ_p S_p exp(−‖W − M_p‖²/γ²), by hand from the particles
      const [w, P, S] = [await W.data(), await ps.points!.data(), await ps.values!.data()];
      const raw = await A.kernelStiffness(W, ps, { gamma: 0.5, normalize: false }).data();
      const nw = await A.kernelStiffness(W, ps).data();
      for (let b = 0; b < 3; b++) {
        let s = 0;
        for (let p = 0; p < 8; p++) {
          let d2 = 0;
          for (let k = 0; k < 16; k++) d2 += (w[16 * b + k]! - P[(8 * b + p) * 16 + k]!) ** 2;
          s += S[8 * b + p]! * Math.exp(-d2 / 0.25);
        }
        expect(raw[b]).toBeCloseTo(s, 12);
        // normalized: a weighted mean of the particle values
        const vs = Array.from(S.subarray(8 * b, 8 * b + 8));
        expect(nw[b]).toBeGreaterThanOrEqual(Math.min(...vs));
        expect(nw[b]).toBeLessThanOrEqual(Math.max(...vs));
      }
    });
  });

  it('refresh keeps the `size` particles nearest to the current W, with their exact values', async () => {
    await onBackend(cpu, async () => {
      const W0 = regular();
      const ps = A.kernelParticles({ size: 6, fresh: 4, spread: 0.1, seed: 3 });
      const pool: { m: number[]; s: number }[][] = [[], [], []];
      let W = W0;
      for (let step = 0; step < 4; step++) {
        W = fg.add(W0, 0.05 * step); // W moves: old particles fall behind
        const before = new Set((await ps.points?.data()) ?? []);
        ps.refresh(W);
        const [P, S] = [await ps.points!.data(), await ps.values!.data()];
        const n = S.length / 3;
        expect(n).toBe(Math.min(6, 4 * (step + 1)));
        const exact = await fg.linalg.stiffness(ps.points!).data();
        Array.from(S).forEach((s, i) => expect(s).toBeCloseTo(exact[i]!, 12));
        // every particle sampled so far, kept or not (the new ones are those not seen before)
        for (let b = 0; b < 3; b++) for (let p = 0; p < n; p++) {
          const m = Array.from(P.subarray((n * b + p) * 16, (n * b + p + 1) * 16));
          if (!before.has(m[0]!)) pool[b]!.push({ m, s: S[n * b + p]! });
        }
        const w = await W.data();
        for (let b = 0; b < 3; b++) {
          const dist = (m: number[]) => m.reduce((s, x, k) => s + (x - w[16 * b + k]!) ** 2, 0);
          const kept = Array.from({ length: n }, (_, p) => dist(Array.from(P.subarray((n * b + p) * 16, (n * b + p + 1) * 16)))).sort((x, y) => x - y);
          const all = pool[b]!.map((x) => dist(x.m)).sort((x, y) => x - y);
          expect(kept).toEqual(all.slice(0, n).map((x) => expect.closeTo(x, 12)));
        }
      }
      ps.dispose();
      expect(ps.points).toBeNull();
    });
  });

  it('WebGPU (float32) agrees with the CPU on the same particles', async () => {
    const W = await onBackend(cpu, () => regular().data());
    const make = (b: Backend) => onBackend(b, async () => {
      const w = fg.tensor(W, [3, 4, 4]);
      const ps = A.kernelParticles({ size: 16, spread: 0.05, seed: 4 }).refresh(w);
      const pts = await ps.points!.data();
      const vals = await ps.values!.data();
      return { pts, vals, v: await A.kernelStiffness(w, ps).data(), g: await (fg.grad((x: fg.Tensor) => fg.sum(A.kernelStiffness(x, ps)))(w) as fg.Tensor).data() };
    });
    const [c, g] = [await make(cpu), await make(gpu)];
    // same seeded particles (randn is reproducible across backends), f32 eigenvalues to ~1e-6
    Array.from(g.vals).forEach((x, i) => expect(Math.abs(x - c.vals[i]!)).toBeLessThan(1e-4));
    Array.from(g.v).forEach((x, i) => expect(Math.abs(x - c.v[i]!)).toBeLessThan(1e-4));
    expect(cosine(g.g, c.g).cos).toBeGreaterThan(0.999);
  });

  it('bad input: an empty particle set, shapes and options name kernelStiffness / kernelParticles', () => {
    onBackend(cpu, () => {
      const W = regular();
      const empty = A.kernelParticles();
      expect(() => A.kernelStiffness(W, empty)).toThrow(/kernelStiffness: the particle set is empty/);
      expect(() => A.kernelStiffness(W, { points: fg.zeros([3, 0, 4, 4]), values: fg.zeros([3, 0]) })).toThrow(/kernelStiffness: the particle set is empty/);
      expect(() => A.kernelStiffness(W, null as any)).toThrow(/kernelStiffness: the particle set is empty/);
      const ps = A.kernelParticles({ size: 4 }).refresh(W);
      expect(() => A.kernelStiffness(fg.zeros([2, 4, 4]), ps)).toThrow(/kernelStiffness: particles \{ points \[3, 2, 4, 4\], values \[3, 2\] \} do not fit W \[2, 4, 4\]/);
      expect(() => A.kernelStiffness(fg.zeros([3, 4, 3]), ps)).toThrow(/kernelStiffness: W has shape \[3, 4, 3\], expected square matrices/);
      expect(() => A.kernelStiffness(W, ps, { gamma: -1 })).toThrow(/kernelStiffness: gamma must be a finite positive number/);
      expect(() => A.kernelStiffness(W, ps, { sigma: 1 } as any)).toThrow(/kernelStiffness: unknown option sigma; known: gamma, normalize/);
      expect(() => ps.refresh(fg.zeros([2, 4, 4]))).toThrow(/kernelParticles.refresh: W has shape \[2, 4, 4\]/);
      expect(() => A.kernelParticles({ size: 0 })).toThrow(/kernelParticles: size must be a positive integer/);
      expect(() => A.kernelParticles({ spread: NaN })).toThrow(/kernelParticles: spread must be a finite positive number/);
    });
  });
});

describe('analysis.activeTimeScale', () => {
  it('the rate of x(t) = e^{λt}·x₀ sampled at steps dt is (1 − e^{λ dt})/dt, for every example', async () => {
    await onBackend(cpu, async () => {
      const dt = 0.1;
      const lam = -3;
      const x0 = fg.tensor([[1, 2], [-0.5, 0.1], [3, 0]]);
      const states = Array.from({ length: 6 }, (_, n) => fg.mul(x0, Math.exp(lam * n * dt)));
      expect(await A.activeTimeScale(states, { dt }).item()).toBeCloseTo((1 - Math.exp(lam * dt)) / dt, 12);
      expect(() => A.activeTimeScale([x0], { dt })).toThrow(/activeTimeScale: states has shape \[1, 3, 2\]: a trajectory needs at least two states/);
      expect(() => A.activeTimeScale(states, { dt: 0 })).toThrow(/activeTimeScale: dt must be a finite positive number/);
    });
  });
});
