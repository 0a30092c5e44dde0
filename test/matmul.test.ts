// The WebGPU matmul kernels on shapes the conformance samples are too small for: past many
// tiles, ragged edges, a k that is not a multiple of the k-step, broadcast batches, operands
// read transposed in place, and the fused linear epilogue (bias + activation in one dispatch).
// Every kernel the adapter can run is checked, not only the one chosen by default.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';
import type { Backend } from '../engine/backend.js';
import { fromValues } from '../engine/creation.js';
import { normalArray } from '../engine/random.js';
import { forceMatmulKernel, matmulKernels, type MatmulKernel } from '../kernels/matmul.js';
import { initBoth, maxAbsDiff, onBackend } from './helpers.js';

const U = 2 ** -24; // float32 unit roundoff

let cpu: Backend;
let gpu: Backend;
let kernels: MatmulKernel[] = [];
beforeAll(async () => {
  ({ cpu, gpu } = await initBoth());
  kernels = matmulKernels(fg.gpuRuntime());
});
afterAll(() => forceMatmulKernel(null));

/** The same float32-representable values on both backends. */
function pair(shape: number[], seed: number): [fg.Tensor, fg.Tensor] {
  const v = normalArray(shape.reduce((a, b) => a * b, 1), seed).map(Math.fround);
  return [fromValues(v, shape, cpu), fromValues(v, shape, gpu)];
}

/**
 * |got − ref| ≤ (k + 2)·u·(|a|·|b|) elementwise: the classic bound for a float32 dot product of
 * length k in any summation order (γ_k), plus the rounding of the output. Terms are those of
 * the reference product; `bound` is |a|·|b| computed in float64.
 */
async function expectWithinBound(got: fg.Tensor, ref: fg.Tensor, bound: fg.Tensor, k: number) {
  const [g, r, b] = [await got.data(), await ref.data(), await bound.data()];
  expect(got.shape).toEqual(ref.shape);
  let worst = -Infinity;
  for (let i = 0; i < r.length; i++) worst = Math.max(worst, Math.abs(g[i]! - r[i]!) - (k + 2) * U * b[i]!);
  expect(worst).toBeLessThanOrEqual(0);
}

const stored = (shape: number[], trans: boolean) => (trans ? [...shape.slice(0, -2), shape[shape.length - 1]!, shape[shape.length - 2]!] : shape);

// [a, b] as used (before any transposition)
const SHAPES: [number[], number[]][] = [
  [[1, 1], [1, 1]], // one element
  [[5, 1], [1, 7]], // k = 1
  [[67, 33], [33, 129]], // ragged tiles, n % 4 ≠ 0, k % 4 ≠ 0 (scalar loads and stores)
  [[130, 70], [70, 36]], // n % 4 = 0 (vec4 rows of b, vec4 stores), k past the k-step
  [[3, 1, 17, 12], [4, 12, 20]], // broadcast batch dimensions, k % 4 = 0 (vec4 along k)
];
// many tiles of 8 rows per thread; the default kernel only (each kernel variant compiles anew,
// and compiling is slow on a software driver)
const LARGE: [number[], number[]] = [[300, 257], [257, 260]];

describe('matmul kernels against the float64 reference', () => {
  const cases = [...SHAPES.map((c) => ({ c, large: false })), { c: LARGE, large: true }];
  for (const { c: [as, bs], large } of cases) {
    for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      // every kernel without and with both transposes; mixed transposes and the large case
      // with the default kernel (the code paths for A and for B do not depend on each other)
      const which = () => (transA === transB && !large ? kernels : kernels.slice(0, 1));
      it(`${JSON.stringify(as)} @ ${JSON.stringify(bs)}${transA ? ' transA' : ''}${transB ? ' transB' : ''}`, async () => {
        const [ac, ag] = pair(stored(as, transA), 11);
        const [bc, bg] = pair(stored(bs, transB), 12);
        const opts = { transA, transB };
        // reference: float64, the transposes materialized (an independent path)
        const ref = onBackend(cpu, () => fg.matmul(transA ? fg.mT(ac) : ac, transB ? fg.mT(bc) : bc));
        const inPlace = onBackend(cpu, () => fg.matmul(ac, bc, opts));
        expect(maxAbsDiff(await inPlace.data(), await ref.data())).toBeLessThan(1e-12 * as[as.length - 1]!); // float64 round-off only
        const bound = onBackend(cpu, () => fg.matmul(fg.abs(ac), fg.abs(bc), opts));
        for (const kernel of which()) {
          forceMatmulKernel(kernel);
          await expectWithinBound(fg.matmul(ag, bg, opts), ref, bound, as[as.length - 1]!);
        }
        forceMatmulKernel(null);
      });
    }
  }

  it('vectors are promoted and transposition is refused for them', async () => {
    const [ac, ag] = pair([37], 3);
    const [bc, bg] = pair([37, 6], 4);
    const got = fg.matmul(ag, bg);
    expect(got.shape).toEqual([6]);
    expect(maxAbsDiff(await got.data(), await onBackend(cpu, () => fg.matmul(ac, bc)).data())).toBeLessThan(37 * 8 * U * 10); // |a||b| ≲ 37·10 for normal samples
    expect(() => fg.matmul(ag, bg, { transA: true })).toThrow(/matmul: transA\/transB apply to matrices/);
  });
});

