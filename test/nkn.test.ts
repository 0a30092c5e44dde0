// The NKN edge op and nknApply against their generic compositions on both backends, batched
// tangents and cotangents on WebGPU, bad input, second derivatives, radius graphs, and the
// whole network: fused and composed layers alike, its gradient (gradcheck, float64).
import { beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';
import type { Backend } from '../engine/backend.js';
import { diffusionMatrix, gnnBaseline, gridPoints, nkn, nknEdgeComposed, nknInput, radiusGraph, replicateGraph } from '../models/index.js';
import { F32_EPS, initBoth, maxAbs, maxAbsDiff, onBackend } from './helpers.js';

let cpu: Backend;
let gpu: Backend;
beforeAll(async () => ({ cpu, gpu } = await initBoth()));

describe('nknEdge', () => {
  for (const where of ['cpu', 'webgpu'] as const) {
    it(`equals gather → batched matmul → segment mean on ${where}`, async () => {
      const b = where === 'cpu' ? cpu : gpu;
      const { fused, composed } = onBackend(b, () => {
        const g = radiusGraph(gridPoints(5, 2), 2, 0.3); // 25 nodes, 3 to 8 neighbours each
        const h = fg.randn([25, 3], { seed: 1 });
        const K = fg.randn([g.index.E, 3, 3], { seed: 2 });
        return { fused: fg.nknEdge(h, K, g.index), composed: nknEdgeComposed(h, K, g) };
      });
      const ref = await composed.data();
      // float32 on WebGPU: a few ε per term of sums of ≤ 8·3 products of O(1) numbers
      expect(maxAbsDiff(await fused.data(), ref)).toBeLessThanOrEqual((where === 'cpu' ? 1e-12 : 64 * F32_EPS) * Math.max(1, maxAbs(ref)));
    });
  }

  it('rejects bad graphs, naming the argument', () => {
    expect(() => fg.edgeIndex(3, [0, 5], [1, 2])).toThrow(/edgeIndex: src must hold node indices in \[0, 3\); found 5 at edge 1/);
    expect(() => fg.edgeIndex(3, [0, 1], [1, 0])).toThrow(/edgeIndex: node 2 has an empty neighbourhood/);
    expect(() => fg.edgeIndex(3, [0, 1, 2], [1, 0])).toThrow(/edgeIndex: src \[3\] and dst \[2\] must have the same length E/);
    const g = fg.edgeIndex(3, [1, 2, 0], [0, 1, 2]);
    expect(() => fg.nknEdge(fg.zeros([3, 2]), fg.zeros([4, 2, 2]), g)).toThrow(/nknEdge: K must be \[E, d, d\] = \[3, 2, 2\] to match src \[3\]/);
    expect(() => fg.nknEdge(fg.zeros([4, 2]), fg.zeros([3, 2, 2]), g)).toThrow(/nknEdge: h \[4, 2\] must have 3 rows/);
    // index tensors that bypass edgeIndex are still checked by the float64 reference
    const [src, dst, , so, soff] = g.tensors as fg.Tensor[];
    const bad = fg.tensor([0, 1, 1, 3]); // node 1 has no incoming edge
    expect(() => fg.nknEdge(fg.zeros([3, 2]), fg.zeros([3, 2, 2]), { ...g, tensors: [src!, dst!, bad, so!, soff!] })).toThrow(/nknEdge: node 1 has an empty neighbourhood/);
    const outOfRange = fg.tensor([1, 7, 0]);
    expect(() => fg.nknEdge(fg.zeros([3, 2]), fg.zeros([3, 2, 2]), { ...g, tensors: [outOfRange, dst!, g.tensors[2]!, so!, soff!] })).toThrow(/nknEdge: src must hold integers in \[0, 3\); found 7 at position 1/);
  });

  // jacfwd pushes a batch of tangents (a leading dimension on h or K), jacrev pulls a batch of
  // cotangents through the two adjoint kernels: the WebGPU kernels' batch strides, on the
  // scalar path (d = 3) and the vec4 path (d = 4); the conformance suite checks them on the CPU.
  for (const d of [3, 4]) {
    it(`takes batched tangents and cotangents on WebGPU as on the CPU (d = ${d})`, async () => {
      const jacobians = (b: Backend) =>
        onBackend(b, () => {
          const g = fg.edgeIndex(4, [1, 3, 2, 0, 3, 1, 0, 2], [0, 0, 1, 2, 2, 3, 3, 3]);
          const h = fg.randn([4, d], { seed: 11 });
          const K = fg.randn([8, d, d], { seed: 12 });
          const inH = (x: fg.Tensor) => fg.nknEdge(x, K, g);
          const inK = (k: fg.Tensor) => fg.nknEdge(h, k, g);
          return [fg.jacfwd(inH)(h), fg.jacrev(inH)(h), fg.jacfwd(inK)(K), fg.jacrev(inK)(K)];
        });
      const [want, got] = [jacobians(cpu), jacobians(gpu)];
      for (let k = 0; k < want.length; k++) {
        const ref = await want[k]!.data();
        // float32: sums of ≤ 3·d products of O(1) numbers, a few ε each
        expect(maxAbsDiff(await got[k]!.data(), ref), `jacobian ${k}`).toBeLessThanOrEqual(64 * F32_EPS * Math.max(1, maxAbs(ref)));
      }
    });
  }

  it('sums the gradient over a batch that only one argument has', async () => {
    const g = fg.edgeIndex(3, [1, 2, 0, 0], [0, 1, 2, 2]);
    const h = fg.randn([2, 3, 2], { seed: 13 });
    const K = fg.randn([4, 2, 2], { seed: 14 });
    const loss = (k: fg.Tensor, x: fg.Tensor) => fg.sum(fg.square(fg.nknEdge(x, k, g)));
    const gK = fg.grad((k: fg.Tensor) => loss(k, h))(K);
    expect(gK.shape).toEqual([4, 2, 2]);
    const parts = [0, 1].map((s) => fg.grad((k: fg.Tensor) => loss(k, fg.reshape(fg.slice(h, [s], [s + 1]), [3, 2])))(K));
    // float64 on the CPU: the same sums in another order
    expect(maxAbsDiff(await gK.data(), await fg.add(parts[0]!, parts[1]!).data())).toBeLessThanOrEqual(1e-12);
  });

  it('has second derivatives equal to finite differences (float64)', async () => {
    const g = fg.edgeIndex(4, [1, 3, 2, 0, 3, 1, 0, 2], [0, 0, 1, 2, 2, 3, 3, 3]);
    const h = fg.randn([4, 2], { seed: 3 });
    const K = fg.randn([8, 2, 2], { seed: 4 });
    // the gradient in h of a nonlinear function of the op, as a function of (h, K)
    const gradH = (hh: fg.Tensor, KK: fg.Tensor) => fg.grad((x: fg.Tensor) => fg.sum(fg.sin(fg.nknEdge(x, KK, g))))(hh);
    const report = await fg.gradcheck(gradH, [h, K], { backend: 'cpu' });
    expect(report.pass, JSON.stringify(report.inputs)).toBe(true);
  });
});

describe('nknApply', () => {
  for (const where of ['cpu', 'webgpu'] as const) {
    it(`equals reshape → batched matmul, and its transpose, on ${where}`, async () => {
      const b = where === 'cpu' ? cpu : gpu;
      const out = onBackend(b, () => {
        const M = fg.randn([5, 16], { seed: 21 });
        const v = fg.randn([5, 4], { seed: 22 });
        const B = fg.reshape(M, [5, 4, 4]);
        const col = fg.reshape(v, [5, 4, 1]);
        return [fg.nknApply(M, v, { scale: 0.3 }), fg.mul(fg.reshape(fg.matmul(B, col), [5, 4]), 0.3), fg.nknApply(M, v, { transpose: true }), fg.reshape(fg.matmul(B, col, { transA: true }), [5, 4])];
      });
      // float32 on WebGPU: sums of 4 products of O(1) numbers
      const tol = where === 'cpu' ? 1e-12 : 16 * F32_EPS;
      for (const k of [0, 2]) {
        const ref = await out[k + 1]!.data();
        expect(maxAbsDiff(await out[k]!.data(), ref)).toBeLessThanOrEqual(tol * Math.max(1, maxAbs(ref)));
      }
    });
  }

  it('takes batched tangents and cotangents on WebGPU as on the CPU', async () => {
    const jacobians = (b: Backend) =>
      onBackend(b, () => {
        const M = fg.randn([3, 16], { seed: 23 });
        const v = fg.randn([3, 4], { seed: 24 });
        const inM = (m: fg.Tensor) => fg.nknApply(m, v, { scale: 0.5 });
        const inV = (x: fg.Tensor) => fg.nknApply(M, x, { scale: 0.5, transpose: true });
        const outer = (x: fg.Tensor) => fg.nknOuter(x, v, { scale: 2 });
        return [fg.jacfwd(inM)(M), fg.jacrev(inM)(M), fg.jacfwd(inV)(v), fg.jacrev(inV)(v), fg.jacfwd(outer)(v), fg.jacrev(outer)(v)];
      });
    const [want, got] = [jacobians(cpu), jacobians(gpu)];
    for (let k = 0; k < want.length; k++) {
      const ref = await want[k]!.data();
      // float32: sums of ≤ 4 products of O(1) numbers
      expect(maxAbsDiff(await got[k]!.data(), ref), `jacobian ${k}`).toBeLessThanOrEqual(16 * F32_EPS * Math.max(1, maxAbs(ref)));
    }
  });
});

describe('diffusionMatrix', () => {
  it('is the edge op as a matrix, and with τ the step I + τ·A', async () => {
    await onBackend(cpu, async () => {
      const g = radiusGraph(gridPoints(4, 2), 2, 0.4); // 16 nodes, 2 to 4 neighbours each
      const d = 3;
      const h = fg.randn([16, d], { seed: 7 });
      const K = fg.randn([g.index.E, d, d], { seed: 8 });
      const [hv, edge] = [Array.from(await h.data()), await fg.nknEdge(h, K, g.index).data()];
      const times = (M: Float64Array) => Array.from({ length: hv.length }, (_, r) => hv.reduce((a, v, c) => a + M[r * hv.length + c]! * v, 0));
      // float64: sums of ≤ 4·3 products of O(1) numbers, against the same sums in another order
      expect(maxAbsDiff(times(await diffusionMatrix(K, g)), edge)).toBeLessThanOrEqual(1e-12);
      const step = times(await diffusionMatrix(K, g, { tau: 0.25 }));
      expect(maxAbsDiff(step, hv.map((v, k) => v + 0.25 * edge[k]!))).toBeLessThanOrEqual(1e-12);
    });
  });
});

describe('radius graphs', () => {
  it('connect the points within the radius, sorted by destination, deterministically', () => {
    const g = radiusGraph(gridPoints(33, 1), 1, 3 / 32);
    const { offsets, src, dst } = g.index;
    const deg = (i: number) => offsets[i + 1]! - offsets[i]!;
    expect([deg(0), deg(1), deg(16), deg(32)]).toEqual([3, 4, 6, 3]);
    expect(dst.every((v, p) => p === 0 || v >= dst[p - 1]!)).toBe(true);
    expect(src.slice(offsets[16]!, offsets[17]!)).toEqual([13, 14, 15, 17, 18, 19]);
    expect(radiusGraph(gridPoints(33, 1), 1, 3 / 32).index.src).toEqual(src);
    const g2 = radiusGraph(gridPoints(5, 2), 2, 0.26); // 4-neighbour stencil at spacing 0.25
    expect(g2.index.E).toBe(2 * 2 * 5 * 4);
    expect(() => radiusGraph([0, 1, 5], 1, 1.5)).toThrow(/edgeIndex: node 2 has an empty neighbourhood/);
    expect(() => radiusGraph([0, 1, 2], 2, 1)).toThrow(/radiusGraph: points has 3 coordinates, not a non-empty multiple of dim = 2/);
  });
});

describe('NKN model', () => {
  it('passes gradcheck end to end in float64 on a small graph', async () => {
    const g = replicateGraph(radiusGraph(gridPoints(5, 1), 1, 0.3), 2);
    const x = nknInput(g, [1, 2, 1.5, 0.7, 1.1, 0.9, 1.3, 2.2, 1.4, 0.8]);
    const model = nkn({ dim: 1, width: 2, hidden: 3, seed: 5 });
    const f = (bb: fg.Tensor, W: fg.Tensor) => fg.sum(fg.square(model.apply({ ...model.params, b: bb, K: { layers: [{ ...model.params.K.layers[0]!, W }, model.params.K.layers[1]!] } }, x, 3)));
    const report = await fg.gradcheck(f, [fg.randn([2], { seed: 6 }), model.params.K.layers[0]!.W], { backend: 'cpu' });
    expect(report.pass, JSON.stringify(report.inputs)).toBe(true);
    const all = await fg.gradcheck((h0: fg.Tensor) => model.layer(model.params, h0, model.kernels(model.params, x), g, 0.25), [fg.randn([10, 2], { seed: 7 })], { backend: 'cpu' });
    expect(all.pass, JSON.stringify(all.inputs)).toBe(true);
  });

  it('computes the same layer with its fused ops and with generic ops', async () => {
    for (const b of [cpu, gpu]) {
      const [fused, composed] = onBackend(b, () => {
        const g = radiusGraph(gridPoints(4, 2), 2, 0.4); // 16 nodes, 3 to 8 neighbours each
        const x = nknInput(g, Array.from({ length: 16 }, (_, i) => 1 + 0.1 * i));
        const h = fg.randn([16, 4], { seed: 8 });
        return (['fused', 'composed'] as const).map((edgeOp) => {
          const m = nkn({ dim: 2, width: 4, hidden: 5, seed: 3, edgeOp });
          return m.layer(m.params, h, m.kernels(m.params, x), g, 0.5);
        });
      });
      const ref = await composed!.data();
      // float64: round-off; float32: a few ε per term of sums of ≤ 8·4 products of O(1) numbers
      expect(maxAbsDiff(await fused!.data(), ref), b.name).toBeLessThanOrEqual((b === cpu ? 1e-12 : 64 * F32_EPS) * Math.max(1, maxAbs(ref)));
    }
  });

  it('runs the message-passing baseline on the same graph', async () => {
    const g = radiusGraph(gridPoints(9, 1), 1, 0.2);
    const base = gnnBaseline({ dim: 1, width: 4, hidden: 8 });
    const u = base.apply(base.params, nknInput(g, new Array(9).fill(1)), 3);
    expect(u.shape).toEqual([9]);
    expect(Number.isFinite(maxAbs(await u.data()))).toBe(true);
  });
});
