// The nonlocal kernel network's edge op, out_i = (1/|N(i)|) Σ_{j∈N(i)} K_ij (h_j − h_i), and
// its two adjoints as ops of their own. With A(K) the linear map h ↦ out, the three ops are
//   nknEdge(h, K)      = A(K) h
//   nknEdgeGradH(g, K) = A(K)ᵀ g
//   nknEdgeGradK(g, h) = ∂⟨g, A(K) h⟩/∂K
// all bilinear and tied by ⟨g, A(K)h⟩ = ⟨GradH(g,K), h⟩ = ⟨GradK(g,h), K⟩, so each one's
// derivatives are the others: the family is closed and differentiable to any order.
import { checkNumbers } from '../../engine/args.js';
import { describe } from '../../engine/options.js';
import { fromValues } from '../../engine/creation.js';
import { ArgumentError, ShapeError, fmtShape } from '../../engine/errors.js';
import { sizeOf, type Shape } from '../../engine/shape.js';
import type { Backend } from '../../engine/backend.js';
import { Tensor } from '../../engine/tensor.js';
import { launchNknEdge, launchNknEdgeGradH, launchNknEdgeGradK } from '../../kernels/nkn.js';
import { apply, defineOp, type OpDef } from '../op.js';
import { addMaybe } from './elementwise.js';
import { unbroadcast } from './shape.js';

const INDEX_ARGS = ['src', 'dst', 'offsets', 'srcOrder', 'srcOffsets'] as const;

interface Dims {
  batch: number | null;
  N: number;
  d: number;
  E: number;
  xBatched: boolean;
  yBatched: boolean;
}

/**
 * Validates the shapes of (x, y, src, dst, offsets, srcOrder, srcOffsets): x and y have base
 * ranks xBase, yBase plus at most one leading batch dimension (equal where both have one).
 */
function dims(op: string, names: [string, string], shapes: Shape[], kind: 'hK' | 'gh'): Dims {
  const [x, y, src, dst, off, so, soff] = shapes as Shape[];
  const yBase = kind === 'hK' ? 3 : 2;
  const bad = (what: string) => new ShapeError(`${op}: ${what}; got ${names[0]} ${fmtShape(x!)}, ${names[1]} ${fmtShape(y!)}, src ${fmtShape(src!)}, offsets ${fmtShape(off!)}`);
  if (x!.length !== 2 && x!.length !== 3) throw bad(`${names[0]} must be [N, d] (or [batch, N, d])`);
  if (y!.length !== yBase && y!.length !== yBase + 1) throw bad(`${names[1]} must be ${kind === 'hK' ? '[E, d, d]' : '[N, d]'} (or with one leading batch dimension)`);
  const xs = x!.slice(x!.length - 2);
  const ys = y!.slice(y!.length - yBase);
  const [N, d] = xs as [number, number];
  if (src!.length !== 1) throw bad('src must be a vector [E]');
  const E = src![0]!;
  if (kind === 'hK' && !(ys[0] === E && ys[1] === d && ys[2] === d)) throw bad(`${names[1]} must be [E, d, d] = [${E}, ${d}, ${d}] to match src [${E}] and ${names[0]}`);
  if (kind === 'gh' && !(ys[0] === N && ys[1] === d)) throw bad(`${names[1]} must have the shape [${N}, ${d}] of ${names[0]}`);
  for (const [k, s] of [[3, dst], [5, so]] as const) if (!(s!.length === 1 && s![0] === E)) throw new ShapeError(`${op}: ${INDEX_ARGS[k - 2]} ${fmtShape(s!)} must have the length E = ${E} of src`);
  for (const [k, s] of [[4, off], [6, soff]] as const) if (!(s!.length === 1 && s![0] === N + 1)) throw new ShapeError(`${op}: ${INDEX_ARGS[k - 2]} ${fmtShape(s!)} must have length N + 1 = ${N + 1} for ${names[0]} ${fmtShape(x!)}`);
  const xBatched = x!.length === 3;
  const yBatched = y!.length === yBase + 1;
  if (xBatched && yBatched && x![0] !== y![0]) throw bad('the leading batch dimensions differ');
  return { batch: xBatched ? x![0]! : yBatched ? y![0]! : null, N, d, E, xBatched, yBatched };
}

