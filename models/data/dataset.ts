import * as fg from '../../index.js';
import { checkDataset, checkShaped, checkNumbers } from '../model.js';
import { Rng, subSeed } from '../random.js';

/**
 * A data set held on the host in float64: n samples of inputs (shape xShape each) and targets
 * (shape yShape each; for classification a class index per sample, yShape []). Batches are
 * uploaded to the current backend as they are drawn.
 */
export interface Dataset {
  readonly name: string;
  readonly task: 'regression' | 'classification';
  readonly n: number;
  readonly x: Float64Array;
  readonly xShape: number[];
  readonly y: Float64Array;
  readonly yShape: number[];
  /** number of classes (classification) */
  readonly classes?: number;
  /** sample times of trajectory targets */
  readonly ts?: number[];
}

const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

export function makeDataset(d: Dataset): Dataset {
  checkShaped('makeDataset', 'd', d, ['name', 'task', 'n', 'x', 'xShape', 'y', 'yShape'], 'a data set { name, task, n, x, xShape, y, yShape }');
  const who = `dataset ${d.name}`;
  if (d.x.length !== d.n * prod(d.xShape) || d.y.length !== d.n * prod(d.yShape)) {
    throw new fg.ShapeError(`${who}: ${d.x.length} input and ${d.y.length} target values do not fill ${d.n} samples of shapes [${d.xShape.join(', ')}] and [${d.yShape.join(', ')}]`);
  }
  return Object.freeze(d);
}

/** The samples at `indices`, in that order. */
export function subset(ds: Dataset, indices: ArrayLike<number>, name?: string): Dataset {
  checkDataset('subset', ds);
  checkNumbers('subset', 'indices', indices);
  name ??= ds.name;
  const xs = prod(ds.xShape);
  const ys = prod(ds.yShape);
  const x = new Float64Array(indices.length * xs);
  const y = new Float64Array(indices.length * ys);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i]!;
    if (!(Number.isInteger(j) && j >= 0 && j < ds.n)) throw new fg.ArgumentError(`subset: index ${j} is out of range for ${ds.name} with ${ds.n} samples`);
    x.set(ds.x.subarray(j * xs, (j + 1) * xs), i * xs);
    y.set(ds.y.subarray(j * ys, (j + 1) * ys), i * ys);
  }
  return makeDataset({ ...ds, name, n: indices.length, x, y });
}

export interface Split {
  train: Dataset;
  val: Dataset;
  test: Dataset;
}

const SPLIT_KEYS = fg.optionKeys<NonNullable<Parameters<typeof split>[1]>>({ seed: true, fractions: true, minSize: true });

/**
 * A seeded shuffle cut into train / validation / test parts (default 60/20/20). Part sizes are
 * rounded down from the fractions, the remainder goes to train; each part must get at least
 * `minSize` samples (default 1).
 */
export function split(ds: Dataset, opts: { seed?: number; fractions?: [number, number, number]; minSize?: number } = {}): Split {
  checkDataset('split', ds);
  opts = fg.checkOptions('split', opts, SPLIT_KEYS) as typeof opts;
  const f = opts.fractions ?? [0.6, 0.2, 0.2];
  if (!Array.isArray(f) || f.length !== 3 || f.some((v) => !(v >= 0)) || Math.abs(f[0] + f[1] + f[2] - 1) > 1e-9) {
    throw new fg.ArgumentError(`split: fractions must be three non-negative numbers that sum to 1 (train, validation, test), got ${JSON.stringify(f)}`);
  }
  const minSize = opts.minSize ?? 1;
  const nVal = Math.floor(ds.n * f[1]);
  const nTest = Math.floor(ds.n * f[2]);
  const nTrain = ds.n - nVal - nTest;
  const parts: [string, number, number][] = [['train', nTrain, f[0]], ['validation', nVal, f[1]], ['test', nTest, f[2]]];
  for (const [part, size, frac] of parts) {
    if (size < minSize) {
      throw new fg.ArgumentError(
        `split: the ${part} part of ${ds.name} would hold ${size} sample(s) (${ds.n} samples × ${frac}), fewer than the ${minSize} needed; use more samples or other fractions`,
      );
    }
  }
  const perm = new Rng(opts.seed ?? 0).permutation(ds.n);
  return {
    train: subset(ds, perm.subarray(0, nTrain), `${ds.name} (train)`),
    val: subset(ds, perm.subarray(nTrain, nTrain + nVal), `${ds.name} (validation)`),
    test: subset(ds, perm.subarray(nTrain + nVal), `${ds.name} (test)`),
  };
}

