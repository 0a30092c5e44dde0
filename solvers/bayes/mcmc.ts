import { checkOptions, finiteNumber, nonNegativeInt, positiveInt, seedOf } from '../../engine/options.js';
// Markov chain Monte Carlo over parameter trees, many chains as one batch: every leaf of the
// state has a leading chain axis, the log density and its gradient run once per step for all
// chains (vmap of the one-chain function), and each chain accepts or rejects by `where` on the
// device. Only the initial check and the final results are read back.
import { abs, add, div, exp, greater, isFinite, mean, minimum, mul, reshape, sqrt, square, stack, sub, sum, where } from '../../autodiff/ops/index.js';
import { valueAndGrad } from '../../autodiff/transforms.js';
import { vmap } from '../../autodiff/vmap.js';
import { jit } from '../../autodiff/jit/jit.js';
import { withNonFiniteTolerated } from '../ode/checks.js';
import { flatten } from '../../autodiff/tree.js';
import { fromValues } from '../../engine/creation.js';
import { ArgumentError, NumericalError, ShapeError, fmtShape } from '../../engine/errors.js';
import { normalArray, uniformArray } from '../../engine/random.js';
import { tidy } from '../../engine/scope.js';
import { Tensor } from '../../engine/tensor.js';
import { leavesOf } from '../optim/tree.js';
import { dualAveragingStart, dualAveragingUpdate, metricCollectStart, metricWindowEnds, welfordUpdate, welfordVariance, type DualAveraging, type Welford } from './adapt.js';
import { subSeed } from './options.js';
import { nutsTransition, type NutsContext } from './nuts.js';

export type McmcMethod = 'rwm' | 'mala' | 'hmc' | 'nuts';

export interface McmcOptions {
  /** 'hmc' (default): leapfrog with `steps` steps; 'nuts': multinomial NUTS (max tree depth 10); 'mala': one leapfrog step (Langevin); 'rwm': Gaussian random walk */
  method?: McmcMethod;
  /** number of chains; the leading axis of every leaf of init (default: that axis' size) */
  chains?: number;
  /** warm-up iterations (step size and diagonal metric adapted, draws discarded), default 500 */
  warmup?: number;
  /** draws kept per chain, default 1000 */
  samples?: number;
  /** seed of every random number the run draws (default 0) */
  seed?: number;
  /** a fixed step size (no step-size adaptation); default: adapted by dual averaging */
  stepSize?: number;
  /** leapfrog steps per HMC iteration (default 10) */
  steps?: number;
  /** mean acceptance the step size is adapted to (default 0.8 HMC, 0.574 MALA, 0.234 RWM) */
  targetAccept?: number;
}

export interface McmcResult<P> {
  /** the draws: the tree of init, each leaf [chains, samples, ...] */
  samples: P;
  /** log density of every draw, [chains, samples] */
  logDensity: Tensor;
  /** per chain: mean acceptance probability min(1, e^(−ΔH)) over the kept iterations */
  acceptRate: number[];
  /** per chain: kept iterations whose energy error exceeded 1000 or was not finite */
  divergences: number[];
  /** the step size of the kept draws (one for all chains; jittered ±20% per HMC iteration) */
  stepSize: number;
  /** per chain: log-density evaluations made (each with its gradient except for rwm), warm-up included; NUTS counts the steps of the batch (the longest chain's) */
  evaluations: number;
}

const KNOWN = ['method', 'chains', 'warmup', 'samples', 'seed', 'stepSize', 'steps', 'targetAccept'];
const TARGET: Record<string, number> = { hmc: 0.8, nuts: 0.8, mala: 0.574, rwm: 0.234 };
const DIVERGENCE = 1000;
const MAX_TREE_DEPTH = 10;
const SYNC_EVERY = 8;
/** an adapted step size below this (in the metric's units, where O(1) is usual) means adaptation failed */
const MIN_STEP = 1e-12;

