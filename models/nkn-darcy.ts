// Darcy fields as NKN inputs, and the errors the NKN is judged by: batched over grid copies,
// against the held-out solutions and against the mean-solution baseline.
import * as fg from '../index.js';
import { checkFunction, checkInt, checkShaped, checkReal } from './model.js';
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

/** S copies of the grid's graph holding fields first … first + S − 1 of G, with their solutions u. */
/** The graph settings read from o (often a larger configuration object, so other keys are allowed). */
function checkGraphSpec(who: string, o: DarcyGraph): void {
  if (!o || typeof o !== 'object') throw new fg.ArgumentError(`${who}: the graph settings { dim, radius } are required, got ${String(o)}`);
  if (o.dim !== 1 && o.dim !== 2) throw new fg.ArgumentError(`${who}: dim must be 1 or 2, got ${String(o.dim)}`);
  checkReal(who, 'radius', o.radius, (r) => r > 0, 'a positive number');
}

export function darcyBatch(G: DarcyGrid, o: DarcyGraph, S: number, first: number): { x: NknInput; u: Float64Array } {
  checkShaped('darcyBatch', 'G', G, ['n', 'x', 'a', 'u'], 'a Darcy grid from fg.models.data.darcy1d/darcy2d(…)');
  checkInt('darcyBatch', 'S', S);
  checkInt('darcyBatch', 'first', first, 0);
  checkGraphSpec('darcyBatch', o);
  const n = pointsOf(G, o.dim);
  const fields = G.a.length / n;
  if (first + S > fields) throw new fg.ArgumentError(`darcyBatch: fields ${first} … ${first + S - 1} asked for, but G holds ${fields}`);
  const g = replicateGraph(radiusGraph(gridPoints(G.n, o.dim), o.dim, o.radius), S);
  return { x: nknInput(g, G.a.slice(first * n, (first + S) * n)), u: G.u.slice(first * n, (first + S) * n) };
}

/**
 * Mean relative L² error of `predict` (u times `scale`) over fields first … first + count − 1,
 * in batches of at most ~`maxEdges` edges (a global kernel on a fine grid has n² per field).
 */
export async function darcyTestError(G: DarcyGrid, o: DarcyGraph & { first: number; count: number; scale: number; maxEdges?: number }, predict: (x: NknInput) => fg.Tensor): Promise<number> {
  checkShaped('darcyTestError', 'G', G, ['n', 'x', 'a', 'u'], 'a Darcy grid from fg.models.data.darcy1d/darcy2d(…)');
  checkFunction('darcyTestError', 'predict', predict);
  checkGraphSpec('darcyTestError', o);
  for (const k of ['first', 'count'] as const) checkInt('darcyTestError', k, o[k], k === 'first' ? 0 : 1);
  checkReal('darcyTestError', 'scale', o.scale, (v) => v !== 0, 'a non-zero number');
  const edges = radiusGraph(gridPoints(G.n, o.dim), o.dim, o.radius).index.E;
  const per = Math.max(1, Math.min(o.count, Math.floor((o.maxEdges ?? 2 ** 18) / edges)));
  let total = 0;
  for (let f = 0; f < o.count; f += per) {
    const S = Math.min(per, o.count - f);
    const t = darcyBatch(G, { dim: o.dim, radius: o.radius }, S, o.first + f);
    const pred = fg.tidy(() => fg.div(predict(t.x), o.scale));
    total += S * (await relativeL2(pred, t.u, S));
    pred.dispose();
  }
  return total / o.count;
}

/** The error of predicting each of fields train … train + test − 1 by the mean of the first `train` solutions (ignores a). */
export async function meanSolutionError(G: DarcyGrid, dim: 1 | 2, train: number, test: number): Promise<number> {
  checkShaped('meanSolutionError', 'G', G, ['n', 'x', 'a', 'u'], 'a Darcy grid from fg.models.data.darcy1d/darcy2d(…)');
  if (dim !== 1 && dim !== 2) throw new fg.ArgumentError(`meanSolutionError: dim must be 1 or 2, got ${String(dim)}`);
  checkInt('meanSolutionError', 'train', train);
  checkInt('meanSolutionError', 'test', test);
  const n = pointsOf(G, dim);
  const mean = new Float64Array(n);
  for (let s = 0; s < train; s++) for (let i = 0; i < n; i++) mean[i] += G.u[s * n + i]! / train;
  const pred = new Float64Array(test * n);
  for (let s = 0; s < test; s++) pred.set(mean, s * n);
  return relativeL2(fg.tensor(pred), G.u.slice(train * n, (train + test) * n), test);
}
