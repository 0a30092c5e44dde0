import { checkOptions, finiteNumber, positiveInt, seedOf } from '../../engine/options.js';
// Mean-field Gaussian variational inference over a parameter tree: q(θ) = Π N(μᵢ, σᵢ²) with
// σ = softplus(ρ), the ELBO estimated with K reparameterized draws (θ = μ + σ∘ε, the K draws
// as one vmapped batch) and maximized with Adam.
import { add, log, mean, mul, neg, softplus, stack, sum } from '../../autodiff/ops/index.js';
import { valueAndGrad } from '../../autodiff/transforms.js';
import { vmap } from '../../autodiff/vmap.js';
import { fromValues } from '../../engine/creation.js';
import { ArgumentError, NumericalError, fmtShape } from '../../engine/errors.js';
import { normalArray } from '../../engine/random.js';
import { tidy } from '../../engine/scope.js';
import { Tensor } from '../../engine/tensor.js';
import { adam } from '../optim/adam.js';
import type { LearningRate, OptimizerCarry } from '../optim/optimizer.js';
import { jit } from '../../autodiff/jit/jit.js';
import { leavesOf } from '../optim/tree.js';
import { subSeed } from './options.js';

export interface ViOptions {
  /** reparameterized draws K per ELBO estimate (default 16) */
  samples?: number;
  /** Adam steps (default 1000) */
  steps?: number;
  /** Adam's learning rate, a number or a schedule (step) => number (default 0.01) */
  lr?: LearningRate;
  /** seed of the draws ε (default 0) */
  seed?: number;
  /** σ every parameter starts from (default 0.1); μ starts at init */
  initStd?: number;
  /** draw ε in pairs (ε, −ε) (default true; needs an even K): unbiased, and the μ-gradient's noise cancels where log p is quadratic */
  antithetic?: boolean;
}

export interface ViResult<P> {
  /** μ, the tree of init */
  mean: P;
  /** σ = softplus(ρ), the tree of init */
  std: P;
  /** the ELBO estimate at every step (with the entropy's constant: a lower bound of log Z) */
  elbo: number[];
}

const KNOWN = ['samples', 'steps', 'lr', 'seed', 'initStd', 'antithetic'];

/**
 * Fits q(θ) = Π N(μᵢ, softplus(ρᵢ)²) to exp(logDensity) by maximizing
 * ELBO = E_q[log p(θ)] + Σ log σᵢ + d/2·(1 + log 2π), its gradient by the reparameterization trick.
 * init is ONE parameter tree (no chain axis). Seeded: the same call gives the same fit.
 */