interface ChainState {
  x: Tensor[];
  logp: Tensor;
  g: Tensor[];
}

/** a [chains] tensor shaped to broadcast against a leaf [chains, ...] (a scalar broadcasts as it is) */
const col = (v: Tensor, like: Tensor) => (v.rank === 0 || like.rank === 1 ? v : reshape(v, [v.shape[0]!, ...like.shape.slice(1).map(() => 1)]));
/** Σ over every axis but the chain axis */
const perChain = (t: Tensor) => (t.rank === 1 ? t : sum(t, t.shape.slice(1).map((_, i) => i + 1)));
/** 1 where x is NaN or ±∞ (x − x is NaN there), else 0 */
const nonFinite = (x: Tensor) => sub(1, isFinite(x));

/** Disposes the tensors of `old` that are not in `next` nor in `keep`. */
function release(old: unknown, next: unknown, keep?: Set<Tensor>) {
  const live = new Set(flatten(next).leaves);
  for (const t of flatten(old).leaves) if (!live.has(t) && !keep?.has(t) && !t.isDisposed) t.dispose();
}

/**
 * Samples the density exp(logDensity(params)) with `chains` chains run as one batch.
 * logDensity maps ONE parameter tree (no chain axis) to a scalar tensor; init is that tree with a
 * leading chain axis on every leaf. Warm-up adapts one step size for all chains by dual averaging
 * of their mean acceptance (Stan's constants), and one diagonal inverse metric, the chains' mean
 * within-chain variance from Stan's windowed estimates
 * (initial buffer 75, doubling windows from 25, terminal buffer 50; scaled down to
 * 15%/75%/10% for short warm-ups). Seeded: the same call gives the same draws.
 */
