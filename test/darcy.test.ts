// The Darcy data generators against manufactured solutions: the error must fall at second
// order (halving h divides it by about 4).
import { describe, expect, it } from 'vitest';
import { darcy1d, darcy2d, solveDarcy1d, solveDarcy2d } from '../models/data/darcy.js';

const { sin, cos, PI } = Math;

function maxErr(u: Float64Array, exact: (k: number) => number): number {
  let e = 0;
  u.forEach((v, k) => (e = Math.max(e, Math.abs(v - exact(k)))));
  return e;
}

describe('1-D Darcy', () => {
  it('converges at second order to a manufactured solution', () => {
    // u = sin(πx), a = 1 + x² ⇒ f = −(a u′)′ = −2x·π cos(πx) + (1 + x²) π² sin(πx)
    const a = (x: number) => 1 + x * x;
    const f = (x: number) => -2 * x * PI * cos(PI * x) + (1 + x * x) * PI * PI * sin(PI * x);
    const rows = [17, 33, 65, 129].map((n) => ({ n, err: maxErr(solveDarcy1d(a, f, n), (k) => sin((PI * k) / (n - 1))) }));
    const table = rows.map((r, i) => ({ ...r, ratio: i ? rows[i - 1]!.err / r.err : NaN }));
    console.table(table);
    // second order: ratio 4 asymptotically; 3.6 leaves room for the pre-asymptotic first row
    for (const r of table.slice(1)) expect(r.ratio).toBeGreaterThan(3.6);
    expect(rows[3]!.err).toBeLessThan(1e-4);
  });

  it('generates seeded, positive, subsampled data', () => {
    const [g33, g257] = darcy1d({ samples: 3, seed: 4, resolutions: [33, 257] });
    const again = darcy1d({ samples: 3, seed: 4, resolutions: [33] })[0]!;
    expect(Array.from(again.u)).toEqual(Array.from(g33!.u));
    expect(Math.min(...g33!.a)).toBeGreaterThan(0);
    // the coarse grid is a subsample of the fine solution: node 1 of 33 is node 8 of 257
    expect(g33!.u[1]).toBe(g257!.u[8]);
    expect(g33!.u[0]).toBe(0);
    expect(() => darcy1d({ resolutions: [34] })).toThrow(/darcy1d: resolution 34 does not subsample/);
  });
});

describe('2-D Darcy', () => {
  it('converges at second order to a manufactured solution', () => {
    // u = sin(πx) sin(πy), a = 1 + xy ⇒ f = −∇·(a∇u) = 2π²(1+xy) s s − π(y cos(πx) sin(πy) + x sin(πx) cos(πy))
    const a = (x: number, y: number) => 1 + x * y;
    const f = (x: number, y: number) => 2 * PI * PI * (1 + x * y) * sin(PI * x) * sin(PI * y) - PI * (y * cos(PI * x) * sin(PI * y) + x * sin(PI * x) * cos(PI * y));
    const rows = [9, 17, 33, 65].map((n) => {
      const { u, iterations } = solveDarcy2d(a, f, n, 1e-12);
      return { n, iterations, err: maxErr(u, (k) => sin((PI * (k % n)) / (n - 1)) * sin((PI * Math.floor(k / n)) / (n - 1))) };
    });
    const table = rows.map((r, i) => ({ ...r, ratio: i ? rows[i - 1]!.err / r.err : NaN }));
    console.table(table);
    for (const r of table.slice(1)) expect(r.ratio).toBeGreaterThan(3.6); // second order, as above
  });

  it('solves random smooth and piecewise-constant coefficients at 29×29', () => {
    for (const coefficient of ['smooth', 'piecewise'] as const) {
      const [g] = darcy2d({ samples: 2, seed: 1, resolutions: [29], coefficient });
      expect(g!.u.length).toBe(2 * 29 * 29);
      // f = 1 > 0 and u = 0 on the boundary: the maximum principle makes u positive inside
      expect(g!.u[14 * 29 + 14]).toBeGreaterThan(0);
      expect(Math.min(...g!.u)).toBeGreaterThanOrEqual(0);
    }
  });
});
