// Accuracy of fg.linalg on both backends against the float64 reference solvers and closed
// forms: eigenvalues matched as multisets, residuals ‖AV − VΛ‖/‖A‖, orthogonality, for random,
// scaled, graded, triangular, complex-pair and companion matrices, n = 2…64.
import { beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';
import type { Backend } from '../engine/backend.js';
import { fromValues } from '../engine/creation.js';
import { normalArray } from '../engine/random.js';
import { initValues } from '../models/init.js';
import { eig as refEig } from '../solvers/linalg/reference/index.js';
import { similar } from '../solvers/linalg/samples.js';
import { F32_EPS, initBoth, onBackend } from './helpers.js';

let cpu: Backend;
let gpu: Backend;
beforeAll(async () => ({ cpu, gpu } = await initBoth()));

const F64_EPS = 2.220446049250313e-16;
const SIZES = [2, 3, 4, 8, 16, 32, 64];
/** matrices per (family, n): enough to see variation, few enough to keep the float64 side quick */
const batchOf = (n: number) => (n >= 32 ? 2 : 4);

type Family = { name: string; make: (n: number, seed: number) => number[]; exact?: (n: number, seed: number) => [number, number][] };

const random = (n: number, seed: number) => Array.from(normalArray(n * n, seed));
const families: Family[] = [
  { name: 'random', make: random },
  { name: 'scaled ×1e-3', make: (n, s) => random(n, s).map((x) => 1e-3 * x) },
  { name: 'scaled ×1e3', make: (n, s) => random(n, s).map((x) => 1e3 * x) },
  {
    // D·R·D⁻¹ with D from 1e-3 to 1e3: entries span 12 orders of magnitude, which balancing undoes
    name: 'graded 1e-3…1e3',
    make: (n, s) => {
      const d = Array.from({ length: n }, (_, i) => 10 ** (-3 + (6 * i) / Math.max(1, n - 1)));
      return random(n, s).map((x, e) => (x * d[Math.floor(e / n)]!) / d[e % n]!);
    },
  },
  {
    name: 'triangular',
    make: (n, s) => random(n, s).map((x, e) => (e % n >= Math.floor(e / n) ? x : 0)),
    exact: (n, s) => random(n, s).filter((_, e) => e % n === Math.floor(e / n)).map((x) => [x, 0]),
  },
  {
    // S·B·S⁻¹ with B of 2×2 rotation-scaling blocks: eigenvalues a ± ib known exactly
    name: 'complex pairs',
    make: (n, s) => similar(pairs(n, s), s),
    exact: (n, s) => pairs(n, s).flatMap((e) => (typeof e === 'number' ? [[e, 0] as [number, number]] : [[e[0], e[1]] as [number, number], [e[0], -e[1]] as [number, number]])),
  },
  {
    // Q·D·Qᵀ with half of D equal to 1: after rounding, windows of the Schur iteration are
    // 1·I plus noise, where shifts taken as H² − (σ₁+σ₂)H + σ₁σ₂ cancelled to garbage and never deflated
    name: 'repeated eigenvalue',
    make: (n, s) => clusteredSymmetric(n, s),
    exact: (n) => clusteredSpectrum(n).map((x) => [x, 0]),
  },
  {
    // companion matrix of zⁿ − 1 (the cyclic shift, which defeats unshifted QR): the n-th roots of unity
    name: 'companion zⁿ − 1',
    make: (n) => Array.from({ length: n * n }, (_, e) => (Math.floor(e / n) === (e % n) + 1 || e === n - 1 ? 1 : 0)),
    exact: (n) => Array.from({ length: n }, (_, k) => [Math.cos((2 * Math.PI * k) / n), Math.sin((2 * Math.PI * k) / n)]),
  },
];

/** 1 for the first half (rounded up), then spread to 2 */
const clusteredSpectrum = (n: number) => Array.from({ length: n }, (_, i) => (i < Math.ceil(n / 2) ? 1 : 1 + (i + 1) / n));

/** Q·diag(clusteredSpectrum)·Qᵀ with Q a seeded orthogonal matrix */
function clusteredSymmetric(n: number, seed: number): number[] {
  const q = initValues('orthogonal', [n, n], seed);
  const d = clusteredSpectrum(n);
  return Array.from({ length: n * n }, (_, e) => {
    let v = 0;
    for (let k = 0; k < n; k++) v += q[Math.floor(e / n) * n + k]! * d[k]! * q[(e % n) * n + k]!;
    return v;
  });
}

/** eigenvalues a ± ib (and one real one for odd n), well apart */
function pairs(n: number, seed: number): (number | [number, number])[] {
  const u = normalArray(n, seed + 99);
  const out: (number | [number, number])[] = [];
  for (let k = 0; k + 1 < n; k += 2) out.push([0.5 + k / n + 0.01 * u[k]!, 0.3 + k / (2 * n)]);
  if (n % 2) out.push(-1.5);
  return out;
}

const frob = (x: ArrayLike<number>) => Math.sqrt(Array.from(x).reduce((s, v) => s + v * v, 0));

/**
 * Distance from each reference eigenvalue to the nearest unused computed one, divided by its
 * tolerance; the worst ratio (≤ 1 passes).
 */
function worstMatch(ref: [number, number][], got: [number, number][], tol: number[]): number {
  const used = new Array<boolean>(got.length).fill(false);
  let worst = 0;
  // match the best-conditioned first, so an ill-conditioned cluster cannot steal their partners
  const order = ref.map((_, i) => i).sort((i, j) => tol[i]! - tol[j]!);
  for (const i of order) {
    let best = -1;
    let bestD = Infinity;
    got.forEach((g, j) => {
      const d = Math.hypot(g[0] - ref[i]![0], g[1] - ref[i]![1]);
      if (!used[j] && d < bestD) (best = j), (bestD = d);
    });
    used[best] = true;
    worst = Math.max(worst, bestD / tol[i]!);
  }
  return worst;
}

const residuals: Record<string, number> = {};

for (const where of ['cpu', 'webgpu'] as const) {
  describe(`eig on ${where}`, () => {
    const eps = where === 'cpu' ? F64_EPS : F32_EPS;
    for (const fam of families) {
      it(`${fam.name}: eigenvalues match the float64 reference, residual ‖AV − VΛ‖/‖A‖ ≤ 8·n·ε`, async () => {
        const b = where === 'cpu' ? cpu : gpu;
        for (const n of SIZES) {
          const count = batchOf(n);
          const mats = Array.from({ length: count }, (_, k) => fam.make(n, 1000 * n + k).map(Math.fround));
          const A = fromValues(mats.flat(), [count, n, n], b);
          const r = onBackend(b, () => fg.linalg.eig(A));
          const [re, im, vr, vi] = await Promise.all([r.re.data(), r.im.data(), r.vectors.re.data(), r.vectors.im.data()]);
          for (let m = 0; m < count; m++) {
            const a = mats[m]!;
            const ref = refEig(Float64Array.from(a), n, { left: true });
            const refVals: [number, number][] = Array.from(ref.values.re, (x, i) => [x, ref.values.im[i]!]);
            // the first-order error of λᵢ is κᵢ·‖δA‖ with κᵢ = 1/|uᵢᴴvᵢ| (unit vectors) and a
            // backward error ‖δA‖ of a few ε·n·‖A‖ for the QR algorithm
            const kappa = refVals.map((_, i) => {
              let sr = 0;
              let si = 0;
              for (let r2 = 0; r2 < n; r2++) {
                const [ur, ui, wr, wi] = [ref.left!.re[r2 * n + i]!, ref.left!.im[r2 * n + i]!, ref.right.re[r2 * n + i]!, ref.right.im[r2 * n + i]!];
                sr += ur * wr + ui * wi;
                si += ur * wi - ui * wr;
              }
              return 1 / Math.max(Math.hypot(sr, si), 1e-12);
            });
            const normA = frob(a);
            const tol = kappa.map((k) => 8 * n * eps * normA * k + 1e-300);
            const got: [number, number][] = Array.from({ length: n }, (_, i) => [re[m * n + i]!, im[m * n + i]!]);
            expect(worstMatch(refVals, got, tol), `${fam.name} n=${n} matrix ${m}`).toBeLessThanOrEqual(1);
            if (fam.exact) {
              // closed form: the reference itself is within its own κ·ε bound of it
              const exactVals = fam.exact(n, 1000 * n + m);
              const exactTol = kappa.map((k) => 8 * n * eps * normA * k + 8 * n * F32_EPS * normA * k);
              expect(worstMatch(exactVals, got, exactTol), `${fam.name} n=${n} matrix ${m} vs closed form`).toBeLessThanOrEqual(1);
            }
            // residual of every eigenpair, in complex arithmetic
            let res = 0;
            for (let j = 0; j < n; j++) {
              const [lr, li] = [re[m * n + j]!, im[m * n + j]!];
              for (let i = 0; i < n; i++) {
                let xr = 0;
                let xi = 0;
                for (let k = 0; k < n; k++) {
                  xr += a[i * n + k]! * vr[(m * n + k) * n + j]!;
                  xi += a[i * n + k]! * vi[(m * n + k) * n + j]!;
                }
                const v = [vr[(m * n + i) * n + j]!, vi[(m * n + i) * n + j]!];
                xr -= lr * v[0]! - li * v[1]!;
                xi -= lr * v[1]! + li * v[0]!;
                res += xr * xr + xi * xi;
              }
            }
            const rel = Math.sqrt(res) / normA;
            const key = `${where} n=${String(n).padStart(2)}`;
            residuals[key] = Math.max(residuals[key] ?? 0, rel / eps);
            // backward stable: ‖AV − VΛ‖ ≤ c·n·ε·‖A‖ for unit eigenvectors
            expect(rel, `${fam.name} n=${n} matrix ${m}: residual`).toBeLessThanOrEqual(8 * n * eps);
          }
        }
      });
    }
  });
}

describe('worst residuals', () => {
  it('are reported by n (in units of the backend ε)', () => {
    console.log('worst ‖AV − VΛ‖/‖A‖ / ε by backend and n:\n' + Object.entries(residuals).map(([k, v]) => `  ${k}: ${v.toFixed(2)}`).join('\n'));
    expect(Object.keys(residuals).length).toBeGreaterThan(0);
  });
});
