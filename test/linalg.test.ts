// fg.linalg beyond the op conformance suite: symmetric eigen, SVD and Lyapunov accuracy on both
// backends, gradients of the public functions (spectral radius, stiffness, …) in float64,
// repeated and defective eigenvalues, bad input, and non-convergence reported by batch index.
import { beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';
import type { Backend } from '../engine/backend.js';
import { fromValues } from '../engine/creation.js';
import { normalArray } from '../engine/random.js';
import { eigvals as refEigvals, eigvalsh as refEigvalsh, svdvals as refSvdvals } from '../solvers/linalg/reference/index.js';
import { similar } from '../solvers/linalg/samples.js';
import { eigvalsPath, setEigvalsPath } from '../kernels/linalg/eig.js';
import { F32_EPS, initBoth, maxAbsDiff, onBackend } from './helpers.js';

let cpu: Backend;
let gpu: Backend;
beforeAll(async () => ({ cpu, gpu } = await initBoth()));

const F64_EPS = 2.220446049250313e-16;
const both = [
  ['cpu', () => cpu, F64_EPS],
  ['webgpu', () => gpu, F32_EPS],
] as const;

const rand = (shape: number[], seed: number) => Float64Array.from(normalArray(shape.reduce((a, b) => a * b, 1), seed), Math.fround);
const on = (b: Backend, v: ArrayLike<number>, shape: number[]) => fromValues(v, shape, b);

/** row-major product of [m, k] and [k, n] blocks of plain arrays */
function matmul(a: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number, ao = 0, bo = 0): number[] {
  const out = new Array<number>(m * n).fill(0);
  for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) out[i * n + j]! += a[ao + i * k + p]! * b[bo + p * n + j]!;
  return out;
}
const transpose = (a: ArrayLike<number>, m: number, n: number, o = 0) => Array.from({ length: m * n }, (_, e) => a[o + (e % m) * n + Math.floor(e / m)]!);
const frob = (x: ArrayLike<number>) => Math.sqrt(Array.from(x).reduce((s, v) => s + v * v, 0));

describe('eigvals: one workgroup per matrix', () => {
  it('gives the eigenvalues of one thread per matrix (same algorithm), n = 2…64, and reports failures alike', async () => {
    const rt = fg.gpuRuntime();
    const results: Record<string, Float32Array | Float64Array> = {};
    for (const path of ['thread', 'workgroup'] as const) {
      setEigvalsPath(path);
      try {
        for (const n of [2, 5, 16, 33, 64]) {
          expect(eigvalsPath(rt, n, 3)).toBe(path);
          const A = on(gpu, rand([3, n, n], 300 + n), [3, n, n]);
          results[`${path} ${n}`] = await onBackend(gpu, () => fg.linalg.eigvals(A).re).data();
        }
        const bad = rand([3, 6, 6], 7);
        bad[2 * 36 + 4] = NaN;
        await expect(onBackend(gpu, () => fg.linalg.eigvals(on(gpu, bad, [3, 6, 6])).re).data()).rejects.toThrow(/eigvals: matrix 2 of A \[3, 6, 6\] has a non-finite entry/);
        const stuck = onBackend(gpu, () => fg.linalg.eigvals(on(gpu, rand([2, 6, 6], 8), [2, 6, 6]), { maxIterations: 1 }).re);
        await expect(stuck.data()).rejects.toThrow(/did not converge for matrix 0 of A \[2, 6, 6\]/);
      } finally {
        setEigvalsPath('auto');
      }
    }
    for (const n of [2, 5, 16, 33, 64]) {
      // the same operations in the same order, except reductions split over threads: a few ε·κ
      const scale = Math.max(1, ...Array.from(results[`thread ${n}`]!, Math.abs));
      expect(maxAbsDiff(results[`thread ${n}`]!, results[`workgroup ${n}`]!), `n=${n}`).toBeLessThanOrEqual(1e-4 * scale);
    }
    // beyond workgroup memory, the global-memory (thread) path takes over
    expect(eigvalsPath(rt, 65, 3)).toBe('thread');
  });
});

