import { afterAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';

const M = fg.models;
const D = fg.models.data;

/**
 * Seeded training on every generated data set: the training loss (evaluated on the whole
 * training part before and after) falls by at least `factor` within `steps` full-batch Adam
 * steps. The factors are about half of what the CPU runs reach (a margin for round-off
 * differences across backends and op implementations; the runs are deterministic).
 */
interface Case {
  name: string;
  data: () => fg.models.Dataset;
  model: () => fg.models.Model;
  lr: number;
  steps: number;
  factor: number;
  /** least validation accuracy at the end (classification) */
  accuracy?: number;
  webgpu?: boolean;
}

const cases: Case[] = [
  { name: 'cubic y = x³, MLP 1→16→16→1', data: () => D.cubic({ n: 200, seed: 1 }), model: () => M.mlp({ sizes: [1, 16, 16, 1], seed: 1 }), lr: 0.01, steps: 300, factor: 100 },
  { name: 'square y = x², MLP 1→16→16→1', data: () => D.square({ n: 200, seed: 1 }), model: () => M.mlp({ sizes: [1, 16, 16, 1], seed: 1 }), lr: 0.02, steps: 150, factor: 50, webgpu: true },
  { name: 'spirals, MLP 2→32→32→2', data: () => D.spirals({ n: 300, seed: 1 }), model: () => M.mlp({ sizes: [2, 32, 32, 2], seed: 1 }), lr: 0.03, steps: 150, factor: 200, accuracy: 0.95 },
  { name: 'two moons, MLP 2→16→16→2', data: () => D.moons({ n: 300, seed: 1 }), model: () => M.mlp({ sizes: [2, 16, 16, 2], seed: 1 }), lr: 0.03, steps: 100, factor: 100, accuracy: 0.95, webgpu: true },
  { name: 'xᵀx in 4-D, MLP 4→32→32→1', data: () => D.quadratic({ n: 300, d: 4, seed: 1 }), model: () => M.mlp({ sizes: [4, 32, 32, 1], seed: 1 }), lr: 0.01, steps: 150, factor: 5 },
  {
    name: 'damped oscillator x(0) → x(1), ResNet d=4 L=4', data: () => D.dampedOscillator({ n: 200, seed: 1, format: 'final', steps: 10 }),
    model: () => M.resnet({ width: 4, layers: 4, inputSize: 2, outputSize: 2, seed: 1 }), lr: 0.02, steps: 150, factor: 200, webgpu: true,
  },
  {
    name: 'pendulum next state, Elman RNN d=8', data: () => D.pendulum({ n: 200, seed: 1, format: 'sequence', steps: 5 }),
    model: () => M.elman({ inputSize: 2, hiddenSize: 8, outputSize: 2, seed: 1 }), lr: 0.02, steps: 100, factor: 300, webgpu: true,
  },
  {
    name: 'shapes 16×16, MLP 256→16→4', data: () => D.shapes({ n: 200, seed: 1 }),
    model: () => M.mlp({ sizes: [256, 16, 4], inputShape: [1, 16, 16], seed: 1 }), lr: 0.01, steps: 40, factor: 3, accuracy: 0.5,
  },
  {
    name: 'spirals, Hamiltonian net d=2×4 L=8', data: () => D.spirals({ n: 300, seed: 1 }),
    model: () => M.hamiltonian({ width: 4, layers: 8, h: 0.5, inputSize: 2, outputSize: 2, seed: 1 }), lr: 0.03, steps: 100, factor: 500, accuracy: 0.95,
  },
];

const report: string[] = [];
afterAll(() => {
  if (process.env.FLOWGRAD_REPORT) console.log(report.join('\n'));
});

async function run(c: Case, backend: 'cpu' | 'webgpu') {
  await fg.init({ backend });
  const model = c.model();
  const data = D.split(c.data(), { seed: 1 });
  const before = await M.evaluate(model, model.params, data.train);
  const r = await M.train({ model, data, batchSize: data.train.n, epochs: c.steps, seed: 1, logEvery: 50, optimizer: (p) => fg.optim.adam(p, { lr: c.lr }) });
  const after = await M.evaluate(model, r.params, data.train);
  const last = r.history.epochs[r.history.epochs.length - 1]!;
  report.push(`${backend} ${c.name}: train loss ${before.loss.toExponential(2)} → ${after.loss.toExponential(2)} (÷${(before.loss / after.loss).toFixed(0)}) in ${c.steps} steps; val ${last.valLoss!.toExponential(2)}${last.valAccuracy !== undefined ? ` acc ${(100 * last.valAccuracy).toFixed(1)}%` : ''}; test ${r.history.test!.loss.toExponential(2)}${r.history.test!.accuracy !== undefined ? ` acc ${(100 * r.history.test!.accuracy).toFixed(1)}%` : ''}`);
  expect(r.history.epochs.length).toBe(c.steps);
  expect(before.loss / after.loss).toBeGreaterThan(c.factor);
  if (c.accuracy !== undefined) expect(last.valAccuracy!).toBeGreaterThanOrEqual(c.accuracy);
  M.disposeTree(r.params);
  M.disposeTree(model.params);
}

describe('seeded training reduces the loss (CPU, float64, deterministic)', () => {
  for (const c of cases) it(c.name, () => run(c, 'cpu'));
});

describe('and on WebGPU (float32)', () => {
  for (const c of cases.filter((c) => c.webgpu)) it(c.name, () => run(c, 'webgpu'));
});
