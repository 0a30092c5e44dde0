// Stiff and stochastic dynamics as models: a neural SDE (drift and diffusion MLPs) fitted to
// sample paths by matching their mean and spread over time, the noisy oscillator that makes
// such paths, and a linear Neural ODE dy/dt = y·W fitted to stiff trajectories with any odeint
// method. Public API only.
import * as fg from '../index.js';
import { mlp, type MlpParams } from './dense.js';
import { checkFunction, checkInt, checkNumbers, checkParamTree, checkReal, checkShaped, checkTensor } from './model.js';

const positive = (x: number) => x > 0;
const nonNegative = (x: number) => x >= 0;
/** an optional seed: any integer */
function seedOf(who: string, v: unknown): number {
  if (v !== undefined && !Number.isSafeInteger(v)) throw new fg.ArgumentError(`${who}: seed must be an integer, got ${String(v)}`);
  return (v as number | undefined) ?? 0;
}
/** observation times: at least two finite numbers */
const timesOf = (who: string, ts: unknown) => Array.from(checkNumbers(who, 'ts', ts, 2));

/** The damped oscillator dx = v dt, dv = (−ω²x − γv) dt + σ dW (noise on the velocity). */
export interface OscillatorOptions {
  paths: number;
  /** observation times, from 0 */
  ts: number[];
  omega?: number;
  gamma?: number;
  sigma?: number;
  /** standard deviation of the observation noise */
  noise?: number;
  seed?: number;
  dt?: number;
}

const OSCILLATOR_KEYS = fg.optionKeys<OscillatorOptions>({ paths: true, ts: true, omega: true, gamma: true, sigma: true, noise: true, seed: true, dt: true });

/** Noisy observations [ts.length, paths, 2] of the oscillator from (1, 0). */
export function stochasticOscillator(o: OscillatorOptions): fg.Tensor {
  const who = 'stochasticOscillator';
  if (o === undefined) throw new fg.ArgumentError(`${who}: options { paths, ts } are required`);
  o = fg.checkOptions(who, o, OSCILLATOR_KEYS) as OscillatorOptions;
  checkInt(who, 'paths', o.paths);
  const ts = timesOf(who, o.ts);
  const [omega, gamma, sigma] = [checkReal(who, 'omega', o.omega ?? 2), checkReal(who, 'gamma', o.gamma ?? 0.3), checkReal(who, 'sigma', o.sigma ?? 0.4)];
  const noise = checkReal(who, 'noise', o.noise ?? 0.05, nonNegative, 'a number ≥ 0');
  const dt = checkReal(who, 'dt', o.dt ?? 0.01, positive, 'a positive number');
  const seed = seedOf(who, o.seed);
  const cols = (y: fg.Tensor) => [fg.slice(y, [0], [1], [-1]), fg.slice(y, [1], [2], [-1])] as const;
  const f = (_t: number, y: fg.Tensor) => {
    const [x, v] = cols(y);
    return fg.concat([v, fg.sub(fg.mul(x, -omega * omega), fg.mul(v, gamma))], -1);
  };
  const scale = fg.tensor([0, sigma]);
  const g = (_t: number, y: fg.Tensor) => fg.add(fg.mul(y, 0), scale);
  const y0 = fg.tensor(Array.from({ length: o.paths }, () => [1, 0]));
  const clean = fg.sdeint(f, g, y0, ts, { dt, seed, method: 'milstein' });
  return fg.add(clean, fg.randn(clean.shape as number[], { seed: seed + 1, std: noise }));
}

export interface NeuralSdeOptions {
  /** state dimension */
  dim: number;
  /** hidden width of the drift and diffusion MLPs */
  hidden: number;
  seed?: number;
}

const NEURAL_SDE_KEYS = fg.optionKeys<NeuralSdeOptions>({ dim: true, hidden: true, seed: true });