export async function mcmc<P>(logDensity: (params: P) => Tensor, init: P, options?: McmcOptions): Promise<McmcResult<P>> {
  const who = 'bayes.mcmc';
  const o = checkOptions(who, options, KNOWN) as McmcOptions;
  if (typeof logDensity !== 'function') throw new ArgumentError(`${who}: logDensity must be a function of a parameter tree, got ${typeof logDensity}`);
  const method = o.method ?? 'hmc';
  if (!(method in TARGET)) throw new ArgumentError(`${who}: method must be one of 'rwm', 'mala', 'hmc', 'nuts', got ${JSON.stringify(method)}`);
  const warmup = nonNegativeInt(who, 'warmup', o.warmup) ?? 500;
  const nSamples = positiveInt(who, 'samples', o.samples) ?? 1000;
  const seed = seedOf(who, o.seed) ?? 0;
  const fixedStep = finiteNumber(who, 'stepSize', o.stepSize, (x) => x > 0, 'a positive finite number');
  if (o.steps !== undefined && method !== 'hmc') throw new ArgumentError(`${who}: steps applies to method 'hmc' only (mala takes one leapfrog step, rwm none)`);
  const steps = method === 'hmc' ? (positiveInt(who, 'steps', o.steps) ?? 10) : method === 'rwm' ? 0 : 1;
  const target = o.targetAccept === undefined ? TARGET[method]! : o.targetAccept;
  if (typeof target !== 'number' || !(target > 0 && target < 1)) throw new ArgumentError(`${who}: targetAccept must be in (0, 1), got ${String(target)}`);

  const leaves = leavesOf(init, who, 'init');
  const x0 = leaves.tensors;
  x0.forEach((t, k) => t.assertAlive(`${who}: init.${leaves.paths[k]}`));
  const bad = x0.findIndex((t) => t.rank === 0);
  if (bad >= 0) throw new ShapeError(`${who}: init.${leaves.paths[bad]} is a scalar; every leaf of init needs a leading chain axis`);
  const chains = x0[0]!.shape[0]!;
  if (x0.some((t) => t.shape[0] !== chains)) {
    const axes = x0.map((t, k) => `${leaves.paths[k]} ${fmtShape(t.shape)}`).join(', ');
    throw new ShapeError(`${who}: the chain axes of init disagree (the leading axis of every leaf is the chain): ${axes}`);
  }
  if (o.chains !== undefined && (positiveInt(who, 'chains', o.chains) ?? chains) !== chains) {
    throw new ShapeError(`${who}: chains is ${o.chains} but the leaves of init have a leading (chain) axis of ${chains}`);
  }
  const dim = x0.reduce((s, t) => s + t.size / chains, 0);

  const one = (xs: Tensor[]) => {
    const v = logDensity(leaves.rebuild(xs));
    if (!(v instanceof Tensor) || v.rank !== 0) {
      throw new ArgumentError(`${who}: logDensity must return a scalar tensor for one parameter tree, got ${v instanceof Tensor ? `shape ${fmtShape(v.shape)}` : typeof v}`);
    }
    return v;
  };
  const withGrad = vmap((xs: Tensor[]) => valueAndGrad(one)(xs)) as (xs: Tensor[]) => [Tensor, Tensor[]];
  const valueOnly = vmap(one) as (xs: Tensor[]) => Tensor;
  // a trajectory whose state blows up is rejected (and counted as divergent): to the solvers
  // inside the log density that is no error
  const evaluate = (xs: Tensor[]): { logp: Tensor; g: Tensor[] } => withNonFiniteTolerated(() => {
    if (steps === 0) return { logp: valueOnly(xs), g: [] };
    const [logp, g] = withGrad(xs);
    return { logp, g };
  });

  // the initial point: every chain's log density and gradient must be finite
  let state: ChainState = tidy(() => ({ x: x0, ...evaluate(x0) }));
  try {
    await checkInitial(who, state, leaves.paths, chains);
  } catch (e) {
    release(state, null, new Set(x0));
    throw e;
  }

  const normals = (i: number, stream: number) => state.x.map((x, k) => fromValues(normalArray(x.size, subSeed(seed, i, 2 * k + stream)), x.shape, x.backend));
  const logUniform = (i: number) => fromValues(Array.from(uniformArray(chains, subSeed(seed, i, -1)), Math.log), [chains], x0[0]!.backend);

  /** The random numbers of iteration i: momenta (or proposal steps), step-size jitter, log-uniforms */
  const draws = (i: number) => ({
    z: normals(i, 0),
    jitter: fromValues(uniformArray(chains, subSeed(seed, i, -2), 0.8, 1.2), [chains], backend),
    logU: logUniform(i),
  });
  /**
   * One iteration for all chains from its random numbers, as one jitted plan (the same for
   * every iteration): the new state, the acceptance statistic α and the divergence flags, [chains]
   */
  const move = jit((s: ChainState, stepSize: Tensor, minv: Tensor[], z: Tensor[], jitter: Tensor, logU: Tensor) => {
    let eps = stepSize;
    let proposal: { x: Tensor[]; logp: Tensor; g: Tensor[] };
    let logAccept: Tensor;
    if (steps === 0) {
      const x = s.x.map((xi, k) => add(xi, mul(mul(col(eps, xi), sqrt(minv[k]!)), z[k]!)));
      proposal = { x, ...evaluate(x) };
      logAccept = sub(proposal.logp, s.logp);
    } else {
      const kinetic = (p: Tensor[]) => p.map((pk, k) => perChain(mul(square(pk), minv[k]!))).reduce((a, b) => add(a, b));
      // the step size jittered by ±20% per chain and iteration: a fixed trajectory length can be
      // near a period of the target (x → −x on a Gaussian), which stalls a chain
      eps = mul(eps, jitter);
      let p = z.map((zk, k) => div(zk, sqrt(minv[k]!)));
      const h0 = sub(mul(kinetic(p), 0.5), s.logp);
      let x = s.x;
      let cur = { logp: s.logp, g: s.g };
      p = p.map((pk, k) => add(pk, mul(col(eps, pk), mul(cur.g[k]!, 0.5))));
      for (let l = 0; l < steps; l++) {
        x = x.map((xk, k) => add(xk, mul(col(eps, xk), mul(minv[k]!, p[k]!))));
        cur = evaluate(x);
        const h = l === steps - 1 ? 0.5 : 1;
        p = p.map((pk, k) => add(pk, mul(col(eps, pk), mul(cur.g[k]!, h))));
      }
      proposal = { x, ...cur };
      const h1 = sub(mul(kinetic(p), 0.5), proposal.logp);
      logAccept = sub(h0, h1);
    }
    // a NaN or infinite energy error rejects (and counts as divergent)
    const safe = where(nonFinite(logAccept), -1e30, logAccept);
    const accept = greater(safe, logU);
    const next: ChainState = {
      x: s.x.map((xk, k) => where(col(accept, xk), proposal.x[k]!, xk)),
      logp: where(accept, proposal.logp, s.logp),
      g: s.g.map((gk, k) => where(col(accept, gk), proposal.g[k]!, gk)),
    };
    const alpha = exp(minimum(safe, 0));
    const divergent = greater(abs(safe), DIVERGENCE);
    return { next, alpha, divergent };
  });
  const transition = (s: ChainState, i: number, stepSize: Tensor, minv: Tensor[]) => {
    const d = draws(i);
    try {
      return move(s, stepSize, minv, d.z, d.jitter, d.logU);
    } finally {
      for (const t of [...d.z, d.jitter, d.logU]) t.dispose();
    }
  };
  let evaluations = 1;
  const nutsContext: NutsContext = { chains, seed, maxDepth: MAX_TREE_DEPTH, divergence: DIVERGENCE, evaluate, col, perChain };
  /** one iteration of the chosen method; NUTS reads back once per doubling of its trajectories */
  const iterate = async (s: ChainState, i: number, eps: Tensor, minv: Tensor[]) => {
    // on a GPU, wait for the queue now and then (one small read) so that recorded work cannot pile up
    if (i % SYNC_EVERY === SYNC_EVERY - 1 && s.logp.backend.name !== 'cpu') await s.logp.data();
    if (method !== 'nuts') {
      evaluations += Math.max(steps, 1);
      return transition(s, i, eps, minv);
    }
    const p0 = tidy(() => normals(i, 0).map((z, k) => div(z, sqrt(minv[k]!))));
    const r = await nutsTransition(nutsContext, s, p0, eps, minv, i);
    evaluations += r.steps;
    for (const t of p0) if (!flatten(r.next).leaves.includes(t)) t.dispose();
    return r;
  };

  const backend = x0[0]!.backend;
  const initialStep = fixedStep ?? (method === 'rwm' ? 2.38 / Math.sqrt(dim) : 0.1);
  // one step size and one diagonal metric for all chains, adapted from all chains' statistics
  let eps = fromValues([initialStep], [], backend);
  let minv = x0.map((t) => fromValues(new Float64Array(t.size / chains).fill(1), [1, ...t.shape.slice(1)], backend));
  const adaptStep = fixedStep === undefined && warmup > 0;
  let da: DualAveraging | null = adaptStep ? tidy(() => dualAveragingStart(eps)) : null;
  const windowEnds = new Set(metricWindowEnds(warmup));
  const collectFrom = metricCollectStart(warmup);
  const zeroWelford = (): Welford => tidy(() => ({ n: 0, mean: x0.map((t) => mul(t, 0)), m2: x0.map((t) => mul(t, 0)) }));
  let wf: Welford | null = windowEnds.size ? zeroWelford() : null;

  const userInit = new Set(x0);
  for (let i = 0; i < warmup; i++) {
    const { next, alpha, divergent } = await iterate(state, i, eps, minv);
    release(state, next, userInit);
    state = next;
    divergent.dispose();
    if (da) {
      const old = da;
      da = tidy(() => dualAveragingUpdate(old, mean(alpha), target));
      release([old.hBar, old.logEps, old.logEpsBar], [da.hBar, da.logEps, da.logEpsBar]);
      const e = tidy(() => exp(da!.logEps));
      eps.dispose();
      eps = e;
    }
    alpha.dispose();
    if (wf && i >= collectFrom) {
      const old = wf;
      wf = tidy(() => welfordUpdate(old, state.x));
      release([old.mean, old.m2], [wf.mean, wf.m2]);
      if (windowEnds.has(i)) {
        const v = tidy(() => welfordVariance(wf!).map((vk) => mean(vk, 0, true)));
        release(minv, v);
        minv = v;
        release([wf.mean, wf.m2], null);
        wf = zeroWelford();
        if (da) {
          // the metric changed: restart dual averaging from the current step size (as Stan does)
          release([da.mu, da.hBar, da.logEps, da.logEpsBar], null);
          da = tidy(() => dualAveragingStart(eps));
        }
      }
    }
  }
  if (da) {
    const e = tidy(() => exp(da!.logEpsBar));
    eps.dispose();
    eps = e;
    release([da.mu, da.hBar, da.logEps, da.logEpsBar], null);
  }
  if (wf) release([wf.mean, wf.m2], null);
  if (da) {
    const adapted = (await eps.data())[0]!;
    if (!(adapted > MIN_STEP)) {
      release([state, minv, eps], null, userInit);
      throw new NumericalError(`${who}: the step size collapsed to ${adapted} during warm-up (nearly every proposal was rejected): the log density may be discontinuous, not finite around the chains, or scaled far from 1; check it, or pass a fixed stepSize`);
    }
  }

  const kept: Tensor[][] = x0.map(() => []);
  const keptLogp: Tensor[] = [];
  const saved = new Set<Tensor>(x0);
  let acceptSum = fromValues(new Float64Array(chains), [chains], backend);
  let divergences = fromValues(new Float64Array(chains), [chains], backend);
  for (let i = warmup; i < warmup + nSamples; i++) {
    const { next, alpha, divergent } = await iterate(state, i, eps, minv);
    release(state, next, saved);
    state = next;
    state.x.forEach((x, k) => { kept[k]!.push(x); saved.add(x); });
    keptLogp.push(state.logp);
    saved.add(state.logp);
    const [a, d] = [add(acceptSum, alpha), add(divergences, divergent)];
    for (const t of [acceptSum, divergences, alpha, divergent]) t.dispose();
    [acceptSum, divergences] = [a, d];
  }
  const samples = kept.map((list) => stack(list, 1));
  const logDensityDraws = stack(keptLogp, 1);
  release([kept, keptLogp, state, minv], null, userInit);

  const [acc, divs, step] = await Promise.all([acceptSum.data(), divergences.data(), eps.data()]);
  for (const t of [acceptSum, divergences, eps]) t.dispose();
  move.clear();
  return {
    samples: leaves.rebuild(samples),
    logDensity: logDensityDraws,
    acceptRate: Array.from(acc, (v) => v / nSamples),
    divergences: Array.from(divs, Math.round),
    stepSize: step[0]!,
    evaluations,
  };
}

async function checkInitial(who: string, s: ChainState, paths: string[], chains: number) {
  const logp = await s.logp.data();
  const badChains = [...logp.keys()].filter((c) => !Number.isFinite(logp[c]!));
  if (badChains.length) {
    throw new NumericalError(`${who}: the log density is not finite at the initial point of chain${badChains.length > 1 ? 's' : ''} ${badChains.join(', ')} (value ${logp[badChains[0]!]}); start every chain inside the support`);
  }
  for (let k = 0; k < s.g.length; k++) {
    const g = await s.g[k]!.data();
    const per = g.length / chains;
    const at = g.findIndex((v) => !Number.isFinite(v));
    if (at >= 0) {
      throw new NumericalError(`${who}: the gradient of the log density is not finite at the initial point of chain ${Math.floor(at / per)}, parameter ${paths[k]} (entry ${at % per})`);
    }
  }
}

