// Observed fields of 1-D advection–diffusion u_t + c·u_x = ν·u_xx on a periodic grid, solved
// with the host RK4 on the central-difference semi-discretization, seen through a random
// high-dimensional linear map plus noise.
import * as fg from '../../index.js';
import { checkInt, checkReal } from '../model.js';
import { Rng } from '../random.js';
import { rk4 } from './rk4.js';

export interface AdvectionOptions {
  /** grid points N on [0, 1) (default 32) */
  grid?: number;
  /** trajectories (default 4) and snapshots per trajectory (default 100) */
  samples?: number;
  snapshots?: number;
  /** time between snapshots (default 0.01); RK4 substeps keep ν·dt/h² and c·dt/h small */
  dt?: number;
  /** advection speed c (default 1) and diffusion ν (default 0.005) */
  c?: number;
  nu?: number;
  /** observed dimension m of y = C·u + noise (default 64); C has N(0, 1/N) entries */
  observed?: number;
  /** standard deviation of the observation noise (default 0.01) */
  noise?: number;
  /** Fourier modes of the random smooth initial fields (default 3) */
  modes?: number;
  seed?: number;
}

export interface AdvectionData {
  grid: number;
  observed: number;
  samples: number;
  snapshots: number;
  dt: number;
  /** u at each snapshot: [samples, snapshots, grid] */
  fields: Float64Array;
  /** y = C·u + noise: [samples, snapshots, observed] */
  observations: Float64Array;
  /** the observation map C: [observed, grid] */
  map: Float64Array;
}

const ADVECTION_KEYS = fg.optionKeys<AdvectionOptions>({ grid: true, samples: true, snapshots: true, dt: true, c: true, nu: true, observed: true, noise: true, modes: true, seed: true });

export function advectionDiffusion(o: AdvectionOptions = {}): AdvectionData {
  const who = 'advectionDiffusion';
  o = fg.checkOptions(who, o, ADVECTION_KEYS);
  const N = checkInt(who, 'grid', o.grid ?? 32, 3);
  const S = checkInt(who, 'samples', o.samples ?? 4);
  const T = checkInt(who, 'snapshots', o.snapshots ?? 100);
  const dt = checkReal(who, 'dt', o.dt ?? 0.01, (x) => x > 0, 'a positive number');
  const c = checkReal(who, 'c', o.c ?? 1);
  const nu = checkReal(who, 'nu', o.nu ?? 0.005, (x) => x >= 0, 'a number ≥ 0');
  const m = checkInt(who, 'observed', o.observed ?? 64);
  const noise = checkReal(who, 'noise', o.noise ?? 0.01, (x) => x >= 0, 'a number ≥ 0');
  const K = checkInt(who, 'modes', o.modes ?? 3);
  const seed = o.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw new fg.ArgumentError(`${who}: seed must be an integer, got ${String(seed)}`);
  const rng = new Rng(seed);
  const h = 1 / N;
  const rhs = (_t: number, u: number[]) => u.map((_, i) => {
    const l = u[(i + N - 1) % N]!;
    const r = u[(i + 1) % N]!;
    return (-c * (r - l)) / (2 * h) + (nu * (r - 2 * u[i]! + l)) / (h * h);
  });
  const substeps = Math.max(1, Math.ceil(dt / (0.2 * Math.min(h / Math.max(Math.abs(c), 1e-12), (h * h) / Math.max(nu, 1e-12)))));
  const C = rng.normals(m * N, 1 / Math.sqrt(N));
  const fields = new Float64Array(S * T * N);
  const observations = new Float64Array(S * T * m);
  for (let s = 0; s < S; s++) {
    const a = rng.normals(K);
    const b = rng.normals(K);
    const u0 = Array.from({ length: N }, (_, i) => a.reduce((acc, ak, k) => acc + (ak * Math.cos(2 * Math.PI * (k + 1) * i * h) + b[k]! * Math.sin(2 * Math.PI * (k + 1) * i * h)) / (k + 1), 0));
    const us = rk4(rhs, u0, dt, T - 1, substeps);
    us.forEach((u, t) => {
      fields.set(u, (s * T + t) * N);
      for (let j = 0; j < m; j++) {
        let y = 0;
        for (let i = 0; i < N; i++) y += C[j * N + i]! * u[i]!;
        observations[(s * T + t) * m + j] = y + noise * rng.normal();
      }
    });
  }
  return { grid: N, observed: m, samples: S, snapshots: T, dt, fields, observations, map: C };
}