describe('eigh', () => {
  for (const [where, backend, eps] of both) {
    it(`on ${where}: ‖AV − VΛ‖/‖A‖ and ‖VᵀV − I‖ ≤ 8·n·ε, values match the reference`, async () => {
      for (const n of [1, 2, 5, 16, 33]) {
        const count = 3;
        const r = rand([count, n, n], n);
        const sym = Array.from(r, (_, e) => {
          const base = e - (e % (n * n));
          const [i, j] = [Math.floor((e % (n * n)) / n), e % n];
          return Math.fround(r[base + i * n + j]! + r[base + j * n + i]!);
        });
        const { values, vectors } = onBackend(backend(), () => fg.linalg.eigh(on(backend(), sym, [count, n, n])));
        const [lam, v] = [await values.data(), await vectors.data()];
        for (let m = 0; m < count; m++) {
          const a = sym.slice(m * n * n, (m + 1) * n * n);
          const av = matmul(a, v, n, n, n, 0, m * n * n);
          let res = 0;
          for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) res += (av[i * n + j]! - lam[m * n + j]! * v[m * n * n + i * n + j]!) ** 2;
          // backward stable (Jacobi): residual and orthogonality at the rounding level
          expect(Math.sqrt(res) / frob(a), `n=${n} residual`).toBeLessThanOrEqual(8 * n * eps);
          const vtv = matmul(transpose(v, n, n, m * n * n), v, n, n, n, 0, m * n * n);
          expect(maxAbsDiff(vtv, Array.from({ length: n * n }, (_, e) => (e % (n + 1) === 0 ? 1 : 0))), `n=${n} orthogonality`).toBeLessThanOrEqual(8 * n * eps);
          const ref = refEigvalsh(Float64Array.from(a), n);
          // symmetric eigenvalues are perfectly conditioned: |δλ| ≤ ‖δA‖
          expect(maxAbsDiff(lam.slice(m * n, (m + 1) * n), ref), `n=${n} values`).toBeLessThanOrEqual(8 * n * eps * frob(a));
        }
      }
    });
  }
});

describe('svd', () => {
  for (const [where, backend, eps] of both) {
    it(`on ${where}: ‖A − U S Vᵀ‖/‖A‖ ≤ 8·max(m,n)·ε, orthonormal U and V, square, tall and wide`, async () => {
      for (const [m, n] of [[1, 1], [4, 4], [7, 3], [3, 7], [20, 20], [40, 9]] as const) {
        const k = Math.min(m, n);
        const count = 2;
        const a = rand([count, m, n], 7 * m + n);
        const A = on(backend(), a, [count, m, n]);
        const { u, s, v } = onBackend(backend(), () => fg.linalg.svd(A));
        const [ud, sd, vd] = [await u.data(), await s.data(), await v.data()];
        const sv = await onBackend(backend(), () => fg.linalg.svdvals(A)).data();
        const tol = 8 * Math.max(m, n) * eps;
        for (let b = 0; b < count; b++) {
          const am = a.slice(b * m * n, (b + 1) * m * n);
          const us = Array.from({ length: m * k }, (_, e) => ud[b * m * k + e]! * sd[b * k + (e % k)]!);
          const rec = matmul(us, transpose(vd, n, k, b * n * k), m, k, n);
          expect(frob(rec.map((x, e) => x - am[e]!)) / frob(am), `${m}×${n} reconstruction`).toBeLessThanOrEqual(tol);
          const utu = matmul(transpose(ud, m, k, b * m * k), ud, k, m, k, 0, b * m * k);
          const vtv = matmul(transpose(vd, n, k, b * n * k), vd, k, n, k, 0, b * n * k);
          const eye = Array.from({ length: k * k }, (_, e) => (e % (k + 1) === 0 ? 1 : 0));
          expect(maxAbsDiff(utu, eye), `${m}×${n} UᵀU`).toBeLessThanOrEqual(tol);
          expect(maxAbsDiff(vtv, eye), `${m}×${n} VᵀV`).toBeLessThanOrEqual(tol);
          // singular values are perfectly conditioned: |δσ| ≤ ‖δA‖
          const ref = refSvdvals(Float64Array.from(am), m, n);
          expect(maxAbsDiff(sd.slice(b * k, (b + 1) * k), ref), `${m}×${n} values`).toBeLessThanOrEqual(tol * frob(am));
          expect(maxAbsDiff(sv.slice(b * k, (b + 1) * k), ref), `${m}×${n} svdvals`).toBeLessThanOrEqual(tol * frob(am));
        }
      }
    });
  }

  it('completes U with orthonormal columns for zero singular values', async () => {
    for (const [, backend, eps] of both) {
      const a = [1, 2, 0, 2, 4, 0, 0, 0, 0]; // rank 1
      const { u, s } = onBackend(backend(), () => fg.linalg.svd(on(backend(), a, [3, 3])));
      const ud = await u.data();
      expect(Array.from(await s.data()).slice(1).every((x) => x <= 8 * eps * 5)).toBe(true);
      const utu = matmul(transpose(ud, 3, 3), ud, 3, 3, 3);
      expect(maxAbsDiff(utu, [1, 0, 0, 0, 1, 0, 0, 0, 1])).toBeLessThanOrEqual(24 * eps);
    }
  });
});

