import * as fg from '../index.js';
import type { ElmanModel, ElmanParams } from './rnn.js';
import { lineSlope } from './slope.js';

export type JacobianMode = 'jacfwd' | 'jacrev';
export type JacobianNorm = 'spectral' | 'frobenius';

export interface ElmanJacobianOptions {
  /** initial hidden state [batch, d] (default zeros) */
  h0?: fg.Tensor;
  /**
   * 'jacfwd' (default) pushes d tangents forward through the T steps; 'jacrev' pulls T·batch·d
   * cotangents back (memory (T·batch·d)², for small cases and cross-checks)
   */
  mode?: JacobianMode;
}

export interface ElmanGradientOptions extends ElmanJacobianOptions {
  /** matrix norm of each ∂h_t/∂h_0 (default 'spectral', the largest singular value) */
  norm?: JacobianNorm;
}

export interface ElmanGradientReport {
  /** ρ(W) = max|λ| of the recurrent matrix the steps use (after the model's constraint) */
  spectralRadius: number;
  /** ‖W‖₂: with |σ′| ≤ 1 (tanh, identity) ‖∂h_t/∂h_0‖₂ ≤ ‖W‖₂^t; ρ(W) ≤ ‖W‖₂, equal for normal W */
  spectralNorm: number;
  norm: JacobianNorm;
  mode: JacobianMode;
  /** T, the number of steps */
  steps: number;
  /** ‖∂h_t/∂h_0‖ for t = 0 … T (t = 0: the identity), geometric mean over the batch */
  norms: number[];
  /** ‖∂h_t/∂h_0‖ per sample: perSample[b][t], t = 0 … T */
  perSample: number[][];
  /** observed growth per step: the geometric mean of ‖J_{t+1}‖/‖J_t‖ over t = 0 … T−1, i.e. (‖J_T‖/‖J_0‖)^(1/T) */
  rate: number;
  /** exp of the least-squares slope of log ‖J_t‖ against t = 0 … T (less sensitive to the first and last steps) */
  fittedRate: number;
}

const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;

const JACOBIAN_KEYS = fg.optionKeys<ElmanJacobianOptions>({ h0: true, mode: true });
const GRADIENT_KEYS = fg.optionKeys<ElmanGradientOptions>({ h0: true, mode: true, norm: true });

function checkArgs(who: string, model: ElmanModel, params: ElmanParams, x: fg.Tensor, opts: ElmanJacobianOptions) {
  fg.checkOptions(who, opts, who === 'elmanGradientReport' ? GRADIENT_KEYS : JACOBIAN_KEYS);
  if (!model || typeof model.states !== 'function' || typeof model.recurrent !== 'function') {
    throw new fg.ArgumentError(`${who}: model must be an Elman RNN from fg.models.elman(…)`);
  }
  const { inputSize: m, hiddenSize: d } = model;
  if (!(params?.W instanceof fg.Tensor) || params.W.shape.join() !== [d, d].join()) {
    throw new fg.ShapeError(`${who}: params.W has shape ${params?.W instanceof fg.Tensor ? fmt(params.W.shape) : String(params?.W)}, expected [${d}, ${d}] (hidden size ${d})`);
  }
  if (!(x instanceof fg.Tensor) || x.rank !== 3 || x.shape[2] !== m || x.shape[1]! < 1 || x.shape[0]! < 1) {
    const got = x instanceof fg.Tensor ? fmt(x.shape) : typeof x;
    throw new fg.ShapeError(`${who}: input x has shape ${got}, expected [batch ≥ 1, steps ≥ 1, ${m}] (a batch of sequences of ${m}-vectors)`);
  }
  const B = x.shape[0]!;
  const h0 = opts.h0;
  if (h0 !== undefined && (!(h0 instanceof fg.Tensor) || h0.shape.join() !== [B, d].join())) {
    const got = h0 instanceof fg.Tensor ? fmt(h0.shape) : typeof h0;
    throw new fg.ShapeError(`${who}: h0 has shape ${got}, expected [${B}, ${d}] (x's batch ${B} by hidden size ${d})`);
  }
  const mode = opts.mode ?? 'jacfwd';
  if (mode !== 'jacfwd' && mode !== 'jacrev') throw new fg.ArgumentError(`${who}: mode must be 'jacfwd' or 'jacrev', got ${JSON.stringify(mode)}`);
  return { B, d, mode };
}