export interface NeuralSde {
  /** state dimension */
  dim: number;
  params: { drift: MlpParams; diffusion: MlpParams };
  /** f(t, y, params): the drift MLP */
  f: (t: number, y: fg.Tensor, p: NeuralSde['params']) => fg.Tensor;
  /** g(t, y, params): softplus of the diffusion MLP (diagonal noise, y's shape) */
  g: (t: number, y: fg.Tensor, p: NeuralSde['params']) => fg.Tensor;
}

/** Drift and diffusion MLPs on states [paths, dim]. */
export function neuralSde(o: NeuralSdeOptions): NeuralSde {
  const who = 'neuralSde';
  if (o === undefined) throw new fg.ArgumentError(`${who}: options { dim, hidden } are required`);
  o = fg.checkOptions(who, o, NEURAL_SDE_KEYS) as NeuralSdeOptions;
  const dim = checkInt(who, 'dim', o.dim);
  const hidden = checkInt(who, 'hidden', o.hidden);
  const seed = seedOf(who, o.seed);
  const drift = mlp({ sizes: [dim, hidden, hidden, dim], seed });
  const diffusion = mlp({ sizes: [dim, hidden, dim], seed: seed + 1 });
  return {
    dim,
    params: { drift: drift.params, diffusion: diffusion.params },
    f: (_t, y, p) => drift.apply(p.drift, y),
    g: (_t, y, p) => fg.softplus(fg.sub(diffusion.apply(p.diffusion, y), 2)),
  };
}

/** Mean and standard deviation over paths (axis 1) of [times, paths, dim]. */
export function pathMoments(x: fg.Tensor): { mean: fg.Tensor; std: fg.Tensor } {
  checkPaths('pathMoments', 'x', x);
  const mean = fg.mean(x, 1, true);
  const std = fg.sqrt(fg.add(fg.mean(fg.square(fg.sub(x, mean)), 1), 1e-8));
  return { mean: fg.reshape(mean, [x.shape[0]!, x.shape[2]!]), std };
}

/** A tensor of paths [times, paths, dim] (with `dim` and `times` when given). */
function checkPaths(who: string, what: string, x: unknown, dim?: number, times?: number): fg.Tensor {
  const t = checkTensor(who, what, x);
  const ok = t.rank === 3 && t.shape[1]! >= 1 && (dim === undefined || t.shape[2] === dim) && (times === undefined || t.shape[0] === times);
  if (!ok) throw new fg.ShapeError(`${who}: ${what} has shape [${t.shape.join(', ')}], expected paths [${times ?? 'times'}, paths ≥ 1, ${dim ?? 'dim'}]`);
  return t;
}

const checkNeuralSde = (who: string, model: unknown) => checkShaped(who, 'model', model, ['dim', 'params', 'f', 'g'], 'a model from fg.models.neuralSde(…)');

export interface SdeFitOptions {
  steps: number;
  lr: number;
  /** simulated paths per step */
  paths: number;
  dt: number;
  seed?: number;
  /** called after each step with the loss */
  onStep?: (step: number, loss: number) => void;
}

/**
 * Fits the neural SDE to observed paths [ts.length, P, dim] from their common start by matching
 * the mean and the standard deviation over paths at every time (fresh Brownian paths each step,
 * backprop through Euler–Maruyama). Returns the fitted parameters and the losses.
 */
const SDE_FIT_KEYS = fg.optionKeys<SdeFitOptions>({ steps: true, lr: true, paths: true, dt: true, seed: true, onStep: true });