/** The graph as the float64 references read it, checked: CSR by destination, grouping by source. */
function readGraph(op: string, idx: Float64Array[], N: number, E: number) {
  const [src, dst, off, so, soff] = idx as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
  const int = (v: Float64Array, n: number, what: string) =>
    Array.from(v, (x, k) => {
      if (!Number.isInteger(x) || x < 0 || x >= n) throw new ArgumentError(`${op}: ${what} must hold integers in [0, ${n}); found ${x} at position ${k}`);
      return x;
    });
  const s = int(src, N, 'src');
  const t = int(dst, N, 'dst');
  const o = int(off, E + 1, 'offsets');
  const order = int(so, E, 'srcOrder');
  const so2 = int(soff, E + 1, 'srcOffsets');
  const count = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    count[i] = o[i + 1]! - o[i]!;
    if (!(count[i]! > 0)) throw new ArgumentError(`${op}: node ${i} has an empty neighbourhood (offsets ${o[i]}..${o[i + 1]}); every node needs at least one incoming edge`);
    for (let p = o[i]!; p < o[i + 1]!; p++) if (t[p] !== i) throw new ArgumentError(`${op}: edges must be sorted by dst in CSR order; edge ${p} has dst ${t[p]} but lies in the range of node ${i}`);
    for (let q = so2[i]!; q < so2[i + 1]!; q++) if (s[order[q]!] !== i) throw new ArgumentError(`${op}: srcOrder must group the edges by src; entry ${q} (edge ${order[q]}) has src ${s[order[q]!]}, expected ${i}`);
  }
  if (o[0] !== 0 || o[N] !== E || so2[0] !== 0 || so2[N] !== E) throw new ArgumentError(`${op}: offsets and srcOffsets must run from 0 to E = ${E}`);
  return { s, t, count };
}

type Ops = { fwd: OpDef; gradH: OpDef; gradK: OpDef };
const ops = {} as Ops;
const idxOf = (inputs: Tensor[]) => inputs.slice(2);
const run = (op: OpDef, x: Tensor, y: Tensor, idx: Tensor[]) => apply(op, [x, y, ...idx], undefined);
/**
 * The two cotangents at the shapes of the two tensor inputs, keeping the cotangent's `batch`
 * leading dimensions: a batch the primal argument did not have (the other one had) is summed.
 */
const fit = ([dx, dy]: [Tensor, Tensor], shapes: Shape[], batch: number) => [unbroadcast(dx, shapes[0]!, batch), unbroadcast(dy, shapes[1]!, batch), null, null, null, null, null];

// Sample graphs: small, fixed, with an odd number of nodes, a node with one neighbour and
// nodes with several; index values are computed by edgeIndexValues below.
const G3 = edgeIndexValues(3, [1, 2, 0, 0, 1], [0, 0, 1, 2, 2]);
const G4 = edgeIndexValues(4, [1, 3, 2, 0, 3, 1, 0, 2], [0, 0, 1, 2, 2, 3, 3, 3]);
const G1 = edgeIndexValues(1, [0], [0]);
const sample = (g: ReturnType<typeof edgeIndexValues>, N: number, d: number, y: number[]) => ({
  shapes: [[N, d], y, [g.E], [g.E], [N + 1], [g.E], [N + 1]],
  attrs: undefined,
  values: [undefined, undefined, g.src, g.dst, g.offsets, g.srcOrder, g.srcOffsets],
});
const samplesFor = (kind: 'hK' | 'gh') => {
  const y = (g: { E: number }, N: number, d: number) => (kind === 'hK' ? [g.E, d, d] : [N, d]);
  // d = 4 and 8 take the kernels' vec4 path, d = 18 their loops (rows too long to unroll);
  // odd d gives the forward kernel one row per thread, even d two
  return [sample(G3, 3, 2, y(G3, 3, 2)), sample(G4, 4, 3, y(G4, 4, 3)), sample(G1, 1, 1, y(G1, 1, 1)), sample(G4, 4, 4, y(G4, 4, 4)), sample(G3, 3, 8, y(G3, 3, 8)), sample(G1, 1, 18, y(G1, 1, 18))];
};
const rejectsFor = (op: string, kind: 'hK' | 'gh') => [
  // E of K (or the node count of h) does not match the edge lists
  { shapes: [[3, 2], kind === 'hK' ? [4, 2, 2] : [4, 2], [5], [5], [4], [5], [4]], attrs: undefined, message: new RegExp(`${op}: .* must (be \\[E, d, d\\] = \\[5, 2, 2\\]|have the shape \\[3, 2\\])`) },
  { shapes: [[3, 2], kind === 'hK' ? [5, 2, 2] : [3, 2], [5], [4], [4], [5], [4]], attrs: undefined, message: new RegExp(`${op}: dst \\[4\\] must have the length E = 5 of src`) },
  { shapes: [[3, 2], kind === 'hK' ? [5, 2, 2] : [3, 2], [5], [5], [3], [5], [4]], attrs: undefined, message: new RegExp(`${op}: offsets \\[3\\] must have length N \\+ 1 = 4`) },
];

