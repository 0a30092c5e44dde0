// The NKN on 1-D Darcy: shallow-to-deep training (L = 3 → 6 → 12 with the parameters carried
// over), resolution independence (trained on 33 points, tested on 65/129/257) and the
// spectrum of a trained layer's diffusion operator. Small sizes, CPU backend.
import { beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';
import { darcy1d } from '../models/data/darcy.js';
import { darcyBatch, darcyTestError, diffusionMatrix, fitNkn, nkn } from '../models/index.js';

beforeAll(async () => {
  await fg.init({ backend: 'cpu' });
});

const S_TRAIN = 8;
const S_TEST = 3;
const SCALE = 10; // u is O(0.1) for f = 1; scaled to O(1) for the loss
const RADIUS = 3 / 32; // physical radius: 3 neighbours a side at 33 points, 24 at 257

const GRAPH = { dim: 1, radius: RADIUS } as const;

describe('NKN on 1-D Darcy', () => {
  it('trains shallow to deep and keeps its error across resolutions', async () => {
    const grids = darcy1d({ samples: S_TRAIN + S_TEST, seed: 11 });
    const g33 = grids[0]!;
    const train = darcyBatch(g33, GRAPH, S_TRAIN, 0);
    const target = fg.tensor(Array.from(train.u, (v) => v * SCALE));
    const model = nkn({ dim: 1, width: 6, hidden: 12, seed: 2 });
    const loss = async (p: typeof model.params, L: number) => (await fg.mean(fg.square(fg.sub(model.apply(p, train.x, L), target))).item());

    const r3 = await fitNkn(model, model.params, train.x, target, { layers: 3, steps: 200, lr: 1e-2, logEvery: 50 });
    const r6 = await fitNkn(model, r3.params, train.x, target, { layers: 6, steps: 60, lr: 3e-3, logEvery: 25 });
    const r12 = await fitNkn(model, r6.params, train.x, target, { layers: 12, steps: 30, lr: 3e-3, logEvery: 25 });
    const rows = [
      { L: 3, start: r3.losses[0]!.loss, end: await loss(r3.params, 3) },
      { L: 6, start: await loss(r3.params, 6), end: await loss(r6.params, 6) },
      { L: 12, start: await loss(r6.params, 12), end: await loss(r12.params, 12) },
    ];
    console.log('shallow-to-deep training losses (MSE of 10·u)');
    console.table(rows);
    // The L = 3 fit must learn. The carried-over parameters are time steps of one ODE, so at
    // depth 6 and 12 they must start at about the loss they were trained to (within 2×: Euler's
    // O(τ) change of the trajectory between τ = 1/3 and 1/6 is what separates them), and
    // fine-tuning at the new depth must improve on that start and on the L = 3 loss.
    expect(rows[0]!.end).toBeLessThan(0.05 * rows[0]!.start);
    expect(rows[1]!.start).toBeLessThan(2 * rows[0]!.end);
    expect(rows[2]!.start).toBeLessThan(2 * rows[1]!.end);
    for (const r of rows.slice(1)) {
      expect(r.end).toBeLessThan(r.start);
      expect(r.end).toBeLessThan(rows[0]!.end);
    }

    const table: { points: number; relL2: number }[] = [];
    for (const G of grids) {
      const relL2 = await darcyTestError(G, { ...GRAPH, first: S_TRAIN, count: S_TEST, scale: SCALE }, (x) => model.apply(r12.params, x, 12));
      table.push({ points: G.n, relL2 });
    }
    console.log('resolution independence: trained on 33 points, relative L² test error');
    console.table(table);
    // resolution independence: the finer grids stay within a small factor of the 33-point error
    for (const r of table.slice(1)) expect(r.relL2).toBeLessThan(3 * table[0]!.relL2 + 0.02);
    expect(table[0]!.relL2).toBeLessThan(0.3);

    // stability: eigenvalues of one layer's diffusion step I + τ·A on a 33-point sample
    const one = darcyBatch(g33, GRAPH, 1, 0);
    const step = await diffusionMatrix(model.kernels(r12.params, one.x), one.x.graph, { tau: 1 / 12 });
    const n = Math.sqrt(step.length);
    const { re, im } = fg.linalg.eigvals(fg.tensor(Array.from(step)).reshape([n, n]));
    const reV = await re.data();
    const imV = await im.data();
    const mod = Array.from(reV, (r, k) => Math.hypot(r, imV[k]!));
    const stats = { n, maxModulus: Math.max(...mod), minRe: Math.min(...reV), maxRe: Math.max(...reV), maxAbsIm: Math.max(...Array.from(imV, Math.abs)) };
    console.log('spectrum of I + τ·A (diffusion step of the trained layer, L = 12)');
    console.table([stats]);
    expect(mod.every(Number.isFinite)).toBe(true);
  }, 120_000);
});