describe('solveDiscreteLyapunov', () => {
  for (const [where, backend, eps] of both) {
    it(`on ${where}: ‖AᵀPA − P + Q‖ ≤ 64·n²·ε·‖P‖ for the Kronecker (n ≤ 16) and doubling (n > 16) paths`, async () => {
      for (const n of [1, 3, 8, 16, 20]) {
        const count = 2;
        // spectral radius about 0.6: the doubling series converges, and the system is well conditioned
        const a = rand([count, n, n], 50 + n).map((x) => Math.fround((0.6 * x) / (2 * Math.sqrt(n) + 1)));
        const q = rand([count, n, n], 60 + n);
        const p = await onBackend(backend(), () => fg.linalg.solveDiscreteLyapunov(on(backend(), a, [count, n, n]), on(backend(), q, [count, n, n]))).data();
        for (let b = 0; b < count; b++) {
          const o = b * n * n;
          const apa = matmul(matmul(transpose(a, n, n, o), p, n, n, n, 0, o), a, n, n, n, 0, o);
          const r = apa.map((x, e) => x - p[o + e]! + q[o + e]!);
          // the Kronecker solve's error grows with its size n² (elimination of an n²×n² system)
          expect(frob(r), `n=${n}`).toBeLessThanOrEqual(64 * n * n * eps * Math.max(1, frob(p.slice(o, o + n * n))));
        }
      }
    });
  }
});

