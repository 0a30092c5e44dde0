// models.train checkpoints every N epochs and resumes exactly: the same losses after the resume
// as in a run never interrupted (cpu backend, float64 saved as F64: bit for bit).
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';

const M = fg.models;
const D = fg.models.data;
let dir = '';

beforeAll(async () => {
  await fg.init({ backend: 'cpu' });
  dir = await mkdtemp(join(tmpdir(), 'flowgrad-ckpt-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// dropout (seeded per step), minibatches shuffled per epoch, a step-dependent learning rate and a
// validation set with early-stopping bookkeeping: every piece of state a resume must restore
const setup = () => ({
  model: M.mlp({ sizes: [2, 8, 2], seed: 3, dropout: 0.1 }),
  data: D.moons({ n: 60, seed: 2 }),
  batchSize: 8,
  seed: 5,
  logEvery: 2,
  earlyStopping: { patience: 50 },
  optimizer: (p: unknown) => fg.optim.adam(p, { lr: (s: number) => 0.02 / (1 + 0.05 * s) }),
});

const stepLosses = (h: fg.models.History) => h.steps.map((s) => [s.step, s.loss]);

describe('train: checkpoint and resume', () => {
  it('an interrupted run resumed from its last checkpoint gives the same losses and parameters', async () => {
    const full = await M.train({ ...setup(), epochs: 6 });

    const path = join(dir, 'run.safetensors');
    const saved: number[] = [];
    const crash = new Error('interrupted');
    const first = M.train({
      ...setup(), epochs: 6,
      checkpoint: { every: 2, path, save: (bytes, epoch) => void saved.push(epoch) },
      onEpoch: (r) => { if (r.epoch === 5) throw crash; },
    });
    await expect(first).rejects.toBe(crash);
    expect(saved).toEqual([2, 4]);
    expect((await readdir(dir)).filter((f) => f.includes('.tmp-'))).toEqual([]);

    const resumed = await M.train({ ...setup(), epochs: 6, resume: path });
    expect(resumed.history.epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(stepLosses(resumed.history)).toEqual(stepLosses(full.history));
    expect(resumed.history.epochs.map((e) => e.valLoss)).toEqual(full.history.epochs.map((e) => e.valLoss));
    expect(resumed.history.best).toEqual(full.history.best);
    const flat = async (p: unknown) => Promise.all(M.leaves(p).map((l) => l.tensor.data().then((d) => Array.from(d))));
    expect(await flat(resumed.params)).toEqual(await flat(full.params));
  });

  it('checkpoints to bytes (save) and resumes from them; the last epoch is always saved', async () => {
    let last: Uint8Array | null = null;
    const epochs: number[] = [];
    await M.train({ ...setup(), epochs: 3, checkpoint: { every: 2, save: (b, e) => { last = b; epochs.push(e); } } });
    expect(epochs).toEqual([2, 3]);
    const more = await M.train({ ...setup(), epochs: 4, resume: last! });
    const full = await M.train({ ...setup(), epochs: 4 });
    expect(stepLosses(more.history)).toEqual(stepLosses(full.history));
  });

  it('refuses a checkpoint of other settings, another model or a file that is not one', async () => {
    let bytes: Uint8Array | null = null;
    await M.train({ ...setup(), epochs: 1, checkpoint: { every: 1, save: (b) => void (bytes = b) } });
    await expect(M.train({ ...setup(), seed: 6, epochs: 2, resume: bytes! })).rejects.toThrow(/train: resume: the checkpoint was written with seed 5, this run has 6/);
    await expect(M.train({ ...setup(), model: M.mlp({ sizes: [2, 4, 2] }), epochs: 2, resume: bytes! })).rejects.toThrow(/train: resume: the checkpoint was written with model/);
    const other = await fg.io.saveSafetensors({ w: fg.tensor([1]) });
    await expect(M.train({ ...setup(), epochs: 2, resume: other })).rejects.toThrow(/not a training checkpoint/);
    await expect(M.train({ ...setup(), epochs: 2, checkpoint: { every: 0, path: 'x' } })).rejects.toThrow(/checkpoint.every must be a positive integer/);
  });
});
