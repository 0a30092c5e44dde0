import { beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';
import { initBoth, onBackend } from './helpers.js';
import type { Backend } from '../engine/backend.js';

let cpu: Backend;
let gpu: Backend;
beforeAll(async () => ({ cpu, gpu } = await initBoth()));

const M = fg.models;

/** Central-difference Jacobian of example b of fn at x [B, D] (float64): [M][D]. */
async function fdJacobian(fn: (x: fg.Tensor) => fg.Tensor, x: Float64Array, B: number, D: number, b: number, eps = 1e-6): Promise<number[][]> {
  const cols: number[][] = [];
  for (let j = 0; j < D; j++) {
    const at = async (s: number) => {
      const v = x.slice();
      v[b * D + j]! += s;
      const y = await fn(fg.tensor(v, [B, D])).data();
      return Array.from(y.subarray((y.length / B) * b, (y.length / B) * (b + 1)));
    };
    const [p, m] = [await at(eps), await at(-eps)];
    cols.push(p.map((v, i) => (v - m[i]!) / (2 * eps)));
  }
  return cols[0]!.map((_, i) => cols.map((c) => c[i]!)); // rows: outputs
}

/** Singular values of a small matrix by one-sided Jacobi rotations (float64), descending. */
function jacobiSingularValues(A: number[][]): number[] {
  const m = A.length;
  const n = A[0]!.length;
  const U = m >= n ? A.map((r) => r.slice()) : A[0]!.map((_, j) => A.map((r) => r[j]!)); // tall
  const k = U[0]!.length;
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < k; p++) for (let q = p + 1; q < k; q++) {
      let a = 0, b = 0, c = 0;
      for (const r of U) (a += r[p]! ** 2, b += r[q]! ** 2, c += r[p]! * r[q]!);
      off = Math.max(off, Math.abs(c) / Math.sqrt(a * b || 1));
      if (Math.abs(c) < 1e-300) continue;
      const zeta = (b - a) / (2 * c);
      const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
      const cs = 1 / Math.sqrt(1 + t * t);
      const sn = cs * t;
      for (const r of U) [r[p], r[q]] = [cs * r[p]! - sn * r[q]!, sn * r[p]! + cs * r[q]!];
    }
    if (off < 1e-15) break;
  }
  return Array.from({ length: k }, (_, j) => Math.sqrt(U.reduce((s, r) => s + r[j]! ** 2, 0))).sort((x, y) => y - x);
}

describe('analysis.jacobianConditioning', () => {
  it('a ResNet over training: per-example Jacobians, singular values and condition numbers match finite differences and a Jacobi SVD', async () => {
    await onBackend(cpu, async () => {
      const ds = M.data.moons({ n: 64, seed: 1, noise: 0.1 });
      const net = M.resnet({ width: 3, layers: 4, inputSize: 2, outputSize: 2, seed: 2, gain: 2 });
      const B = 6;
      const x = ds.x.slice(0, 2 * B);
      let params = net.params;
      const track: number[][] = [];
      for (let chunk = 0; chunk < 3; chunk++) {
        if (chunk > 0) {
          const r = await M.train({ model: net, params, data: { train: ds }, maxSteps: 15, batchSize: 64, optimizer: (p) => fg.optim.adam(p, { lr: 0.05 }), progress: false });
          params = r.params;
        }
        const fn = (u: fg.Tensor) => net.apply(params, u);
        const c = fg.analysis.jacobianConditioning(fn, fg.tensor(x, [B, 2]));
        expect(c.jacobian.shape).toEqual([B, 2, 2]);
        expect(c.singularValues.shape).toEqual([B, 2]);
        expect(c.condition.shape).toEqual([B]);
        const [J, s, kappa] = await Promise.all([c.jacobian.data(), c.singularValues.data(), c.condition.data()]);
        for (let b = 0; b < B; b++) {
          const fd = await fdJacobian(fn, x, B, 2, b);
          // central differences at eps = 1e-6 in float64: truncation ~eps²·|f'''| plus rounding ~1e-16/eps
          fd.flat().forEach((v, i) => expect(J[4 * b + i]).toBeCloseTo(v, 8));
          const ref = jacobiSingularValues(fd);
          ref.forEach((v, i) => expect(s[2 * b + i]).toBeCloseTo(v, 8));
          // κ amplifies the absolute FD error of σ₂ (~1e-9) by 1/σ₂: compare relatively
          expect(Math.abs(kappa[b]! / (ref[0]! / ref[1]!) - 1)).toBeLessThan(1e-6);
        }
        track.push(Array.from(kappa));
      }
      // training changed the map: the condition numbers moved
      expect(track[2]!.some((k, b) => Math.abs(k - track[0]![b]!) > 1e-3 * track[0]![b]!)).toBe(true);
    });
  }, 60_000);

  it('a Neural ODE on images of shape [2, 2] per example, and WebGPU agrees with the CPU', async () => {
    const run = (b: Backend) => onBackend(b, async () => {
      const net = M.node({ width: 4, steps: 6, seed: 3 });
      const x = fg.randn([5, 2, 2], { seed: 4 });
      const fn = (u: fg.Tensor) => net.apply(net.params, fg.reshape(u, [5, 4]));
      const c = fg.analysis.jacobianConditioning(fn, x);
      expect(c.jacobian.shape).toEqual([5, 4, 4]);
      return { J: await c.jacobian.data(), s: await c.singularValues.data(), k: await c.condition.data(), xv: await x.data(), fn };
    });
    const c = await run(cpu);
    const fd = await onBackend(cpu, () => fdJacobian(c.fn, Float64Array.from(c.xv), 5, 4, 3));
    fd.flat().forEach((v, i) => expect(c.J[16 * 3 + i]).toBeCloseTo(v, 7));
    jacobiSingularValues(fd).forEach((v, i) => expect(c.s[4 * 3 + i]).toBeCloseTo(v, 7));
    const g = await run(gpu);
    // f32: each entry of J to ~1e-5 relative; σ and κ = σ₁/σ₄ inherit it (κ is O(10) here)
    Array.from(g.s).forEach((v, i) => expect(Math.abs(v - c.s[i]!)).toBeLessThan(1e-4 * Math.max(1, c.s[i]!)));
    Array.from(g.k).forEach((v, i) => expect(Math.abs(v - c.k[i]!) / c.k[i]!).toBeLessThan(1e-3));
  }, 60_000);

  it('bad input names jacobianConditioning', () => {
    onBackend(cpu, () => {
      const fn = (u: fg.Tensor) => fg.tanh(u);
      expect(() => fg.analysis.jacobianConditioning(fn, fg.tensor([1, 2]))).toThrow(/jacobianConditioning: x has shape \[2\], expected rank ≥ 2/);
      expect(() => fg.analysis.jacobianConditioning(fn, fg.zeros([0, 3]))).toThrow(/jacobianConditioning: x has shape \[0, 3\]/);
      expect(() => fg.analysis.jacobianConditioning(null as any, fg.zeros([2, 3]))).toThrow(/jacobianConditioning: fn must be a function/);
      expect(() => fg.analysis.jacobianConditioning((u) => fg.sum(u), fg.zeros([2, 3]))).toThrow(/jacobianConditioning: fn must map the batch \[2, 3\] to outputs \[2, \.\.\.\], got \[\]/);
    });
  });
});