describe('gradients in float64', () => {
  const matrix = (seed: number) => similar([2.2, [-0.7, 1.1], 0.6, [0.1, -0.35]], seed);

  it('eigvals, spectralRadius, stiffness and |λ| pass gradcheck (simple eigenvalues, a batch of two)', async () => {
    const A = on(cpu, [...matrix(3), ...matrix(4)], [2, 6, 6]);
    const checks: [string, (a: fg.Tensor) => fg.Tensor][] = [
      ['eigvals re', (a) => fg.linalg.eigvals(a).re],
      ['eigvals im', (a) => fg.linalg.eigvals(a).im],
      ['|λ|', (a) => fg.linalg.eigvalsAbs(a)],
      ['spectralRadius', (a) => fg.linalg.spectralRadius(a)],
      ['stiffness', (a) => fg.linalg.stiffness(a)],
      ['eig vectors', (a) => fg.linalg.eig(a, { left: true }).left!.im],
    ];
    for (const [name, f] of checks) {
      const report = await fg.gradcheck(f, [A], { backend: 'cpu' });
      expect(report.pass, `${name}: ${JSON.stringify(report.inputs)}`).toBe(true);
    }
  });

  it('spectralRadius and stiffness agree with finite differences of the float64 reference', async () => {
    const a = matrix(5);
    const radius = (m: number[]) => {
      const { re, im } = refEigvals(Float64Array.from(m), 6);
      const mods = Array.from(re, (x, i) => Math.hypot(x, im[i]!));
      return [Math.max(...mods), Math.max(...mods) - Math.min(...mods)];
    };
    const g1 = await fg.grad((x: fg.Tensor) => fg.linalg.spectralRadius(x))(on(cpu, a, [6, 6])).data();
    const g2 = await fg.grad((x: fg.Tensor) => fg.linalg.stiffness(x))(on(cpu, a, [6, 6])).data();
    const h = 1e-6;
    for (let e = 0; e < 36; e += 5) {
      const up = radius(a.map((x, i) => (i === e ? x + h : x)));
      const dn = radius(a.map((x, i) => (i === e ? x - h : x)));
      // central differences: truncation h²·f''' and round-off ε/h, about 1e-9 here
      expect(Math.abs(g1[e]! - (up[0]! - dn[0]!) / (2 * h))).toBeLessThanOrEqual(1e-6);
      expect(Math.abs(g2[e]! - (up[1]! - dn[1]!) / (2 * h))).toBeLessThanOrEqual(1e-6);
    }
  });

  it('eigh (symmetrized input), svd and solveDiscreteLyapunov pass gradcheck through the public functions', async () => {
    const S = on(cpu, similar([1.8, -0.9, 0.3, 2.9], 8), [4, 4]);
    const R = on(cpu, rand([5, 3], 9), [5, 3]);
    const A = on(cpu, rand([3, 3], 10).map((x) => 0.3 * x), [3, 3]);
    const Q = on(cpu, rand([3, 3], 11), [3, 3]);
    const checks: [string, (...x: fg.Tensor[]) => fg.Tensor, fg.Tensor[]][] = [
      ['eigh values', (x) => fg.linalg.eigh(x).values, [S]],
      ['eigh vectors', (x) => fg.linalg.eigh(x).vectors, [S]],
      ['svd u', (x) => fg.linalg.svd(x).u, [R]],
      ['svd v', (x) => fg.linalg.svd(x).v, [R]],
      ['svdvals', (x) => fg.linalg.svdvals(x), [R]],
      ['lyapunov', (a, q) => fg.linalg.solveDiscreteLyapunov(a!, q!), [A, Q]],
    ];
    for (const [name, f, xs] of checks) {
      const report = await fg.gradcheck(f, xs, { backend: 'cpu' });
      expect(report.pass, `${name}: ${JSON.stringify(report.inputs)}`).toBe(true);
    }
  });

  it('second derivatives: the Hessian-vector product of the spectral radius matches finite differences of its gradient', async () => {
    const a = on(cpu, matrix(6), [6, 6]);
    const v = on(cpu, rand([6, 6], 12), [6, 6]);
    const hv = await fg.hvp((x: fg.Tensor) => fg.linalg.spectralRadius(x), a, v).data();
    const h = 1e-5;
    const g = (s: number) => fg.grad((x: fg.Tensor) => fg.linalg.spectralRadius(x))(fg.add(a, fg.mul(v, s * h))).data();
    const [gp, gm] = await Promise.all([g(1), g(-1)]);
    const fd = Array.from({ length: gp.length }, (_, i) => (gp[i]! - gm[i]!) / (2 * h));
    // central differences of the gradient: truncation h²·f'''' ~ 1e-9 and round-off ε/h ~ 1e-11
    expect(maxAbsDiff(hv, fd)).toBeLessThanOrEqual(1e-6 * Math.max(1, ...fd.map(Math.abs)));
  });

  it('the gradient on WebGPU matches float64 to float32 accuracy', async () => {
    const vals = [...matrix(3), ...matrix(4)].map(Math.fround);
    const f = (x: fg.Tensor) => fg.sum(fg.linalg.stiffness(x));
    const g64 = await fg.grad(f)(on(cpu, vals, [2, 6, 6])).data();
    const g32 = await onBackend(gpu, () => fg.grad(f)(on(gpu, vals, [2, 6, 6]))).data();
    // eigenvalue condition numbers of these matrices are below 10: error ~ 10·n·ε·‖∂λ/∂A‖
    expect(maxAbsDiff(g32, g64)).toBeLessThanOrEqual(1e-4 * Math.max(1, ...Array.from(g64, Math.abs)));
  });
});

