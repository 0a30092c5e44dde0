// The particle kernel map: a smooth surrogate of the stiffness max|λ| − min|λ| of weight
// matrices, from exact values at nearby matrices (particles), and the active time scale of a
// trajectory as the reference rate.
import * as fg from '../index.js';
import { positive, positiveInt, tensorArg } from './options.js';
import { descendingRanks, takeByRank } from './qr.js';

/** Matrices M_p [..., P, d, d] with their exact measure S(M_p) [..., P] (constants: no gradient flows into them). */
export interface Particles {
  readonly points: fg.Tensor | null;
  readonly values: fg.Tensor | null;
}

export interface KernelStiffnessOptions {
  /**
   * kernel width γ in exp(−‖W − M_p‖²/γ²); default 'auto': γ² = the mean of ‖W − M_p‖² over the
   * particles (per matrix; differentiated like the rest)
   */
  gamma?: number | 'auto';
  /**
   * true (default): the Nadaraya–Watson estimate Σ_p S_p k_p / Σ_p k_p, a weighted mean of the
   * particle values, so it is a surrogate of S itself whatever the number and spacing of the
   * particles; false: the raw sum Σ_p S_p k_p (a kernel map whose scale depends on both)
   */
  normalize?: boolean;
}

const KS_KEYS = fg.optionKeys<KernelStiffnessOptions>({ gamma: true, normalize: true });
const shape = (t: fg.Tensor) => `[${t.shape.join(', ')}]`;

/** ‖W − M_p‖²_F for W [..., d, d] and particles [..., P, d, d]: [..., P]. */
function squaredDistances(W: fg.Tensor, points: fg.Tensor): fg.Tensor {
  const d = W.shape[W.rank - 1]!;
  const diff = fg.sub(fg.reshape(W, [...W.shape.slice(0, -2), 1, d, d]), points);
  return fg.sum(fg.square(diff), [-2, -1]);
}

/**
 * The particle kernel map S(W) ≈ Σ_p S(M_p)·exp(−‖W − M_p‖²/γ²), normalized by Σ_p exp(…) by
 * default (see KernelStiffnessOptions.normalize): one value per matrix of W [..., d, d], shape
 * [...]. Differentiable in W through the kernel weights only: the gradient
 * Σ_p w_p (S_p − Ŝ)·2(M_p − W)/γ² needs no eigenvector and no derivative of the eigen-solver,
 * and it exists where S itself has none (repeated or zero eigenvalues). It is a smoothed
 * gradient: with particles spread isotropically around W it points along ∇S, shortened by
 * about 2σ²/γ² (σ the particles' spread per entry).
 */
export function kernelStiffness(W: fg.Tensor, particles: Particles, opts: KernelStiffnessOptions = {}): fg.Tensor {
  const who = 'kernelStiffness';
  tensorArg(who, 'W', W, 2);
  fg.checkOptions(who, opts, KS_KEYS);
  const d = W.shape[W.rank - 1]!;
  if (W.shape[W.rank - 2] !== d) throw new fg.ShapeError(`${who}: W has shape ${shape(W)}, expected square matrices [..., d, d]`);
  if (particles != null && typeof particles !== 'object') throw new fg.ArgumentError(`${who}: particles must be a particle set (fg.analysis.kernelParticles(…)) or { points, values }, got ${typeof particles}`);
  const { points, values } = particles ?? {};
  for (const [name, t] of [['points', points], ['values', values]] as const) {
    if (t !== null && t !== undefined && !(t instanceof fg.Tensor)) throw new fg.ArgumentError(`${who}: particles.${name} must be a Tensor, got ${typeof t}`);
  }
  if (!points || !values || points.shape[points.rank - 3] === 0) {
    throw new fg.ArgumentError(`${who}: the particle set is empty; fill it first (particles.refresh(W), or pass { points [..., P, d, d], values [..., P] } with P ≥ 1)`);
  }
  const batch = W.shape.slice(0, -2);
  const want = [...batch, points.shape[points.rank - 3]!, d, d];
  if (points.shape.join() !== want.join() || values.shape.join() !== want.slice(0, -2).join()) {
    throw new fg.ShapeError(`${who}: particles { points ${shape(points)}, values ${shape(values)} } do not fit W ${shape(W)}: expected points [${want.join(', ')}] and values [${want.slice(0, -2).join(', ')}]`);
  }
  const gamma = opts.gamma ?? 'auto';
  if (gamma !== 'auto') positive(who, 'gamma', gamma);
  const normalize = opts.normalize ?? true;
  const M = fg.stopGradient(points);
  const S = fg.stopGradient(values);
  const d2 = squaredDistances(W, M);
  const g2 = gamma === 'auto' ? fg.mean(d2, -1, true) : gamma * gamma;
  const logits = fg.neg(fg.div(d2, g2));
  if (normalize) return fg.sum(fg.mul(fg.softmax(logits, -1), S), -1); // softmax: the shift by the nearest particle cancels, no underflow
  return fg.sum(fg.mul(fg.exp(logits), S), -1);
}

export interface KernelParticleOptions {
  /** particles kept per matrix (default 16) */
  size?: number;
  /** new particles sampled around W at each refresh (default size/2) */
  fresh?: number;
  /** standard deviation of the new particles' entries around W (default 0.05) */
  spread?: number;
  /** the exact measure of a batch of matrices [..., d, d] → [...] (default fg.linalg.stiffness: max|λ| − min|λ|) */
  measure?: (M: fg.Tensor) => fg.Tensor;
  seed?: number;
}

const KP_KEYS = fg.optionKeys<KernelParticleOptions>({ size: true, fresh: true, spread: true, measure: true, seed: true });

