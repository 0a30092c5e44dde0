import { checkOptions, describe, finiteNumber, oneOf, optionKeys, positiveInt, seedOf } from '../engine/options.js';
import type { Backend, BackendName } from '../engine/backend.js';
import { backendNamed, withBackend } from '../engine/context.js';
import { fromValues, toBackend } from '../engine/creation.js';
import { ArgumentError, StateError } from '../engine/errors.js';
import { tidy } from '../engine/scope.js';
import { normalArray } from '../engine/random.js';
import { Tensor } from '../engine/tensor.js';
import { mul } from './ops/arith.js';
import { sum } from './ops/reduce.js';
import { grad } from './transforms.js';

export interface GradcheckOptions {
  /** backend to run f on (default 'cpu': float64, where the check is tight) */
  backend?: BackendName;
  /** finite-difference step relative to the input scale (default: ε^(1/3) of the dtype) */
  eps?: number;
  atol?: number;
  rtol?: number;
  /** check at most this many elements per input (chosen evenly), default 256 */
  maxElements?: number;
  /** seed of the random cotangent used when f's output is not a scalar */
  seed?: number;
}

export interface InputReport {
  input: number;
  shape: number[];
  /** finite-difference step and the tolerances used: pass when |analytic − numeric| ≤ atol + rtol·|numeric| */
  eps: number;
  atol: number;
  rtol: number;
  maxAbsError: number;
  maxRelError: number;
  /** flat index of the worst element */
  worstIndex: number;
  analytic: number;
  numeric: number;
  checked: number;
  /** elements skipped because f has a kink or jump within ±eps of them (see gradcheck) */
  kinks: number;
  pass: boolean;
}

export interface GradcheckReport {
  pass: boolean;
  backend: BackendName;
  dtype: string;
  /** how step and tolerances were chosen */
  method: string;
  inputs: InputReport[];
}

const EPS = { float64: 2.220446049250313e-16, float32: 1.1920929e-7 };

/**
 * Compares reverse-mode gradients of f with central differences, per input. A non-scalar
 * output is contracted with a fixed random cotangent v (checking vᵀJ). Never throws on a
 * mismatch: the report says pass or fail.
 */
const GRADCHECK_KEYS = optionKeys<GradcheckOptions>({ backend: true, eps: true, atol: true, rtol: true, maxElements: true, seed: true });

