import * as fg from '../../index.js';
import { checkInt, checkReal } from '../model.js';
import { Rng } from '../random.js';
import { makeDataset, type Dataset } from './dataset.js';

const SPIRALS_KEYS = fg.optionKeys<NonNullable<Parameters<typeof spirals>[0]>>({ n: true, seed: true, classes: true, turns: true, noise: true });

/**
 * Interleaved spirals in the plane, one per class (default 2): class c at angle θ has radius
 * θ/(turns·2π) and is rotated by 2πc/classes; Gaussian noise of std `noise` on each point.
 */
export function spirals(o: { n?: number; seed?: number; classes?: number; turns?: number; noise?: number } = {}): Dataset {
  o = fg.checkOptions('spirals', o, SPIRALS_KEYS) as typeof o;
  const n = checkInt('spirals', 'n', o.n ?? 300);
  const C = checkInt('spirals', 'classes', o.classes ?? 2, 2);
  const turns = checkReal('spirals', 'turns', o.turns ?? 1, (v) => v > 0, 'a positive number');
  const noise = checkReal('spirals', 'noise', o.noise ?? 0.02, (v) => v >= 0, 'a non-negative number');
  const rng = new Rng(o.seed ?? 0);
  const x = new Float64Array(2 * n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % C;
    const s = rng.uniform(0.05, 1); // position along the arm
    const th = s * turns * 2 * Math.PI + (2 * Math.PI * c) / C;
    x[2 * i] = s * Math.cos(th) + rng.normal(0, noise);
    x[2 * i + 1] = s * Math.sin(th) + rng.normal(0, noise);
    y[i] = c;
  }
  return makeDataset({ name: 'spirals', task: 'classification', n, x, xShape: [2], y, yShape: [], classes: C });
}

const MOONS_KEYS = fg.optionKeys<NonNullable<Parameters<typeof moons>[0]>>({ n: true, seed: true, noise: true });

/** Two interleaving half circles (scikit-learn's make_moons), centred near the origin. */
export function moons(o: { n?: number; seed?: number; noise?: number } = {}): Dataset {
  o = fg.checkOptions('moons', o, MOONS_KEYS) as typeof o;
  const n = checkInt('moons', 'n', o.n ?? 300);
  const noise = checkReal('moons', 'noise', o.noise ?? 0.1, (v) => v >= 0, 'a non-negative number');
  const rng = new Rng(o.seed ?? 0);
  const x = new Float64Array(2 * n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 2;
    const t = Math.PI * rng.uniform();
    const [px, py] = c === 0 ? [Math.cos(t), Math.sin(t)] : [1 - Math.cos(t), 0.5 - Math.sin(t)];
    x[2 * i] = px - 0.5 + rng.normal(0, noise);
    x[2 * i + 1] = py - 0.25 + rng.normal(0, noise);
    y[i] = c;
  }
  return makeDataset({ name: 'moons', task: 'classification', n, x, xShape: [2], y, yShape: [], classes: 2 });
}