describe('matmul gradients on WebGPU (transposed kernels in the VJP)', () => {
  it('grad of Σ w ⊙ (a @ b) equals the float64 gradient on ragged shapes', async () => {
    const [ac, ag] = pair([37, 29], 21);
    const [bc, bg] = pair([29, 22], 22);
    const [wc, wg] = pair([37, 22], 23);
    const f = (w: fg.Tensor) => (a: fg.Tensor, b: fg.Tensor) => fg.sum(fg.mul(fg.matmul(a, b), w));
    const [ga, gb] = fg.grad(f(wg), { argnums: [0, 1] })(ag, bg) as fg.Tensor[];
    const [ra, rb] = onBackend(cpu, () => fg.grad(f(wc), { argnums: [0, 1] })(ac, bc)) as fg.Tensor[];
    // gA = w·bᵀ (length 22) and gB = aᵀ·w (length 37), bounded like any product
    await expectWithinBound(ga!, ra!, onBackend(cpu, () => fg.matmul(fg.abs(wc), fg.abs(bc), { transB: true })), 22);
    await expectWithinBound(gb!, rb!, onBackend(cpu, () => fg.matmul(fg.abs(ac), fg.abs(wc), { transA: true })), 37);
  });
});

describe('linear: σ(x·w + b) fused into one dispatch', () => {
  const acts = ['none', 'tanh', 'relu', 'sigmoid'] as const;
  const reference = (x: fg.Tensor, w: fg.Tensor, b: fg.Tensor, act: (typeof acts)[number]) => {
    const z = fg.add(fg.matmul(x, w), b);
    return act === 'none' ? z : act === 'tanh' ? fg.tanh(z) : act === 'relu' ? fg.relu(z) : fg.sigmoid(z);
  };

  for (const act of acts) {
    it(`${act}: one dispatch, equals the composite in float64 and its gradient`, async () => {
      const [xc, xg] = pair([45, 27], 31);
      const [wc, wg] = pair([27, 34], 32);
      const [bc, bg] = pair([34], 33);
      for (const kernel of act === 'tanh' ? kernels : kernels.slice(0, 1)) {
        forceMatmulKernel(kernel);
        const before = fg.stats().dispatches;
        const y = fg.linear(xg, wg, bg, { activation: act });
        expect(fg.stats().dispatches - before).toBe(1);
        const ref = onBackend(cpu, () => reference(xc, wc, bc, act));
        // each activation is 1-Lipschitz, so the bound on z = x·w + b carries over (the bias is one
        // more term); the + 1 leaves (k + 2)·u ≥ 29 ulps of room for the activation's own error
        const bound = onBackend(cpu, () => fg.add(fg.matmul(fg.abs(xc), fg.abs(wc)), fg.add(fg.abs(bc), 1)));
        await expectWithinBound(y, ref, bound, 27);
      }
      forceMatmulKernel(null);
      const loss = (x: fg.Tensor, w: fg.Tensor, b: fg.Tensor) => fg.sum(fg.square(fg.linear(x, w, b, { activation: act })));
      const gGpu = fg.grad(loss, { argnums: [0, 1, 2] })(xg, wg, bg) as fg.Tensor[];
      const gCpu = onBackend(cpu, () => fg.grad((x: fg.Tensor, w: fg.Tensor, b: fg.Tensor) => fg.sum(fg.square(reference(x, w, b, act))), { argnums: [0, 1, 2] })(xc, wc, bc)) as fg.Tensor[];
      for (let i = 0; i < 3; i++) {
        const r = await gCpu[i]!.data();
        const scale = Math.max(...Array.from(r, Math.abs));
        // float32 through two products of length ≤ 45 with terms of size ~|x||w| ≲ 30: relative 1e-4
        expect(maxAbsDiff(await gGpu[i]!.data(), r)).toBeLessThan(1e-4 * Math.max(1, scale));
      }
    });
  }

  it('a 1-D x is one row; a wrong bias is refused naming the shapes', async () => {
    const [xc, xg] = pair([9], 41);
    const [wc, wg] = pair([9, 5], 42);
    const [bc, bg] = pair([5], 43);
    const y = fg.linear(xg, wg, bg, { activation: 'tanh' });
    expect(y.shape).toEqual([5]);
    const r = onBackend(cpu, () => fg.tanh(fg.add(fg.matmul(xc, wc), bc)));
    expect(maxAbsDiff(await y.data(), await r.data())).toBeLessThan(1e-5); // tanh of sums of 9 terms ~1
    expect(() => fg.linear(xg, wg, onBackend(gpu, () => fg.zeros([4])))).toThrow(/linear: b must broadcast to the output \[\d+, 5\] of x·w \(the columns of w are 5\), got b \[4\]/);
    expect(() => fg.linear(xg, wg, bg, { activation: 'softmax' as 'tanh' })).toThrow(/linear: activation must be one of none, tanh, relu, sigmoid/);
  });
});

