// Finite-time Lyapunov exponents by the QR method (Benettin et al.; Dieci & Van Vleck).
import * as fg from '../index.js';
import { perExampleJacobian } from './jacobian.js';
import { positive, positiveInt, tensorArg } from './options.js';
import { gramSchmidt, sortDescending } from './qr.js';

export type LyapunovMethod = 'euler' | 'midpoint' | 'heun' | 'rk4' | 'rk38';
const METHODS: readonly string[] = ['euler', 'midpoint', 'heun', 'rk4', 'rk38'];

export interface LyapunovOptions<P = any> {
  /** passed to f as its third argument */
  params?: P;
  /** length of the time window (the exponents are averages over it) */
  T: number;
  /** step of the fixed-step method; the window is cut into ⌈T/dt⌉ equal steps */
  dt: number;
  /** fixed-step Runge–Kutta method for the state and its tangent matrix together (default 'rk4') */
  method?: LyapunovMethod;
  /** re-orthonormalize every k steps (default 1); larger k is cheaper while e^{(λ₁−λ_n)·k·dt} stays well below 1/ε */
  qrEvery?: number;
  /** start time (default 0) */
  t0?: number;
}

const KEYS = fg.optionKeys<LyapunovOptions>({ params: true, T: true, dt: true, method: true, qrEvery: true, t0: true });

/**
 * Finite-time Lyapunov exponents of the flow of dy/dt = f(t, y, params) from y0 over [t0, t0 + T],
 * sorted descending: shape [..., n] for y0 [..., n] (leading axes are a batch of initial
 * conditions; f must act on each state of the batch independently, as it does on a batch in
 * odeint). The tangent matrix Q (starting at I) is integrated with the state, dQ/dt = J(t, y)·Q
 * with J = ∂f/∂y by forward mode, by the same Runge–Kutta stages; every qrEvery steps Q = Q̃R
 * by Gram–Schmidt and λᵢ = (1/T)·Σ log Rᵢᵢ. Their sum is (1/T)·∫ tr J dt, the volume growth.
 * Stays on the device: nothing is read back. The result is a measurement, not differentiable
 * (each interval between re-orthonormalizations runs in its own tidy scope, freeing its stages).
 */
export function lyapunovSpectrum<P = any>(f: (t: number, y: fg.Tensor, params: P) => fg.Tensor, y0: fg.Tensor, opts: LyapunovOptions<P>): fg.Tensor {
  const who = 'lyapunovSpectrum';
  if (typeof f !== 'function') throw new fg.ArgumentError(`${who}: f must be a function (t, y, params) => dy/dt`);
  tensorArg(who, 'y0', y0, 1);
  if (opts === undefined || opts === null) throw new fg.ArgumentError(`${who}: options { T, dt } are required`);
  fg.checkOptions(who, opts, KEYS);
  const T = positive(who, 'T', opts.T);
  const dt = positive(who, 'dt', opts.dt);
  if (dt >= T) throw new fg.ArgumentError(`${who}: dt = ${dt} must be smaller than T = ${T}: the exponents average log-growth over many steps`);
  const method = opts.method ?? 'rk4';
  if (!METHODS.includes(method)) throw new fg.ArgumentError(`${who}: unknown method ${JSON.stringify(method)}; use one of ${METHODS.join(', ')}`);
  const every = positiveInt(who, 'qrEvery', opts.qrEvery ?? 1);
  const t0 = opts.t0 ?? 0;
  if (typeof t0 !== 'number' || !Number.isFinite(t0)) throw new fg.ArgumentError(`${who}: t0 must be a finite number, got ${String(t0)}`);
  const n = y0.shape[y0.rank - 1]!;
  if (n === 0) throw new fg.ShapeError(`${who}: y0 has shape [${y0.shape.join(', ')}]: the state has no components`);

  const steps = Math.ceil(T / dt - 1e-9);
  const h = T / steps;
  const params = opts.params as P;
  // the state and its tangent matrix side by side: S = [y | Q], shape [..., n, 1 + n]
  const column = (y: fg.Tensor) => fg.reshape(y, [...y.shape, 1]);
  const augmented = (t: number, S: fg.Tensor, p: P) => {
    const y = fg.reshape(fg.slice(S, [0], [1], [-1]), y0.shape);
    const Q = fg.slice(S, [1], [1 + n], [-1]);
    const dy = f(t, y, p);
    if (!(dy instanceof fg.Tensor) || dy.shape.join() !== y0.shape.join()) {
      throw new fg.ShapeError(`${who}: f must return dy/dt with y's shape [${y0.shape.join(', ')}], got ${dy instanceof fg.Tensor ? `[${dy.shape.join(', ')}]` : typeof dy}`);
    }
    const J = perExampleJacobian((x) => f(t, x, p), y, 1); // [..., n, n]
    return fg.concat([column(dy), fg.matmul(J, Q)], -1);
  };

  const eye = fg.broadcastTo(fg.eye(n), [...y0.shape, n]);
  let S = fg.concat([column(fg.stopGradient(y0)), eye], -1);
  let logSum = fg.zeros([...y0.shape]);
  for (let done = 0; done < steps; done += every) {
    const k = Math.min(every, steps - done);
    const t = t0 + done * h;
    const next = fg.tidy(() => {
      const end = fg.odeint(augmented, S, [t, t + k * h], { method, steps: k, params });
      const S1 = fg.reshape(fg.slice(end, [1], [2], [0]), S.shape);
      const { q, r } = gramSchmidt(fg.slice(S1, [1], [1 + n], [-1]));
      return { S: fg.concat([fg.slice(S1, [0], [1], [-1]), q], -1), logSum: fg.add(logSum, fg.log(r)) };
    });
    S.dispose();
    logSum.dispose();
    ({ S, logSum } = next);
  }
  S.dispose();
  const out = fg.tidy(() => sortDescending(fg.div(logSum, T)));
  logSum.dispose();
  return out;
}
