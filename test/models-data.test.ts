import { beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';

const D = fg.models.data;

beforeAll(async () => {
  await fg.init({ backend: 'cpu' });
});

describe('generated data sets', () => {
  it('1-D functions and xᵀx: the targets are the functions of the inputs, seeded', () => {
    const c = D.cubic({ n: 50, seed: 3, range: 2 });
    expect(c.xShape).toEqual([1]);
    c.x.forEach((x, i) => expect(c.y[i]).toBe(x ** 3));
    expect(Math.max(...c.x)).toBeLessThanOrEqual(2);
    expect(Array.from(D.cubic({ n: 50, seed: 3, range: 2 }).x)).toEqual(Array.from(c.x));
    expect(Array.from(D.cubic({ n: 50, seed: 4, range: 2 }).x)).not.toEqual(Array.from(c.x));
    const s = D.square({ n: 20, seed: 1 });
    s.x.forEach((x, i) => expect(s.y[i]).toBe(x * x));
    const q = D.quadratic({ n: 10, d: 3, seed: 2 });
    expect(q.xShape).toEqual([3]);
    for (let i = 0; i < 10; i++) expect(q.y[i]).toBeCloseTo(q.x[3 * i]! ** 2 + q.x[3 * i + 1]! ** 2 + q.x[3 * i + 2]! ** 2, 15);
  });

  it('spirals and moons: two balanced classes in the plane', () => {
    for (const ds of [D.spirals({ n: 101, seed: 1 }), D.moons({ n: 101, seed: 1 })]) {
      expect(ds.task).toBe('classification');
      expect(ds.classes).toBe(2);
      expect(ds.xShape).toEqual([2]);
      const ones = ds.y.reduce((a, b) => a + b, 0);
      expect(ones).toBe(50);
      expect(Math.max(...ds.x.map(Math.abs))).toBeLessThan(2);
    }
    expect(D.spirals({ n: 30, classes: 3 }).classes).toBe(3);
  });

  it('damped oscillator trajectories match the closed form', () => {
    const [w, z, dt, steps] = [2, 0.1, 0.1, 20];
    const ds = D.dampedOscillator({ n: 3, seed: 5, omega: w, zeta: z, dt, steps });
    expect(ds.yShape).toEqual([steps + 1, 2]);
    expect(ds.ts!.length).toBe(steps + 1);
    const wd = w * Math.sqrt(1 - z * z);
    for (let i = 0; i < 3; i++) {
      const [q0, p0] = [ds.x[2 * i]!, ds.x[2 * i + 1]!];
      const B = (p0 + z * w * q0) / wd;
      for (let k = 0; k <= steps; k++) {
        const t = k * dt;
        const q = Math.exp(-z * w * t) * (q0 * Math.cos(wd * t) + B * Math.sin(wd * t));
        // RK4 with h = dt/8 = 0.0125 at rate ω = 2: local error ~ (hω)⁵/120 ≈ 8e-11, times 160
        // steps ≈ 1.3e-8 at most (measured ~1e-9)
        expect(Math.abs(ds.y[i * (steps + 1) * 2 + 2 * k]! - q)).toBeLessThan(2e-8);
      }
    }
  });

  it('pendulum without damping keeps its energy; formats final and sequence', () => {
    const g = 9.81;
    const ds = D.pendulum({ n: 4, seed: 2, steps: 30, dt: 0.05 });
    const E = (th: number, om: number) => 0.5 * om * om - g * Math.cos(th);
    for (let i = 0; i < 4; i++) {
      const e0 = E(ds.x[2 * i]!, ds.x[2 * i + 1]!);
      const off = i * 31 * 2 + 30 * 2;
      // RK4's energy drift over 240 substeps of 0.00625 at frequency ~3: ~1e-9 of E ~ 10
      expect(Math.abs(E(ds.y[off]!, ds.y[off + 1]!) - e0)).toBeLessThan(1e-7);
    }
    const fin = D.pendulum({ n: 4, seed: 2, steps: 30, dt: 0.05, format: 'final' });
    expect(fin.yShape).toEqual([2]);
    expect(Array.from(fin.y.slice(0, 2))).toEqual(Array.from(ds.y.slice(60, 62)));
    const seq = D.pendulum({ n: 4, seed: 2, steps: 30, dt: 0.05, format: 'sequence' });
    expect(seq.xShape).toEqual([30, 2]);
    expect(Array.from(seq.x.slice(0, 2))).toEqual(Array.from(ds.x.slice(0, 2)));
    expect(() => D.pendulum({ format: 'windows' as any })).toThrow(/pendulum: format must be 'trajectory', 'final' or 'sequence'/);
  });

  it('16×16 shapes: four balanced classes that differ on average', () => {
    const ds = D.shapes({ n: 80, seed: 1, noise: 0 });
    expect(ds.xShape).toEqual([1, 16, 16]);
    expect(ds.classes).toBe(4);
    const means = [0, 1, 2, 3].map((c) => {
      let s = 0;
      for (let i = c; i < 80; i += 4) for (let j = 0; j < 256; j++) s += ds.x[i * 256 + j]!;
      return s / 20;
    });
    for (let i = 0; i < 80; i++) expect(ds.y[i]).toBe(i % 4);
    expect(Math.min(...ds.x)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...ds.x)).toBeLessThanOrEqual(1);
    // a cross covers less area than a square of the same size
    expect(means[3]!).toBeLessThan(means[0]!);
  });
});