describe('repeated and defective eigenvalues', () => {
  const jordan = [2, 1, 0, 0, 2, 0, 0, 0, -1]; // a 2×2 Jordan block for λ = 2, and λ = −1

  for (const [where, backend] of both) {
    it(`on ${where}: eigenvalues are returned, their gradient is a NumericalError naming matrix and eigenvalues`, async () => {
      const b = backend();
      const A = on(b, [...similar([3, 1, -2], 2), ...jordan], [2, 3, 3]);
      const { re, im } = onBackend(b, () => fg.linalg.eigvals(A));
      expect(Array.from(await re.data()).slice(3)).toEqual([2, 2, -1]);
      expect(Array.from(await im.data()).slice(3)).toEqual([0, 0, 0]);
      const grad = () => onBackend(b, () => fg.grad((x: fg.Tensor) => fg.sum(fg.linalg.eigvals(x).re))(A));
      const tangent = () => onBackend(b, () => fg.jvp((x: fg.Tensor) => fg.linalg.spectralRadius(x), [A], [fg.ones([2, 3, 3])])[1]);
      const message = /eigvals: the derivative does not exist at matrix 1 of A \[2, 3, 3\]: eigenvalues 0 and 1 \(in the order returned\) are repeated/;
      for (const run of [grad, tangent]) {
        if (where === 'cpu') expect(run).toThrow(message);
        else {
          // WebGPU reports with the next read; the derivative itself is NaN, never a number
          const t = run();
          await expect(t.data()).rejects.toThrow(message);
          await expect(t.data()).resolves.toSatisfy((d: Float32Array) => d.slice(9).every(Number.isNaN));
        }
        expect(fg.NumericalError).toBeDefined();
      }
    });

    it(`on ${where}: a repeated symmetric eigenvalue has no eigh derivative`, async () => {
      const b = backend();
      const A = on(b, [1, 0, 0, 0, 1, 0, 0, 0, 3], [3, 3]);
      // a cotangent of the eigenvectors that depends on the basis of the repeated eigenspace
      // (VᵀḠ is not symmetric between the tied columns 0 and 1); sum(vectors) would not be one here
      const W = on(b, [1, 2, 0, 0, 1, 0, 0, 0, 1], [3, 3]);
      const run = () => onBackend(b, () => fg.grad((x: fg.Tensor) => fg.sum(fg.mul(fg.linalg.eigh(x).vectors, W)))(A));
      const message = /eigh: the derivative does not exist at matrix 0 of A \[3, 3\]: eigenvalues 0 and 1 \(in the order returned\) are repeated/;
      if (where === 'cpu') expect(run).toThrow(fg.NumericalError);
      else await expect(run().data()).rejects.toThrow(fg.NumericalError);
      if (where === 'cpu') expect(run).toThrow(message);
    });
  }
});

describe('bad input', () => {
  for (const [where, backend] of both) {
    it(`on ${where}: non-square and rank < 2 are ShapeErrors naming op, argument and shape`, () => {
      const b = backend();
      const cases: [() => unknown, RegExp][] = [
        [() => fg.linalg.eigvals(on(b, new Float64Array(6), [2, 3])), /eigvals: A must be square in its last two dimensions, got A \[2, 3\]/],
        [() => fg.linalg.eig(on(b, new Float64Array(3), [3])), /eig: A must be a matrix or a batch of matrices \(rank ≥ 2\), got A \[3\]/],
        [() => fg.linalg.eigh(on(b, new Float64Array(12), [2, 2, 3])), /eigh: A must be square in its last two dimensions, got A \[2, 2, 3\]/],
        [() => fg.linalg.spectralRadius(on(b, new Float64Array(6), [3, 2])), /spectralRadius: A must be square/], // the public name, not the op underneath
        [() => fg.linalg.svdvals(on(b, new Float64Array(1), [])), /svdvals: A must be a matrix or a batch of matrices \(rank ≥ 2\), got A \[\]/],
        [() => fg.linalg.solveDiscreteLyapunov(on(b, new Float64Array(4), [2, 2]), on(b, new Float64Array(9), [3, 3])), /solveDiscreteLyapunov: A \[2, 2\] and Q \[3, 3\] must hold matrices of one size/],
      ];
      for (const [run, message] of cases) {
        expect(() => onBackend(b, run)).toThrow(fg.ShapeError);
        expect(() => onBackend(b, run)).toThrow(message);
      }
      expect(() => fg.linalg.eigvals([[1]] as unknown as fg.Tensor)).toThrow(/eigvals: A must be a Tensor/);
    });

    it(`on ${where}: NaN or Inf entries are an ArgumentError naming the matrix of the batch`, async () => {
      const b = backend();
      const vals = rand([2, 3, 4, 4], 1);
      vals[5 * 16 + 13] = NaN; // matrix 5 = batch index [1, 2], in the lower triangle (eigh reads only that)
      vals[6 * 16 + 4] = Infinity;
      const ops: [string, (a: fg.Tensor) => fg.Tensor][] = [
        ['eigvals', (a) => fg.linalg.eigvals(a).re],
        ['eig', (a) => fg.linalg.eig(a).vectors.re],
        ['eigh', (a) => fg.linalg.eigh(a, { symmetrize: false }).values],
        ['svd', (a) => fg.linalg.svd(a).s],
        ['solveDiscreteLyapunov', (a) => fg.linalg.solveDiscreteLyapunov(a, a)],
      ];
      for (const [name, f] of ops) {
        const message = new RegExp(`${name}: matrix 5 \\(batch index \\[1, 2\\]\\) of (A|Q) \\[2, 3, 4, 4\\].* has a non-finite entry`);
        if (where === 'cpu') {
          expect(() => onBackend(b, () => f(on(b, vals, [2, 3, 4, 4]))), name).toThrow(fg.ArgumentError);
          expect(() => onBackend(b, () => f(on(b, vals, [2, 3, 4, 4]))), name).toThrow(message);
        } else {
          await expect(onBackend(b, () => f(on(b, vals, [2, 3, 4, 4]))).data(), name).rejects.toThrow(message);
        }
      }
    });
  }
});