function jacobians(model: ElmanModel, params: ElmanParams, x: fg.Tensor, h0: fg.Tensor | undefined, B: number, d: number, mode: JacobianMode): fg.Tensor {
  return fg.tidy(() => {
    const start = h0 ?? fg.zeros([B, d]);
    // one perturbation u [d] shared by every sample: the samples do not interact, so
    // ∂h_t[b]/∂u = Σ_b' ∂h_t[b]/∂h_0[b'] = ∂h_t[b]/∂h_0[b], all of them from d tangents
    const g = (u: fg.Tensor) => fg.stack(model.states(params, x, fg.add(start, u)).slice(1), 0); // [T, B, d]
    const u0 = fg.zeros([d]);
    return mode === 'jacfwd' ? fg.jacfwd(g)(u0) : fg.jacrev(g)(u0);
  });
}

/**
 * ∂h_t/∂h_0 of an Elman RNN for t = 1 … T, per sample: [T, batch, d, d] with entry
 * [t − 1, b, i, j] = ∂h_t[b, i]/∂h_0[b, j], by the public autodiff (`mode`) through model.states.
 */
export function elmanStateJacobians(model: ElmanModel, params: ElmanParams, x: fg.Tensor, opts: ElmanJacobianOptions = {}): fg.Tensor {
  const { B, d, mode } = checkArgs('elmanStateJacobians', model, params, x, opts);
  return jacobians(model, params, x, opts.h0, B, d, mode);
}

/**
 * The spectral radius of the recurrent matrix (fg.linalg.spectralRadius) beside the observed
 * growth or decay of ‖∂h_t/∂h_0‖ over the sequence x, and its rate per step. For the linear
 * RNN with W = c·Q (Q orthogonal) the rate is c = ρ(W) exactly; a saturating σ (|σ′| ≤ 1, as
 * tanh) can only lower it below ‖W‖₂.
 */
export async function elmanGradientReport(model: ElmanModel, params: ElmanParams, x: fg.Tensor, opts: ElmanGradientOptions = {}): Promise<ElmanGradientReport> {
  const who = 'elmanGradientReport';
  const { B, d, mode } = checkArgs(who, model, params, x, opts);
  const norm = opts.norm ?? 'spectral';
  if (norm !== 'spectral' && norm !== 'frobenius') throw new fg.ArgumentError(`${who}: norm must be 'spectral' or 'frobenius', got ${JSON.stringify(norm)}`);
  const T = x.shape[1]!;
  const [rho, sigma, norms] = fg.tidy(() => {
    const W = model.recurrent(params);
    const J = jacobians(model, params, x, opts.h0, B, d, mode);
    const n = norm === 'spectral' ? fg.reshape(fg.slice(fg.linalg.svdvals(J), [0], [1], [-1]), [T, B]) : fg.norm(J, [2, 3]);
    const top = fg.linalg.svdvals(W);
    return [fg.linalg.spectralRadius(W), fg.slice(top, [0], [1]), n];
  });
  const [rhoV, sigmaV, normsV] = await Promise.all([rho.data(), sigma.data(), norms.data()]);
  [rho, sigma, norms].forEach((t) => t.dispose());

  const n0 = norm === 'spectral' ? 1 : Math.sqrt(d); // ‖I‖
  const perSample = Array.from({ length: B }, (_, b) => [n0, ...Array.from({ length: T }, (_, t) => normsV[t * B + b]!)]);
  const logs = Array.from({ length: T + 1 }, (_, t) => perSample.reduce((a, row) => a + Math.log(row[t]!), 0) / B);
  const rate = Math.exp((logs[T]! - logs[0]!) / T); // 0 when some Jacobian vanished exactly
  return {
    spectralRadius: rhoV[0]!,
    spectralNorm: sigmaV[0]!,
    norm,
    mode,
    steps: T,
    norms: logs.map(Math.exp),
    perSample,
    rate,
    fittedRate: Math.exp(lineSlope(logs.map((_, t) => t), logs)),
  };
}
