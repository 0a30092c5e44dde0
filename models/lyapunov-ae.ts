// The Lyapunov-stable physics-informed autoencoder of Erichson & Muehlebach: an encoder Ψ, a
// linear latent step z_{t+1} = Ω z_t and a decoder Φ, with a prior that pushes Ω's spectrum
// inside the unit circle through the discrete Lyapunov equation Ωᵀ P Ω − P = −I.
import * as fg from '../index.js';
import { mlp, type MlpParams } from './dense.js';
import { initTensor } from './init.js';
import { checkInput, checkInt, checkParamTree, checkReal, checkShaped } from './model.js';
import { subSeed } from './random.js';
import { countParams, disposeTree } from './tree.js';

export interface LyapunovPriorOptions {
  /** width γ of ρ(p) = exp(−|p − 1|/γ) for p < 0 (default 1) */
  gamma?: number;
}

const PRIOR_KEYS = fg.optionKeys<LyapunovPriorOptions>({ gamma: true });

export interface LyapunovPrior {
  /** Σᵢ ρ(pᵢ): 0 when P is positive definite (Ω stable), positive otherwise */
  value: fg.Tensor;
  /** P with Ωᵀ P Ω − P = −I */
  P: fg.Tensor;
  /** the eigenvalues pᵢ of P, ascending */
  p: fg.Tensor;
  /** ρ(Ω) = max|λ(Ω)| (no gradient) */
  spectralRadius: fg.Tensor;
  /** the number of negative pᵢ: 0 exactly when Ω is stable (Lyapunov's theorem); a float tensor */
  unstable: fg.Tensor;
}

/**
 * The Lyapunov prior Σᵢ ρ(pᵢ), pᵢ the eigenvalues of P solving Ωᵀ P Ω − P = −I and
 * ρ(p) = exp(−|p − 1|/γ) for p < 0, else 0. Ω is stable (ρ(Ω) < 1) exactly when P is positive
 * definite, and then the prior is 0; an unstable Ω is not an error: the diagnostics report it
 * (spectralRadius ≥ 1, unstable > 0) and the prior's gradient pushes the spectrum inward —
 * just outside the unit circle P has eigenvalues near −∞, where ρ is smallest, so descent on ρ
 * carries them across. Differentiable in Ω (solveDiscreteLyapunov, eigh). Ω on the unit circle
 * itself (λᵢλⱼ = 1) makes the equation singular: solveDiscreteLyapunov reports that.
 */
export function lyapunovPrior(omega: fg.Tensor, opts: LyapunovPriorOptions = {}): LyapunovPrior {
  const who = 'lyapunovPrior';
  if (!(omega instanceof fg.Tensor)) throw new fg.ArgumentError(`${who}: omega must be a Tensor, got ${omega === null ? 'null' : typeof omega}`);
  opts = fg.checkOptions(who, opts, PRIOR_KEYS);
  const k = omega.shape[omega.rank - 1];
  if (omega.rank !== 2 || omega.shape[0] !== k) throw new fg.ShapeError(`${who}: omega has shape [${omega.shape.join(', ')}], expected a square matrix [k, k]`);
  const gamma = checkReal(who, 'gamma', opts.gamma ?? 1, (x) => x > 0, 'a positive number');
  const P = fg.linalg.solveDiscreteLyapunov(omega, fg.eye(k!));
  const p = fg.linalg.eigh(P).values;
  const neg = fg.less(p, 0);
  const rho = fg.mul(fg.exp(fg.div(fg.neg(fg.abs(fg.sub(p, 1))), gamma)), neg);
  return { value: fg.sum(rho), P, p, spectralRadius: fg.linalg.spectralRadius(fg.stopGradient(omega)), unstable: fg.sum(fg.stopGradient(neg)) };
}

export interface LyapunovAutoencoderOptions {
  /** observed dimension m */
  observed: number;
  /** latent dimension k */
  latent: number;
  /** hidden width of encoder and decoder (default 32), or each its own; 0: a linear map (Ψ(y) = yE, Φ(z) = zD) */
  hidden?: number | { encoder: number; decoder: number };
  /** seeds the encoder, the decoder and Ω's start 0.9·I + 0.1·(Glorot noise) */
  seed?: number;
}

export interface LyapunovAutoencoderParams {
  encoder: MlpParams;
  decoder: MlpParams;
  /** the latent step Ω [k, k] (column form z_{t+1} = Ω z_t) */
  omega: fg.Tensor;
}

export interface LossWeights {
  /** weight λ of the reconstruction term (default 1) */
  lambda?: number;
  /** weight κ of the Lyapunov prior (default 0: physics-agnostic) */
  kappa?: number;
  gamma?: number;
}

const AUTOENCODER_KEYS = fg.optionKeys<LyapunovAutoencoderOptions>({ observed: true, latent: true, hidden: true, seed: true });
const HIDDEN_KEYS = fg.optionKeys<Exclude<LyapunovAutoencoderOptions['hidden'], number | undefined>>({ encoder: true, decoder: true });
const WEIGHT_KEYS = fg.optionKeys<LossWeights>({ lambda: true, kappa: true, gamma: true });