export async function fitNeuralSde(model: NeuralSde, data: fg.Tensor, ts: number[], o: SdeFitOptions): Promise<{ params: NeuralSde['params']; losses: number[] }> {
  const who = 'fitNeuralSde';
  checkNeuralSde(who, model);
  ts = timesOf(who, ts);
  checkPaths(who, 'data', data, model.dim, ts.length);
  if (o === undefined) throw new fg.ArgumentError(`${who}: options { steps, lr, paths, dt } are required`);
  o = fg.checkOptions(who, o, SDE_FIT_KEYS) as SdeFitOptions;
  checkInt(who, 'steps', o.steps, 0);
  checkReal(who, 'lr', o.lr, positive, 'a positive number');
  checkInt(who, 'paths', o.paths);
  checkReal(who, 'dt', o.dt, positive, 'a positive number');
  seedOf(who, o.seed);
  if (o.onStep !== undefined) checkFunction(who, 'onStep', o.onStep);
  const target = pathMoments(data);
  const start = fg.reshape(fg.slice(target.mean, [0], [1]), [1, data.shape[2]!]);
  const y0 = fg.keep(fg.broadcastTo(start, [o.paths, data.shape[2]!]));
  let params = model.params;
  const opt = fg.optim.adam(params, { lr: o.lr });
  const losses: number[] = [];
  for (let s = 0; s < o.steps; s++) {
    const [loss, grads] = fg.tidy(() => {
      const lossFn = (p: NeuralSde['params']) => {
        const sim = pathMoments(fg.sdeint(model.f, model.g, y0, ts, { dt: o.dt, seed: (o.seed ?? 0) + 1000 + s, params: p }));
        return fg.add(fg.mean(fg.square(fg.sub(sim.mean, target.mean))), fg.mean(fg.square(fg.sub(sim.std, target.std))));
      };
      const [l, g] = fg.valueAndGrad(lossFn)(params);
      return [fg.keep(l), fg.models.mapTree(g, (t: fg.Tensor) => fg.keep(t))];
    });
    const next = opt.step(params, grads);
    if (params !== model.params) fg.models.disposeTree(params);
    fg.models.disposeTree(grads);
    params = next;
    const v = await loss.item();
    loss.dispose();
    losses.push(v);
    o.onStep?.(s, v);
  }
  opt.dispose();
  return { params, losses };
}

export interface SampleSdeOptions {
  paths: number;
  dt: number;
  seed: number;
}

const SAMPLE_SDE_KEYS = fg.optionKeys<SampleSdeOptions>({ paths: true, dt: true, seed: true });

/** Sample paths [ts.length, paths, dim] of the (fitted) neural SDE from y0 [dim]. */
export function sampleNeuralSde(model: NeuralSde, params: NeuralSde['params'], y0: number[], ts: number[], o: SampleSdeOptions): fg.Tensor {
  const who = 'sampleNeuralSde';
  checkNeuralSde(who, model);
  checkParamTree(who, params, model.params);
  y0 = Array.from(checkNumbers(who, 'y0', y0));
  if (y0.length !== model.dim) throw new fg.ShapeError(`${who}: y0 has ${y0.length} entries, the model's state has ${model.dim}`);
  ts = timesOf(who, ts);
  if (o === undefined) throw new fg.ArgumentError(`${who}: options { paths, dt, seed } are required`);
  o = fg.checkOptions(who, o, SAMPLE_SDE_KEYS) as SampleSdeOptions;
  checkInt(who, 'paths', o.paths);
  checkReal(who, 'dt', o.dt, positive, 'a positive number');
  if (!Number.isSafeInteger(o.seed)) throw new fg.ArgumentError(`${who}: seed must be an integer, got ${String(o.seed)}`);
  const start = fg.tensor(Array.from({ length: o.paths }, () => y0));
  return fg.sdeint(model.f, model.g, start, ts, { dt: o.dt, seed: o.seed, params });
}

export interface LinearNodeFit {
  W: fg.Tensor;
  losses: number[];
  /** steps the solver took at each training step (accepted steps of the adaptive methods) */
  steps: number[];
  /** why training stopped early (the solver's error), or null */
  stalled: string | null;
}

export interface LinearNodeFitOptions {
  /** an adaptive odeint method */
  method: 'dopri5' | 'rosenbrock23';
  /** training steps */
  steps: number;
  lr: number;
  rtol: number;
  atol: number;
  /** the solver's step limit */
  maxSteps: number;
  seed?: number;
  /** called after each training step with the loss and the solver's steps */
  onStep?: (step: number, loss: number, solverSteps: number) => void;
}

