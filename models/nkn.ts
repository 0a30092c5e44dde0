// Nonlocal kernel networks (You, Yu, D'Elia, Gao, Silling, arXiv:2201.02217): a deep network
// read as a discrete nonlocal diffusion–reaction equation. The layers share their weights and
// are time steps of size τ = 1/L, so parameters trained at one depth run at another, and the
// neighbour mean is a quadrature of an integral, so a model trained on a coarse grid runs on
// a finer one.
import * as fg from '../index.js';
import { mlp, type MlpParams } from './dense.js';
import { edgeFeatures, type Graph } from './graph.js';
import { checkInt, checkGraph, checkNumbers, checkParamTree, checkShaped, checkTensor, checkReal } from './model.js';
import { subSeed } from './random.js';

export interface NknOptions {
  /** spatial dimension of the points (1 or 2) */
  dim: 1 | 2;
  /** width d of the node states */
  width: number;
  /** hidden width of the MLPs P, K_θ, B_φ and Q (default 32) */
  hidden?: number;
  seed?: number;
  /**
   * bound on the row norms of K_θ and of B_φ − I (default 0.6): they end in tanh scaled by
   * scale/d. A small bound keeps each layer close to the identity, so that the layers are
   * time steps of one ODE and a network trained at one depth runs at another.
   */
  scale?: number;
  /**
   * a layer's kernels: the fused ops nknEdge and nknApply (default), or the same work composed of
   * generic ops (gather, batched matmul, segment mean; for comparison)
   */
  edgeOp?: 'fused' | 'composed';
}

/**
 * P lifts (a, x) to h⁰; K_θ maps edge features to d×d; B_φ maps h to I + (a bounded d×d
 * perturbation); Q projects h to u.
 */
export interface NknParams {
  P: MlpParams;
  K: MlpParams;
  B: MlpParams;
  b: fg.Tensor;
  Q: MlpParams;
}

/** One batch of inputs on a graph (S disjoint copies of a grid graph for S samples). */
export interface NknInput {
  graph: Graph;
  /** node features (a_i, x_i) [N, 1 + dim] */
  nodes: fg.Tensor;
  /** edge features (x_i, x_j, a_i, a_j) [E, 2·dim + 2] */
  edges: fg.Tensor;
}

/** Node and edge features of field values a [numNodes] on a graph, as tensors. */
export function nknInput(graph: Graph, a: ArrayLike<number>): NknInput {
  checkGraph('nknInput', graph);
  checkNumbers('nknInput', 'a', a);
  const N = graph.numNodes;
  if (a.length !== N) throw new fg.ShapeError(`nknInput: field a has ${a.length} values, expected one per node (${N})`);
  const nodes = new Float64Array(N * (1 + graph.dim));
  for (let i = 0; i < N; i++) {
    nodes[i * (1 + graph.dim)] = a[i]!;
    for (let c = 0; c < graph.dim; c++) nodes[i * (1 + graph.dim) + 1 + c] = graph.points[i * graph.dim + c]!;
  }
  return {
    graph,
    nodes: fg.tensor(nodes).reshape([N, 1 + graph.dim]),
    edges: fg.tensor(edgeFeatures(graph, a)).reshape([graph.index.E, 2 * graph.dim + 2]),
  };
}

export interface NknModel {
  readonly params: NknParams;
  /** the per-edge matrices K_θ(e) [E, d, d] (the same for every layer) */
  kernels(p: NknParams, x: NknInput): fg.Tensor;
  /** u at every node [N] with L layers of step 1/L */
  apply(p: NknParams, x: NknInput, layers: number): fg.Tensor;
  /** one layer h ↦ h + τ[mean_j K_ij (h_j − h_i) + b] + τ[B_φ(h) h − h] */
  layer(p: NknParams, h: fg.Tensor, K: fg.Tensor, graph: Graph, tau: number): fg.Tensor;
}

const mlpOf = (sizes: number[], seed: number, activation: 'tanh' | 'gelu' = 'gelu') => mlp({ sizes, activation, seed });

const NKN_KEYS = fg.optionKeys<NknOptions>({ dim: true, width: true, hidden: true, seed: true, scale: true, edgeOp: true });

