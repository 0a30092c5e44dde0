import { beforeAll, describe, expect, it, vi } from 'vitest';
import * as fg from '../index.js';
import { backendNamed } from '../engine/context.js';

const M = fg.models;
const D = fg.models.data;

beforeAll(async () => {
  await fg.init({ backend: 'cpu' });
});

/** An optimizer that descends for `turn` steps, then climbs: the validation loss improves, then worsens. */
function descendThenClimb(lr: number, turn: number) {
  return (params: unknown): fg.optim.Optimizer => {
    let steps = 0;
    return {
      name: 'descend-then-climb',
      get steps() { return steps; },
      lr: () => lr,
      step<P>(p: P, g: P): P {
        const gs = M.leaves(g).map((l) => l.tensor);
        let k = 0;
        const s = steps++ < turn ? -lr : lr;
        return M.mapTree(p, (t) => fg.add(t, fg.mul(gs[k++]!, s)));
      },
      state: () => ({}),
      dispose() {},
    };
  };
}

describe('train', () => {
  it('history as JSON, epochs and logged steps, test evaluation', async () => {
    const model = M.mlp({ sizes: [1, 8, 1], seed: 1 });
    const r = await M.train({ model, data: D.cubic({ n: 50, seed: 1 }), epochs: 3, batchSize: 8, logEvery: 2, seed: 4 });
    const h = JSON.parse(JSON.stringify(r.history)) as fg.models.History;
    expect(h.epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    // 30 training samples in batches of 8: 4 steps an epoch, read at steps 2, 4 (end) of each
    expect(h.epochs.map((e) => e.step)).toEqual([4, 8, 12]);
    expect(h.steps.map((s) => s.step)).toEqual([2, 4, 6, 8, 10, 12]);
    expect(h.epochs.every((e) => Number.isFinite(e.valLoss!) && e.stepsPerSecond > 0)).toBe(true);
    expect(h.test!.loss).toBeGreaterThan(0);
    expect(h.stopReason).toBe('epochs');
    expect(h.parameterCount).toBe(8 + 8 + 8 + 1);
    expect(r.params).not.toBe(model.params);
    expect(model.params.layers[0]!.W.isDisposed).toBe(false); // the starting parameters are the caller's
  });

  it('the same seed trains to the same numbers', async () => {
    const run = async () => (await M.train({ model: M.mlp({ sizes: [2, 6, 2], seed: 2, dropout: 0.2 }), data: D.moons({ n: 60, seed: 3 }), epochs: 2, batchSize: 10, seed: 9 })).history.steps;
    expect(await run()).toEqual(await run());
  });

  it('early stopping on the validation loss restores the best parameters', async () => {
    const model = M.mlp({ sizes: [1, 8, 1], seed: 1 });
    const data = D.split(D.square({ n: 60, seed: 2 }), { seed: 1 });
    const r = await M.train({ model, data, epochs: 50, batchSize: 36, optimizer: descendThenClimb(0.1, 12), earlyStopping: { patience: 3 } });
    const h = r.history;
    expect(h.stopReason).toBe('earlyStopping');
    expect(h.best!.epoch).toBeLessThan(h.epochs.length);
    expect(h.epochs.length).toBe(h.best!.epoch + 3);
    const val = await M.evaluate(model, r.params, data.val);
    // evaluate recomputes the best epoch's validation loss with the same ops: equal to round-off
    expect(Math.abs(val.loss - h.best!.valLoss)).toBeLessThan(1e-15);
    expect(h.epochs[h.epochs.length - 1]!.valLoss!).toBeGreaterThan(h.best!.valLoss);
  });

  it('reads back only the logged losses', async () => {
    const cpu = backendNamed('cpu');
    const read = vi.spyOn(cpu, 'read');
    const ds = D.cubic({ n: 40, seed: 1 });
    const r = await M.train({ model: M.mlp({ sizes: [1, 4, 1], seed: 1 }), data: { train: ds }, epochs: 2, batchSize: 4, logEvery: 5 });
    // 10 steps an epoch: read at 5 and 10 of each (no validation set, nothing else is read)
    expect(r.history.steps.length).toBe(4);
    expect(read).toHaveBeenCalledTimes(4);
    read.mockRestore();
  });

  it('progress: a bar redrawn on a terminal, plain lines otherwise', async () => {
    const out = { tty: [] as string[], plain: [] as string[] };
    const run = (sink: fg.models.ProgressSink) => M.train({ model: M.mlp({ sizes: [1, 4, 1] }), data: D.cubic({ n: 40 }), epochs: 2, batchSize: 6, logEvery: 2, progress: sink });
    await run({ isTTY: true, write: (s) => out.tty.push(s) });
    await run({ isTTY: false, write: (s) => out.plain.push(s) });
    expect(out.tty.some((s) => /^\r\x1b\[2Kepoch 1\/2  \[█*░*\] \d\/4  step \d+  loss \S+  .*steps\/s$/.test(s))).toBe(true);
    expect(out.tty.join('')).toMatch(/\n$/);
    const lines = out.plain.join('').trim().split('\n');
    expect(lines.slice(0, 2).map((l) => l.replace(/[\d.e+-]+(?= steps\/s)/, 'R').replace(/(loss|val) \S+/g, '$1 V'))).toEqual([
      'epoch 1/2  step 4  loss V  val V  R steps/s',
      'epoch 2/2  step 8  loss V  val V  R steps/s',
    ]);
    expect(lines[2]).toMatch(/^trained mlp 1→4→1 on cubic \(train\): 8 steps in [\d.]+ s, stopped by epochs$/);
    expect(out.plain.join('')).not.toMatch(/\r/);
  });

  it('a NaN loss stops training: names the step and the likely cause, keeps the history, frees memory', async () => {
    const before = fg.memory().buffers;
    const model = M.mlp({ sizes: [1, 16, 1], activation: 'relu', seed: 1 });
    const keepAlive = fg.memory().buffers;
    const saved: string[] = [];
    let err: unknown;
    try {
      await M.train({
        model, data: D.cubic({ n: 60, seed: 1, range: 3 }), epochs: 50, batchSize: 12, logEvery: 1,
        optimizer: (p) => fg.optim.sgd(p, { lr: 5 }), onEpoch: (_r, h) => saved.push(JSON.stringify(h)),
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(M.TrainingError);
    expect(err).toBeInstanceOf(fg.NumericalError);
    const e = err as InstanceType<typeof M.TrainingError>;
    expect(e.message).toMatch(/^train: the training loss is (NaN|Infinity) at step \d+ \(epoch \d+, batch \d+; the loss is read every 1 steps; the last finite reading was \S+ at step \d+\)\. Likely cause: .*the learning rate \(5\) is too large/);
    expect(e.step).toBeGreaterThan(1);
    expect(e.history.steps.length).toBe(e.step - 1);
    // what was written before stays valid JSON
    for (const s of saved) expect(() => JSON.parse(s)).not.toThrow();
    expect(fg.memory().buffers).toBe(keepAlive);
    M.disposeTree(model.params);
    expect(fg.memory().buffers).toBe(before);
  });

  it('bad input: shapes of data and model that do not fit, bad data, bad options', async () => {
    const cubic = D.cubic({ n: 30 });
    await expect(M.train({ model: M.mlp({ sizes: [2, 4, 1] }), data: cubic })).rejects.toThrow(/train: the model mlp 2→4→1 takes inputs of shape \[2\] per sample, but cubic \(train\) has inputs of shape \[1\]/);
    await expect(M.train({ model: M.mlp({ sizes: [1, 4, 2] }), data: cubic })).rejects.toThrow(/train: the model mlp 1→4→2 gives outputs of shape \[2\] per sample, but cubic \(train\) has targets of shape \[1\]/);
    await expect(M.train({ model: M.mlp({ sizes: [2, 4, 3] }), data: D.moons({ n: 30 }) })).rejects.toThrow(/gives outputs of shape \[3\] per sample, but moons \(train\) has 2 classes \(one logit each\)/);
    await expect(M.train({ model: M.mlp({ sizes: [1, 4, 1] }), data: cubic, loss: 'crossEntropy' })).rejects.toThrow(/loss 'crossEntropy' needs a classification data set/);
    await expect(M.train({ model: M.mlp({ sizes: [1, 4, 1] }), data: D.cubic({ n: 4 }) })).rejects.toThrow(/split: the validation part of cubic would hold 0 sample/);
    const bad = D.makeDataset({ ...cubic, name: 'bad', x: Float64Array.from(cubic.x, (v, i) => (i === 7 ? NaN : v)) });
    await expect(M.train({ model: M.mlp({ sizes: [1, 4, 1] }), data: { train: bad } })).rejects.toThrow(/dataset bad: sample 7 has a non-finite input value \(NaN\)/);
    await expect(M.train({ model: M.mlp({ sizes: [1, 4, 1] }), data: cubic, epochs: 0 })).rejects.toThrow(/train: epochs must be a positive integer, got 0/);
    expect(() => D.makeDataset({ ...cubic, n: 31 })).toThrow(/dataset cubic: 30 input and 30 target values do not fill 31 samples/);
  });

  it('10 000 steps keep memory flat', async () => {
    const ds = D.square({ n: 10, seed: 1 });
    const model = M.mlp({ sizes: [1, 3, 1], seed: 1, dropout: 0.1 });
    const seen: { buffers: number; bytes: number }[] = [];
    const r = await M.train({
      model, data: { train: ds }, epochs: 1000, batchSize: 1, logEvery: 1000,
      optimizer: (p) => fg.optim.adam(p, { lr: 1e-3, clipNorm: 1 }),
      onEpoch: (rec) => rec.epoch % 100 === 0 && seen.push(fg.memory()),
    });
    expect(r.history.epochs[r.history.epochs.length - 1]!.step).toBe(10_000);
    expect(seen.length).toBe(10);
    expect(new Set(seen.map((m) => `${m.buffers}/${m.bytes}`)).size).toBe(1);
  });
});
