// The Elman RNN's gradient report: ρ(W) beside the observed growth of ‖∂h_t/∂h_0‖ (float64).
import { beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';
import { maxAbs, maxAbsDiff, vals } from './helpers.js';

const M = fg.models;
beforeAll(async () => {
  await fg.init({ backend: 'cpu' });
});


/** C = A·B for row-major d×d arrays. */
function matmul(A: number[], B: number[], d: number): number[] {
  const C = new Array<number>(d * d).fill(0);
  for (let i = 0; i < d; i++) for (let k = 0; k < d; k++) for (let j = 0; j < d; j++) C[i * d + j]! += A[i * d + k]! * B[k * d + j]!;
  return C;
}

const transposed = (A: number[], d: number) => A.map((_, k) => A[(k % d) * d + Math.floor(k / d)]!);

describe('linear RNN with W = c·Q (Q orthogonal): closed form', () => {
  it('∂h_t/∂h_0 = (W^t)ᵀ, ‖·‖₂ = c^t, rate = ρ(W) = ‖W‖₂ = c', async () => {
    const [d, T, B] = [5, 8, 3];
    for (const c of [0.8, 1.25]) {
      const net = M.elman({ inputSize: 2, hiddenSize: d, activation: 'identity', recurrentInit: 'orthogonal', gain: c, seed: 3 });
      const x = fg.randn([B, T, 2], { seed: 4 });
      const h0 = fg.randn([B, d], { seed: 5 });
      // the linear map's Jacobian does not depend on x or h0; h_{t+1} = h_t·W gives ∂h_t/∂h_0 = (W^t)ᵀ
      const W = await vals(net.params.W);
      const J = await vals(M.elmanStateJacobians(net, net.params, x, { h0 }));
      let P = W;
      for (let t = 1; t <= T; t++, P = matmul(P, W, d)) {
        const want = transposed(P, d);
        for (let b = 0; b < B; b++) {
          const got = J.slice(((t - 1) * B + b) * d * d, ((t - 1) * B + b + 1) * d * d);
          // entries of size ≤ c^t ≤ 6 after t ≤ 8 products of d = 5 terms: round-off ~ t·d·ε·c^t ≈ 1e-13
          expect(maxAbsDiff(got, want)).toBeLessThan(1e-12);
        }
      }
      for (const norm of ['spectral', 'frobenius'] as const) {
        const r = await M.elmanGradientReport(net, net.params, x, { h0, norm });
        // Francis QR and one-sided Jacobi are backward stable: |λ|, σ to a few n·ε relative
        expect(Math.abs(r.spectralRadius - c)).toBeLessThan(1e-13);
        expect(Math.abs(r.spectralNorm - c)).toBeLessThan(1e-13);
        const scale = norm === 'spectral' ? 1 : Math.sqrt(d); // ‖c^t Q^t‖_F = c^t √d
        r.norms.forEach((n, t) => expect(Math.abs(n / (scale * c ** t) - 1)).toBeLessThan(1e-12));
        // rate and fit from ratios of norms that are exact to ~1e-13 relative
        expect(Math.abs(r.rate - c)).toBeLessThan(1e-12);
        expect(Math.abs(r.fittedRate - c)).toBeLessThan(1e-12);
        expect(r.steps).toBe(T);
        expect(r.perSample.length).toBe(B);
        expect(r.perSample[0]!.length).toBe(T + 1);
      }
    }
  });

  it('the report uses the constrained W: antisymmetric W − Wᵀ − γI', async () => {
    const gamma = 0.3;
    const net = M.elman({ inputSize: 1, hiddenSize: 4, activation: 'identity', constraint: { kind: 'antisymmetric', gamma }, seed: 2 });
    const r = await M.elmanGradientReport(net, net.params, fg.randn([2, 6, 1], { seed: 1 }));
    // W − Wᵀ − γI is normal with eigenvalues −γ ± iω, so ρ = ‖·‖₂ = √(γ² + ω_max²), and
    // ∂h_t/∂h_0 = ((W − Wᵀ − γI)^t)ᵀ has spectral norm ρ^t: the rate is ρ (round-off as above)
    const A = await vals(net.recurrent(net.params));
    const free = await vals(net.params.W);
    expect(maxAbsDiff(A, free.map((w, k) => w - free[(k % 4) * 4 + Math.floor(k / 4)]! - (k % 5 === 0 ? gamma : 0)))).toBeLessThan(1e-15);
    expect(r.spectralRadius).toBeGreaterThan(gamma);
    expect(Math.abs(r.spectralNorm - r.spectralRadius)).toBeLessThan(1e-12);
    expect(Math.abs(r.rate - r.spectralRadius)).toBeLessThan(1e-12);
  });
});

describe('tanh RNN: decay for gain 0.5, growth for gain 1.5', () => {
  it('rates lie in [c·min σ′, c], with σ′ = 1 − h² read off the states', async () => {
    const [d, T, B] = [6, 10, 4];
    const rates: number[] = [];
    for (const c of [0.5, 1.5]) {
      const net = M.elman({ inputSize: 3, hiddenSize: d, recurrentInit: 'orthogonal', gain: c, seed: 7 });
      // small inputs from h_0 = 0: h_t ≈ Σ_k (x_k U) W^(t−k), at most ~1e-3·Σ 1.5^k ≈ 0.2 after
      // 10 steps, so tanh stays near its linear regime
      const x = fg.mul(fg.randn([B, T, 3], { seed: 8 }), 1e-3);
      const r = await M.elmanGradientReport(net, net.params, x);
      const hs = await Promise.all(net.states(net.params, x).slice(1).map(vals));
      const minSlope = 1 - Math.max(...hs.map((h) => maxAbs(h))) ** 2;
      expect(minSlope).toBeGreaterThan(0.9); // the regime the bounds are meant for
      expect(Math.abs(r.spectralRadius - c)).toBeLessThan(1e-13);
      // J_{t+1} = diag(1 − h_{t+1}²)·Wᵀ·J_t with W = c·Q: every step's ratio of spectral norms is
      // between σ_min(D)·c and ‖D‖·c ≤ c, so is their geometric mean (slack: float64 round-off)
      expect(r.rate).toBeLessThanOrEqual(c * (1 + 1e-12));
      expect(r.rate).toBeGreaterThanOrEqual(c * minSlope * (1 - 1e-12));
      for (let t = 1; t <= T; t++) expect(r.norms[t]! / r.norms[t - 1]!).toBeLessThanOrEqual(c * (1 + 1e-12));
      rates.push(r.rate);
    }
    expect(rates[0]!).toBeLessThan(0.5 + 1e-12); // decay: ‖∂h_10/∂h_0‖ ≤ 0.5¹⁰ ≈ 1e-3
    expect(rates[1]!).toBeGreaterThan(1.35); // growth: 1.5·0.9 at the least
  });

  it('saturation slows the growth below ρ: large inputs with gain 1.5', async () => {
    const net = M.elman({ inputSize: 3, hiddenSize: 6, gain: 1.5, seed: 7 });
    const r = await M.elmanGradientReport(net, net.params, fg.mul(fg.randn([4, 10, 3], { seed: 8 }), 3));
    // inputs of size ~3 drive |h| toward 1, where tanh′ = 1 − h² is small: the observed rate
    // falls far below ρ = 1.5 (here below 1: the gradient vanishes despite ρ > 1)
    expect(r.spectralRadius).toBeCloseTo(1.5, 12);
    expect(r.rate).toBeLessThan(1);
  });
});

describe('the Jacobians themselves', () => {
  const setup = () => {
    const net = M.elman({ inputSize: 2, hiddenSize: 3, gain: 1.1, seed: 11 });
    const x = fg.randn([2, 4, 2], { seed: 12 });
    const h0 = fg.mul(fg.randn([2, 3], { seed: 13 }), 0.5);
    return { net, x, h0 };
  };

  it('jacrev equals jacfwd, and both equal central differences per sample', async () => {
    const { net, x, h0 } = setup();
    const fwd = await vals(M.elmanStateJacobians(net, net.params, x, { h0 }));
    const rev = await vals(M.elmanStateJacobians(net, net.params, x, { h0, mode: 'jacrev' }));
    // the same float64 products of the same factors, associated differently: a few ulps of O(1)
    expect(maxAbsDiff(fwd, rev)).toBeLessThan(1e-13);
    const [B, T, d] = [2, 4, 3];
    const h0v = await vals(h0);
    const eps = 1e-5;
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < d; j++) {
        const at = async (delta: number) => {
          const p = h0v.slice();
          p[b * d + j]! += delta;
          return Promise.all(net.states(net.params, x, fg.tensor(p, [B, d])).slice(1).map(vals));
        };
        const [up, down] = [await at(eps), await at(-eps)];
        for (let t = 1; t <= T; t++) {
          for (let bb = 0; bb < B; bb++) {
            for (let i = 0; i < d; i++) {
              const numeric = (up[t - 1]![bb * d + i]! - down[t - 1]![bb * d + i]!) / (2 * eps);
              if (bb !== b) {
                expect(numeric).toBe(0); // samples do not interact (what the shared-perturbation Jacobian relies on)
                continue;
              }
              // central differences: truncation ε²/6·|h‴| ~ 1e-11, round-off ε_mach/ε ~ 1e-11
              expect(Math.abs(fwd[((t - 1) * B + b) * d * d + i * d + j]! - numeric)).toBeLessThan(1e-8);
            }
          }
        }
      }
    }
  });

  it('h0 ↦ h_T passes gradcheck', async () => {
    const { net, x, h0 } = setup();
    const report = await fg.gradcheck((h: fg.Tensor) => net.states(net.params, x, h).at(-1)!, [h0]);
    expect(report.pass).toBe(true);
  });
});

