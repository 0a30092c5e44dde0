// Dense solvers (fg.linalg.solve, lu, inv, slogdet, cholesky, solveTriangular) beyond the
// conformance suite: the public functions' gradients in float64, WebGPU against the float64
// reference on larger batches and broadcasting, an accuracy table (backward error in units of ε,
// n = 2…64, printed), and bad input on both backends.
import { beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';
import type { Backend } from '../engine/backend.js';
import { fromValues } from '../engine/creation.js';
import { normalArray } from '../engine/random.js';
import { F32_EPS, expectPass, initBoth, maxAbs, maxAbsDiff, onBackend } from './helpers.js';
import { shuffledDominant, spd } from '../solvers/linalg/dense-samples.js';
import { setDensePath, type DensePath } from '../kernels/linalg/lu.js';

/** Runs fn with solve's WebGPU kernel forced to one layout, then back to automatic. */
async function withPath<T>(path: DensePath, fn: () => Promise<T>): Promise<T> {
  setDensePath(path);
  try {
    return await fn();
  } finally {
    setDensePath('auto');
  }
}

let cpu: Backend;
let gpu: Backend;
beforeAll(async () => ({ cpu, gpu } = await initBoth()));

const F64_EPS = 2.220446049250313e-16;
const random = (n: number, seed: number) => Array.from(normalArray(n * n, seed)).map(Math.fround);
const on = (b: Backend, values: number[], shape: number[]) => fromValues(values, shape, b);
const batchOf = (make: (n: number, s: number) => number[], n: number, count: number, seed: number) => Array.from({ length: count }, (_, i) => make(n, seed + i)).flat().map(Math.fround);

describe('gradients of the public functions in float64 (central differences)', () => {
  const A = () => on(cpu, shuffledDominant(4, 3), [4, 4]);
  it('solve (matrix and vector right-hand sides)', async () => {
    const B = on(cpu, random(2, 5).concat(random(2, 6)), [4, 2]);
    expectPass(await fg.gradcheck((a, b) => fg.sum(fg.square(fg.linalg.solve(a, b))), [A(), B]));
    const v = on(cpu, [0.3, -1.2, 0.7, 2], [4]);
    expectPass(await fg.gradcheck((a, b) => fg.sum(fg.sin(fg.linalg.solve(a, b))), [A(), v]));
  });
  it('inv, slogdet, lu', async () => {
    expectPass(await fg.gradcheck((a) => fg.sum(fg.mul(fg.linalg.inv(a), fg.linalg.inv(a))), [A()]));
    expectPass(await fg.gradcheck((a) => fg.linalg.slogdet(a).logAbsDet, [A()]));
    expectPass(await fg.gradcheck((a) => {
      const { L, U } = fg.linalg.lu(a);
      return fg.add(fg.sum(fg.square(L)), fg.sum(fg.sin(U)));
    }, [A()]));
  });
  it('cholesky (symmetrized) and a triangular solve, also second order through solve', async () => {
    const S = on(cpu, spd(4, 8), [4, 4]);
    expectPass(await fg.gradcheck((a) => fg.sum(fg.sin(fg.linalg.cholesky(a))), [S]));
    const T = on(cpu, shuffledDominant(3, 9), [3, 3]);
    const B = on(cpu, random(3, 10).slice(0, 6), [3, 2]);
    expectPass(await fg.gradcheck((t, b) => fg.sum(fg.square(fg.linalg.solveTriangular(t, b, { lower: false, transpose: true }))), [T, B]));
    // grad of grad: solve's adjoint is another solve, itself differentiable
    const g = (a: fg.Tensor) => fg.grad((x: fg.Tensor) => fg.sum(fg.square(fg.linalg.solve(x, fg.ones([4, 1])))))(a);
    expectPass(await fg.gradcheck((a) => fg.sum(fg.square(g(a))), [A()]));
  });
});

describe('values', () => {
  it('lu: P·L·U = A, L unit lower with |entries| ≤ 1, U upper; slogdet and inv agree with it', async () => {
    const a = on(cpu, random(6, 11), [6, 6]);
    const { P, L, U } = fg.linalg.lu(a);
    expect(maxAbsDiff(await fg.matmul(P, fg.matmul(L, U)).data(), await a.data())).toBeLessThan(1e-13);
    const l = await L.array() as number[][];
    l.forEach((row, i) => row.forEach((x, j) => expect(j > i ? x : i === j ? x - 1 : Math.abs(x) <= 1 ? 0 : x).toEqual(0)));
    const u = await U.array() as number[][];
    u.forEach((row, i) => row.forEach((x, j) => expect(j < i ? Math.abs(x) : 0).toBe(0)));
    const { sign, logAbsDet } = fg.linalg.slogdet(a);
    const diag = u.map((r, i) => r[i]!);
    const detP = await fg.linalg.slogdet(P).sign.item();
    expect(await sign.item()).toBe(detP * Math.sign(diag.reduce((p, x) => p * x, 1)));
    expect(await logAbsDet.item()).toBeCloseTo(diag.reduce((s, x) => s + Math.log(Math.abs(x)), 0), 12);
    const ai = fg.matmul(fg.linalg.inv(a), a);
    expect(maxAbsDiff(await ai.data(), await fg.eye(6).data())).toBeLessThan(1e-13);
  });

  it('slogdet of an exactly singular matrix: sign 0, log|det| −∞ (an answer, not an error)', async () => {
    for (const b of [cpu, gpu]) {
      const r = onBackend(b, () => fg.linalg.slogdet(on(b, [1, 2, 2, 4], [2, 2])));
      expect(await r.sign.item()).toBe(0);
      expect(await r.logAbsDet.item()).toBe(-Infinity);
    }
  });

  for (const path of ['workgroup', 'thread'] as const) it(`WebGPU equals the float64 reference: n = 2…64, batched and broadcast (solve: ${path} per matrix)`, () => withPath(path, async () => {
    for (const n of [2, 7, 16, 33, 64]) {
      const count = 3;
      const av = batchOf(random, n, count, 100 + n);
      const bv = Array.from(normalArray(n * 2, 200 + n)).map(Math.fround);
      const sv = batchOf(spd, n, count, 300 + n);
      const run = (b: Backend) => onBackend(b, () => {
        const A = on(b, av, [count, n, n]);
        const B = on(b, bv, [n, 2]); // broadcast over A's batch
        const { P, L, U } = fg.linalg.lu(A);
        return [fg.linalg.solve(A, B), fg.linalg.inv(A), fg.linalg.slogdet(A).logAbsDet, fg.linalg.cholesky(on(b, sv, [count, n, n])), fg.matmul(P, fg.matmul(L, U)), fg.linalg.solveTriangular(U, B, { lower: false })];
      });
      const ref = run(cpu);
      const out = run(gpu);
      for (let i = 0; i < ref.length; i++) {
        const r = await ref[i]!.data();
        const o = await out[i]!.data();
        // float32 against float64 on random matrices (condition numbers up to ~10²·n here): the
        // backward-stable error ε·n·κ, relative to the size of the results
        const cond = 100 * n;
        expect(maxAbsDiff(o, r), `n = ${n}, result ${i}`).toBeLessThanOrEqual(4 * F32_EPS * n * cond * Math.max(1, maxAbs(r)));
      }
    }
  }));
});

/** ‖AX − B‖_F / (‖A‖_F·‖X‖_F) per matrix, in units of the backend's ε (computed in float64). */
function backwardErrors(a: Float64Array, x: ArrayLike<number>, bv: Float64Array, n: number, k: number, count: number, eps: number): number[] {
  const out: number[] = [];
  for (let m = 0; m < count; m++) {
    let res = 0;
    let na = 0;
    let nx = 0;
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < k; c++) {
        let s = -bv[m * n * k + i * k + c]!;
        for (let j = 0; j < n; j++) s += a[m * n * n + i * n + j]! * x[m * n * k + j * k + c]!;
        res += s * s;
      }
    }
    for (let e = 0; e < n * n; e++) na += a[m * n * n + e]! ** 2;
    for (let e = 0; e < n * k; e++) nx += x[m * n * k + e]! ** 2;
    out.push(Math.sqrt(res) / (Math.sqrt(na) * Math.sqrt(nx)) / eps);
  }
  return out;
}

