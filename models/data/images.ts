import * as fg from '../../index.js';
import { checkInt, checkReal } from '../model.js';
import { Rng } from '../random.js';
import { makeDataset, type Dataset } from './dataset.js';

export const SHAPE_CLASSES = ['square', 'disk', 'triangle', 'cross'] as const;

/** Is the point (u, v), in the shape's own frame (centre 0, half-size 1), inside shape c? */
function inside(c: number, u: number, v: number): boolean {
  switch (c) {
    case 0:
      return Math.abs(u) <= 1 && Math.abs(v) <= 1;
    case 1:
      return u * u + v * v <= 1;
    case 2:
      return v <= 1 && v >= -1 && Math.abs(u) <= (v + 1) / 2; // apex at the top (v = −1)
    default:
      return (Math.abs(u) <= 0.3 && Math.abs(v) <= 1) || (Math.abs(v) <= 0.3 && Math.abs(u) <= 1);
  }
}

const SHAPES_KEYS = fg.optionKeys<NonNullable<Parameters<typeof shapes>[0]>>({ n: true, seed: true, size: true, noise: true });

/**
 * Small greyscale images [1, size, size] (default 16×16) of four shapes — square, disk,
 * triangle, cross — at random positions and sizes, rendered with 4×4 supersampling (values in
 * [0, 1]) plus Gaussian pixel noise; the label is the shape. Small enough for conv layers.
 */
export function shapes(o: { n?: number; seed?: number; size?: number; noise?: number } = {}): Dataset {
  o = fg.checkOptions('shapes', o, SHAPES_KEYS) as typeof o;
  const n = checkInt('shapes', 'n', o.n ?? 400);
  const S = checkInt('shapes', 'size', o.size ?? 16, 8);
  const noise = checkReal('shapes', 'noise', o.noise ?? 0.05, (v) => v >= 0, 'a non-negative number');
  const rng = new Rng(o.seed ?? 0);
  const x = new Float64Array(n * S * S);
  const y = new Float64Array(n);
  const sub = 4;
  for (let i = 0; i < n; i++) {
    const c = i % SHAPE_CLASSES.length;
    const r = rng.uniform(0.22, 0.4) * S; // half-size in pixels
    const cx = rng.uniform(r, S - r);
    const cy = rng.uniform(r, S - r);
    for (let py = 0; py < S; py++) {
      for (let px = 0; px < S; px++) {
        let hits = 0;
        for (let a = 0; a < sub; a++) {
          for (let b = 0; b < sub; b++) {
            const u = (px + (b + 0.5) / sub - cx) / r;
            const v = (py + (a + 0.5) / sub - cy) / r;
            if (inside(c, u, v)) hits++;
          }
        }
        x[i * S * S + py * S + px] = hits / (sub * sub) + (noise ? rng.normal(0, noise) : 0);
      }
    }
    y[i] = c;
  }
  return makeDataset({ name: `shapes ${S}×${S}`, task: 'classification', n, x, xShape: [1, S, S], y, yShape: [], classes: SHAPE_CLASSES.length });
}