describe('bad input', () => {
  it('names the function, the argument and the shapes', async () => {
    const net = M.elman({ inputSize: 2, hiddenSize: 3 });
    const x = fg.zeros([4, 5, 2]);
    await expect(M.elmanGradientReport(net, net.params, x, { h0: fg.zeros([4, 2]) })).rejects.toThrow(
      /elmanGradientReport: h0 has shape \[4, 2\], expected \[4, 3\]/,
    );
    await expect(M.elmanGradientReport(net, net.params, fg.zeros([4, 2]))).rejects.toThrow(
      /elmanGradientReport: input x has shape \[4, 2\], expected \[batch ≥ 1, steps ≥ 1, 2\]/,
    );
    await expect(M.elmanGradientReport(net, net.params, fg.zeros([4, 0, 2]))).rejects.toThrow(/elmanGradientReport: input x has shape \[4, 0, 2\]/);
    await expect(M.elmanGradientReport(net, { ...net.params, W: fg.zeros([3, 4]) }, x)).rejects.toThrow(
      /elmanGradientReport: params\.W has shape \[3, 4\], expected \[3, 3\]/,
    );
    await expect(M.elmanGradientReport(net, net.params, x, { norm: 'nuclear' as 'spectral' })).rejects.toThrow(
      /elmanGradientReport: norm must be 'spectral' or 'frobenius', got "nuclear"/,
    );
    const mlp = M.mlp({ sizes: [2, 3] });
    await expect(M.elmanGradientReport(mlp as unknown as fg.models.ElmanModel, net.params, x)).rejects.toThrow(
      /elmanGradientReport: model must be an Elman RNN/,
    );
    expect(() => M.elmanStateJacobians(net, net.params, x, { h0: fg.zeros([3]) })).toThrow(
      /elmanStateJacobians: h0 has shape \[3\], expected \[4, 3\]/,
    );
    expect(() => M.elmanStateJacobians(net, net.params, x, { mode: 'fd' as 'jacfwd' })).toThrow(
      /elmanStateJacobians: mode must be 'jacfwd' or 'jacrev', got "fd"/,
    );
  });
});
