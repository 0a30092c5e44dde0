// Stiffness-penalized training of a ResNet on two moons with the exact penalty, the particle
// kernel map surrogate, or the exact spectral radius against the trajectory's active rate: the
// final stiffness, data loss and time per step of each.
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