describe('dispatch caches (parameter slab, bind groups)', () => {
  it('a repeated loop creates almost no bind groups once its buffers and shapes repeat', async () => {
    const rt = fg.gpuRuntime();
    const [, x] = pair([64], 51);
    const chain = () => {
      const y = fg.tidy(() => {
        let y = x;
        for (let i = 0; i < 60; i++) y = fg.tanh(y);
        return y;
      });
      return y.data().then((v) => (y.dispose(), v));
    };
    const create = rt.device.createBindGroup.bind(rt.device);
    let created = 0;
    rt.device.createBindGroup = (d) => (created++, create(d));
    try {
      for (let i = 0; i < 8; i++) await chain(); // a bind group is kept from its second use on
      created = 0;
      const v = await chain();
      // without the cache: one per dispatch (60). A few remain: the pool hands buffers back in
      // an order that shifts by the one released after the read
      expect(created).toBeLessThanOrEqual(6);
      let ref = (await x.data())[0]!;
      for (let i = 0; i < 60; i++) ref = Math.tanh(ref);
      expect(Math.abs(v[0]! - ref)).toBeLessThan(1e-5); // 60 float32 tanh, each within a few ulps
    } finally {
      rt.device.createBindGroup = create;
    }
  });

  it('more distinct parameter blocks than one slab holds stay correct', async () => {
    // matmuls of 4913 distinct shapes (m, k, n ≤ 17): one parameter block each, past the slab's
    // 4096 slots of 256 bytes, all recorded before one read
    const sizes = Array.from({ length: 17 }, (_, i) => i + 1);
    const [ac, ag] = pair([17, 17], 61);
    const [bc, bg] = pair([17, 17], 62);
    const outs: { m: number; k: number; n: number; t: fg.Tensor }[] = [];
    for (const m of sizes) for (const k of sizes) for (const n of sizes) {
      outs.push({ m, k, n, t: fg.matmul(fg.slice(ag, [0, 0], [m, k]), fg.slice(bg, [0, 0], [k, n])) });
    }
    const [a, b] = [await ac.data(), await bc.data()];
    for (const o of [outs[0]!, outs[1234]!, outs[4095]!, outs[4500]!, outs[outs.length - 1]!]) {
      const got = await o.t.data();
      for (let i = 0; i < o.m; i++) {
        for (let j = 0; j < o.n; j++) {
          let s = 0;
          for (let p = 0; p < o.k; p++) s += a[i * 17 + p]! * b[p * 17 + j]!;
          expect(Math.abs(got[i * o.n + j]! - s)).toBeLessThan(17 * 4 * 16 * U); // |terms| ≲ 16, k ≤ 17
        }
      }
    }
    for (const o of outs) o.t.dispose();
  });
});

describe('per-dispatch profile', () => {
  it('times each dispatch that the recorded work makes, in order, with its label', async () => {
    const [, ag] = pair([37, 16], 71);
    const [, bg] = pair([16, 3], 72);
    const [, bias] = pair([3], 73);
    let outs: fg.Tensor[] = [];
    const prof = await fg.gpuRuntime().profile(() => {
      const y = fg.matmul(ag, bg);
      outs = [y, fg.linear(ag, bg, bias, { activation: 'tanh' })];
    });
    if (prof === null) return; // the adapter has no timestamp queries: nothing to time
    expect(prof.map((p) => p.label)).toEqual(['matmul', 'linear']);
    for (const p of prof) expect(p.ms).toBeGreaterThanOrEqual(0);
    for (const t of [...outs, ag, bg, bias]) t.dispose();
  });
});
