import * as fg from '../../index.js';
import { checkInt, checkReal } from '../model.js';
import { Rng } from '../random.js';
import { makeDataset, type Dataset } from './dataset.js';

interface FnOptions {
  n?: number;
  seed?: number;
  /** inputs uniform in [−range, range] (default 1) */
  range?: number;
  /** standard deviation of Gaussian noise added to the targets (default 0) */
  noise?: number;
}

const ONE_D_KEYS = fg.optionKeys<FnOptions>({ n: true, seed: true, range: true, noise: true });

function oneD(name: string, f: (x: number) => number, o: FnOptions): Dataset {
  o = fg.checkOptions(name, o, ONE_D_KEYS) as typeof o;
  const n = checkInt(name, 'n', o.n ?? 256);
  const r = checkReal(name, 'range', o.range ?? 1, (v) => v > 0, 'a positive number');
  const noise = checkReal(name, 'noise', o.noise ?? 0, (v) => v >= 0, 'a non-negative number');
  const rng = new Rng(o.seed ?? 0);
  const x = rng.uniforms(n, -r, r);
  const y = x.map((v) => f(v) + (noise ? rng.normal(0, noise) : 0));
  return makeDataset({ name, task: 'regression', n, x, xShape: [1], y, yShape: [1] });
}

/** y = x³ on [−range, range]: a monotone map, which a plain 1-D NODE can fit. */
export const cubic = (o: FnOptions = {}) => oneD('cubic', (x) => x ** 3, o);

/** y = x² on [−range, range]: not monotone, so a plain 1-D NODE cannot fit it (trajectories cannot cross). */
export const square = (o: FnOptions = {}) => oneD('square', (x) => x * x, o);

const QUADRATIC_KEYS = fg.optionKeys<NonNullable<Parameters<typeof quadratic>[0]>>({ n: true, seed: true, range: true, noise: true, d: true });

/** f(x) = xᵀx for x uniform in [−range, range]^d. */
export function quadratic(o: FnOptions & { d?: number } = {}): Dataset {
  o = fg.checkOptions('quadratic', o, QUADRATIC_KEYS) as typeof o;
  const d = checkInt('quadratic', 'd', o.d ?? 4);
  const n = checkInt('quadratic', 'n', o.n ?? 256);
  const r = checkReal('quadratic', 'range', o.range ?? 1, (v) => v > 0, 'a positive number');
  const noise = checkReal('quadratic', 'noise', o.noise ?? 0, (v) => v >= 0, 'a non-negative number');
  const rng = new Rng(o.seed ?? 0);
  const x = rng.uniforms(n * d, -r, r);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += x[i * d + j]! ** 2;
    y[i] = s + (noise ? rng.normal(0, noise) : 0);
  }
  return makeDataset({ name: `quadratic d=${d}`, task: 'regression', n, x, xShape: [d], y, yShape: [1] });
}