/** Class indices [n] as one-hot rows [n, classes]. */
export function oneHot(labels: ArrayLike<number>, classes: number): Float64Array {
  checkNumbers('oneHot', 'labels', labels);
  const out = new Float64Array(labels.length * classes);
  for (let i = 0; i < labels.length; i++) out[i * classes + labels[i]!] = 1;
  return out;
}

export interface Batch {
  /** inputs [b, ...xShape] */
  x: fg.Tensor;
  /** targets [b, ...yShape]; for classification one-hot [b, classes] */
  y: fg.Tensor;
  /** the samples' indices in the data set */
  indices: Int32Array;
}

/** A batch of the given samples, uploaded to the current backend. */
export function batchOf(ds: Dataset, indices: Int32Array): Batch {
  checkDataset('batchOf', ds);
  checkNumbers('batchOf', 'indices', indices);
  const part = subset(ds, indices);
  const b = indices.length;
  const y = ds.task === 'classification' ? fg.tensor(oneHot(part.y, ds.classes!), [b, ds.classes!]) : fg.tensor(part.y, [b, ...ds.yShape]);
  return { x: fg.tensor(part.x, [b, ...ds.xShape]), y, indices };
}

const BATCHES_KEYS = fg.optionKeys<Parameters<typeof batches>[1]>({ batchSize: true, seed: true, epoch: true, shuffle: true, dropLast: true });

/**
 * The minibatches of one epoch: a seeded shuffle (a new order for each (seed, epoch)), cut into
 * batches of batchSize (the last one smaller unless dropLast).
 */
export function* batches(ds: Dataset, opts: { batchSize: number; seed?: number; epoch?: number; shuffle?: boolean; dropLast?: boolean }): Generator<Batch> {
  checkDataset('batches', ds);
  opts = fg.checkOptions('batches', opts, BATCHES_KEYS) as typeof opts;
  const bs = opts.batchSize;
  if (!(Number.isInteger(bs) && bs >= 1)) throw new fg.ArgumentError(`batches: batchSize must be a positive integer, got ${String(bs)}`);
  if (ds.n === 0) throw new fg.ArgumentError(`batches: ${ds.name} has no samples`);
  const order = opts.shuffle === false ? Int32Array.from({ length: ds.n }, (_, i) => i) : new Rng(subSeed(opts.seed ?? 0, opts.epoch ?? 0)).permutation(ds.n);
  for (let s = 0; s < ds.n; s += bs) {
    if (opts.dropLast && s + bs > ds.n) break;
    yield batchOf(ds, order.subarray(s, Math.min(ds.n, s + bs)));
  }
}

/** Throws a clear error where a data set holds NaN or ±Inf. */
export function checkFinite(ds: Dataset): void {
  checkDataset('checkFinite', ds);
  for (const [what, arr, per] of [['input', ds.x, prod(ds.xShape)], ['target', ds.y, prod(ds.yShape)]] as const) {
    const i = arr.findIndex((v) => !Number.isFinite(v));
    if (i >= 0) throw new fg.ArgumentError(`dataset ${ds.name}: sample ${Math.floor(i / per)} has a non-finite ${what} value (${arr[i]}); remove or fix it before training`);
  }
}