describe('accuracy table: backward error ‖AX − B‖/(‖A‖‖X‖) of solve in units of ε', () => {
  it('stays below n ε on both backends for random A, n = 2…64 (printed)', async () => {
    const lines = ['   n   cpu (ε = 2.2e-16) max / median   webgpu (ε = 1.2e-7) max / median'];
    for (const n of [2, 3, 4, 8, 16, 32, 48, 64]) {
      const count = 8;
      const k = 3;
      const av = Float64Array.from(batchOf(random, n, count, 500 + n));
      const bv = Float64Array.from(normalArray(count * n * k, 600 + n), Math.fround);
      const row: string[] = [];
      for (const [b, eps] of [[cpu, F64_EPS], [gpu, F32_EPS]] as const) {
        const x = await onBackend(b, () => fg.linalg.solve(on(b, Array.from(av), [count, n, n]), on(b, Array.from(bv), [count, n, k]))).data();
        const errs = backwardErrors(av, x, bv, n, k, count, eps).sort((p, q) => p - q);
        // LU with partial pivoting is backward stable: ‖δA‖ ≤ c·n·ε·growth·‖A‖, where growth is
        // small (≤ 4 here) for random matrices; the observed constant is well below 1
        for (const e of errs) expect(e, `n = ${n} on ${b.name}`).toBeLessThan(n);
        row.push(`${errs.at(-1)!.toFixed(2).padStart(8)} / ${errs[count >> 1]!.toFixed(2).padEnd(8)}`);
      }
      lines.push(`${String(n).padStart(4)}   ${row[0]!.padEnd(32)}   ${row[1]}`);
    }
    console.log(lines.join('\n'));
  });
});