ops.fwd = defineOp({
  name: 'nknEdge',
  args: ['h', 'K', ...INDEX_ARGS],
  nondiff: [2, 3, 4, 5, 6],
  saves: { inputs: true, output: false },
  shape: (shapes) => {
    const { batch, N, d } = dims('nknEdge', ['h', 'K'], shapes, 'hK');
    return batch === null ? [N, d] : [batch, N, d];
  },
  cpu: ([h, K, ...idx], shapes, _a, outShape) => {
    const { N, d, E, xBatched, yBatched } = dims('nknEdge', ['h', 'K'], shapes, 'hK');
    const { s, t, count } = readGraph('nknEdge', idx, N, E);
    const out = new Float64Array(sizeOf(outShape));
    const B = outShape.length === 3 ? outShape[0]! : 1;
    for (let b = 0; b < B; b++) {
      const hb = xBatched ? b * N * d : 0;
      const kb = yBatched ? b * E * d * d : 0;
      for (let e = 0; e < E; e++) {
        for (let a = 0; a < d; a++) {
          let acc = 0;
          for (let c = 0; c < d; c++) acc += K![kb + (e * d + a) * d + c]! * (h![hb + s[e]! * d + c]! - h![hb + t[e]! * d + c]!);
          out[b * N * d + t[e]! * d + a] += acc / count[t[e]!]!;
        }
      }
    }
    return out;
  },
  gpu: (rt, [h, K, src, , off], out) => {
    const N = h!.shape[h!.shape.length - 2]!;
    const d = h!.shape[h!.shape.length - 1]!;
    launchNknEdge(rt, h!, K!, src!, off!, out, N, d, h!.shape.length === 3, K!.shape.length === 4);
  },
  vjp: (inputs, _y, g, _a, shapes, outShape) => {
    const [h, K] = inputs as [Tensor, Tensor];
    return fit([run(ops.gradH, g, K, idxOf(inputs)), run(ops.gradK, g, h, idxOf(inputs))], shapes, g.rank - outShape.length);
  },
  jvp: (inputs, _y, [dh, dK]) => {
    const [h, K] = inputs as [Tensor, Tensor];
    return addMaybe(dh ? run(ops.fwd, dh, K, idxOf(inputs)) : null, dK ? run(ops.fwd, h, dK, idxOf(inputs)) : null);
  },
  samples: samplesFor('hK'),
  rejects: rejectsFor('nknEdge', 'hK'),
}) as OpDef;

