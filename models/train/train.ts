import * as fg from '../../index.js';
import { checkDataset, checkParamTree, checkShaped } from '../model.js';
import { batchOf, batches, checkFinite, split, type Dataset } from '../data/dataset.js';
import { accuracy, mse, softmaxCrossEntropy } from '../losses.js';
import type { Model } from '../model.js';
import { subSeed } from '../random.js';
import { disposeTree, leaves } from '../tree.js';
import { Progress, defaultSink, type ProgressSink } from './progress.js';

export type LossName = 'mse' | 'crossEntropy';
export type LossFn = (pred: fg.Tensor, target: fg.Tensor) => fg.Tensor;

export interface TrainOptions<P> {
  model: Model<P>;
  /** starting parameters (default model.params); never disposed by train */
  params?: P;
  /** one data set (split 60/20/20 with `seed`), or the parts */
  data: Dataset | { train: Dataset; val?: Dataset; test?: Dataset };
  /** fractions and minimum part size when `data` is one data set */
  split?: { fractions?: [number, number, number]; minSize?: number };
  /** default: mse for regression, softmax cross-entropy (one-hot targets) for classification */
  loss?: LossName | LossFn;
  /** added to the loss in training, e.g. (p) => fg.mul(fg.models.l2(p), 1e-4) */
  penalty?: (params: P) => fg.Tensor;
  /** default: (p) => fg.optim.adam(p, { lr: 1e-2 }) */
  optimizer?: (params: P) => fg.optim.Optimizer;
  /** default 100 */
  epochs?: number;
  /** stop after this many steps in all */
  maxSteps?: number;
  /** default 32 (capped at the training set's size) */
  batchSize?: number;
  /** seeds the split, the shuffles and the dropout masks (default 0) */
  seed?: number;
  /** read the training loss back every k steps (and at each epoch's last step); default 10 */
  logEvery?: number;
  /** stop when the validation loss has not improved by minDelta for `patience` epochs */
  earlyStopping?: { patience: number; minDelta?: number; restoreBest?: boolean };
  /** true: a bar on a terminal, plain lines otherwise (on standard error); or a sink of your own */
  progress?: boolean | ProgressSink;
  /**
   * called after every epoch with its record, the history so far and the current parameters (the
   * caller's to read, not to dispose); awaited, so it may measure the parameters or let a page repaint
   */
  onEpoch?: (record: EpochRecord, history: History, params: P) => unknown;
  /**
   * saves a checkpoint (safetensors: parameters, optimizer state, epoch, step, history) every
   * `every` epochs and after the last: to `path` (Node; replaced atomically) and/or to `save`
   */
  checkpoint?: { every: number; path?: string; save?: (bytes: Uint8Array, epoch: number) => void | Promise<void> };
  /** continues from a checkpoint (a path, bytes or a Blob): same losses as a run never interrupted */
  resume?: fg.io.SafetensorsSource;
}

export interface EpochRecord {
  epoch: number;
  /** steps taken so far */
  step: number;
  /** mean of the training losses read back in this epoch */
  trainLoss: number;
  valLoss?: number;
  valAccuracy?: number;
  seconds: number;
  stepsPerSecond: number;
}

/** Plain data, JSON-ready: JSON.stringify(history). */
export interface History {
  model: string;
  dataset: string;
  parameterCount: number;
  optimizer: string;
  seed: number;
  batchSize: number;
  logEvery: number;
  /** the losses read back: every logEvery steps and at each epoch's end */
  steps: { step: number; epoch: number; loss: number }[];
  epochs: EpochRecord[];
  stopReason?: 'epochs' | 'maxSteps' | 'earlyStopping';
  best?: { epoch: number; valLoss: number };
  test?: { loss: number; accuracy?: number };
}

export interface TrainResult<P> {
  /** the trained parameters (the best ones under early stopping with restoreBest) */
  params: P;
  history: History;
}

