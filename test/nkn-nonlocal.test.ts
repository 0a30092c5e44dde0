// The NKN learns the 1-D Darcy operator a ↦ u, −(a u′)′ = 1: u(x) = ∫₀ˣ (C − s)/a(s) ds
// depends on a over the whole interval, so the kernel couples all pairs of points (radius ≥ 1)
// and it trains on 48 fields (more fields lowered the test error). It must beat both
// baselines: every field predicted by the mean training solution (ignores a), and the same
// trained network with K_θ ≡ 0 (no nonlocal diffusion). WebGPU backend (lavapipe here).
import { beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';
import { darcy1d } from '../models/data/darcy.js';
import { darcyBatch, darcyTestError, fitNkn, meanSolutionError, nkn, withoutKernel } from '../models/index.js';

beforeAll(async () => {
  await fg.init({ backend: 'webgpu' });
});

const S_TRAIN = 48;
const S_TEST = 16;
const SCALE = 10; // u is O(0.1) for f = 1; scaled to O(1) for the loss
const RADIUS = 2; // ≥ the diameter of [0,1]: every pair of points is an edge
const L = 4;
const STEPS = 350;
const LR = 2e-2; // peak of a cosine schedule down to LR/30

const GRAPH = { dim: 1, radius: RADIUS } as const;

/** Mean relative L² error over the test fields, batched so that fine grids (n(n − 1) edges a field) fit. */
const testError = (G: fg.models.data.DarcyGrid, predict: (x: fg.models.NknInput) => fg.Tensor) =>
  darcyTestError(G, { ...GRAPH, first: S_TRAIN, count: S_TEST, scale: SCALE }, predict);

describe('NKN with a global kernel on 1-D Darcy', () => {
  it('beats the mean solution and its own kernel-off network, across resolutions', async () => {
    const grids = darcy1d({ samples: S_TRAIN + S_TEST, seed: 11 });
    const g33 = grids[0]!;
    const train = darcyBatch(g33, GRAPH, S_TRAIN, 0);
    const target = fg.tensor(Array.from(train.u, (v) => v * SCALE));
    const model = nkn({ dim: 1, width: 4, hidden: 16, seed: 2 });
    const r = await fitNkn(model, model.params, train.x, target, {
      layers: L, steps: STEPS, lr: fg.optim.schedules.cosine({ lr: LR, steps: STEPS, minLr: LR / 30 }), logEvery: 50,
    });
    const loss = (layers: number) => fg.tidy(() => fg.mean(fg.square(fg.sub(model.apply(r.params, train.x, layers), target)))).item();
    const trained = await loss(L);
    const deeper = await loss(2 * L);

    const table: { points: number; relL2: number }[] = [];
    for (const G of grids) table.push({ points: G.n, relL2: await testError(G, (x) => model.apply(r.params, x, L)) });
    const off = withoutKernel(r.params);
    const kernelOff = await testError(g33, (x) => model.apply(off, x, L));
    const meanField = await meanSolutionError(g33, 1, S_TRAIN, S_TEST);
    console.log(`training loss (MSE of ${SCALE}·u) at L = ${L}: ${trained.toExponential(3)}, the same parameters at L = ${2 * L}: ${deeper.toExponential(3)}`);
    console.log(`33 points: NKN ${table[0]!.relL2.toFixed(4)}, K_θ ≡ 0 ${kernelOff.toFixed(4)}, mean training solution ${meanField.toFixed(4)}`);
    console.log('resolution independence: trained on 33 points, relative L² test error');
    console.table(table);

    const e33 = table[0]!.relL2;
    // measured here 0.062 against 0.143 (mean solution) and 0.288 (K_θ ≡ 0); over two other
    // seeds of weights and data the ratios were 0.63–0.65 and 0.20–0.30, so the bounds hold for
    // any of those trajectories (float32 rounding on another adapter changes it) and fail when
    // the kernel stops carrying the nonlocal part, as it did with radius 3/32 (ratios 1.22, 1.12)
    expect(e33).toBeLessThan(0.75 * meanField);
    expect(e33).toBeLessThan(0.5 * kernelOff);
    // resolution independence: the kernel's mean over j is a quadrature of an integral, so the
    // finer grids stay within a small factor of the 33-point error
    for (const row of table.slice(1)) expect(row.relL2).toBeLessThan(1.2 * e33); // measured within 2 % over three seeds
    // shallow to deep: the same parameters at twice the depth are time steps of the same ODE
    // (Euler's O(τ) change of the trajectory is what separates the two losses)
    expect(deeper).toBeLessThan(2 * trained);
  }, 180_000);
});