describe('split and batches', () => {
  it('60/20/20, seeded, disjoint, covering', () => {
    const ds = D.cubic({ n: 101, seed: 1 });
    const s = D.split(ds, { seed: 7 });
    expect([s.train.n, s.val.n, s.test.n]).toEqual([61, 20, 20]);
    const all = [...s.train.x, ...s.val.x, ...s.test.x].sort();
    expect(all).toEqual([...ds.x].sort());
    expect(Array.from(D.split(ds, { seed: 7 }).val.x)).toEqual(Array.from(s.val.x));
    expect(Array.from(D.split(ds, { seed: 8 }).val.x)).not.toEqual(Array.from(s.val.x));
    s.train.x.forEach((x, i) => expect(s.train.y[i]).toBe(x ** 3));
  });

  it('empty or too-small parts are errors that say which part and why', () => {
    expect(() => D.split(D.cubic({ n: 4 }))).toThrow(/split: the validation part of cubic would hold 0 sample\(s\) \(4 samples × 0\.2\), fewer than the 1 needed/);
    expect(() => D.split(D.cubic({ n: 50 }), { minSize: 20 })).toThrow(/split: the validation part of cubic would hold 10 sample\(s\)/);
    expect(() => D.split(D.cubic({ n: 50 }), { fractions: [0.5, 0.5, 0.5] })).toThrow(/split: fractions must be three non-negative numbers that sum to 1/);
  });

  it('a new seeded order every epoch; one-hot targets for classes', async () => {
    const ds = D.moons({ n: 10, seed: 1 });
    const order = (epoch: number) => [...D.batches(ds, { batchSize: 4, seed: 3, epoch })].flatMap((b) => Array.from(b.indices));
    expect(order(1).slice().sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(order(1)).toEqual(order(1));
    expect(order(2)).not.toEqual(order(1));
    const bs = [...D.batches(ds, { batchSize: 4, seed: 3, epoch: 1 })];
    expect(bs.map((b) => b.x.shape[0])).toEqual([4, 4, 2]);
    expect(bs[0]!.y.shape).toEqual([4, 2]);
    const y = await bs[0]!.y.data();
    const i0 = bs[0]!.indices[0]!;
    expect([y[0], y[1]]).toEqual(ds.y[i0] === 0 ? [1, 0] : [0, 1]);
    expect([...D.batches(ds, { batchSize: 4, dropLast: true })].length).toBe(2);
    expect(() => [...D.batches(ds, { batchSize: 0 })]).toThrow(/batches: batchSize must be a positive integer, got 0/);
  });
});