/** A non-finite loss in training; `history` holds what was recorded before it (valid JSON). */
export class TrainingError extends fg.NumericalError {
  constructor(message: string, readonly step: number, readonly epoch: number, readonly history: History) {
    super(message);
  }
}

const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;

function lossFor(loss: TrainOptions<unknown>['loss'], ds: Dataset): LossFn {
  const name = loss ?? (ds.task === 'classification' ? 'crossEntropy' : 'mse');
  if (typeof name === 'function') return name;
  if (name === 'mse') return mse;
  if (name === 'crossEntropy') {
    if (ds.task !== 'classification') throw new fg.ArgumentError(`train: loss 'crossEntropy' needs a classification data set; ${ds.name} is a regression set (use 'mse')`);
    return softmaxCrossEntropy;
  }
  throw new fg.ArgumentError(`train: unknown loss ${JSON.stringify(name)}; use 'mse', 'crossEntropy' or a function (pred, target) => scalar tensor`);
}

/** Throws a ShapeError unless the model's input and output fit the data set's samples. */
export function checkFit(model: Model<unknown>, ds: Dataset): void {
  checkShaped('checkFit', 'model', model, ['apply', 'inputShape', 'outputShape'], 'a model such as fg.models.mlp(…)');
  checkDataset('checkFit', ds);
  const inOk = model.inputShape.length === ds.xShape.length && model.inputShape.every((d, i) => d === -1 || d === ds.xShape[i]);
  if (!inOk) {
    throw new fg.ShapeError(`train: the model ${model.name} takes inputs of shape ${fmt(model.inputShape)} per sample, but ${ds.name} has inputs of shape ${fmt(ds.xShape)}`);
  }
  const want = ds.task === 'classification' ? [ds.classes!] : ds.yShape;
  if (model.outputShape.join() !== want.join()) {
    const what = ds.task === 'classification' ? `${ds.classes} classes (one logit each)` : `targets of shape ${fmt(ds.yShape)}`;
    throw new fg.ShapeError(`train: the model ${model.name} gives outputs of shape ${fmt(model.outputShape)} per sample, but ${ds.name} has ${what}`);
  }
}

const EVALUATE_KEYS = fg.optionKeys<NonNullable<Parameters<typeof evaluate>[3]>>({ loss: true, chunk: true });

/**
 * Evaluates a model on a whole data set in chunks: the mean loss (weighted by chunk size) and,
 * for classification, the accuracy. The chunks' sums stay on the device and are read back once.
 */
export async function evaluate<P>(model: Model<P>, params: P, ds: Dataset, opts: { loss?: LossName | LossFn; chunk?: number } = {}): Promise<{ loss: number; accuracy?: number }> {
  opts = fg.checkOptions('evaluate', opts, EVALUATE_KEYS) as typeof opts;
  checkShaped('evaluate', 'model', model, ['apply', 'inputShape', 'outputShape'], 'a model such as fg.models.mlp(…)');
  checkDataset('evaluate', ds);
  checkParamTree('evaluate', params, model.params);
  checkFit(model as Model<unknown>, ds);
  const loss = lossFor(opts.loss, ds);
  const chunk = opts.chunk ?? 1024;
  const classify = ds.task === 'classification';
  // Σ over chunks of [loss, accuracy]·(chunk size), summed on the device and read once
  let sums: fg.Tensor | null = null;
  for (let s = 0; s < ds.n; s += chunk) {
    const idx = Int32Array.from({ length: Math.min(chunk, ds.n - s) }, (_, i) => s + i);
    const b = batchOf(ds, idx);
    const next = fg.tidy(() => {
      const pred = model.apply(params, b.x, { train: false });
      const part = fg.mul(classify ? fg.stack([loss(pred, b.y), accuracy(pred, b.y)]) : fg.reshape(loss(pred, b.y), [1]), idx.length);
      return sums ? fg.add(sums, part) : part;
    });
    sums?.dispose();
    sums = next;
    b.x.dispose();
    b.y.dispose();
  }
  const [total, right] = Array.from(await sums!.data());
  sums!.dispose();
  return classify ? { loss: total! / ds.n, accuracy: right! / ds.n } : { loss: total! / ds.n };
}

