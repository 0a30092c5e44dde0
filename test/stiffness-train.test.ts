// Stiffness-penalized training: the penalty Σ_n S(W_n) (eigen: max|λ| − min|λ|, singular:
// σ₁ − σ_d) against finite differences and closed forms, a seeded ResNet trained with and without
// it, and a WebGPU float32 spot check.
import { beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';
import { expectPass, F32_EPS, gradcheckTree, maxAbs, maxAbsDiff, vals } from './helpers.js';

const M = fg.models;
const measures = ['eigen', 'singular'] as const;

beforeAll(async () => {
  await fg.init({ backend: 'cpu' });
});

/** Smallest gap between eigenvalue moduli of each matrix, a conjugate pair counting once. */
async function modulusGaps(W: fg.Tensor): Promise<number[]> {
  const { re, im } = fg.linalg.eigvals(W);
  const [r, i] = [await vals(re), await vals(im)];
  const n = W.shape.at(-1)!;
  const gaps: number[] = [];
  for (let b = 0; b < r.length / n; b++) {
    const m: number[] = [];
    for (let k = 0; k < n; k++) if (i[b * n + k]! >= 0) m.push(Math.hypot(r[b * n + k]!, i[b * n + k]!));
    let g = Infinity;
    for (let a = 0; a < m.length; a++) for (let c = a + 1; c < m.length; c++) g = Math.min(g, Math.abs(m[a]! - m[c]!));
    gaps.push(g);
  }
  return gaps;
}

const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;

describe('stiffnessPenalty', () => {
  it('gradcheck end to end: ResNet loss + κ·penalty, both measures (float64)', async () => {
    const net = M.resnet({ width: 4, layers: 3, inputSize: 2, outputSize: 2, seed: 5 });
    const x = fg.randn([6, 2], { seed: 1 });
    const t = fg.tensor(M.data.oneHot(Float64Array.from([0, 1, 1, 0, 1, 0]), 2), [6, 2]);
    // max|λ| and min|λ| are differentiable only where they are unique: the Glorot weights of
    // this seed have moduli at least 0.03 apart, far above the finite-difference step (~1e-5)
    const gaps = await modulusGaps(M.layerStack(net, net.params));
    expect(Math.min(...gaps)).toBeGreaterThan(0.03);
    const sv = await vals(fg.linalg.svdvals(M.layerStack(net, net.params)));
    for (let b = 0; b < 3; b++) for (let k = 0; k < 3; k++) expect(sv[4 * b + k]! - sv[4 * b + k + 1]!).toBeGreaterThan(0.03);
    for (const measure of measures) {
      const loss = (p: fg.models.ResnetParams) => fg.add(M.softmaxCrossEntropy(net.apply(p, x), t), fg.mul(M.stiffnessPenalty(M.layerStack(net, p), { measure }), 0.5));
      // the penalty's share of the gradient is not negligible (else the check would not see it)
      const g = fg.grad((p: fg.models.ResnetParams) => fg.mul(M.stiffnessPenalty(M.layerStack(net, p), { measure }), 0.5))(net.params);
      expect(maxAbs(await vals(g.W))).toBeGreaterThan(0.1);
      expectPass(await gradcheckTree(loss, net.params, { maxElements: 48 }));
    }
  });

  it('gradcheck on random nonsymmetric matrices, a stack and a list of two sizes', async () => {
    const A = fg.randn([3, 5, 5], { seed: 11 });
    const B = fg.randn([3, 3], { seed: 12 });
    expect(Math.min(...(await modulusGaps(A)), ...(await modulusGaps(B)))).toBeGreaterThan(0.02);
    for (const measure of measures) {
      expectPass(await fg.gradcheck((a) => M.stiffnessPenalty(a, { measure }), [A]));
      expectPass(await fg.gradcheck((a, b) => M.stiffnessPenalty([a, b], { measure }), [A, B]));
      // forward mode (through svdvals' JVP for 'singular') agrees with reverse: ⟨∇f, V⟩ = f'(A)V;
      // both exact to round-off in float64, sums of 75 terms of order 1: 1e-12
      const V = fg.randn([3, 5, 5], { seed: 13 });
      const f = (a: fg.Tensor) => M.stiffnessPenalty(a, { measure });
      const [, tangent] = fg.jvp(f, [A], [V]);
      const g = await vals(fg.grad(f)(A));
      const v = await vals(V);
      expect(Math.abs((await tangent.item()) - g.reduce((s, x, i) => s + x * v[i]!, 0))).toBeLessThan(1e-12);
    }
  });

  it('equals the closed forms of 2×2 matrices and of triangular ones (float64)', async () => {
    // 2×2: λ = t/2 ± √(t²/4 − det); (σ₁ − σ₂)² = ‖A‖_F² − 2|det A|
    const mats = [[2, 1, 0.5, -1], [0.3, -2, 1, 0.2], [1, 4, 0.1, 3], [-1.5, 0.2, 0.7, 0.9], [0, 1, -1, 0]];
    const eigen = mats.map(([a, b, c, d]) => {
      const t = a! + d!;
      const det = a! * d! - b! * c!;
      const disc = (t * t) / 4 - det;
      if (disc < 0) return 0; // a conjugate pair: equal moduli
      const l = [Math.abs(t / 2 + Math.sqrt(disc)), Math.abs(t / 2 - Math.sqrt(disc))];
      return Math.max(...l) - Math.min(...l);
    });
    const singular = mats.map(([a, b, c, d]) => Math.sqrt(a! ** 2 + b! ** 2 + c! ** 2 + d! ** 2 - 2 * Math.abs(a! * d! - b! * c!)));
    const W = fg.tensor(mats.flat(), [mats.length, 2, 2]);
    const per = await M.layerStiffness(W);
    // float64 Francis QR and one-sided Jacobi on 2×2: errors of a few ε·‖A‖ (‖A‖ ≤ 5); 1e-13 is ~100 ε·‖A‖
    expect(maxAbsDiff(per.eigen, eigen)).toBeLessThan(1e-13);
    expect(maxAbsDiff(per.singular, singular)).toBeLessThan(1e-13);
    // 1st, 3rd, 4th: real eigenvalues of different moduli; 2nd and 5th: a conjugate pair (S = 0)
    expect(Math.min(eigen[0]!, eigen[2]!, eigen[3]!)).toBeGreaterThan(0.5);
    expect([eigen[1], eigen[4]]).toEqual([0, 0]);
    for (const measure of measures) {
      const want = (measure === 'eigen' ? eigen : singular).reduce((s, v) => s + v);
      expect(Math.abs((await M.stiffnessPenalty(W, { measure }).item()) - want)).toBeLessThan(1e-13);
    }
    // a list of two sizes: upper triangular 3×3 (eigenvalues on the diagonal) and diagonal 2×2
    const T3 = fg.tensor([[3, 1, -2], [0, -0.5, 4], [0, 0, 1.25]]);
    const D2 = fg.tensor([[-0.2, 0], [0, 0.7]]);
    expect(Math.abs((await M.stiffnessPenalty([T3, D2]).item()) - ((3 - 0.5) + (0.7 - 0.2)))).toBeLessThan(1e-13);
    expect(Math.abs((await M.stiffnessPenalty([D2], { measure: 'singular' }).item()) - 0.5)).toBeLessThan(1e-15);
  });

  it("singular: where σ₁ or σ_d is tied the gradient is a subgradient, not svdvals' error", async () => {
    const W = fg.tensor([[3, 0, 0], [0, 1, 0], [0, 0, 1]]);
    const g = await vals(fg.grad((w: fg.Tensor) => M.stiffnessPenalty(w, { measure: 'singular' }))(W));
    // e₁e₁ᵀ − wwᵀ with w a unit vector in span(e₂, e₃): +1 at (0, 0), trace −1 in the tied block
    expect(g[0]).toBeCloseTo(1, 12);
    expect(g[4]! + g[8]!).toBeCloseTo(-1, 12);
    expect(Math.abs(g[1]!) + Math.abs(g[2]!) + Math.abs(g[3]!) + Math.abs(g[6]!)).toBeLessThan(1e-12);
  });

  it('rejects bad input with errors naming the function, the argument and the shape', () => {
    expect(() => M.stiffnessPenalty(fg.zeros([2, 3, 4]))).toThrow(/stiffnessPenalty: weights has shape \[2, 3, 4\], expected square matrices \[\.\.\., d, d\]/);
    expect(() => M.stiffnessPenalty([fg.zeros([2, 2]), fg.zeros([3])])).toThrow(/stiffnessPenalty: weights\[1\] has shape \[3\], expected square matrices/);
    expect(() => M.stiffnessPenalty([])).toThrow(/stiffnessPenalty: weights is an empty list/);
    expect(() => M.stiffnessPenalty(fg.zeros([0, 4, 4]))).toThrow(/stiffnessPenalty: weights has shape \[0, 4, 4\], which holds no matrix/);
    expect(() => M.stiffnessPenalty(fg.eye(2), { measure: 'lyapunov' as 'eigen' })).toThrow(/stiffnessPenalty: unknown measure "lyapunov"; use 'eigen'/);
    expect(() => M.stiffnessPenalty(null as unknown as fg.Tensor)).toThrow(fg.ArgumentError);
    expect(() => M.stiffnessPenalty(fg.zeros([3, 2]))).toThrow(fg.ShapeError);
  });
});

describe('stiffness-penalized training', () => {
  it('a seeded ResNet on two moons: κ > 0 lowers every layer’s stiffness, the data loss stays close', async () => {
    const ds = M.data.moons({ n: 200, seed: 3, noise: 0.1 });
    const { train: tr, test: te } = M.data.split(ds, { seed: 3 });
    const net = M.resnet({ width: 4, layers: 6, inputSize: 2, outputSize: 2, seed: 3 });
    const kappa = 0.003;
    const run = async (k: number) => {
      const r = await M.train({
        model: net, data: { train: tr }, epochs: 50, batchSize: 40, seed: 3,
        optimizer: (p) => fg.optim.adam(p, { lr: 0.05 }),
        penalty: k ? (p) => fg.mul(M.stiffnessPenalty(M.layerStack(net, p)), k) : undefined,
      });
      return { params: r.params, after: await M.layerStiffness(M.layerStack(net, r.params)), data: await M.evaluate(net, r.params, tr), test: await M.evaluate(net, r.params, te) };
    };
    const before = await M.layerStiffness(M.layerStack(net, net.params));
    const plain = await run(0);
    const pen = await run(kappa);
    const row = (n: number) => ({
      layer: n,
      'eigen before': +before.eigen[n]!.toFixed(3), 'eigen κ=0': +plain.after.eigen[n]!.toFixed(3), [`eigen κ=${kappa}`]: +pen.after.eigen[n]!.toFixed(3),
      'σ₁−σ_d before': +before.singular[n]!.toFixed(3), 'σ₁−σ_d κ=0': +plain.after.singular[n]!.toFixed(3), [`σ₁−σ_d κ=${kappa}`]: +pen.after.singular[n]!.toFixed(3),
    });
    console.table([...before.eigen.map((_, n) => row(n))]);
    console.log(`mean eigen stiffness: before ${mean(before.eigen).toFixed(3)}, κ=0 ${mean(plain.after.eigen).toFixed(3)}, κ=${kappa} ${mean(pen.after.eigen).toFixed(3)}; ` +
      `data loss κ=0 ${plain.data.loss.toExponential(2)}, κ=${kappa} ${pen.data.loss.toExponential(2)}; test accuracy ${plain.test.accuracy} / ${pen.test.accuracy}`);
    // Observed (seed 3, 150 Adam steps): mean 0.60 → 2.11 (κ = 0) vs 0.057 (κ = 0.003), 37× lower;
    // data loss 4.8e-3 vs 8.6e-3, 1.8× higher; both 100 % test accuracy. The bounds keep about a
    // factor 2–4 of room (summation order, a platform's libm) and still fail if the penalty
    // stopped acting (ratio ≈ 1) or took over the fit.
    // 10×: the penalty must cut the mean stiffness by an order of magnitude,
    expect(mean(pen.after.eigen)).toBeLessThan(mean(plain.after.eigen) / 10);
    // and every layer ends below both its unpenalized value and its start;
    pen.after.eigen.forEach((s, n) => expect(s).toBeLessThan(Math.min(plain.after.eigen[n]!, before.eigen[n]!)));
    // 4×: the data loss (without the penalty term) may grow, but stay the same order;
    expect(pen.data.loss).toBeLessThan(4 * plain.data.loss);
    // 0.95: at most 2 of the 40 test points misclassified (observed none).
    expect(pen.test.accuracy).toBeGreaterThanOrEqual(0.95);
    M.disposeTree(plain.params);
    M.disposeTree(pen.params);
  });
});

describe('on WebGPU (float32)', () => {
  it('penalty value and gradient match the float64 CPU ones', async (ctx) => {
    try {
      await fg.init({ backend: 'webgpu' });
    } catch {
      ctx.skip();
    }
    const L = 5;
    const d = 4;
    const values = Array.from(await fg.randn([L, d, d], { seed: 21 }).data());
    const on = async (backend: 'cpu' | 'webgpu', measure: (typeof measures)[number]) => {
      await fg.init({ backend });
      const W = fg.tensor(values, [L, d, d]);
      const [v, g] = fg.valueAndGrad((w: fg.Tensor) => M.stiffnessPenalty(w, { measure }))(W);
      return { v: await v.item(), g: await vals(g) };
    };
    try {
      await fg.init({ backend: 'cpu' });
      const W = fg.tensor(values, [L, d, d]);
      let norm = 0; // largest ‖W_n‖_F
      for (let n = 0; n < L; n++) norm = Math.max(norm, Math.hypot(...values.slice(n * d * d, (n + 1) * d * d)));
      const sv = await vals(fg.linalg.svdvals(W));
      const gap = {
        eigen: Math.min(...(await modulusGaps(W))),
        singular: Math.min(...sv.flatMap((x, i) => (i % d < d - 1 ? [x - sv[i + 1]!] : []))),
      };
      for (const measure of measures) {
        const cpu = await on('cpu', measure);
        const gpu = await on('webgpu', measure);
        console.log(`${measure}: |value gpu − cpu| ${Math.abs(gpu.v - cpu.v).toExponential(1)} (value ${cpu.v.toFixed(3)}), max |grad gpu − cpu| ${maxAbsDiff(gpu.g, cpu.g).toExponential(1)}, ‖W‖_F ≤ ${norm.toFixed(2)}, smallest gap ${gap[measure].toFixed(3)}`);
        // value: 2L moduli (singular values), each within 8·n·ε₃₂·‖W‖·κᵢ of exact (the README's
        // accuracy bound; κᵢ = 1 for singular values, taken ≤ 10 for eigenvalues of normal draws)
        expect(Math.abs(gpu.v - cpu.v)).toBeLessThan(2 * L * 8 * d * F32_EPS * norm * (measure === 'eigen' ? 10 : 1));
        // gradient entries of order 1 built from eigen-/singular vectors, which move by about
        // 8·n·ε₃₂·‖W‖/gap under those errors (first-order perturbation; gaps of these draws > 0.05)
        expect(gap[measure]).toBeGreaterThan(0.05);
        expect(maxAbsDiff(gpu.g, cpu.g)).toBeLessThan((8 * d * F32_EPS * norm) / gap[measure]);
        expect(maxAbs(cpu.g)).toBeGreaterThan(0.1);
      }
    } finally {
      await fg.init({ backend: 'cpu' });
    }
  });
});
