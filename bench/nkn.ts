// The NKN edge op and a whole NKN layer on the 2-D 57×57 grid graph with d = 16: the fused
// ops (nknEdge and its adjoints; in the layer also nknApply for the reaction) against the same
// work composed of generic ops (gather, batched matmul, segment mean; reshape → batched matmul).
import * as fg from '../index.js';
import { goal, measure, type Goal, type Measurement } from './harness.js';
import type { BenchCase } from './kernels.js';
import { gridPoints, nkn, nknEdgeComposed, nknInput, radiusGraph, type Graph } from '../models/index.js';

const GRID = 57;
const D = 16;
const RADIUS = 2.5 / (GRID - 1); // 20 neighbours inside, fewer at the boundary

const x = (v: number) => `${v.toFixed(2)}×`;

/** Bytes the fused forward pass must move at least: K, h twice (neighbours and own), out, indices. */
const forwardBytes = (N: number, E: number) => 4 * (E * D * D + 2 * N * D + N * D + 2 * E + N);

// Warm-up runs before each side: a read sleeps for as long as the runtime expects the submitted
// work to take, at a rate learned from earlier reads and shrunk by about a fifth per read when
// found too long; after the other side's slower work it starts up to 4× too long and needs
// about seven reads to settle (with two, the fused layer's wall times were mostly sleep).
const TIMING = { warmup: 10, reps: 7 };

function pair(name: string, size: string, bytes: number, fused: () => fg.Tensor, composed: () => fg.Tensor): () => Promise<Measurement[]> {
  return async () => {
    const a: Measurement = { name: `${name} fused`, size, bytes, ...(await measure(fused, TIMING)) };
    const b: Measurement = { name: `${name} composed`, size, bytes, ...(await measure(composed, TIMING)) };
    const speed = b.wallMs / a.wallMs;
    const gpuSpeed = a.gpuMs && b.gpuMs ? b.gpuMs / a.gpuMs : null;
    a.extra = { 'GB/s (wall)': bytes / a.wallMs / 1e6, 'speed-up vs composed (wall)': speed, ...(gpuSpeed ? { '(GPU)': gpuSpeed } : {}) };
    b.extra = { 'GB/s (wall)': bytes / b.wallMs / 1e6 };
    a.goals = [goal('≥ 3× the composed ops (wall)', speed, 3, 'atLeast', x), goal('≥ 3× the composed ops (GPU time)', gpuSpeed, 3, 'atLeast', x)].filter((g): g is Goal => g !== null);
    return [a, b];
  };
}

function setup() {
  const graph: Graph = radiusGraph(gridPoints(GRID, 2), 2, RADIUS);
  const N = graph.numNodes;
  const E = graph.index.E;
  const h = fg.randn([N, D], { seed: 1 });
  const K = fg.mul(fg.randn([E, D, D], { seed: 2 }), 1 / D);
  const g = fg.randn([N, D], { seed: 3 });
  return { graph, N, E, h, K, g, size: `${GRID}×${GRID} grid, N ${N}, E ${E}, d ${D}` };
}

// forward + backward: the gradients of ⟨g, out⟩ in h and K; the sum of dh and one entry of dK
// make one number, so that one small read waits for both (reading dK back, 4·E·d² bytes, or
// summing it would cost as much as computing it)
const both = (f: (h: fg.Tensor, K: fg.Tensor) => fg.Tensor, h: fg.Tensor, K: fg.Tensor, g: fg.Tensor) => () => {
  const [gh, gK] = fg.grad((hh: fg.Tensor, KK: fg.Tensor) => fg.sum(fg.mul(f(hh, KK), g)), { argnums: [0, 1] })(h, K) as fg.Tensor[];
  return fg.add(fg.sum(gh!), fg.sum(fg.slice(gK!, [0, 0, 0], [1, 1, 1])));
};

export const nknBenches: BenchCase[] = [
  {
    name: 'nkn edge op',
    async run() {
      const s = setup();
      const fused = (h: fg.Tensor, K: fg.Tensor) => fg.nknEdge(h, K, s.graph.index);
      const composed = (h: fg.Tensor, K: fg.Tensor) => nknEdgeComposed(h, K, s.graph);
      const fwd = await pair('nknEdge forward', s.size, forwardBytes(s.N, s.E), () => fused(s.h, s.K), () => composed(s.h, s.K))();
      // backward reads K once more and writes dK: three times the traffic of K in all
      const fb = await pair('nknEdge forward+backward', s.size, forwardBytes(s.N, s.E) + 4 * (2 * s.E * D * D + 4 * s.N * D), both(fused, s.h, s.K, s.g), both(composed, s.h, s.K, s.g))();
      return [...fwd, ...fb];
    },
  },
  {
    name: 'nkn layer',
    async run() {
      const s = setup();
      const a = fg.rand([s.N], { seed: 4 });
      const input = nknInput(s.graph, await a.data());
      const mk = (edgeOp: 'fused' | 'composed') => nkn({ dim: 2, width: D, hidden: 32, seed: 1, edgeOp });
      const [mf, mc] = [mk('fused'), mk('composed')];
      const Km = mf.kernels(mf.params, input);
      const layer = (m: typeof mf) => (h: fg.Tensor, K: fg.Tensor) => m.layer(m.params, h, K, s.graph, 1 / 4);
      const bytes = forwardBytes(s.N, s.E); // the edge op's traffic only: the GB/s of the diffusion part
      const fwd = await pair('NKN layer forward', s.size, bytes, () => layer(mf)(s.h, Km), () => layer(mc)(s.h, Km))();
      const fb = await pair('NKN layer forward+backward', s.size, bytes + 4 * (2 * s.E * D * D + 4 * s.N * D), both(layer(mf), s.h, Km, s.g), both(layer(mc), s.h, Km, s.g))();
      return [...fwd, ...fb];
    },
  },
];
