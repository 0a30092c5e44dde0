import * as fg from '../../index.js';
import { checkInt, checkReal } from '../model.js';
import { Rng } from '../random.js';
import { makeDataset, type Dataset } from './dataset.js';
import { rk4 } from './rk4.js';

export interface TrajectoryOptions {
  /** number of trajectories (samples) */
  n?: number;
  seed?: number;
  /** sample times 0, dt, …, steps·dt */
  steps?: number;
  dt?: number;
  /**
   * 'trajectory' (default): x = initial state [2], y = states at every sample time [steps + 1, 2];
   * 'final': x = initial state, y = state at the last time [2];
   * 'sequence': x = states at all but the last time [steps, 2], y = the last state [2]
   */
  format?: 'trajectory' | 'final' | 'sequence';
  /** initial positions and velocities uniform in [−range, range] (default 1) */
  range?: number;
}

function trajectories(name: string, f: (t: number, y: number[]) => number[], o: TrajectoryOptions): Dataset {
  const n = checkInt(name, 'n', o.n ?? 128);
  const steps = checkInt(name, 'steps', o.steps ?? 20);
  const dt = checkReal(name, 'dt', o.dt ?? 0.1, (v) => v > 0, 'a positive number');
  const range = checkReal(name, 'range', o.range ?? 1, (v) => v > 0, 'a positive number');
  const format = o.format ?? 'trajectory';
  if (!['trajectory', 'final', 'sequence'].includes(format)) throw new fg.ArgumentError(`${name}: format must be 'trajectory', 'final' or 'sequence', got ${JSON.stringify(format)}`);
  const rng = new Rng(o.seed ?? 0);
  const ts = Array.from({ length: steps + 1 }, (_, k) => k * dt);
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < n; i++) {
    const y0 = [rng.uniform(-range, range), rng.uniform(-range, range)];
    // 8 RK4 substeps per sample interval: error ~ (dt/8)⁴, far below float32 resolution for dt ≤ 0.1
    const path = rk4(f, y0, dt, steps, 8);
    if (format === 'sequence') {
      xs.push(...path.slice(0, steps).flat());
      ys.push(...path[steps]!);
    } else {
      xs.push(...y0);
      ys.push(...(format === 'final' ? path[steps]! : path.flat()));
    }
  }
  const xShape = format === 'sequence' ? [steps, 2] : [2];
  const yShape = format === 'trajectory' ? [steps + 1, 2] : [2];
  return makeDataset({ name, task: 'regression', n, x: Float64Array.from(xs), xShape, y: Float64Array.from(ys), yShape, ts });
}

const DAMPED_OSCILLATOR_KEYS = fg.optionKeys<NonNullable<Parameters<typeof dampedOscillator>[0]>>({ n: true, seed: true, steps: true, dt: true, format: true, range: true, omega: true, zeta: true });

/** Damped harmonic oscillator q'' + 2ζω·q' + ω²q = 0 as the first-order system (q, p = q'). */
export function dampedOscillator(o: TrajectoryOptions & { omega?: number; zeta?: number } = {}): Dataset {
  o = fg.checkOptions('dampedOscillator', o, DAMPED_OSCILLATOR_KEYS) as typeof o;
  const w = checkReal('dampedOscillator', 'omega', o.omega ?? 2, (v) => v > 0, 'a positive number');
  const z = checkReal('dampedOscillator', 'zeta', o.zeta ?? 0.1, (v) => v >= 0, 'a non-negative number');
  return trajectories('dampedOscillator', (_t, [q, p]) => [p!, -2 * z * w * p! - w * w * q!], o);
}

const PENDULUM_KEYS = fg.optionKeys<NonNullable<Parameters<typeof pendulum>[0]>>({ n: true, seed: true, steps: true, dt: true, format: true, range: true, gOverL: true, damping: true });

/** Pendulum θ'' = −(g/l)·sin θ − damping·θ' as the first-order system (θ, ω). */
export function pendulum(o: TrajectoryOptions & { gOverL?: number; damping?: number } = {}): Dataset {
  o = fg.checkOptions('pendulum', o, PENDULUM_KEYS) as typeof o;
  const g = checkReal('pendulum', 'gOverL', o.gOverL ?? 9.81, (v) => v > 0, 'a positive number');
  const c = checkReal('pendulum', 'damping', o.damping ?? 0, (v) => v >= 0, 'a non-negative number');
  return trajectories('pendulum', (_t, [th, om]) => [om!, -g * Math.sin(th!) - c * om!], o);
}