/** Checks loss weights λ, κ ≥ 0 and γ > 0 (each optional). */
function checkWeights(who: string, w: LossWeights): void {
  for (const k of ['lambda', 'kappa'] as const) if (w[k] !== undefined) checkReal(who, k, w[k], (x) => x >= 0, 'a number ≥ 0');
  if (w.gamma !== undefined) checkReal(who, 'gamma', w.gamma, (x) => x > 0, 'a positive number');
}

export interface LyapunovAutoencoder {
  readonly name: string;
  readonly params: LyapunovAutoencoderParams;
  readonly parameterCount: number;
  readonly observed: number;
  readonly latent: number;
  encode(p: LyapunovAutoencoderParams, y: fg.Tensor): fg.Tensor;
  decode(p: LyapunovAutoencoderParams, z: fg.Tensor): fg.Tensor;
  /** z Ωᵀ for a batch of latent rows z [B, k] */
  step(p: LyapunovAutoencoderParams, z: fg.Tensor): fg.Tensor;
  /** Φ(Ωⁿ Ψ(y0)) for n = 0 … steps: [steps + 1, B, m] */
  predict(p: LyapunovAutoencoderParams, y0: fg.Tensor, steps: number): fg.Tensor;
  /**
   * one- and two-step prediction, λ·reconstruction and κ·prior over the windows (y_t, y_{t+1},
   * y_{t+2}), each [B, m]: { loss, prior } (the prior's diagnostics ride along)
   */
  loss(p: LyapunovAutoencoderParams, y0: fg.Tensor, y1: fg.Tensor, y2: fg.Tensor, w?: LossWeights): { loss: fg.Tensor; prior: LyapunovPrior | null };
}

export function lyapunovAutoencoder(opts: LyapunovAutoencoderOptions): LyapunovAutoencoder {
  const who = 'lyapunovAutoencoder';
  opts = fg.checkOptions(who, opts, AUTOENCODER_KEYS) as LyapunovAutoencoderOptions;
  const m = checkInt(who, 'observed', opts.observed);
  const k = checkInt(who, 'latent', opts.latent);
  if (typeof opts.hidden === 'object') fg.checkOptions(`${who}: hidden`, opts.hidden, HIDDEN_KEYS);
  const h = typeof opts.hidden === 'object' ? opts.hidden : { encoder: opts.hidden ?? 32, decoder: opts.hidden ?? 32 };
  const he = checkInt(who, 'hidden (encoder)', h.encoder, 0);
  const hd = checkInt(who, 'hidden (decoder)', h.decoder, 0);
  const seed = opts.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw new fg.ArgumentError(`${who}: seed must be an integer, got ${String(seed)}`);
  const enc = mlp({ sizes: he ? [m, he, k] : [m, k], seed: subSeed(seed, 1) });
  const dec = mlp({ sizes: hd ? [k, hd, m] : [k, m], seed: subSeed(seed, 2) });
  const omega = fg.add(fg.mul(fg.eye(k), 0.9), fg.mul(initTensor('glorotUniform', [k, k], subSeed(seed, 3)), 0.1));
  const params: LyapunovAutoencoderParams = { encoder: enc.params, decoder: dec.params, omega };
  // each method checks its parameters and its batch, so that junk is named by the method called
  const checked = (method: string, p: unknown, x: unknown, width: number, what: string) => {
    checkParamTree(`${who}.${method}`, p, params);
    checkInput(`${who}.${method}: ${what}`, x, [width]);
  };
  const encode = (p: LyapunovAutoencoderParams, y: fg.Tensor) => (checked('encode', p, y, m, 'y'), enc.apply(p.encoder, y));
  const decode = (p: LyapunovAutoencoderParams, z: fg.Tensor) => (checked('decode', p, z, k, 'z'), dec.apply(p.decoder, z));
  const step = (p: LyapunovAutoencoderParams, z: fg.Tensor) => (checked('step', p, z, k, 'z'), fg.matmul(z, p.omega, { transB: true }));
  const sq = (a: fg.Tensor, b: fg.Tensor) => fg.mean(fg.sum(fg.square(fg.sub(a, b)), -1));
  return {
    name: `lyapunov-autoencoder ${m}→${k}→${m}`,
    params, parameterCount: countParams(params), observed: m, latent: k,
    encode, decode, step,
    predict(p, y0, steps) {
      checked('predict', p, y0, m, 'y0');
      checkInt(`${who}.predict`, 'steps', steps, 0);
      const out: fg.Tensor[] = [];
      let z = encode(p, y0);
      for (let n = 0; n <= steps; n++) {
        out.push(decode(p, z));
        if (n < steps) z = step(p, z);
      }
      return fg.stack(out);
    },
    loss(p, y0, y1, y2, w = {}) {
      w = fg.checkOptions(`${who}.loss`, w, WEIGHT_KEYS);
      checkWeights(`${who}.loss`, w);
      for (const [name, y] of [['y0', y0], ['y1', y1], ['y2', y2]] as const) checked('loss', p, y, m, name);
      if (y1.shape[0] !== y0.shape[0] || y2.shape[0] !== y0.shape[0]) throw new fg.ShapeError(`${who}.loss: the windows y0, y1, y2 have batches ${y0.shape[0]}, ${y1.shape[0]}, ${y2.shape[0]}; expected equal`);
      const z0 = encode(p, y0);
      const z1 = step(p, z0);
      const z2 = step(p, z1);
      let loss = fg.add(fg.add(sq(decode(p, z1), y1), sq(decode(p, z2), y2)), fg.mul(sq(decode(p, z0), y0), w.lambda ?? 1));
      const kappa = w.kappa ?? 0;
      const prior = kappa > 0 ? lyapunovPrior(p.omega, { gamma: w.gamma }) : null;
      if (prior) loss = fg.add(loss, fg.mul(prior.value, kappa));
      return { loss, prior };
    },
  };
}

