// Darcy flow −∇·(a ∇u) = f with u = 0 on the boundary, solved by our own finite-difference
// schemes: the data of the nonlocal kernel network examples (seeded, no downloads).
import * as fg from '../../index.js';
import { checkInt, checkFunction, checkNumbers } from '../model.js';
import { Rng } from '../random.js';

// ---------------------------------------------------------------- random coefficient fields

/**
 * A smooth Gaussian random field on [0,1] (or [0,1]²) as a sum of `modes` cosine/sine modes
 * with amplitudes decaying like (1 + k²)^(−decay/2); evaluated at any point, so a fine and a
 * coarse grid see the same field.
 */
function randomField(rng: Rng, dim: 1 | 2, modes: number, decay: number, scale: number): (x: number, y?: number) => number {
  const terms: { kx: number; ky: number; c: number; s: number }[] = [];
  for (let kx = 0; kx <= modes; kx++) {
    for (let ky = 0; ky <= (dim === 2 ? modes : 0); ky++) {
      if (kx === 0 && ky === 0) continue;
      const amp = scale * Math.pow(1 + kx * kx + ky * ky, -decay / 2);
      terms.push({ kx, ky, c: amp * rng.normal(), s: amp * rng.normal() });
    }
  }
  return (x, y = 0) => {
    let v = 0;
    for (const t of terms) {
      const ph = Math.PI * (t.kx * x + t.ky * y);
      v += t.c * Math.cos(ph) + t.s * Math.sin(ph);
    }
    return v;
  };
}

// ---------------------------------------------------------------- 1-D

/** Solves the tridiagonal system lower[i]·x[i−1] + diag[i]·x[i] + upper[i]·x[i+1] = rhs[i] (Thomas). */
export function thomas(lower: Float64Array, diag: Float64Array, upper: Float64Array, rhs: Float64Array): Float64Array {
  for (const [what, v] of [['lower', lower], ['diag', diag], ['upper', upper], ['rhs', rhs]] as const) checkNumbers('thomas', what, v);
  const n = diag.length;
  const c = new Float64Array(n);
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const m = diag[i]! - (i > 0 ? lower[i]! * c[i - 1]! : 0);
    if (m === 0) throw new fg.NumericalError(`thomas: zero pivot at row ${i}`);
    c[i] = upper[i]! / m;
    d[i] = (rhs[i]! - (i > 0 ? lower[i]! * d[i - 1]! : 0)) / m;
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) x[i] = d[i]! - (i < n - 1 ? c[i]! * x[i + 1]! : 0);
  return x;
}

/**
 * −(a u′)′ = f on [0,1], u(0) = u(1) = 0, on `n` equally spaced points (boundaries included):
 * the conservative three-point scheme with a at the cell midpoints, second order for smooth a.
 */
export function solveDarcy1d(a: (x: number) => number, f: (x: number) => number, n: number): Float64Array {
  checkFunction('solveDarcy1d', 'a', a);
  checkFunction('solveDarcy1d', 'f', f);
  checkInt('solveDarcy1d', 'n', n);
  if (n < 3) throw new fg.ArgumentError(`solveDarcy1d: n must be at least 3, got ${n}`);
  const h = 1 / (n - 1);
  const m = n - 2;
  const lo = new Float64Array(m);
  const di = new Float64Array(m);
  const up = new Float64Array(m);
  const rhs = new Float64Array(m);
  for (let k = 0; k < m; k++) {
    const x = (k + 1) * h;
    const aw = a(x - h / 2);
    const ae = a(x + h / 2);
    lo[k] = -aw / (h * h);
    up[k] = -ae / (h * h);
    di[k] = (aw + ae) / (h * h);
    rhs[k] = f(x);
  }
  const u = new Float64Array(n);
  u.set(thomas(lo, di, up, rhs), 1);
  return u;
}

export interface Darcy1dOptions {
  samples?: number;
  seed?: number;
  /** points of the fine solve; every resolution must subsample it (default 1025) */
  fine?: number;
  /** output resolutions (default 33, 65, 129, 257) */
  resolutions?: number[];
  /** forcing (default 1) */
  forcing?: (x: number) => number;
}