export function nkn(o: NknOptions): NknModel {
  o = fg.checkOptions('nkn', o, NKN_KEYS) as typeof o;
  const d = checkInt('nkn', 'width', o.width);
  const hid = checkInt('nkn', 'hidden', o.hidden ?? 32);
  if (o.dim !== 1 && o.dim !== 2) throw new fg.ArgumentError(`nkn: dim must be 1 or 2, got ${o.dim}`);
  const seed = o.seed ?? 0;
  const P = mlpOf([1 + o.dim, hid, d], subSeed(seed, 1));
  // K_θ and B_φ − I end in tanh scaled by scale/d: bounded matrix rows keep each step of size τ
  // a bounded map, as a stable time stepper needs (an unbounded B_φ(h)·h grows like |h|³).
  // B_φ is centred on I, so the reaction B_φ(h)h − h starts at zero instead of a fixed decay
  // −h that Euler steps of different size would integrate differently: that is what lets
  // the parameters of a shallow network start a deeper one at about its loss.
  const scale = o.scale ?? 0.6;
  if (!(scale > 0)) throw new fg.ArgumentError(`nkn: scale must be positive, got ${o.scale}`);
  const K = mlp({ sizes: [2 * o.dim + 2, hid, d * d], activation: 'gelu', outputActivation: 'tanh', seed: subSeed(seed, 2) });
  const B = mlp({ sizes: [d, hid, d * d], activation: 'gelu', outputActivation: 'tanh', seed: subSeed(seed, 3) });
  const Q = mlpOf([d, hid, 1], subSeed(seed, 4));
  const params: NknParams = { P: P.params, K: K.params, B: B.params, b: fg.zeros([d]), Q: Q.params };
  const input = (p: NknParams, x: NknInput) => {
    checkParamTree('nkn', p, params);
    checkShaped('nkn', 'x', x, ['graph', 'nodes', 'edges'], 'an input from fg.models.nknInput(…)');
  };
  const kernels = (p: NknParams, x: NknInput) => (input(p, x), kernelsOf(p, x));
  const kernelsOf = (p: NknParams, x: NknInput) => fg.reshape(fg.mul(K.apply(p.K, x.edges), scale / d), [x.graph.index.E, d, d]);
  const composed = o.edgeOp === 'composed';
  const layer = (p: NknParams, h: fg.Tensor, Km: fg.Tensor, graph: Graph, tau: number) => {
    checkParamTree('nkn', p, params);
    checkTensor('nkn', 'h', h);
    checkTensor('nkn', 'K', Km);
    checkGraph('nkn', graph);
    checkReal('nkn', 'tau', tau);
    const diffusion = fg.add(composed ? nknEdgeComposed(h, Km, graph) : fg.nknEdge(h, Km, graph.index), p.b);
    // B_φ(h)h − h = (B_φ(h) − I)h, the MLP's output [N, d²] read as one d×d matrix per node
    const Bh = B.apply(p.B, h);
    const reaction = composed ? reactionComposed(Bh, h, scale / d) : fg.nknApply(Bh, h, { scale: scale / d });
    return fg.add(h, fg.mul(fg.add(diffusion, reaction), tau));
  };
  return {
    params,
    kernels,
    layer,
    apply(p, x, layers) {
      checkInt('nkn', 'layers', layers);
      const Km = kernels(p, x);
      let h = P.apply(p.P, x.nodes);
      for (let k = 0; k < layers; k++) h = layer(p, h, Km, x.graph, 1 / layers);
      return fg.reshape(Q.apply(p.Q, h), [x.graph.numNodes]);
    },
  };
}

/**
 * The edge op as a composition of generic ops (gather, batched matmul, segment mean), with its
 * E×d intermediates: the reference the fused kernel is checked and timed against.
 */
export function nknEdgeComposed(h: fg.Tensor, K: fg.Tensor, graph: Graph): fg.Tensor {
  checkTensor('nknEdgeComposed', 'h', h);
  checkTensor('nknEdgeComposed', 'K', K);
  checkGraph('nknEdgeComposed', graph);
  const { E, numNodes } = graph.index;
  const [src, dst] = graph.index.tensors as [fg.Tensor, fg.Tensor];
  const d = h.shape[1]!;
  if (h.rank !== 2 || h.shape[0] !== numNodes) throw new fg.ShapeError(`nknEdgeComposed: h has shape [${h.shape.join(', ')}], expected [${numNodes}, d] (one row per node)`);
  if (K.shape.join() !== [E, d, d].join()) throw new fg.ShapeError(`nknEdgeComposed: K has shape [${K.shape.join(', ')}], expected [${E}, ${d}, ${d}] (one d×d matrix per edge)`);
  const diff = fg.sub(fg.gather(h, src, 0), fg.gather(h, dst, 0));
  const msg = fg.reshape(fg.matmul(K, fg.reshape(diff, [E, d, 1])), [E, d]);
  return fg.segmentMean(msg, dst, numNodes);
}

