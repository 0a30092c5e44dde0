import { beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';
import { gramSchmidt, sortDescending } from '../analysis/qr.js';
import { initBoth, onBackend } from './helpers.js';
import type { Backend } from '../engine/backend.js';

let cpu: Backend;
let gpu: Backend;
beforeAll(async () => ({ cpu, gpu } = await initBoth()));

const lyap = fg.analysis.lyapunovSpectrum;
const sum = (v: ArrayLike<number>) => Array.from(v).reduce((a, b) => a + b, 0);

/** dx/dt = A x (row vectors: x·Aᵀ) with A = H B H, H a Householder reflection and B block upper triangular with eigenvalues 0.3, −0.5 ± 2i, −1.2. */
function linearSystem() {
  const B = [[0.3, 1, 0.5, 0.2], [0, -0.5, 2, 0.4], [0, -2, -0.5, 0.3], [0, 0, 0, -1.2]];
  const v = [1, -2, 0.5, 1];
  const vv = sum(v.map((x) => x * x));
  const H = v.map((a, i) => v.map((b, j) => (i === j ? 1 : 0) - (2 * a * b) / vv));
  const mm = (X: number[][], Y: number[][]) => X.map((r) => Y[0]!.map((_, j) => sum(r.map((x, k) => x * Y[k]![j]!))));
  const A = mm(mm(H, B), H);
  const f = (_t: number, x: fg.Tensor, a: fg.Tensor) => fg.matmul(x, a, { transB: true });
  return { A, f, trace: -1.2 - 0.5 - 0.5 + 0.3, realParts: [0.3, -0.5, -0.5, -1.2] };
}

const lorenz = (_t: number, y: fg.Tensor) => {
  const [x, v, z] = [0, 1, 2].map((i) => fg.slice(y, [i], [i + 1], [-1])) as [fg.Tensor, fg.Tensor, fg.Tensor];
  return fg.concat([fg.mul(fg.sub(v, x), 10), fg.sub(fg.mul(x, fg.sub(28, z)), v), fg.sub(fg.mul(x, v), fg.mul(z, 8 / 3))], -1);
};

/**
 * Canonical Hamiltonian flow of a one-layer network energy H(q, p) = ½‖p‖² + ½‖q‖² + Σᵢ tanh²((qK + b)ᵢ):
 * dq/dt = ∂H/∂p = p, dp/dt = −∂H/∂q. Its tangent flow is symplectic, so the spectrum is ±-symmetric.
 */
function hamiltonianFlow(d: number) {
  const K = fg.mul(fg.randn([d, 4], { seed: 3 }), 1.5);
  const b = fg.randn([4], { seed: 4 });
  return (_t: number, s: fg.Tensor) => {
    const q = fg.slice(s, [0], [d], [-1]);
    const p = fg.slice(s, [d], [2 * d], [-1]);
    const th = fg.tanh(fg.add(fg.matmul(q, K), b));
    const dV = fg.mul(fg.mul(th, fg.sub(1, fg.square(th))), 2); // d tanh²(u)/du
    return fg.concat([p, fg.neg(fg.add(q, fg.matmul(dV, K, { transB: true })))], -1);
  };
}

describe('analysis.lyapunovSpectrum', () => {
  it('dx/dt = Ax: the exponents are the real parts of the eigenvalues of A, sorted, and sum to tr A', async () => {
    const { A, f, trace, realParts } = linearSystem();
    const got = await onBackend(cpu, () => lyap(f, fg.tensor([1, 0, 0, 0]), { T: 40, dt: 0.02, qrEvery: 5, params: fg.tensor(A) }).data());
    // finite-time error ≈ log(cond of the eigenbasis)/T plus the rotation of the complex pair
    // (amplitude ≈ 1/(2·Im λ·T) ≈ 0.006 here): 0.02 leaves room for both
    Array.from(got).forEach((x, i) => expect(Math.abs(x - realParts[i]!), `λ${i + 1} = ${x}`).toBeLessThan(0.02));
    // the sum is (1/T)·log det of the RK4 propagator: tr A up to the O(dt⁴) step error
    expect(Math.abs(sum(got) - trace)).toBeLessThan(1e-6);
  });

  it('Lorenz (σ = 10, ρ = 28, β = 8/3), two initial conditions: λ₁ ≈ 0.9056, λ₂ ≈ 0, Σλ = −(σ + 1 + β)', async () => {
    const got = await onBackend(cpu, () => {
      const warm = fg.odeint(lorenz, fg.tensor([[1, 1, 1], [-3, 2, 20]]), [0, 20], { method: 'rk4', dt: 0.01 }); // onto the attractor
      const y0 = fg.reshape(fg.slice(warm, [1], [2], [0]), [2, 3]);
      return lyap(lorenz, y0, { T: 100, dt: 0.01, qrEvery: 5 }).data();
    });
    for (let b = 0; b < 2; b++) {
      const [l1, l2, l3] = Array.from(got.subarray(3 * b, 3 * b + 3));
      // the finite-time λ₁ over T = 100 scatters by a few hundredths around 0.9056 (at T = 500
      // both orbits gave 0.89–0.91); λ₂ → 0 like 1/T
      expect(Math.abs(l1! - 0.9056), `λ₁ = ${l1}`).toBeLessThan(0.08);
      expect(Math.abs(l2!), `λ₂ = ${l2}`).toBeLessThan(0.05);
      expect(l3!).toBeLessThan(-14);
      // tr J = −(σ + 1 + β) everywhere, so the sum is exact up to the RK4 error: per step
      // |log R(z) − z| ≈ |z|⁵/120 at z = λ₃·dt ≈ −0.146, i.e. ≈ 5e-5 per unit time (measured 1.0e-4)
      expect(Math.abs(l1! + l2! + l3! + (10 + 1 + 8 / 3))).toBeLessThan(3e-4);
    }
  }, 60_000);

  it('a Hamiltonian network flow: the spectrum is symmetric (λᵢ = −λ_{n+1−i}) and sums to 0; batching equals one-at-a-time', async () => {
    const f = hamiltonianFlow(2);
    const starts = [[1, 0.5, 0, 0.3], [2, 1.5, 0, 1]];
    const opts = { T: 50, dt: 0.02, qrEvery: 5 };
    const [batched, ...single] = await onBackend(cpu, () => Promise.all([lyap(f, fg.tensor(starts), opts).data(), ...starts.map((s) => lyap(f, fg.tensor(s), opts).data())]));
    starts.forEach((_, b) => {
      const l = Array.from(batched!.subarray(4 * b, 4 * b + 4));
      expect(l).toEqual(Array.from(single[b]!).map((x) => expect.closeTo(x, 12)));
      // volume preservation: the sum is 0 up to the RK4 step error (measured ~1e-7)
      expect(Math.abs(sum(l))).toBeLessThan(1e-6);
      // symplectic pairing holds exactly only as T → ∞; at T = 50 the pairs differ by ~2e-3
      for (let i = 0; i < 2; i++) expect(Math.abs(l[i]! + l[3 - i]!), `λ${i + 1} + λ${4 - i}`).toBeLessThan(0.01);
      expect(l[0]!).toBeGreaterThan(0.01); // not all zero: the check above is not vacuous
    });
  }, 60_000);

  it('WebGPU (float32) agrees with the float64 CPU backend', async () => {
    const { A, f } = linearSystem();
    const run = (b: Backend) => onBackend(b, () => lyap(f, fg.tensor([[1, 0, 0, 0], [0, 1, 1, 0]]), { T: 4, dt: 0.02, qrEvery: 5, params: fg.tensor(A) }).data());
    const [c, g] = [await run(cpu), await run(gpu)];
    // 200 RK4 steps in f32: each log Rᵢᵢ is off by ~1e-6, their mean over T = 4 far less than 1e-4
    Array.from(g).forEach((x, i) => expect(Math.abs(x - c[i]!)).toBeLessThan(1e-4));
  }, 60_000);

  it('bad input: T, dt, method, unknown options, y0 and f name lyapunovSpectrum', () => {
    onBackend(cpu, () => {
      const y0 = fg.tensor([1, 1, 1]);
      const call = (o: any) => () => lyap(lorenz, y0, o);
      expect(call({ T: 0, dt: 0.01 })).toThrow(/lyapunovSpectrum: T must be a finite positive number, got 0/);
      expect(call({ T: -1, dt: 0.01 })).toThrow(fg.ArgumentError);
      expect(call({ T: 1, dt: 1 })).toThrow(/lyapunovSpectrum: dt = 1 must be smaller than T = 1/);
      expect(call({ T: 1, dt: 2 })).toThrow(/must be smaller than T/);
      expect(call({ T: 1, dt: NaN })).toThrow(/lyapunovSpectrum: dt must be a finite positive number, got NaN/);
      expect(call({ T: 1, dt: Infinity })).toThrow(/dt must be a finite positive number/);
      expect(call({ T: 1, dt: 0.1, method: 'dopri5' })).toThrow(/lyapunovSpectrum: unknown method "dopri5"/);
      expect(call({ T: 1, dt: 0.1, qrEvery: 0 })).toThrow(/lyapunovSpectrum: qrEvery must be a positive integer/);
      expect(call({ T: 1, dt: 0.1, dT: 0.1 })).toThrow(/lyapunovSpectrum: unknown option dT \(did you mean dt\?\); known: params, T, dt, method, qrEvery, t0/);
      expect(call(undefined)).toThrow(/lyapunovSpectrum: options \{ T, dt \} are required/);
      expect(() => lyap(lorenz, [1, 2, 3] as any, { T: 1, dt: 0.1 })).toThrow(/lyapunovSpectrum: y0 must be a Tensor/);
      expect(() => lyap(null as any, y0, { T: 1, dt: 0.1 })).toThrow(/lyapunovSpectrum: f must be a function/);
      expect(() => lyap((_t, y) => fg.sum(y), y0, { T: 1, dt: 0.1 })).toThrow(/lyapunovSpectrum: f must return dy\/dt with y's shape \[3\], got \[\]/);
    });
  });
});

describe('analysis helpers', () => {
  it('sortDescending sorts each row, ties included; gramSchmidt gives orthonormal Q with QR = A', async () => {
    await onBackend(cpu, async () => {
      const x = fg.tensor([[3, -1, 3, 0.5], [-2, -2, -2, 7]]);
      expect(await sortDescending(x).array()).toEqual([[3, 3, 0.5, -1], [7, -2, -2, -2]]);
      const A = fg.randn([2, 5, 3], { seed: 1 });
      const { q, r } = gramSchmidt(A);
      const qtq = await fg.matmul(q, q, { transA: true }).data();
      const eye = Array.from({ length: 2 }, () => [1, 0, 0, 0, 1, 0, 0, 0, 1]).flat();
      Array.from(qtq).forEach((v, i) => expect(v).toBeCloseTo(eye[i]!, 12));
      // R = Qᵀ A is upper triangular with the returned positive diagonal
      const R = await fg.matmul(q, A, { transA: true }).data();
      const rd = await r.data();
      for (let b = 0; b < 2; b++) for (let i = 0; i < 3; i++) {
        expect(R[9 * b + 4 * i]).toBeCloseTo(rd[3 * b + i]!, 12);
        expect(rd[3 * b + i]).toBeGreaterThan(0);
        for (let j = 0; j < i; j++) expect(R[9 * b + 3 * i + j]).toBeCloseTo(0, 12);
      }
    });
  });
});