/** One resolution of a Darcy data set: grid points x [n], coefficients a [S, n], solutions u [S, n]. */
export interface DarcyGrid {
  n: number;
  x: Float64Array;
  a: Float64Array;
  u: Float64Array;
}

const DARCY1D_KEYS = fg.optionKeys<Darcy1dOptions>({ samples: true, seed: true, fine: true, resolutions: true, forcing: true });

/**
 * Seeded 1-D Darcy problems: a = exp(smooth Gaussian random field), f = 1, solved at `fine`
 * points and subsampled to each resolution.
 */
export function darcy1d(o: Darcy1dOptions = {}): DarcyGrid[] {
  o = fg.checkOptions('darcy1d', o, DARCY1D_KEYS) as typeof o;
  const S = checkInt('darcy1d', 'samples', o.samples ?? 16);
  const fine = checkInt('darcy1d', 'fine', o.fine ?? 1025);
  const res = o.resolutions ?? [33, 65, 129, 257];
  for (const r of res) {
    if (!(Number.isInteger(r) && r >= 2 && (fine - 1) % (r - 1) === 0)) {
      throw new fg.ArgumentError(`darcy1d: resolution ${r} does not subsample the fine grid of ${fine} points (needs (fine − 1) divisible by (resolution − 1))`);
    }
  }
  const f = o.forcing ?? (() => 1);
  const grids = res.map((n) => ({ n, x: Float64Array.from({ length: n }, (_, i) => i / (n - 1)), a: new Float64Array(S * n), u: new Float64Array(S * n) }));
  const rng = new Rng(o.seed ?? 0);
  for (let s = 0; s < S; s++) {
    const g = randomField(rng, 1, 8, 2, 0.6);
    const a = (x: number) => Math.exp(g(x));
    const u = solveDarcy1d(a, f, fine);
    for (const G of grids) {
      const step = (fine - 1) / (G.n - 1);
      for (let i = 0; i < G.n; i++) {
        G.a[s * G.n + i] = a(G.x[i]!);
        G.u[s * G.n + i] = u[i * step]!;
      }
    }
  }
  return grids;
}

// ---------------------------------------------------------------- 2-D

/**
 * −∇·(a ∇u) = f on the unit square, u = 0 on the boundary, on an n×n grid (boundaries
 * included, row-major u[iy·n + ix]): five-point scheme with a at the edge midpoints, solved by
 * conjugate gradients (the matrix is symmetric positive definite) to relative residual `tol`.
 */