export interface AutoencoderFitOptions extends LossWeights {
  steps: number;
  lr?: number;
  /** read the loss and the prior's diagnostics back every k steps (default 25) */
  logEvery?: number;
}

const FIT_KEYS = fg.optionKeys<AutoencoderFitOptions>({ steps: true, lr: true, logEvery: true, lambda: true, kappa: true, gamma: true });

export interface AutoencoderLog {
  step: number;
  loss: number;
  /** ρ(Ω), the number of negative eigenvalues of P and the prior Σρ(pᵢ) (prior and unstable only with κ > 0) */
  spectralRadius: number;
  unstable?: number;
  prior?: number;
}

/**
 * Adam on the full set of windows (y_t, y_{t+1}, y_{t+2}) from trajectories Y [S, T, m]; returns
 * the trained parameters and a log (loss and diagnostics) every logEvery steps.
 */
export async function fitLyapunovAutoencoder(model: LyapunovAutoencoder, Y: fg.Tensor, o: AutoencoderFitOptions): Promise<{ params: LyapunovAutoencoderParams; log: AutoencoderLog[] }> {
  const who = 'fitLyapunovAutoencoder';
  checkShaped(who, 'model', model, ['params', 'observed', 'loss'], 'a model from fg.models.lyapunovAutoencoder(…)');
  if (o === undefined) throw new fg.ArgumentError(`${who}: options { steps } are required`);
  o = fg.checkOptions(who, o, FIT_KEYS) as AutoencoderFitOptions;
  checkWeights(who, o);
  if (o.lr !== undefined) checkReal(who, 'lr', o.lr, (x) => x > 0, 'a positive number');
  if (!(Y instanceof fg.Tensor) || Y.rank !== 3 || Y.shape[2] !== model.observed || Y.shape[1]! < 3) {
    throw new fg.ShapeError(`${who}: Y must be trajectories [samples, snapshots ≥ 3, ${model.observed}], got ${Y instanceof fg.Tensor ? `[${Y.shape.join(', ')}]` : typeof Y}`);
  }
  const steps = checkInt(who, 'steps', o.steps);
  const every = checkInt(who, 'logEvery', o.logEvery ?? 25);
  const weights: LossWeights = { lambda: o.lambda, kappa: o.kappa, gamma: o.gamma };
  const [S, T, m] = Y.shape as [number, number, number];
  const window = (a: number) => fg.keep(fg.reshape(fg.slice(Y, [a], [a + T - 2], [1]), [S * (T - 2), m]));
  const [y0, y1, y2] = [window(0), window(1), window(2)];
  const opt = fg.optim.adam(model.params, { lr: o.lr ?? 3e-3 });
  let params = model.params;
  const log: AutoencoderLog[] = [];
  try {
    for (let s = 1; s <= steps; s++) {
      const { value, next } = fg.tidy(() => {
        const [value, grads] = fg.valueAndGrad((p: LyapunovAutoencoderParams) => model.loss(p, y0, y1, y2, weights).loss)(params) as [fg.Tensor, LyapunovAutoencoderParams];
        return { value, next: opt.step(params, grads) };
      });
      if (s % every === 0 || s === steps) {
        // the diagnostics of the parameters this loss was taken at
        const d = fg.tidy(() => {
          const omega = fg.stopGradient(params.omega);
          if (!(o.kappa ?? 0)) return { rho: fg.linalg.spectralRadius(omega) };
          const pr = lyapunovPrior(omega, { gamma: o.gamma });
          return { rho: pr.spectralRadius, unstable: pr.unstable, prior: pr.value };
        });
        const entry: AutoencoderLog = { step: s, loss: await value.item(), spectralRadius: await d.rho.item() };
        if (d.unstable) entry.unstable = await d.unstable.item();
        if (d.prior) entry.prior = await d.prior.item();
        log.push(entry);
        for (const t of [d.rho, d.unstable, d.prior]) t?.dispose();
      }
      value.dispose();
      if (params !== model.params) disposeTree(params);
      params = next;
    }
  } finally {
    for (const t of [y0, y1, y2]) t.dispose();
  }
  return { params, log };
}
