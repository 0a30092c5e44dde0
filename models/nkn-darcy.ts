// Darcy fields as NKN inputs, and the errors the NKN is judged by: batched over grid copies,
// against the held-out solutions and against the mean-solution baseline.
import * as fg from '../index.js';
import type { DarcyGrid } from './data/darcy.js';
import { gridPoints, radiusGraph, replicateGraph } from './graph.js';
import { nknInput, type NknInput } from './nkn.js';
import { relativeL2 } from './nkn-train.js';

/** The graph of a Darcy grid: its points (n, or n×n in 2-D) joined within `radius`. */
export interface DarcyGraph {
  dim: 1 | 2;
  radius: number;
}

const pointsOf = (G: DarcyGrid, dim: 1 | 2) => (dim === 1 ? G.n : G.n * G.n);

const DARCY_BATCH_KEYS = fg.optionKeys<DarcyGraph>({ dim: true, radius: true });

/** S copies of the grid's graph holding fields first … first + S − 1 of G, with their solutions u. */
export function darcyBatch(G: DarcyGrid, o: DarcyGraph, S: number, first: number): { x: NknInput; u: Float64Array } {
  o = fg.checkOptions('darcyBatch', o, DARCY_BATCH_KEYS) as typeof o;
  const n = pointsOf(G, o.dim);
  const g = replicateGraph(radiusGraph(gridPoints(G.n, o.dim), o.dim, o.radius), S);
  return { x: nknInput(g, G.a.slice(first * n, (first + S) * n)), u: G.u.slice(first * n, (first + S) * n) };
}

const DARCY_TEST_ERROR_KEYS = fg.optionKeys<Parameters<typeof darcyTestError>[1]>({ dim: true, radius: true, first: true, count: true, scale: true, maxEdges: true });

/**
 * Mean relative L² error of `predict` (u times `scale`) over fields first … first + count − 1,
 * in batches of at most ~`maxEdges` edges (a global kernel on a fine grid has n² per field).
 */
export async function darcyTestError(G: DarcyGrid, o: DarcyGraph & { first: number; count: number; scale: number; maxEdges?: number }, predict: (x: NknInput) => fg.Tensor): Promise<number> {
  o = fg.checkOptions('darcyTestError', o, DARCY_TEST_ERROR_KEYS) as typeof o;
  const edges = radiusGraph(gridPoints(G.n, o.dim), o.dim, o.radius).index.E;
  const per = Math.max(1, Math.min(o.count, Math.floor((o.maxEdges ?? 2 ** 18) / edges)));
  let total = 0;
  for (let f = 0; f < o.count; f += per) {
    const S = Math.min(per, o.count - f);
    const t = darcyBatch(G, o, S, o.first + f);
    const pred = fg.tidy(() => fg.div(predict(t.x), o.scale));
    total += S * (await relativeL2(pred, t.u, S));
    pred.dispose();
  }
  return total / o.count;
}

/** The error of predicting each of fields train … train + test − 1 by the mean of the first `train` solutions (ignores a). */
export async function meanSolutionError(G: DarcyGrid, dim: 1 | 2, train: number, test: number): Promise<number> {
  const n = pointsOf(G, dim);
  const mean = new Float64Array(n);
  for (let s = 0; s < train; s++) for (let i = 0; i < n; i++) mean[i] += G.u[s * n + i]! / train;
  const pred = new Float64Array(test * n);
  for (let s = 0; s < test; s++) pred.set(mean, s * n);
  return relativeL2(fg.tensor(pred), G.u.slice(train * n, (train + test) * n), test);
}