function likelyCause(value: number, step: number, logged: History['steps'], lr: number): string {
  const kind = Number.isNaN(value) ? 'NaN' : 'infinite';
  if (logged.length === 0) {
    return `it was already ${kind} at the first reading: the model's output or the loss is not finite for the starting parameters (check the data's scale and the initialization)`;
  }
  const last = logged[logged.length - 1]!;
  const first = logged[0]!;
  const grew = last.loss > 10 * first.loss;
  return `${grew ? `the loss grew from ${first.loss.toPrecision(3)} to ${last.loss.toPrecision(3)} before that: ` : ''}the updates most likely diverged — the learning rate (${lr}) is too large for this model; lower it, or clip the gradients (clipNorm in the optimizer's options)`;
}

const SPLIT_KEYS = fg.optionKeys<NonNullable<TrainOptions<unknown>['split']>>({ fractions: true, minSize: true });
const EARLY_STOPPING_KEYS = fg.optionKeys<NonNullable<TrainOptions<unknown>['earlyStopping']>>({ patience: true, minDelta: true, restoreBest: true });
const CHECKPOINT_KEYS = fg.optionKeys<NonNullable<TrainOptions<unknown>['checkpoint']>>({ every: true, path: true, save: true });
const TRAIN_KEYS = fg.optionKeys<TrainOptions<unknown>>({ model: true, params: true, data: true, split: true, loss: true, penalty: true, optimizer: true, epochs: true, maxSteps: true, batchSize: true, seed: true, logEvery: true, earlyStopping: true, progress: true, onEpoch: true, checkpoint: true, resume: true });

/**
 * Trains a model: seeded shuffles and minibatches, validation after every epoch, early
 * stopping, a progress display and the history as JSON. A step reads nothing back except the
 * loss every `logEvery` steps; a NaN or infinite loss stops training with a TrainingError that
 * names the step and the likely cause.
 */