const LINEAR_NODE_KEYS = fg.optionKeys<LinearNodeFitOptions>({ method: true, steps: true, lr: true, rtol: true, atol: true, maxSteps: true, seed: true, onStep: true });

/**
 * Fits dy/dt = y·W (states [B, n], W [n, n]) to trajectories [ts.length, B, n] by Adam on the
 * mean squared error. W's diagonal is −exp(P_ii) and its off-diagonal P_ij: Adam moves the log
 * decay rates, so a rate of 2000 is some tens of steps away from 1 and stays a decay on the way, with an adaptive odeint method (steps from odeintGrid, so that it runs on
 * WebGPU too; backprop through the steps). A solver error (e.g. dopri5 reaching maxSteps once
 * the learned dynamics turn stiff) ends the training and is reported.
 */
export async function fitLinearNode(data: fg.Tensor, ts: number[], o: LinearNodeFitOptions): Promise<LinearNodeFit> {
  const who = 'fitLinearNode';
  ts = timesOf(who, ts);
  checkPaths(who, 'data', data, undefined, ts.length);
  if (o === undefined) throw new fg.ArgumentError(`${who}: options { method, steps, lr, rtol, atol, maxSteps } are required`);
  o = fg.checkOptions(who, o, LINEAR_NODE_KEYS) as LinearNodeFitOptions;
  if (o.method !== 'dopri5' && o.method !== 'rosenbrock23') throw new fg.ArgumentError(`${who}: method must be 'dopri5' or 'rosenbrock23', got ${JSON.stringify(o.method)}`);
  checkInt(who, 'steps', o.steps, 0);
  for (const k of ['lr', 'rtol', 'atol'] as const) checkReal(who, k, o[k], positive, 'a positive number');
  checkInt(who, 'maxSteps', o.maxSteps);
  seedOf(who, o.seed);
  if (o.onStep !== undefined) checkFunction(who, 'onStep', o.onStep);
  const n = data.shape[2]!;
  const y0 = fg.keep(fg.reshape(fg.slice(data, [0], [1]), data.shape.slice(1) as number[]));
  // start at rate 1 on the diagonal (a slow, stable flow) with small couplings
  const eye = fg.keep(fg.eye(n));
  const off = fg.keep(fg.sub(1, eye));
  const weights = (p: fg.Tensor) => fg.sub(fg.mul(p, off), fg.mul(fg.exp(p), eye));
  let W = fg.keep(fg.mul(fg.mul(fg.randn([n, n], { seed: o.seed ?? 0 }), 0.1), off));
  const f = (_t: number, y: fg.Tensor, p: fg.Tensor) => fg.matmul(y, weights(p));
  const opt = fg.optim.adam(W, { lr: o.lr });
  const out: LinearNodeFit = { W, losses: [], steps: [], stalled: null };
  for (let s = 0; s < o.steps; s++) {
    let grid: number[];
    try {
      grid = await fg.odeintGrid(f, y0, ts, { method: o.method, rtol: o.rtol, atol: o.atol, maxSteps: o.maxSteps, params: W });
    } catch (e) {
      out.stalled = `training step ${s}: ${(e as Error).message}`;
      break;
    }
    const [loss, g] = fg.tidy(() => {
      const [l, gw] = fg.valueAndGrad((p: fg.Tensor) => fg.mean(fg.square(fg.sub(fg.odeint(f, y0, ts, { method: o.method, grid, params: p }), data))))(W);
      return [fg.keep(l), fg.keep(gw)];
    });
    const next = opt.step(W, g);
    W.dispose();
    g.dispose();
    W = next;
    const v = await loss.item();
    loss.dispose();
    out.losses.push(v);
    out.steps.push(grid.length - 1);
    o.onStep?.(s, v, grid.length - 1);
  }
  opt.dispose();
  out.W = fg.keep(weights(W));
  for (const t of [W, eye, off]) t.dispose();
  return out;
}
