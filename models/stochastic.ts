// Stiff and stochastic dynamics as models: a neural SDE (drift and diffusion MLPs) fitted to
// sample paths by matching their mean and spread over time, the noisy oscillator that makes
// such paths, and a linear Neural ODE dy/dt = y·W fitted to stiff trajectories with any odeint
// method. Public API only.
import * as fg from '../index.js';
import { mlp, type MlpParams } from './dense.js';

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

/** Noisy observations [ts.length, paths, 2] of the oscillator from (1, 0). */
export function stochasticOscillator(o: OscillatorOptions): fg.Tensor {
  const [omega, gamma, sigma] = [o.omega ?? 2, o.gamma ?? 0.3, o.sigma ?? 0.4];
  const seed = o.seed ?? 0;
  const cols = (y: fg.Tensor) => [fg.slice(y, [0], [1], [-1]), fg.slice(y, [1], [2], [-1])] as const;
  const f = (_t: number, y: fg.Tensor) => {
    const [x, v] = cols(y);
    return fg.concat([v, fg.sub(fg.mul(x, -omega * omega), fg.mul(v, gamma))], -1);
  };
  const scale = fg.tensor([0, sigma]);
  const g = (_t: number, y: fg.Tensor) => fg.add(fg.mul(y, 0), scale);
  const y0 = fg.tensor(Array.from({ length: o.paths }, () => [1, 0]));
  const clean = fg.sdeint(f, g, y0, o.ts, { dt: o.dt ?? 0.01, seed, method: 'milstein' });
  return fg.add(clean, fg.randn(clean.shape as number[], { seed: seed + 1, std: o.noise ?? 0.05 }));
}

export interface NeuralSde {
  params: { drift: MlpParams; diffusion: MlpParams };
  /** f(t, y, params): the drift MLP */
  f: (t: number, y: fg.Tensor, p: NeuralSde['params']) => fg.Tensor;
  /** g(t, y, params): softplus of the diffusion MLP (diagonal noise, y's shape) */
  g: (t: number, y: fg.Tensor, p: NeuralSde['params']) => fg.Tensor;
}

/** Drift and diffusion MLPs on states [paths, dim]. */
export function neuralSde(o: { dim: number; hidden: number; seed?: number }): NeuralSde {
  const drift = mlp({ sizes: [o.dim, o.hidden, o.hidden, o.dim], seed: o.seed ?? 0 });
  const diffusion = mlp({ sizes: [o.dim, o.hidden, o.dim], seed: (o.seed ?? 0) + 1 });
  return {
    params: { drift: drift.params, diffusion: diffusion.params },
    f: (_t, y, p) => drift.apply(p.drift, y),
    g: (_t, y, p) => fg.softplus(fg.sub(diffusion.apply(p.diffusion, y), 2)),
  };
}

/** Mean and standard deviation over paths (axis 1) of [times, paths, dim]. */
export function pathMoments(x: fg.Tensor): { mean: fg.Tensor; std: fg.Tensor } {
  const mean = fg.mean(x, 1, true);
  const std = fg.sqrt(fg.add(fg.mean(fg.square(fg.sub(x, mean)), 1), 1e-8));
  return { mean: fg.reshape(mean, [x.shape[0]!, x.shape[2]!]), std };
}

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
export async function fitNeuralSde(model: NeuralSde, data: fg.Tensor, ts: number[], o: SdeFitOptions): Promise<{ params: NeuralSde['params']; losses: number[] }> {
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

/** Sample paths [ts.length, paths, dim] of the (fitted) neural SDE from y0 [dim]. */
export function sampleNeuralSde(model: NeuralSde, params: NeuralSde['params'], y0: number[], ts: number[], o: { paths: number; dt: number; seed: number }): fg.Tensor {
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

/**
 * Fits dy/dt = y·W (states [B, n], W [n, n]) to trajectories [ts.length, B, n] by Adam on the
 * mean squared error. W's diagonal is −exp(P_ii) and its off-diagonal P_ij: Adam moves the log
 * decay rates, so a rate of 2000 is some tens of steps away from 1 and stays a decay on the way, with an adaptive odeint method (steps from odeintGrid, so that it runs on
 * WebGPU too; backprop through the steps). A solver error (e.g. dopri5 reaching maxSteps once
 * the learned dynamics turn stiff) ends the training and is reported.
 */
export async function fitLinearNode(data: fg.Tensor, ts: number[], o: { method: 'dopri5' | 'rosenbrock23'; steps: number; lr: number; rtol: number; atol: number; maxSteps: number; seed?: number; onStep?: (step: number, loss: number, solverSteps: number) => void }): Promise<LinearNodeFit> {
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