export async function train<P>(opts: TrainOptions<P>): Promise<TrainResult<P>> {
  opts = fg.checkOptions('train', opts, TRAIN_KEYS) as typeof opts;
  const { model } = opts;
  if (opts.split !== undefined) fg.checkOptions('train: split', opts.split, SPLIT_KEYS);
  if (opts.earlyStopping !== undefined) fg.checkOptions('train: earlyStopping', opts.earlyStopping, EARLY_STOPPING_KEYS);
  if (!model || typeof model.apply !== 'function') throw new fg.ArgumentError('train: model must be a model ({ params, apply, … }) such as fg.models.mlp(…)');
  const seed = opts.seed ?? 0;
  const data = opts.data as Dataset | { train: Dataset; val?: Dataset; test?: Dataset };
  if (!data) throw new fg.ArgumentError('train: data is required (a data set, or { train, val?, test? })');
  const parts = 'x' in data ? split(data as Dataset, { seed, ...opts.split }) : (data as { train: Dataset; val?: Dataset; test?: Dataset });
  const { train: trainSet, val, test } = parts;
  if (!trainSet || trainSet.n === 0) throw new fg.ArgumentError('train: the training set is empty');
  for (const ds of [trainSet, val, test]) {
    if (!ds) continue;
    if (ds.n === 0) throw new fg.ArgumentError(`train: ${ds.name} is empty`);
    checkFinite(ds);
    checkFit(model as Model<unknown>, ds);
  }
  const loss = lossFor(opts.loss, trainSet);
  const epochs = opts.epochs ?? 100;
  const logEvery = opts.logEvery ?? 10;
  for (const [what, v] of [['epochs', epochs], ['logEvery', logEvery]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new fg.ArgumentError(`train: ${what} must be a positive integer, got ${String(v)}`);
  }
  const batchSize = Math.min(opts.batchSize ?? 32, trainSet.n);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new fg.ArgumentError(`train: batchSize must be a positive integer, got ${String(opts.batchSize)}`);
  const maxSteps = opts.maxSteps ?? Infinity;
  const es = opts.earlyStopping;
  if (es && !(Number.isInteger(es.patience) && es.patience >= 1)) throw new fg.ArgumentError(`train: earlyStopping.patience must be a positive integer, got ${String(es.patience)}`);
  const ckpt = opts.checkpoint;
  if (ckpt !== undefined) {
    fg.checkOptions('train: checkpoint', ckpt, CHECKPOINT_KEYS);
    if (ckpt.path !== undefined && (typeof ckpt.path !== 'string' || ckpt.path === '')) throw new fg.ArgumentError(`train: checkpoint.path must be a non-empty string (a file), got ${JSON.stringify(ckpt.path)}`);
    if (ckpt.save !== undefined && typeof ckpt.save !== 'function') throw new fg.ArgumentError('train: checkpoint.save must be a function (bytes, epoch) => void');
    if (!Number.isInteger(ckpt.every) || ckpt.every < 1) throw new fg.ArgumentError(`train: checkpoint.every must be a positive integer (epochs), got ${String(ckpt.every)}`);
    if (ckpt.path === undefined && ckpt.save === undefined) throw new fg.ArgumentError('train: checkpoint needs a path (Node) or a save(bytes, epoch) function');
  }
  const sink = opts.progress === true ? defaultSink() : opts.progress ? opts.progress : null;
  const progress = new Progress(sink);

  const start = opts.params ?? model.params;
  const startLeaves = new Set(leaves(start).map((l) => l.tensor));
  const own = (p: P) => !leaves(p).some((l) => startLeaves.has(l.tensor));
  const opt = (opts.optimizer ?? ((p: P) => fg.optim.adam(p, { lr: 1e-2 })))(start);
  const history: History = {
    model: model.name, dataset: trainSet.name, parameterCount: model.parameterCount, optimizer: opt.name,
    seed, batchSize, logEvery, steps: [], epochs: [],
  };
  const batchesPerEpoch = Math.ceil(trainSet.n / batchSize);
  // full-batch training uploads its one batch once
  const fullBatch = batchSize >= trainSet.n ? batchOf(trainSet, Int32Array.from({ length: trainSet.n }, (_, i) => i)) : null;

  let cur = start;
  let best: { params: P; epoch: number; valLoss: number } | null = null;
  let sinceBest = 0;
  let step = 0;
  let firstEpoch = 1;
  if (opts.resume !== undefined) {
    const src = opts.resume as unknown;
    const source = typeof src === 'string' || src instanceof Uint8Array || src instanceof ArrayBuffer || (typeof Blob !== 'undefined' && src instanceof Blob);
    if (!source || src === '') throw new fg.ArgumentError(`train: resume must be a checkpoint: a path, a Uint8Array, an ArrayBuffer or a Blob, got ${src === null ? 'null' : typeof src}`);
    const r = await resumeFrom(opts.resume, { model: model.name, seed, batchSize, start, opt });
    ({ cur, best, sinceBest, step } = r);
    firstEpoch = r.epoch + 1;
    history.steps = r.history.steps;
    history.epochs = r.history.epochs;
    if (r.history.stopReason === 'earlyStopping') history.stopReason = 'earlyStopping';
  }
  const saveCheckpoint = async (epoch: number) => {
    if (!ckpt) return;
    if (!opt.stateDict) throw new fg.ArgumentError(`train: checkpoint: the optimizer ${opt.name} has no stateDict(); use a built-in optimizer (fg.optim.*) or give yours stateDict/loadStateDict`);
    const tree = {
      format: CHECKPOINT_FORMAT, model: model.name, seed, batchSize, epoch, step, sinceBest,
      params: cur as unknown,
      optimizer: opt.stateDict(),
      best: best ? { epoch: best.epoch, valLoss: best.valLoss, params: best.params === undefined ? null : best.params === cur ? 'current' : (best.params as unknown) } : null,
      history: JSON.parse(JSON.stringify({ steps: history.steps, epochs: history.epochs, stopReason: history.stopReason ?? null })),
    };
    const bytes = await fg.io.saveSafetensors(tree, ckpt.path);
    await ckpt.save?.(bytes, epoch);
  };
  const release = (p: P) => {
    if (p !== cur && p !== best?.params && own(p)) disposeTree(p);
  };
  const t0 = performance.now();
  try {
    for (let epoch = firstEpoch; epoch <= epochs && step < maxSteps && !history.stopReason; epoch++) {
      const te = performance.now();
      const stepsBefore = step;
      const read: number[] = [];
      let batch = 0;
      const it = fullBatch ? [fullBatch] : batches(trainSet, { batchSize, seed, epoch });
      for (const b of it) {
        batch++;
        const last = batch === batchesPerEpoch || step + 1 >= maxSteps;
        const stepSeed = subSeed(seed, 7, step);
        const lr = opt.lr();
        let out: { value: fg.Tensor; next: P };
        try {
          out = fg.tidy(() => {
            const f = (p: P) => {
              const l = loss(model.apply(p, b.x, { train: true, seed: stepSeed }), b.y);
              return opts.penalty ? fg.add(l, opts.penalty(p)) : l;
            };
            const [value, grads] = fg.valueAndGrad(f)(cur) as [fg.Tensor, P];
            return { value, next: opt.step(cur, grads) };
          });
        } finally {
          if (b !== fullBatch) (b.x.dispose(), b.y.dispose());
        }
        const { value, next } = out;
        const prev = cur;
        cur = next;
        release(prev);
        step++;
        if (step % logEvery === 0 || last) {
          const v = await value.item();
          if (!Number.isFinite(v)) {
            value.dispose();
            const prevLogged = history.steps.length ? `; the last finite reading was ${history.steps[history.steps.length - 1]!.loss.toPrecision(4)} at step ${history.steps[history.steps.length - 1]!.step}` : '';
            throw new TrainingError(
              `train: the training loss is ${Number.isNaN(v) ? 'NaN' : v} at step ${step} (epoch ${epoch}, batch ${batch}; the loss is read every ${logEvery} steps${prevLogged}). Likely cause: ${likelyCause(v, step, history.steps, lr)}.`,
              step, epoch, history,
            );
          }
          history.steps.push({ step, epoch, loss: v });
          read.push(v);
          progress.update({ epoch, epochs, batch, batches: batchesPerEpoch, step, loss: v, stepsPerSecond: (step - stepsBefore) / ((performance.now() - te) / 1000) });
        }
        value.dispose();
        if (step >= maxSteps) break;
      }
      const record: EpochRecord = {
        epoch, step,
        trainLoss: read.reduce((a, b) => a + b, 0) / read.length,
        seconds: (performance.now() - te) / 1000,
        stepsPerSecond: 0,
      };
      if (val) {
        const r = await evaluate(model, cur, val, { loss });
        if (!Number.isFinite(r.loss)) {
          throw new TrainingError(`train: the validation loss is ${r.loss} after epoch ${epoch} (step ${step}). Likely cause: ${likelyCause(r.loss, step, history.steps, opt.lr())}.`, step, epoch, history);
        }
        record.valLoss = r.loss;
        if (r.accuracy !== undefined) record.valAccuracy = r.accuracy;
      }
      record.seconds = (performance.now() - te) / 1000;
      record.stepsPerSecond = (step - stepsBefore) / record.seconds;
      history.epochs.push(record);
      progress.epoch({ epoch, epochs, batch, batches: batchesPerEpoch, step, loss: record.trainLoss, valLoss: record.valLoss, valAccuracy: record.valAccuracy, stepsPerSecond: record.stepsPerSecond });
      await opts.onEpoch?.(record, history, cur);

      const monitored = record.valLoss ?? record.trainLoss;
      let stop = false;
      if (!best || monitored < best.valLoss - (es?.minDelta ?? 0)) {
        const old = best?.params;
        best = { params: es && es.restoreBest !== false ? cur : (undefined as unknown as P), epoch, valLoss: monitored };
        if (old !== undefined && old !== cur && own(old)) disposeTree(old);
        sinceBest = 0;
      } else if (es && ++sinceBest >= es.patience) {
        history.stopReason = 'earlyStopping';
        stop = true;
      }
      if (ckpt && (epoch % ckpt.every === 0 || stop || epoch === epochs || step >= maxSteps)) await saveCheckpoint(epoch);
      if (stop) break;
    }
    history.stopReason ??= step >= maxSteps ? 'maxSteps' : 'epochs';
    if (best) history.best = { epoch: best.epoch, valLoss: best.valLoss };
    let result = cur;
    if (best?.params !== undefined && best.params !== cur) {
      if (own(cur)) disposeTree(cur);
      result = best.params;
    }
    cur = result;
    if (test) history.test = await evaluate(model, result, test, { loss });
    progress.finish();
    progress.message(`trained ${model.name} on ${trainSet.name}: ${step} steps in ${((performance.now() - t0) / 1000).toFixed(2)} s, stopped by ${history.stopReason}`);
    return { params: result, history };
  } catch (err) {
    progress.finish();
    if (own(cur)) disposeTree(cur);
    if (best?.params !== undefined && best.params !== cur && own(best.params)) disposeTree(best.params);
    throw err;
  } finally {
    opt.dispose();
    if (fullBatch) (fullBatch.x.dispose(), fullBatch.y.dispose());
  }
}

const CHECKPOINT_FORMAT = 'flowgrad.train/1';

/** The state of a run from its checkpoint, checked against this run's settings. */
async function resumeFrom<P>(source: fg.io.SafetensorsSource, run: { model: string; seed: number; batchSize: number; start: P; opt: fg.optim.Optimizer }) {
  const ck = await fg.io.loadSafetensors(source).catch((e: unknown) => {
    // a file that is not a checkpoint is the train call's error
    throw e instanceof fg.FlowgradError ? new fg.ArgumentError(`train: resume: ${e.message}`) : e;
  });
  const bad = (why: string) => new fg.ArgumentError(`train: resume: ${why}`);
  if (!ck || ck.format !== CHECKPOINT_FORMAT) throw bad(`not a training checkpoint (format ${JSON.stringify(ck?.format)}, expected '${CHECKPOINT_FORMAT}')`);
  for (const key of ['model', 'seed', 'batchSize'] as const) {
    if (ck[key] !== run[key]) throw bad(`the checkpoint was written with ${key} ${JSON.stringify(ck[key])}, this run has ${JSON.stringify(run[key])}; the same settings are needed to continue exactly`);
  }
  const want = leaves(run.start);
  const got = leaves(ck.params);
  if (want.length !== got.length || want.some((l, i) => l.path !== got[i]!.path || l.tensor.shape.join() !== got[i]!.tensor.shape.join())) {
    throw new fg.ShapeError(`train: resume: the checkpoint's parameters (${got.map((l) => `${l.path} [${l.tensor.shape}]`).join(', ')}) do not match the model's (${want.map((l) => `${l.path} [${l.tensor.shape}]`).join(', ')})`);
  }
  if (!run.opt.loadStateDict) throw bad(`the optimizer ${run.opt.name} has no loadStateDict()`);
  run.opt.loadStateDict(ck.optimizer);
  disposeTree(ck.optimizer);
  const cur = ck.params as P;
  const b = ck.best as { epoch: number; valLoss: number; params: unknown } | null;
  const best = b ? { epoch: b.epoch, valLoss: b.valLoss, params: (b.params === 'current' ? cur : b.params === null ? undefined : b.params) as P } : null;
  return { cur, best, sinceBest: ck.sinceBest as number, step: ck.step as number, epoch: ck.epoch as number, history: ck.history as Pick<History, 'steps' | 'epochs'> & { stopReason: string | null } };
}
