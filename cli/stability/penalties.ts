// Stiffness-penalized training of a ResNet on two moons with the exact penalty, the particle
// kernel map surrogate, or the exact spectral radius against the trajectory's active rate: the
// final stiffness, data loss and time per step of each.
import { median } from '../../bench/harness.js';
import * as fg from '../../index.js';

const M = fg.models;
const A = fg.analysis;

export type PenaltyKind = 'none' | 'exact' | 'surrogate' | 'active';

export interface PenaltyRow {
  penalty: PenaltyKind;
  /** weight of the penalty in the loss */
  kappa: number;
  /** mean over layers of max|λ| − min|λ| of the trained W_n */
  stiffness: number;
  /** mean over layers of max|λ| − r, r the active rate of the trained net's trajectories */
  activeStiffness: number;
  /** cross-entropy on the training set (without the penalty) */
  dataLoss: number;
  msPerStep: number;
  steps: number;
}

export interface PenaltyOptions {
  steps: number;
  seed: number;
  /** κ of the exact penalty (the surrogate's is κ·d²/2, which matches its gradient's scale; see kernelStiffness) */
  kappa?: number;
  particles?: number;
}

/** Trains the same ResNet from the same start once per penalty kind; returns one row each. */
export async function penaltyTable(o: PenaltyOptions, kinds: readonly PenaltyKind[] = ['none', 'exact', 'surrogate', 'active']): Promise<PenaltyRow[]> {
  const ds = M.data.moons({ n: 128, seed: o.seed, noise: 0.1 });
  const width = 4;
  const L = 6;
  const net = M.resnet({ width, layers: L, inputSize: 2, outputSize: 2, seed: o.seed });
  const kappa = o.kappa ?? 0.01;
  const probe = fg.keep(fg.tensor(ds.x.slice(0, 2 * 32), [32, 2]));
  const activeRate = (p: fg.models.ResnetParams) => A.activeTimeScale(net.states(p, probe), { dt: 1 / L });
  const rows: PenaltyRow[] = [];
  for (const kind of kinds) {
    const particles = kind === 'surrogate' ? A.kernelParticles({ size: o.particles ?? 32, spread: 0.02, seed: o.seed }) : null;
    const k = kind === 'surrogate' ? (kappa * width * width) / 2 : kind === 'none' ? 0 : kappa;
    const penalty = kind === 'none' ? undefined : (p: fg.models.ResnetParams) => {
      const W = M.layerStack(net, p);
      if (kind === 'exact') return fg.mul(fg.sum(fg.linalg.stiffness(W)), k);
      if (kind === 'active') return fg.mul(fg.sub(fg.sum(fg.linalg.spectralRadius(W)), fg.mul(activeRate(p), L)), k);
      return fg.mul(fg.sum(A.kernelStiffness(W, particles!.refresh(W))), k);
    };
    const t0 = performance.now();
    const r = await M.train({
      model: net, data: { train: ds }, maxSteps: o.steps, epochs: o.steps, batchSize: ds.n, seed: o.seed, logEvery: o.steps,
      optimizer: (p) => fg.optim.adam(p, { lr: 0.02 }), progress: false, penalty,
    });
    const ms = (performance.now() - t0) / o.steps;
    particles?.dispose();
    const W = M.layerStack(net, r.params);
    const mean = async (t: fg.Tensor) => Array.from(await t.data()).reduce((a, b) => a + b, 0) / L;
    const stiffness = await mean(fg.linalg.stiffness(W));
    const activeStiffness = (await mean(fg.linalg.spectralRadius(W))) - (await activeRate(r.params).item());
    const dataLoss = (await M.evaluate(net, r.params, ds)).loss;
    rows.push({ penalty: kind, kappa: k, stiffness, activeStiffness, dataLoss, msPerStep: ms, steps: o.steps });
    console.log(`  ${kind.padEnd(9)} κ = ${k.toFixed(3)}: stiffness ${stiffness.toFixed(4)}, max|λ| − r ${activeStiffness.toFixed(4)}, data loss ${dataLoss.toFixed(4)}, ${ms.toFixed(1)} ms/step`);
    M.disposeTree(r.params);
  }
  probe.dispose();
  return rows;
}

export interface SurrogateComparison {
  particles: number;
  spread: number;
  /** per layer: exact S(W_n) and the surrogate */
  exact: number[];
  surrogate: number[];
  /** cosine between the surrogate's and the exact gradient, and the ratio of their norms (≈ 2/d² expected) */
  gradientCosine: number;
  gradientRatio: number;
  /** median time of one value-and-gradient: exact; surrogate including the particle refresh */
  exactMs: number;
  surrogateMs: number;
}

/** Value, gradient and cost of the surrogate against the exact stiffness at the weights of a seeded ResNet. */
export async function surrogateVsExact(o: { seed: number; particles?: number; spread?: number; repeats?: number }): Promise<SurrogateComparison> {
  const net = M.resnet({ width: 4, layers: 6, inputSize: 2, outputSize: 2, seed: o.seed });
  const W = M.layerStack(net, net.params);
  const P = o.particles ?? 256;
  const spread = o.spread ?? 0.02;
  const ps = A.kernelParticles({ size: P, fresh: P, spread, seed: o.seed });
  const exactFn = (w: fg.Tensor) => fg.sum(fg.linalg.stiffness(w));
  const surFn = (w: fg.Tensor) => fg.sum(A.kernelStiffness(w, ps));
  const time = async (f: () => fg.Tensor[]) => {
    const ms: number[] = [];
    for (let r = 0; r < (o.repeats ?? 5); r++) {
      const t0 = performance.now();
      const ts = f();
      await Promise.all(ts.map((t) => t.data()));
      ms.push(performance.now() - t0);
      ts.forEach((t) => t.dispose());
    }
    return median(ms);
  };
  const exactMs = await time(() => fg.valueAndGrad(exactFn)(W) as fg.Tensor[]);
  const surrogateMs = await time(() => (ps.refresh(W), fg.valueAndGrad(surFn)(W) as fg.Tensor[]));
  const [ge, gs] = [await (fg.grad(exactFn)(W) as fg.Tensor).data(), await (fg.grad(surFn)(W) as fg.Tensor).data()];
  let dot = 0, ne = 0, ns = 0;
  for (let i = 0; i < ge.length; i++) (dot += ge[i]! * gs[i]!, ne += ge[i]! ** 2, ns += gs[i]! ** 2);
  const out = {
    particles: P, spread,
    exact: Array.from(await fg.linalg.stiffness(W).data()), surrogate: Array.from(await A.kernelStiffness(W, ps).data()),
    gradientCosine: dot / Math.sqrt(ne * ns), gradientRatio: Math.sqrt(ns / ne), exactMs, surrogateMs,
  };
  ps.dispose();
  console.log(`  at the initial weights (${P} particles, spread ${spread}): gradient cosine ${out.gradientCosine.toFixed(3)}, norm ratio ${out.gradientRatio.toFixed(3)} (2/d² = 0.125); value and gradient ${exactMs.toFixed(1)} ms exact, ${surrogateMs.toFixed(1)} ms surrogate`);
  return out;
}
