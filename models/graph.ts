// Radius graphs on point sets, built on the CPU in a fixed order (deterministic), with the
// edge features the nonlocal kernel network reads: coordinates and field values at both ends.
import * as fg from '../index.js';
import { checkGraph, checkInt, checkNumbers, checkReal } from './model.js';

/** A neighbourhood graph: edge p goes from node src[p] to node dst[p], sorted by dst then src. */
export interface Graph {
  numNodes: number;
  /** spatial dimension of the points */
  dim: number;
  /** points [numNodes·dim], row-major */
  points: Float64Array;
  index: fg.EdgeIndex;
}

/**
 * Index tensors live on the current backend.
 * Edges j → i for every pair of distinct points with |x_j − x_i| ≤ radius; `points` holds
 * numNodes·dim coordinates. Every point needs a neighbour (the edge op averages over them).
 */
export function radiusGraph(points: ArrayLike<number>, dim: 1 | 2, radius: number): Graph {
  checkNumbers('radiusGraph', 'points', points);
  checkReal('radiusGraph', 'radius', radius, (r) => r > 0, 'a positive number');
  if (dim !== 1 && dim !== 2) throw new fg.ArgumentError(`radiusGraph: dim must be 1 or 2, got ${dim}`);
  if (!(radius > 0)) throw new fg.ArgumentError(`radiusGraph: radius must be positive, got ${radius}`);
  if (points.length % dim !== 0 || points.length === 0) throw new fg.ShapeError(`radiusGraph: points has ${points.length} coordinates, not a non-empty multiple of dim = ${dim}`);
  const n = points.length / dim;
  const src: number[] = [];
  const dst: number[] = [];
  const r2 = radius * radius * (1 + 1e-12); // points exactly at the radius are in, despite round-off
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i === j) continue;
      let s = 0;
      for (let c = 0; c < dim; c++) s += (points[j * dim + c]! - points[i * dim + c]!) ** 2;
      if (s <= r2) {
        src.push(j);
        dst.push(i);
      }
    }
  }
  // edgeIndex rejects a point with no neighbour within the radius, naming it
  return { numNodes: n, dim, points: Float64Array.from(points), index: fg.edgeIndex(n, src, dst) };
}

/** Grid points of [0,1] (n points) or [0,1]² (n×n, row-major, x fastest). */
export function gridPoints(n: number, dim: 1 | 2): Float64Array {
  if (dim === 1) return Float64Array.from({ length: n }, (_, i) => i / (n - 1));
  const p = new Float64Array(n * n * 2);
  for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) p.set([i / (n - 1), j / (n - 1)], 2 * (j * n + i));
  return p;
}

/** Edge features [E, 2·dim + 2]: (x_i, x_j, a_i, a_j) for edge j → i, in the graph's edge order. */
export function edgeFeatures(g: Graph, a: ArrayLike<number>): Float64Array {
  checkGraph('edgeFeatures', g);
  checkNumbers('edgeFeatures', 'a', a);
  if (a.length !== g.numNodes) throw new fg.ShapeError(`edgeFeatures: field a has ${a.length} values, expected one per node (${g.numNodes})`);
  const { src, dst, E } = g.index;
  const w = 2 * g.dim + 2;
  const out = new Float64Array(E * w);
  for (let p = 0; p < E; p++) {
    const i = dst[p]!;
    const j = src[p]!;
    for (let c = 0; c < g.dim; c++) {
      out[p * w + c] = g.points[i * g.dim + c]!;
      out[p * w + g.dim + c] = g.points[j * g.dim + c]!;
    }
    out[p * w + 2 * g.dim] = a[i]!;
    out[p * w + 2 * g.dim + 1] = a[j]!;
  }
  return out;
}

/** S disjoint copies of a graph (one per sample of a batch): node s·N + i, edges likewise. */
export function replicateGraph(g: Graph, S: number): Graph {
  checkGraph('replicateGraph', g);
  checkInt('replicateGraph', 'S', S);
  const { src, dst } = g.index;
  const N = g.numNodes;
  const s2: number[] = [];
  const d2: number[] = [];
  for (let s = 0; s < S; s++) {
    for (let p = 0; p < src.length; p++) {
      s2.push(src[p]! + s * N);
      d2.push(dst[p]! + s * N);
    }
  }
  const points = new Float64Array(S * g.points.length);
  for (let s = 0; s < S; s++) points.set(g.points, s * g.points.length);
  return { numNodes: S * N, dim: g.dim, points, index: fg.edgeIndex(S * N, s2, d2) };
}