/** A particle set that follows W: each refresh adds fresh samples around it and keeps the nearest. */
export interface KernelParticles extends Particles {
  /** refreshes the set at the current W [..., d, d] (read as a constant) and returns it; nothing is read back */
  refresh(W: fg.Tensor): KernelParticles;
  /** refreshes so far */
  readonly refreshes: number;
  dispose(): void;
}

/**
 * A particle set for kernelStiffness, refreshed every optimization step with nearest
 * neighbours of the current W: `fresh` samples W + spread·ξ get their exact measure (the
 * eigenvalues only: no eigenvectors, no backward pass), join the set, and the `size` particles
 * nearest to W stay. The tensors outlive tidy() scopes (train's step runs in one) until dispose().
 */
export function kernelParticles(opts: KernelParticleOptions = {}): KernelParticles {
  const who = 'kernelParticles';
  fg.checkOptions(who, opts, KP_KEYS);
  const size = positiveInt(who, 'size', opts.size ?? 16);
  const fresh = positiveInt(who, 'fresh', opts.fresh ?? Math.max(1, Math.floor(size / 2)));
  const spread = positive(who, 'spread', opts.spread ?? 0.05);
  const measure = opts.measure ?? fg.linalg.stiffness;
  if (typeof measure !== 'function') throw new fg.ArgumentError(`${who}: measure must be a function (matrices [..., d, d]) => values [...]`);
  const seed = opts.seed ?? 0;
  if (!Number.isInteger(seed)) throw new fg.ArgumentError(`${who}: seed must be an integer, got ${String(seed)}`);
  let points: fg.Tensor | null = null;
  let values: fg.Tensor | null = null;
  let refreshes = 0;
  const set: KernelParticles = {
    get points() { return points; },
    get values() { return values; },
    get refreshes() { return refreshes; },
    refresh(Wt: fg.Tensor) {
      tensorArg('kernelParticles.refresh', 'W', Wt, 2);
      const d = Wt.shape[Wt.rank - 1]!;
      if (Wt.shape[Wt.rank - 2] !== d) throw new fg.ShapeError(`kernelParticles.refresh: W has shape ${shape(Wt)}, expected square matrices [..., d, d]`);
      const batch = Wt.shape.slice(0, -2);
      if (points && points.shape.slice(0, -3).join() !== batch.join()) {
        throw new fg.ShapeError(`kernelParticles.refresh: W has shape ${shape(Wt)} but the set holds particles for matrices [${[...points.shape.slice(0, -3), d, d].join(', ')}]`);
      }
      const next = fg.tidy(() => {
        const W = fg.stopGradient(Wt);
        const noise = fg.randn([...batch, fresh, d, d], { seed: fg.models.subSeed(seed, refreshes) });
        const newPoints = fg.add(fg.reshape(W, [...batch, 1, d, d]), fg.mul(noise, spread));
        const newValues = measure(newPoints);
        if (!(newValues instanceof fg.Tensor) || newValues.shape.join() !== [...batch, fresh].join()) {
          throw new fg.ShapeError(`${who}: measure must map matrices [${newPoints.shape.join(', ')}] to values [${[...batch, fresh].join(', ')}]`);
        }
        const allP = points ? fg.concat([points, newPoints], -3) : newPoints;
        const allV = values ? fg.concat([values, newValues], -1) : newValues;
        const n = allP.shape[allP.rank - 3]!;
        if (n <= size) return { p: allP, v: allV };
        const rank = descendingRanks(fg.neg(squaredDistances(W, allP))); // 0 = nearest
        const flat = fg.reshape(allP, [...batch, n, d * d]);
        const p = fg.reshape(takeByRank(flat, rank, size), [...batch, size, d, d]);
        const v = fg.reshape(takeByRank(fg.reshape(allV, [...batch, n, 1]), rank, size), [...batch, size]);
        return { p, v };
      });
      points?.dispose();
      values?.dispose();
      points = fg.keep(next.p);
      values = fg.keep(next.v);
      refreshes++;
      return set;
    },
    dispose() {
      points?.dispose();
      values?.dispose();
      points = values = null;
    },
  };
  return set;
}

/**
 * The active rate of a trajectory x_0 … x_N (states [N + 1, ...], step dt): the mean over steps
 * and examples of ‖x_{n+1} − x_n‖/(dt·‖x_n‖), the rate 1/τ at which the states actually move —
 * a reference for the stiffness in place of min|λ| (the slowest mode, which the trajectory may
 * never excite): max|λ| − rate. A scalar tensor, differentiable in the states (so a penalty
 * max|λ| − rate also rewards trajectories that use the fast modes).
 */
export interface ActiveTimeScaleOptions {
  /** the step between states */
  dt: number;
}

const ATS_KEYS = fg.optionKeys<ActiveTimeScaleOptions>({ dt: true });

export function activeTimeScale(states: fg.Tensor | readonly fg.Tensor[], opts: ActiveTimeScaleOptions): fg.Tensor {
  const who = 'activeTimeScale';
  if (Array.isArray(states)) states.forEach((s, i) => tensorArg(who, `states[${i}]`, s));
  const x = Array.isArray(states) ? fg.stack(states as fg.Tensor[]) : (states as fg.Tensor);
  tensorArg(who, 'states', x, 2);
  fg.checkOptions(who, opts, ATS_KEYS);
  const dt = positive(who, 'dt', opts?.dt);
  const N = x.shape[0]! - 1;
  if (N < 1) throw new fg.ShapeError(`${who}: states has shape ${shape(x)}: a trajectory needs at least two states`);
  const a = fg.slice(x, [0], [N], [0]);
  const b = fg.slice(x, [1], [N + 1], [0]);
  return fg.mean(fg.div(fg.norm(fg.sub(b, a), -1), fg.mul(fg.norm(a, -1), dt)));
}