describe('bad input', () => {
  /** The error of make() on the CPU (thrown at once) and on WebGPU (thrown by the next read). */
  async function errors(make: (b: Backend) => fg.Tensor): Promise<Error[]> {
    const out: Error[] = [];
    try {
      onBackend(cpu, () => make(cpu));
    } catch (e) {
      out.push(e as Error);
    }
    const t = onBackend(gpu, () => make(gpu));
    try {
      await t.data();
    } catch (e) {
      out.push(e as Error);
    }
    expect(out.length, 'both backends reject').toBe(2);
    return out;
  }
  const singularBatch = (b: Backend) => on(b, [...shuffledDominant(3, 1), 1, 2, 3, 2, 4, 6, 0, 1, 1, ...shuffledDominant(3, 2)], [3, 3, 3]);

  for (const path of ['workgroup', 'thread'] as const) it(`a singular matrix in a batch: NumericalError naming its index, on both backends (solve: ${path} per matrix)`, () => withPath(path, async () => {
    for (const [name, make] of [
      ['solve', (b: Backend) => fg.linalg.solve(singularBatch(b), on(b, [1, 2, 3], [3]))],
      ['inv', (b: Backend) => fg.linalg.inv(singularBatch(b))],
    ] as const) {
      for (const e of await errors(make)) {
        expect(e, name).toBeInstanceOf(fg.NumericalError);
        expect(e.message).toMatch(new RegExp(`^solve: matrix 1 of A \\[3, 3, 3\\]: it is singular to working precision`));
      }
    }
    // two batch dimensions: the batch index is spelled out
    const e = await errors((b) => fg.linalg.solve(fg.reshape(singularBatch(b), [1, 3, 3, 3]), on(b, [1, 2, 3], [3, 1])));
    for (const x of e) expect(x.message).toMatch(/solve: matrix 1 \(batch index \[0, 1\]\) of A \[1, 3, 3, 3\]/);
  }));

  it('the derivative of slogdet at a singular matrix is a NumericalError', () => {
    expect(() => fg.grad((a: fg.Tensor) => fg.linalg.slogdet(a).logAbsDet)(on(cpu, [1, 2, 2, 4], [2, 2]))).toThrow(/solve: matrix 0 of A \[2, 2\]: it is singular/);
  });

  it('cholesky of an indefinite matrix, a zero on a triangular diagonal, a non-finite entry', async () => {
    for (const e of await errors((b) => fg.linalg.cholesky(on(b, [...spd(2, 1), 1, 2, 2, 1], [2, 2, 2])))) {
      expect(e).toBeInstanceOf(fg.NumericalError);
      expect(e.message).toMatch(/^cholesky: matrix 1 of A \[2, 2, 2\]: it is not positive definite/);
    }
    for (const e of await errors((b) => fg.linalg.solveTriangular(on(b, [1, 0, 5, 0], [2, 2]), on(b, [1, 1], [2])))) {
      expect(e).toBeInstanceOf(fg.NumericalError);
      expect(e.message).toMatch(/^solveTriangular: matrix 0 of T \[2, 2\]: its diagonal has a zero/);
    }
    for (const e of await errors((b) => fg.linalg.solve(on(b, [1, NaN, 0, 1], [2, 2]), on(b, [1, 1], [2])))) {
      expect(e).toBeInstanceOf(fg.ArgumentError);
      expect(e.message).toMatch(/^solve: matrix 0 of A \[2, 2\] has a non-finite entry/);
    }
  });

  it('shapes and arguments', () => {
    const A = fg.zeros([3, 3]);
    expect(() => fg.linalg.solve(A, fg.zeros([2]))).toThrow(/solve: B \[2, 1\] must have 3 rows to match A \[3, 3\]/);
    expect(() => fg.linalg.solve(fg.zeros([3, 2]), fg.zeros([3]))).toThrow(fg.ShapeError);
    expect(() => fg.linalg.solve(A, fg.tensor(1))).toThrow(/solve: B must be a vector \[n\] or a batch of matrices/);
    expect(() => fg.linalg.inv(fg.zeros([2, 3]))).toThrow(/inv: A must be square in its last two dimensions, got A \[2, 3\]/);
    expect(() => fg.linalg.solve([[1]] as unknown as fg.Tensor, A)).toThrow(/solve: A must be a Tensor, got \[\[1\]\]/);
    expect(() => fg.linalg.cholesky(fg.zeros([4]))).toThrow(/cholesky: A must be a matrix or a batch of matrices/);
  });
});