ops.gradH = defineOp({
  name: 'nknEdgeGradH',
  args: ['g', 'K', ...INDEX_ARGS],
  nondiff: [2, 3, 4, 5, 6],
  saves: { inputs: true, output: false },
  shape: (shapes) => {
    const { batch, N, d } = dims('nknEdgeGradH', ['g', 'K'], shapes, 'hK');
    return batch === null ? [N, d] : [batch, N, d];
  },
  cpu: ([g, K, ...idx], shapes, _a, outShape) => {
    const { N, d, E, xBatched, yBatched } = dims('nknEdgeGradH', ['g', 'K'], shapes, 'hK');
    const { s, t, count } = readGraph('nknEdgeGradH', idx, N, E);
    const out = new Float64Array(sizeOf(outShape));
    const B = outShape.length === 3 ? outShape[0]! : 1;
    for (let b = 0; b < B; b++) {
      const gb = xBatched ? b * N * d : 0;
      const kb = yBatched ? b * E * d * d : 0;
      for (let e = 0; e < E; e++) {
        const w = 1 / count[t[e]!]!;
        for (let a = 0; a < d; a++) {
          for (let c = 0; c < d; c++) {
            const v = w * K![kb + (e * d + a) * d + c]! * g![gb + t[e]! * d + a]!;
            out[b * N * d + s[e]! * d + c] += v;
            out[b * N * d + t[e]! * d + c] -= v;
          }
        }
      }
    }
    return out;
  },
  gpu: (rt, [g, K, , dst, off, so, soff], out) => {
    const N = g!.shape[g!.shape.length - 2]!;
    const d = g!.shape[g!.shape.length - 1]!;
    launchNknEdgeGradH(rt, g!, K!, dst!, off!, so!, soff!, out, N, d, g!.shape.length === 3, K!.shape.length === 4);
  },
  vjp: (inputs, _y, c, _a, shapes, outShape) => {
    const [g, K] = inputs as [Tensor, Tensor];
    return fit([run(ops.fwd, c, K, idxOf(inputs)), run(ops.gradK, g, c, idxOf(inputs))], shapes, c.rank - outShape.length);
  },
  jvp: (inputs, _y, [dg, dK]) => {
    const [g, K] = inputs as [Tensor, Tensor];
    return addMaybe(dg ? run(ops.gradH, dg, K, idxOf(inputs)) : null, dK ? run(ops.gradH, g, dK, idxOf(inputs)) : null);
  },
  samples: samplesFor('hK'),
  rejects: rejectsFor('nknEdgeGradH', 'hK'),
}) as OpDef;

ops.gradK = defineOp({
  name: 'nknEdgeGradK',
  args: ['g', 'h', ...INDEX_ARGS],
  nondiff: [2, 3, 4, 5, 6],
  saves: { inputs: true, output: false },
  shape: (shapes) => {
    const { batch, d, E } = dims('nknEdgeGradK', ['g', 'h'], shapes, 'gh');
    return batch === null ? [E, d, d] : [batch, E, d, d];
  },
  cpu: ([g, h, ...idx], shapes, _a, outShape) => {
    const { N, d, E, xBatched, yBatched } = dims('nknEdgeGradK', ['g', 'h'], shapes, 'gh');
    const { s, t, count } = readGraph('nknEdgeGradK', idx, N, E);
    const out = new Float64Array(sizeOf(outShape));
    const B = outShape.length === 4 ? outShape[0]! : 1;
    for (let b = 0; b < B; b++) {
      const gb = xBatched ? b * N * d : 0;
      const hb = yBatched ? b * N * d : 0;
      for (let e = 0; e < E; e++) {
        for (let a = 0; a < d; a++) {
          for (let c = 0; c < d; c++) {
            out[((b * E + e) * d + a) * d + c] = (g![gb + t[e]! * d + a]! * (h![hb + s[e]! * d + c]! - h![hb + t[e]! * d + c]!)) / count[t[e]!]!;
          }
        }
      }
    }
    return out;
  },
  gpu: (rt, [g, h, src, dst, off], out) => {
    const N = g!.shape[g!.shape.length - 2]!;
    const d = g!.shape[g!.shape.length - 1]!;
    launchNknEdgeGradK(rt, g!, h!, src!, dst!, off!, out, N, d, g!.shape.length === 3, h!.shape.length === 3);
  },
  vjp: (inputs, _y, C, _a, shapes, outShape) => {
    const [g, h] = inputs as [Tensor, Tensor];
    return fit([run(ops.fwd, h, C, idxOf(inputs)), run(ops.gradH, g, C, idxOf(inputs))], shapes, C.rank - outShape.length);
  },
  jvp: (inputs, _y, [dg, dh]) => {
    const [g, h] = inputs as [Tensor, Tensor];
    return addMaybe(dg ? run(ops.gradK, dg, h, idxOf(inputs)) : null, dh ? run(ops.gradK, g, dh, idxOf(inputs)) : null);
  },
  samples: samplesFor('gh'),
  rejects: rejectsFor('nknEdgeGradK', 'gh'),
}) as OpDef;

/** Index arrays of a graph in the layout the edge op reads (plain numbers; see edgeIndex). */
export interface EdgeIndexValues {
  numNodes: number;
  E: number;
  /** edge p of the sorted order is edge perm[p] of the input lists */
  perm: number[];
  src: number[];
  dst: number[];
  offsets: number[];
  srcOrder: number[];
  srcOffsets: number[];
}