export async function vi<P>(logDensity: (params: P) => Tensor, init: P, options?: ViOptions): Promise<ViResult<P>> {
  const who = 'bayes.vi';
  const o = checkOptions(who, options, KNOWN) as ViOptions;
  if (typeof logDensity !== 'function') throw new ArgumentError(`${who}: logDensity must be a function of a parameter tree, got ${typeof logDensity}`);
  const K = positiveInt(who, 'samples', o.samples) ?? 16;
  const steps = positiveInt(who, 'steps', o.steps) ?? 1000;
  const seed = seedOf(who, o.seed) ?? 0;
  const initStd = finiteNumber(who, 'initStd', o.initStd, (x) => x > 0, 'a positive finite number') ?? 0.1;
  const lr = o.lr ?? 0.01;
  const antithetic = o.antithetic ?? true;
  if (typeof antithetic !== 'boolean') throw new ArgumentError(`${who}: antithetic must be true or false, got ${String(antithetic)}`);
  if (antithetic && K % 2) throw new ArgumentError(`${who}: antithetic draws come in pairs: samples must be even, got ${K} (or set antithetic: false)`);
  if (typeof lr !== 'function' && (typeof lr !== 'number' || !(lr > 0) || !Number.isFinite(lr))) {
    throw new ArgumentError(`${who}: lr must be a positive number or a schedule (step) => number, got ${String(lr)}`);
  }
  const leaves = leavesOf(init, who, 'init');
  leaves.tensors.forEach((t, k) => t.assertAlive(`${who}: init.${leaves.paths[k]}`));
  const dim = leaves.tensors.reduce((s, t) => s + t.size, 0);
  const entropyConst = 0.5 * dim * (1 + Math.log(2 * Math.PI));

  const one = (xs: Tensor[]) => {
    const v = logDensity(leaves.rebuild(xs));
    if (!(v instanceof Tensor) || v.rank !== 0) {
      throw new ArgumentError(`${who}: logDensity must return a scalar tensor for one parameter tree, got ${v instanceof Tensor ? `shape ${fmtShape(v.shape)}` : typeof v}`);
    }
    return v;
  };
  const batch = vmap(one) as (xs: Tensor[]) => Tensor;
  // −ELBO without its constant, a function of { mu, rho } for fixed draws ε (leaves [K, ...])
  const loss = (q: { mu: Tensor[]; rho: Tensor[] }, eps: Tensor[]) => {
    const sigma = q.rho.map((r) => softplus(r));
    const theta = q.mu.map((m, k) => add(m, mul(sigma[k]!, eps[k]!)));
    const entropy = sigma.map((s) => sum(log(s))).reduce((a, b) => add(a, b));
    return neg(add(mean(batch(theta)), entropy));
  };
  const lossAndGrad = valueAndGrad(loss);

  const rho0 = Math.log(Math.expm1(initStd)); // softplus⁻¹(initStd)
  let q = {
    mu: leaves.tensors.map((t) => add(t, 0)),
    rho: leaves.tensors.map((t) => fromValues(new Float64Array(t.size).fill(rho0), t.shape, t.backend)),
  };
  const opt = adam(q, { lr });
  const elboOf = (value: Tensor) => add(neg(value), entropyConst);
  type Q = typeof q;
  // with a number lr, each step is one jitted plan (loss, gradient and Adam's pure update);
  // a schedule needs the step count on the host: then Adam's own step
  const jitted = typeof lr === 'number'
    ? jit((qq: Q, carry: OptimizerCarry, eps: Tensor[]) => {
      const [value, grads] = lossAndGrad(qq, eps) as [Tensor, Q];
      const next = opt.update(qq, grads, carry);
      return { q: next.params, carry: next.carry, elbo: elboOf(value) };
    })
    : null;
  let carry = jitted ? opt.init() : null;
  const elbo: Tensor[] = [];
  try {
    for (let i = 0; i < steps; i++) {
      const eps = leaves.tensors.map((t, k) => {
        const half = antithetic ? K / 2 : K;
        const z = normalArray(half * t.size, subSeed(seed, i, k));
        const draws = antithetic ? Float64Array.from([...z, ...z.map((v) => -v)]) : z;
        return fromValues(draws, [K, ...t.shape], t.backend);
      });
      const next = jitted
        ? jitted(q, carry!, eps)
        : tidy(() => {
          const [value, grads] = lossAndGrad(q, eps) as [Tensor, Q];
          return { q: opt.step(q, grads), carry: null, elbo: elboOf(value) };
        });
      for (const t of [...q.mu, ...q.rho, ...eps]) t.dispose();
      if (carry) for (const t of [carry.t, ...Object.values(carry.slots).flat()]) t.dispose();
      q = next.q;
      carry = next.carry;
      elbo.push(next.elbo);
    }
    const values = tidy(() => stack(elbo));
    const trace = Array.from(await values.data());
    values.dispose();
    const bad = trace.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      for (const t of q.mu) t.dispose();
      throw new NumericalError(`${who}: the ELBO is not finite (${trace[bad]}) from step ${bad}; start init inside the support, or lower lr or initStd`);
    }
    const std = tidy(() => q.rho.map((r) => softplus(r)));
    return { mean: leaves.rebuild(q.mu), std: leaves.rebuild(std), elbo: trace };
  } finally {
    for (const t of elbo) t.dispose();
    for (const t of q.rho) t.dispose();
    if (carry) for (const t of [carry.t, ...Object.values(carry.slots).flat()]) t.dispose();
    jitted?.clear();
    opt.dispose();
  }
}
