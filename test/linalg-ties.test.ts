// Spectral derivatives at repeated eigenvalues (singular values): functions of the values alone,
// cluster sums, simple eigenvalues beside a repeated one, and eigenspace projectors are
// differentiable there and get their derivative; only cotangents that tell tied values (or the
// basis of their subspace) apart are NumericalErrors naming the indices. Checked against closed
// forms, central differences (gradcheck, float64) and forward vs reverse (the dot-product test).
import { beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';
import type { Backend } from '../engine/backend.js';
import { fromValues } from '../engine/creation.js';
import { similar } from '../solvers/linalg/samples.js';
import { F32_EPS, expectPass, initBoth, maxAbs, maxAbsDiff, onBackend, vals } from './helpers.js';

let cpu: Backend;
let gpu: Backend;
beforeAll(async () => ({ cpu, gpu } = await initBoth()));

const on = (b: Backend, v: ArrayLike<number>, shape: number[]) => fromValues(v, shape, b);
const eye = (n: number) => Array.from({ length: n * n }, (_, e) => (e % (n + 1) === 0 ? 1 : 0));
const matmul = (a: ArrayLike<number>, b: ArrayLike<number>, n: number) =>
  Array.from({ length: n * n }, (_, e) => {
    let s = 0;
    for (let k = 0; k < n; k++) s += a[Math.floor(e / n) * n + k]! * b[k * n + (e % n)]!;
    return s;
  });
const transpose = (a: ArrayLike<number>, n: number) => Array.from({ length: n * n }, (_, e) => a[(e % n) * n + Math.floor(e / n)]!);
/** Q diag(d) Qᵀ */
const rotated = (q: ArrayLike<number>, d: number[]) => matmul(matmul(q, d.flatMap((x, i) => d.map((_, j) => (i === j ? x : 0))), d.length), transpose(q, d.length), d.length);
/** column j of a row-major n×n matrix as an outer product with column k of another: a_j b_kᵀ */
const outer = (a: ArrayLike<number>, j: number, b: ArrayLike<number>, k: number, n: number) => Array.from({ length: n * n }, (_, e) => a[Math.floor(e / n) * n + j]! * b[(e % n) * n + k]!);
const addAll = (...xs: number[][]) => xs[0]!.map((_, e) => xs.reduce((s, x) => s + x[e]!, 0));
const orthogonal = async (n: number, seed: number) => vals(fg.models.init.orthogonal([n, n], { seed }));
const pick = (t: fg.Tensor, idx: number[]) => fg.sum(fg.gather(t, fg.tensor(idx), -1));

/** ⟨∇f(x), v⟩ against the forward-mode f'(x)v (both exact to round-off in float64) */
async function dotTest(f: (x: fg.Tensor) => fg.Tensor, x: fg.Tensor, seed: number) {
  const v = fg.randn([...x.shape], { seed });
  const [, tangent] = fg.jvp(f, [x], [v]);
  const g = await vals(fg.grad(f)(x));
  const vv = await vals(v);
  const reverse = g.reduce((s, gi, i) => s + gi * vv[i]!, 0);
  // sums of n² products of order 1 in float64
  expect(Math.abs((await tangent.item()) - reverse)).toBeLessThan(1e-12 * Math.max(1, Math.abs(reverse)));
}

describe('eigh at repeated eigenvalues (float64)', () => {
  it('grad of the trace Σλ at A = I is I, forward mode gives tr(V)', async () => {
    const f = (a: fg.Tensor) => fg.sum(fg.linalg.eigh(a).values);
    expect(maxAbsDiff(await vals(fg.grad(f)(on(cpu, eye(4), [4, 4]))), eye(4))).toBeLessThan(1e-14);
    await dotTest(f, on(cpu, eye(4), [4, 4]), 1);
  });

  it('a cluster sum (the two largest of 1, 3, 3) has the projector of its eigenspace as gradient, and passes gradcheck', async () => {
    const q = await orthogonal(3, 2);
    const A = on(cpu, rotated(q, [1, 3, 3]), [3, 3]);
    const f = (a: fg.Tensor) => pick(fg.linalg.eigh(a).values, [1, 2]);
    // d(λ₂ + λ₃) = tr(P dA), P = q₂q₂ᵀ + q₃q₃ᵀ
    const want = addAll(outer(q, 1, q, 1, 3), outer(q, 2, q, 2, 3));
    expect(maxAbsDiff(await vals(fg.grad(f)(A)), want)).toBeLessThan(1e-13);
    expectPass(await fg.gradcheck(f, [A]));
    await dotTest(f, A, 3);
  });

  it('a function of the repeated eigenspace (its projector V_c V_cᵀ) is differentiable; a basis-dependent one is a NumericalError naming 1 and 2', async () => {
    const q = await orthogonal(3, 4);
    const A = on(cpu, rotated(q, [1, 3, 3]), [3, 3]);
    const W = fg.randn([3, 3], { seed: 5 });
    const projector = (a: fg.Tensor) => {
      const vc = fg.slice(fg.linalg.eigh(a).vectors, [1], [3], [-1]);
      return fg.sum(fg.mul(fg.matmul(vc, vc, { transB: true }), W));
    };
    expectPass(await fg.gradcheck(projector, [A]));
    const column = (a: fg.Tensor) => fg.sum(fg.mul(fg.slice(fg.linalg.eigh(a).vectors, [1], [2], [-1]), fg.slice(W, [0], [1], [-1])));
    expect(() => fg.grad(column)(A)).toThrow(fg.NumericalError);
    expect(() => fg.grad(column)(A)).toThrow(/eigh: the derivative does not exist at matrix 0 of A \[3, 3\]: eigenvalues 1 and 2 \(in the order returned\) are repeated and the cotangent of their eigenvectors couples them/);
  });
});

describe('svdvals and svd at repeated singular values (float64)', () => {
  it('grad of Σσ at an orthogonal Q is Q (svdvals and svd), forward mode agrees', async () => {
    const q = await orthogonal(4, 6);
    const Q = on(cpu, q, [4, 4]);
    for (const f of [(a: fg.Tensor) => fg.sum(fg.linalg.svdvals(a)), (a: fg.Tensor) => fg.sum(fg.linalg.svd(a).s)]) {
      expect(maxAbsDiff(await vals(fg.grad(f)(Q)), q)).toBeLessThan(1e-14);
      await dotTest(f, Q, 7);
    }
  });

  it('a top-k sum with a tie inside the top k, and zero singular values repeated below it, pass gradcheck and equal U_k V_kᵀ', async () => {
    const u = await orthogonal(5, 8);
    const v = await orthogonal(4, 9);
    // A = U[:, :4] diag(3, 3, 1, 0)·Vᵀ... and a rank-2 one with zeros repeated: diag(2, 1.5, 0, 0)
    const build = (s: number[]) => Array.from({ length: 20 }, (_, e) => s.reduce((acc, x, k) => acc + x * u[Math.floor(e / 4) * 5 + k]! * v[(e % 4) * 4 + k]!, 0));
    const cases: [number[], number][] = [[[3, 3, 1, 0.5], 2], [[2, 1.5, 0, 0], 2], [[2, 2, 0, 0], 2]];
    for (const [s, k] of cases) {
      const A = on(cpu, build(s), [5, 4]);
      const want = Array.from({ length: 20 }, (_, e) => Array.from({ length: k }, (_, j) => u[Math.floor(e / 4) * 5 + j]! * v[(e % 4) * 4 + j]!).reduce((a, b) => a + b));
      for (const values of [(a: fg.Tensor) => fg.linalg.svdvals(a), (a: fg.Tensor) => fg.linalg.svd(a).s]) {
        const f = (a: fg.Tensor) => pick(values(a), Array.from({ length: k }, (_, j) => j));
        // the singular vectors of a tied pair are any rotation of u_c, v_c: U_cV_cᵀ is not
        expect(maxAbsDiff(await vals(fg.grad(f)(A)), want), `σ = ${s}`).toBeLessThan(1e-13);
        expectPass(await fg.gradcheck(f, [A]));
      }
    }
  });

  it('singular-vector cotangents that couple tied values, or touch a zero one, are NumericalErrors naming the indices', async () => {
    const q = await orthogonal(3, 10);
    const A = on(cpu, rotated(q, [2, 2, 1]), [3, 3]);
    const firstU = (a: fg.Tensor) => fg.sum(fg.slice(fg.linalg.svd(a).u, [0], [1], [-1]));
    expect(() => fg.grad(firstU)(A)).toThrow(/svd: the derivative does not exist at matrix 0 of A \[3, 3\]: singular values 0 and 1 \(in the order returned\) are repeated and the cotangent of their singular vectors couples them/);
    const B = on(cpu, rotated(q, [2, 1, 0]), [3, 3]);
    const lastV = (a: fg.Tensor) => fg.sum(fg.slice(fg.linalg.svd(a).v, [2], [3], [-1]));
    expect(() => fg.grad(lastV)(B)).toThrow(/svd: the derivative does not exist at matrix 0 of A \[3, 3\]: singular value 2 is zero and the cotangent of its singular vectors is not/);
    // the vectors of the simple, nonzero values of B stay differentiable
    expectPass(await fg.gradcheck((a) => fg.slice(fg.linalg.svd(a).u, [0], [2], [-1]), [B]));
  });
});

describe('nonsymmetric eig at repeated eigenvalues (float64)', () => {
  it('grad of Σ Re λ (the trace) is I at A = I and at S·diag(1, 1, 2)·S⁻¹; forward mode gives tr(V)', async () => {
    const f = (a: fg.Tensor) => fg.sum(fg.linalg.eigvals(a).re);
    for (const a of [eye(3), similar([1, 1, 2], 11), similar([2, 0.5, 0.5, 0.5], 12)]) {
      const n = Math.round(Math.sqrt(a.length));
      const A = on(cpu, a, [n, n]);
      // the left and right eigenvectors of the repeated 1 (0.5) are not biorthogonal: only the
      // inverse of VᴴU on the cluster gives the trace (a few ε·κ(S) off)
      expect(maxAbsDiff(await vals(fg.grad(f)(A)), eye(n))).toBeLessThan(1e-12);
      await dotTest(f, A, 13);
    }
  });

  it('spectralRadius of Q·diag(1, 1, 1, 2)·Qᵀ: the gradient q₄q₄ᵀ, central differences and gradcheck; also nonsymmetric S·diag(1, 1, 1, 2)·S⁻¹', async () => {
    const q = await orthogonal(4, 14);
    const a = rotated(q, [1, 1, 1, 2]);
    const A = on(cpu, a, [4, 4]);
    const f = (x: fg.Tensor) => fg.linalg.spectralRadius(x);
    const g = await vals(fg.grad(f)(A));
    expect(maxAbsDiff(g, outer(q, 3, q, 3, 4))).toBeLessThan(1e-13);
    const h = 1e-6;
    for (let e = 0; e < 16; e++) {
      const at = async (d: number) => f(on(cpu, a.map((x, i) => (i === e ? x + d : x)), [4, 4])).item();
      // central differences: truncation h²·ρ''' and round-off ε/h, about 1e-10 here
      expect(Math.abs(g[e]! - ((await at(h)) - (await at(-h))) / (2 * h))).toBeLessThan(1e-7);
    }
    expectPass(await fg.gradcheck(f, [A]));
    await dotTest(f, A, 15);
    const B = on(cpu, similar([1, 1, 1, 2], 16), [4, 4]);
    expectPass(await fg.gradcheck(f, [B]));
    expectPass(await fg.gradcheck((x) => fg.linalg.stiffness(fg.add(x, 0)), [on(cpu, similar([3, 1, 1, 0.5], 17), [4, 4])]));
  });

  it('the sum over a repeated cluster has gradient Pᵀ (its spectral projector); cotangents that tell the copies apart are NumericalErrors', async () => {
    const a = similar([2, 1, 1, -0.5], 18);
    const A = on(cpu, a, [4, 4]);
    const { re } = fg.linalg.eigvals(A);
    expect(Array.from(await re.data()).map((x) => +x.toFixed(9))).toEqual([2, 1, 1, -0.5]);
    const cluster = (x: fg.Tensor) => pick(fg.linalg.eigvals(x).re, [1, 2]);
    expectPass(await fg.gradcheck(cluster, [A]));
    // P = (A − 2I)(A + 0.5I) / ((1 − 2)(1 + 0.5)) on the eigenvalue 1 (a polynomial in A)
    const n = 4;
    const shifted = (c: number) => a.map((x, e) => x - (e % (n + 1) === 0 ? c : 0));
    const p = matmul(shifted(2), shifted(-0.5), n).map((x) => x / ((1 - 2) * (1 + 0.5)));
    expect(maxAbsDiff(await vals(fg.grad(cluster)(A)), transpose(p, n))).toBeLessThan(1e-12);
    const one = (x: fg.Tensor) => pick(fg.linalg.eigvals(x).re, [1]);
    expect(() => fg.grad(one)(A)).toThrow(/eigvals: the derivative does not exist at matrix 0 of A \[4, 4\]: eigenvalues 1 and 2 \(in the order returned\) are repeated and their cotangents differ/);
    const vector = (x: fg.Tensor) => fg.sum(fg.slice(fg.linalg.eig(x).vectors.re, [1], [2], [-1]));
    expect(() => fg.grad(vector)(A)).toThrow(/eig: the derivative does not exist at matrix 0 of A \[4, 4\]: eigenvalues 1 and 2 \(in the order returned\) are repeated and the cotangent of their eigenvectors couples them/);
    // the eigenvector of the simple eigenvalue 2 keeps its derivative
    expectPass(await fg.gradcheck((x) => fg.slice(fg.linalg.eig(x).vectors.re, [0], [1], [-1]), [A]));
  });
});

describe('on WebGPU (float32)', () => {
  it('the same gradients at ties as float64: trace at I, Σσ of an orthogonal Q, spectralRadius beside a repeated eigenvalue', async () => {
    const q = await orthogonal(4, 19);
    const cases: [string, (x: fg.Tensor) => fg.Tensor, number[]][] = [
      ['Σ eigh values at I', (x) => fg.sum(fg.linalg.eigh(x).values), eye(4)],
      ['Σ Re eigvals at I', (x) => fg.sum(fg.linalg.eigvals(x).re), eye(4)],
      ['Σ svdvals at Q', (x) => fg.sum(fg.linalg.svdvals(x)), q],
      ['spectralRadius of Q diag(1,1,1,2) Qᵀ', (x) => fg.linalg.spectralRadius(x), rotated(q, [1, 1, 1, 2])],
    ];
    for (const [name, f, a] of cases) {
      const a32 = a.map(Math.fround);
      const g64 = await vals(fg.grad(f)(on(cpu, a32, [4, 4])));
      const g32 = await vals(onBackend(gpu, () => fg.grad(f)(on(gpu, a32, [4, 4]))));
      // entries of order 1 built from eigen-/singular vectors of a well-separated part (gap ≥ 1):
      // errors of a few n·ε₃₂
      expect(maxAbsDiff(g32, g64), name).toBeLessThan(64 * 4 * F32_EPS * Math.max(1, maxAbs(g64)));
    }
    const t = onBackend(gpu, () => fg.grad((x: fg.Tensor) => pick(fg.linalg.eigvals(x).re, [1]))(on(gpu, similar([2, 1, 1, -0.5], 18).map(Math.fround), [4, 4])));
    await expect(t.data()).rejects.toThrow(/eigvals: the derivative does not exist at matrix 0 of A \[4, 4\]: eigenvalues 1 and 2 \(in the order returned\) are repeated and their cotangents differ/);
  });
});