/** scale · M_i h_i per node with M [N, d²] as generic ops (reshape, batched matmul): the reference for nknApply. */
function reactionComposed(M: fg.Tensor, h: fg.Tensor, scale: number): fg.Tensor {
  const [N, d] = h.shape as [number, number];
  return fg.reshape(fg.matmul(fg.reshape(fg.mul(M, scale), [N, d, d]), fg.reshape(h, [N, d, 1])), [N, d]);
}

/** Parameters of the plain message-passing baseline: lift, message MLP, projection. */
export interface GnnParams {
  P: MlpParams;
  M: MlpParams;
  Q: MlpParams;
}

const GNN_BASELINE_KEYS = fg.optionKeys<NknOptions>({ dim: true, width: true, hidden: true, seed: true, scale: true, edgeOp: true });

/**
 * A plain message-passing network, the simpler baseline: h_i ← h_i + τ·mean_j M([h_j, e_ij])
 * with one message MLP M shared by all layers.
 */
export function gnnBaseline(o: NknOptions): { params: GnnParams; apply(p: GnnParams, x: NknInput, layers: number): fg.Tensor } {
  o = fg.checkOptions('gnnBaseline', o, GNN_BASELINE_KEYS) as typeof o;
  const d = checkInt('gnnBaseline', 'width', o.width);
  const hid = checkInt('gnnBaseline', 'hidden', o.hidden ?? 32);
  const seed = o.seed ?? 0;
  const P = mlpOf([1 + o.dim, hid, d], subSeed(seed, 1));
  const M = mlpOf([d + 2 * o.dim + 2, hid, d], subSeed(seed, 2));
  const Q = mlpOf([d, hid, 1], subSeed(seed, 4));
  return {
    params: { P: P.params, M: M.params, Q: Q.params },
    apply(p, x, layers) {
      const [src, dst] = x.graph.index.tensors as [fg.Tensor, fg.Tensor];
      let h = P.apply(p.P, x.nodes);
      for (let k = 0; k < layers; k++) {
        const msg = M.apply(p.M, fg.concat([fg.gather(h, src, 0), x.edges], 1));
        h = fg.add(h, fg.mul(fg.segmentMean(msg, dst, x.graph.numNodes), 1 / layers));
      }
      return fg.reshape(Q.apply(p.Q, h), [x.graph.numNodes]);
    },
  };
}

const DIFFUSION_MATRIX_KEYS = fg.optionKeys<NonNullable<Parameters<typeof diffusionMatrix>[2]>>({ tau: true });

/**
 * The linear diffusion operator of a layer, h ↦ mean_j K_ij (h_j − h_i), as a dense
 * [N·d, N·d] matrix (row (i, a), column (j, c)), each row scaled by 1/|N(i)|; with `tau`,
 * the layer's diffusion step I + τ·(that matrix) instead.
 */
export async function diffusionMatrix(K: fg.Tensor, graph: Graph, opts: { tau?: number } = {}): Promise<Float64Array> {
  checkTensor('diffusionMatrix', 'K', K);
  checkGraph('diffusionMatrix', graph);
  opts = fg.checkOptions('diffusionMatrix', opts, DIFFUSION_MATRIX_KEYS) as typeof opts;
  const { src, dst, offsets, numNodes: N, E } = graph.index;
  const d = K.shape[1]!;
  const k = await K.data();
  const n = N * d;
  const tau = opts.tau ?? 1;
  const M = new Float64Array(n * n);
  for (let p = 0; p < E; p++) {
    const i = dst[p]!;
    const j = src[p]!;
    const w = 1 / (offsets[i + 1]! - offsets[i]!);
    for (let a = 0; a < d; a++) {
      for (let c = 0; c < d; c++) {
        const v = w * tau * k[(p * d + a) * d + c]!;
        M[(i * d + a) * n + j * d + c] += v;
        M[(i * d + a) * n + i * d + c] -= v;
      }
    }
  }
  if (opts.tau !== undefined) for (let r = 0; r < n; r++) M[r * n + r]! += 1;
  return M;
}