describe('non-convergence', () => {
  for (const [where, backend] of both) {
    it(`on ${where}: exceeding the iteration cap is a NumericalError naming the batch index, never a hang`, async () => {
      const b = backend();
      // matrices 0 and 1 are triangular (no QR step needed), matrix 2 needs several
      const tri = (s: number) => Array.from(rand([5, 5], s), (x, e) => (e % 5 >= Math.floor(e / 5) ? x : 0));
      const A = on(b, [...tri(1), ...tri(2), ...rand([5, 5], 3)], [3, 5, 5]);
      const message = /eigvals: the Francis QR iteration \(at most 1 steps per eigenvalue\) did not converge for matrix 2 of A \[3, 5, 5\]|eigvals: matrix 2 of A \[3, 5, 5\]: Francis QR iteration did not converge/;
      const run = () => onBackend(b, () => fg.linalg.eigvals(A, { maxIterations: 1 }).re);
      if (where === 'cpu') {
        expect(run).toThrow(fg.NumericalError);
        expect(run).toThrow(message);
      } else {
        const t = run();
        await expect(t.data()).rejects.toThrow(message);
        // the matrices that converged keep their eigenvalues; the failed one is NaN
        const d = await t.data();
        expect(d.slice(0, 10).every(Number.isFinite) && d.slice(10).every(Number.isNaN)).toBe(true);
      }
      // with the default cap the same batch converges
      expect((await onBackend(b, () => fg.linalg.eigvals(A).re).data()).every(Number.isFinite)).toBe(true);
    });

    it(`on ${where}: Lyapunov without a unique solution, or doubling with ρ(A) ≥ 1, is a NumericalError`, async () => {
      const b = backend();
      const eye = (n: number) => Array.from({ length: n * n }, (_, e) => (e % (n + 1) === 0 ? 1 : 0));
      const singular = () => onBackend(b, () => fg.linalg.solveDiscreteLyapunov(on(b, eye(3), [3, 3]), on(b, eye(3), [3, 3])));
      const diverging = () => onBackend(b, () => fg.linalg.solveDiscreteLyapunov(on(b, eye(17).map((x) => 1.5 * x), [17, 17]), on(b, eye(17), [17, 17])));
      if (where === 'cpu') {
        expect(singular).toThrow(/solveDiscreteLyapunov: matrix 0 of A \[3, 3\]: .*singular/);
        expect(diverging).toThrow(/solveDiscreteLyapunov: matrix 0 of A \[17, 17\]: .*spectral radius/);
      } else {
        await expect(singular().data()).rejects.toThrow(/solveDiscreteLyapunov: matrix 0 of A \[3, 3\]: the equation is singular: eigenvalues 0 and 0 of A/);
        await expect(diverging().data()).rejects.toThrow(/solveDiscreteLyapunov: the doubling iteration .* did not converge for matrix 0 of A \[17, 17\]/);
      }
    });
  }

  it('status buffers are released once read: memory stays flat over repeated calls', async () => {
    const A = on(gpu, rand([8, 6, 6], 4), [8, 6, 6]);
    const round = async () => {
      const re = onBackend(gpu, () => fg.tidy(() => fg.linalg.eigvals(A).re));
      await re.data();
      re.dispose();
    };
    await round();
    const before = onBackend(gpu, () => fg.memory()).buffers;
    for (let i = 0; i < 5; i++) await round();
    expect(onBackend(gpu, () => fg.memory()).buffers).toBe(before);
  });
});
