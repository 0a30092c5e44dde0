// HMC on a Bayesian Neural ODE (W(t; α) linear in depth, ≈ 90 parameters) for the 1-D
// regression y = x³ + noise: 64 chains as one vmapped batch against the same sampler run one
// chain at a time, same run; samples per second and their ratio.
import * as fg from '../index.js';
import type { Measurement } from './harness.js';
import type { BenchCase } from './kernels.js';

const CHAINS = 64;
const WARMUP = 10;
const SAMPLES = 20;
const STEPS = 4;

/** The model, its data and log posterior, and `chains` initial points (the seeded init plus jitter). */
export function bayesianNode(chains: number) {
  const net = fg.models.node({ width: 6, inputSize: 1, outputSize: 1, basis: { kind: 'linear' }, steps: 4, gain: 0.5, seed: 1 });
  const x = fg.reshape(fg.tensor(Array.from({ length: 16 }, (_, i) => -1 + (2 * i) / 15)), [16, 1]);
  const y = fg.add(fg.mul(fg.mul(x, x), x), fg.mul(fg.randn([16, 1], { seed: 2 }), 0.1));
  const logDensity = fg.bayes.logPosterior(net, { x, y }, { noise: 0.1, priorScale: 1 });
  let k = 0;
  const init = fg.models.mapTree(net.params, (p: fg.Tensor) => fg.add(fg.broadcastTo(p, [chains, ...p.shape]), fg.mul(fg.randn([chains, ...p.shape], { seed: 10 + k++ }), 0.05)));
  return { net, logDensity, init };
}

async function hmcNode(): Promise<Measurement> {
  const time = async (chains: number) => {
    const { logDensity, init } = bayesianNode(chains);
    const t0 = performance.now();
    const r = await fg.bayes.mcmc(logDensity, init, { method: 'hmc', warmup: WARMUP, samples: SAMPLES, steps: STEPS, seed: 3 });
    await r.logDensity.data();
    const ms = performance.now() - t0;
    fg.models.disposeTree(r.samples);
    r.logDensity.dispose();
    fg.models.disposeTree(init);
    return ms;
  };
  const params = fg.models.leaves(bayesianNode(1).net.params).reduce((s: number, l: { tensor: fg.Tensor }) => s + l.tensor.size, 0);
  await time(2); // warm-up: shaders compiled
  const batched = await time(CHAINS);
  const single = await time(1);
  const batchedRate = (CHAINS * (WARMUP + SAMPLES)) / (batched / 1000);
  const singleRate = (WARMUP + SAMPLES) / (single / 1000);
  const ratio = batchedRate / singleRate;
  return {
    name: 'bayes hmc node',
    size: `Neural ODE d=6, W(t; α) linear, ${params} parameters, 16 points; HMC ${STEPS} leapfrog steps, ${WARMUP}+${SAMPLES} iterations; ${CHAINS} chains batched vs 1 chain`,
    wallMs: batched,
    gpuMs: null,
    extra: { 'samples/s batched': batchedRate, 'samples/s 1 chain': singleRate, '× one chain': ratio },
    goals: [{ target: '≥ 10× per sample (64 chains batched vs one chain at a time)', measured: `${ratio.toFixed(1)}×`, met: ratio >= 10 }],
  };
}

export const bayesBenches: BenchCase[] = [{ name: 'bayes-hmc-node', run: async () => [await hmcNode()] }];