export async function gradcheck(f: (...xs: Tensor[]) => Tensor, inputs: Tensor[], opts: GradcheckOptions = {}): Promise<GradcheckReport> {
  if (typeof f !== 'function') throw new ArgumentError(`gradcheck: f must be a function of the inputs, got ${describe(f)}`);
  checkOptions('gradcheck', opts, GRADCHECK_KEYS);
  oneOf('gradcheck', 'backend', opts.backend, ['cpu', 'webgpu']);
  finiteNumber('gradcheck', 'eps', opts.eps, (x) => x > 0, 'a positive finite number');
  finiteNumber('gradcheck', 'atol', opts.atol, (x) => x >= 0, 'a non-negative finite number');
  finiteNumber('gradcheck', 'rtol', opts.rtol, (x) => x >= 0, 'a non-negative finite number');
  positiveInt('gradcheck', 'maxElements', opts.maxElements);
  seedOf('gradcheck', opts.seed);
  if (!Array.isArray(inputs) || !inputs.every((x) => x instanceof Tensor)) {
    throw new ArgumentError('gradcheck: inputs must be an array of tensors');
  }
  let backend: Backend = backendNamed(opts.backend ?? 'cpu');
  let note = '';
  let xs = await Promise.all(inputs.map((x) => toBackend(x, backend)));
  const run = (ts: Tensor[]) => withBackend(backend, () => f(...ts));

  // contract a non-scalar output with a fixed random cotangent
  let probe: Tensor;
  try {
    probe = tidy(() => run(xs));
  } catch (err) {
    // f closes over tensors of the inputs' backend, which cannot move to the CPU behind its back
    const home = inputs[0]?.backend;
    if (opts.backend || !(err instanceof StateError) || !home || home === backend || !/is on the/.test(err.message)) throw err;
    xs.forEach((x, i) => x !== inputs[i] && x.dispose());
    backend = home;
    xs = inputs;
    note = `; f uses tensors on ${home.name}, so the check ran there (pass backend: 'cpu' with CPU tensors for a float64 check)`;
    probe = tidy(() => run(xs));
  }
  const values = await Promise.all(xs.map(async (x) => Float64Array.from(await x.data())));
  const v = probe.size === 1 ? null : fromValues(normalArray(probe.size, opts.seed ?? 7), probe.shape, backend);
  probe.dispose();
  const scalar = (...ts: Tensor[]) => (v ? sum(mul(run(ts), v)) : sum(run(ts)));

  const eval0 = await tidy(() => scalar(...xs)).item();
  const dtypeEps = EPS[backend.dtype];
  const fScale = Math.max(1, Math.abs(eval0));
  const method =
    (opts.eps
      ? 'step and tolerances as given'
      : `step h = ε^(1/3)·max(1, max|x|) with ε = ${dtypeEps.toExponential(2)} (${backend.dtype}); atol = 100·ε·S/h + 10·h²·S with S = max(1, |f|) (round-off plus truncation of central differences); rtol = ${backend.dtype === 'float64' ? '1e-6' : '1e-2'}`) + note;

  const grads = tidy(() => grad(scalar, { argnums: xs.map((_, i) => i) })(...xs)) as Tensor[];
  const reports: InputReport[] = [];
  for (let k = 0; k < xs.length; k++) {
    const analytic = await grads[k]!.data();
    const x = values[k]!;
    const scale = Math.max(1, ...Array.from(x, Math.abs));
    const h = opts.eps ?? Math.cbrt(dtypeEps) * scale;
    const atol = opts.atol ?? 100 * dtypeEps * fScale / h + 10 * h * h * fScale;
    const rtol = opts.rtol ?? (backend.dtype === 'float64' ? 1e-6 : 1e-2);
    const maxEl = opts.maxElements ?? 256;
    const stride = Math.max(1, Math.ceil(x.length / maxEl));
    const rep: InputReport = { input: k, shape: [...xs[k]!.shape], eps: h, atol, rtol, maxAbsError: 0, maxRelError: 0, worstIndex: -1, analytic: NaN, numeric: NaN, checked: 0, kinks: 0, pass: true };
    let worst = -1;
    for (let j = 0; j < x.length; j += stride) {
      const at = async (delta: number) => {
        const p = x.slice();
        p[j]! += delta;
        const xp = fromValues(p, xs[k]!.shape, backend);
        const args = xs.map((t, i) => (i === k ? xp : t));
        const val = await tidy(() => scalar(...args)).item();
        xp.dispose();
        return val;
      };
      const [up, down] = [await at(h), await at(-h)];
      const numeric = (up - down) / (2 * h);
      const a = analytic[j]!;
      const abs = Math.abs(a - numeric);
      // A kink or jump within ±h (relu, clip, max at a near-tie) makes the central difference
      // meaningless there: the one-sided differences disagree and the analytic value lies
      // between them. Such elements are counted, not judged.
      const [fwd, bwd] = [(up - eval0) / h, (eval0 - down) / h];
      const slack = atol + rtol * Math.max(Math.abs(fwd), Math.abs(bwd));
      if (abs > atol + rtol * Math.abs(numeric) && Math.abs(fwd - bwd) > 2 * slack && a >= Math.min(fwd, bwd) - slack && a <= Math.max(fwd, bwd) + slack) {
        rep.kinks++;
        continue;
      }
      const rel = abs / Math.max(Math.abs(a), Math.abs(numeric), atol);
      const bound = atol + rtol * Math.abs(numeric);
      if (!(abs <= bound)) rep.pass = false;
      if (!(abs / bound <= worst)) {
        worst = abs / bound;
        Object.assign(rep, { worstIndex: j, analytic: a, numeric });
      }
      rep.maxAbsError = Math.max(rep.maxAbsError, abs);
      rep.maxRelError = Math.max(rep.maxRelError, rel);
      rep.checked++;
    }
    reports.push(rep);
  }
  for (const g of grads) g.dispose();
  v?.dispose();
  xs.forEach((x, i) => x !== inputs[i] && x.dispose());
  return { pass: reports.every((r) => r.pass), backend: backend.name, dtype: backend.dtype, method, inputs: reports };
}