/**
 * Sorts edges (src_e → dst_e) by destination (stable) into CSR order and groups them by
 * source, checking the indices and that no node has an empty neighbourhood.
 */
export function edgeIndexValues(numNodes: number, src: ArrayLike<number>, dst: ArrayLike<number>): EdgeIndexValues {
  return indexValues('edgeIndexValues', numNodes, src, dst);
}

function indexValues(who: string, numNodes: number, src: ArrayLike<number>, dst: ArrayLike<number>): EdgeIndexValues {
  checkNumbers(who, 'src', src);
  checkNumbers(who, 'dst', dst);
  if (!(Number.isInteger(numNodes) && numNodes > 0)) throw new ArgumentError(`${who}: numNodes must be a positive integer, got ${numNodes}`);
  if (src.length !== dst.length) throw new ShapeError(`${who}: src [${src.length}] and dst [${dst.length}] must have the same length E`);
  const E = src.length;
  for (const [name, v] of [['src', src], ['dst', dst]] as const) {
    for (let k = 0; k < E; k++) if (!(Number.isInteger(v[k]) && v[k]! >= 0 && v[k]! < numNodes)) throw new ArgumentError(`${who}: ${name} must hold node indices in [0, ${numNodes}); found ${v[k]} at edge ${k}`);
  }
  const perm = Array.from({ length: E }, (_, k) => k).sort((p, q) => dst[p]! - dst[q]! || p - q);
  const s = perm.map((k) => src[k]!);
  const t = perm.map((k) => dst[k]!);
  const offsets = new Array<number>(numNodes + 1).fill(0);
  const srcOffsets = new Array<number>(numNodes + 1).fill(0);
  for (let p = 0; p < E; p++) {
    offsets[t[p]! + 1]++;
    srcOffsets[s[p]! + 1]++;
  }
  for (let i = 0; i < numNodes; i++) {
    if (offsets[i + 1] === 0) throw new ArgumentError(`${who}: node ${i} has an empty neighbourhood (no edge has dst ${i}); the edge op averages over neighbours`);
    offsets[i + 1] += offsets[i]!;
    srcOffsets[i + 1] += srcOffsets[i]!;
  }
  const srcOrder = Array.from({ length: E }, (_, p) => p).sort((p, q) => s[p]! - s[q]! || p - q);
  return { numNodes, E, perm, src: s, dst: t, offsets, srcOrder, srcOffsets };
}

/** A graph's index tensors on one backend, for nknEdge. */
export interface EdgeIndex extends EdgeIndexValues {
  tensors: Tensor[];
}

/** Index tensors (floats holding integers, no derivative) for nknEdge; see edgeIndexValues. */
export function edgeIndex(numNodes: number, src: ArrayLike<number>, dst: ArrayLike<number>, backend?: Backend): EdgeIndex {
  const v = indexValues('edgeIndex', numNodes, src, dst);
  const t = (a: number[]) => fromValues(Float64Array.from(a), [a.length], backend);
  return { ...v, tensors: [t(v.src), t(v.dst), t(v.offsets), t(v.srcOrder), t(v.srcOffsets)] };
}

/**
 * out_i = (1/|N(i)|) Σ_{j∈N(i)} K_ij (h_j − h_i) for node states h [N, d] and per-edge
 * matrices K [E, d, d] in the graph's CSR order (edge p of `graph.src`/`graph.dst`), one
 * kernel with no per-edge intermediate; differentiable in h and K to any order.
 */
export function nknEdge(h: Tensor, K: Tensor, graph: EdgeIndex): Tensor {
  if (!(h instanceof Tensor) || !(K instanceof Tensor)) throw new ArgumentError('nknEdge: h and K must be Tensors');
  if (!graph || !Array.isArray((graph as EdgeIndex).tensors)) throw new ArgumentError(`nknEdge: graph must be an edge index from edgeIndex(numNodes, src, dst), got ${describe(graph)}`);
  if (h.shape[h.rank - 2] !== graph.numNodes) throw new ShapeError(`nknEdge: h ${fmtShape(h.shape)} must have ${graph.numNodes} rows, one per node of the graph`);
  return run(ops.fwd, h, K, graph.tensors);
}