export function solveDarcy2d(a: (x: number, y: number) => number, f: (x: number, y: number) => number, n: number, tol = 1e-10): { u: Float64Array; iterations: number } {
  checkFunction('solveDarcy2d', 'a', a);
  checkFunction('solveDarcy2d', 'f', f);
  checkInt('solveDarcy2d', 'n', n);
  if (n < 3) throw new fg.ArgumentError(`solveDarcy2d: n must be at least 3, got ${n}`);
  const h = 1 / (n - 1);
  const m = n - 2;
  const N = m * m;
  // edge coefficients: east of (i, j) and north of (i, j), over the interior index grid
  const aE = new Float64Array((m + 1) * m);
  const aN = new Float64Array(m * (m + 1));
  for (let j = 0; j < m; j++) for (let i = 0; i <= m; i++) aE[j * (m + 1) + i] = a((i + 0.5) * h, (j + 1) * h);
  for (let j = 0; j <= m; j++) for (let i = 0; i < m; i++) aN[j * m + i] = a((i + 1) * h, (j + 0.5) * h);
  const apply = (v: Float64Array, out: Float64Array) => {
    for (let j = 0; j < m; j++) {
      for (let i = 0; i < m; i++) {
        const k = j * m + i;
        const w = aE[j * (m + 1) + i]!;
        const e = aE[j * (m + 1) + i + 1]!;
        const s = aN[j * m + i]!;
        const nn = aN[(j + 1) * m + i]!;
        let r = (w + e + s + nn) * v[k]!;
        if (i > 0) r -= w * v[k - 1]!;
        if (i < m - 1) r -= e * v[k + 1]!;
        if (j > 0) r -= s * v[k - m]!;
        if (j < m - 1) r -= nn * v[k + m]!;
        out[k] = r / (h * h);
      }
    }
  };
  const b = new Float64Array(N);
  for (let j = 0; j < m; j++) for (let i = 0; i < m; i++) b[j * m + i] = f((i + 1) * h, (j + 1) * h);
  const x = new Float64Array(N);
  const r = Float64Array.from(b);
  const p = Float64Array.from(b);
  const Ap = new Float64Array(N);
  const dot = (u: Float64Array, v: Float64Array) => {
    let s = 0;
    for (let k = 0; k < N; k++) s += u[k]! * v[k]!;
    return s;
  };
  let rr = dot(r, r);
  const stop = tol * tol * Math.max(rr, Number.MIN_VALUE);
  let it = 0;
  for (; it < 10 * N && rr > stop; it++) {
    apply(p, Ap);
    const alpha = rr / dot(p, Ap);
    for (let k = 0; k < N; k++) {
      x[k] += alpha * p[k]!;
      r[k] -= alpha * Ap[k]!;
    }
    const rr1 = dot(r, r);
    const beta = rr1 / rr;
    rr = rr1;
    for (let k = 0; k < N; k++) p[k] = r[k]! + beta * p[k]!;
  }
  if (rr > stop) throw new fg.NumericalError(`solveDarcy2d: conjugate gradients did not reach relative residual ${tol} in ${it} iterations`);
  const u = new Float64Array(n * n);
  for (let j = 0; j < m; j++) for (let i = 0; i < m; i++) u[(j + 1) * n + i + 1] = x[j * m + i]!;
  return { u, iterations: it };
}

export interface Darcy2dOptions {
  samples?: number;
  seed?: number;
  /** grid sizes n (n×n points, boundaries included; default 29, 57, 85) */
  resolutions?: number[];
  /** 'smooth': a = exp(field); 'piecewise': a = 12 where the field is positive, else 3 */
  coefficient?: 'smooth' | 'piecewise';
  forcing?: (x: number, y: number) => number;
}

const DARCY2D_KEYS = fg.optionKeys<Darcy2dOptions>({ samples: true, seed: true, resolutions: true, coefficient: true, forcing: true });

/** Seeded 2-D Darcy problems, each solved at every resolution (x holds the points [n², 2]). */
export function darcy2d(o: Darcy2dOptions = {}): DarcyGrid[] {
  o = fg.checkOptions('darcy2d', o, DARCY2D_KEYS) as typeof o;
  const S = checkInt('darcy2d', 'samples', o.samples ?? 4);
  const res = o.resolutions ?? [29, 57, 85];
  res.forEach((r, i) => checkInt('darcy2d', `resolutions[${i}]`, r));
  const kind = o.coefficient ?? 'smooth';
  if (kind !== 'smooth' && kind !== 'piecewise') throw new fg.ArgumentError(`darcy2d: coefficient must be 'smooth' or 'piecewise', got ${JSON.stringify(kind)}`);
  const f = o.forcing ?? (() => 1);
  const rng = new Rng(o.seed ?? 0);
  const fields = Array.from({ length: S }, () => randomField(rng, 2, 5, 2, 0.8));
  return res.map((n) => {
    const x = new Float64Array(n * n * 2);
    for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) x.set([i / (n - 1), j / (n - 1)], 2 * (j * n + i));
    const A = new Float64Array(S * n * n);
    const U = new Float64Array(S * n * n);
    fields.forEach((g, s) => {
      const a = kind === 'smooth' ? (px: number, py: number) => Math.exp(g(px, py)) : (px: number, py: number) => (g(px, py) > 0 ? 12 : 3);
      for (let k = 0; k < n * n; k++) A[s * n * n + k] = a(x[2 * k]!, x[2 * k + 1]!);
      U.set(solveDarcy2d(a, f, n).u, s * n * n);
    });
    return { n, x, a: A, u: U };
  });
}
