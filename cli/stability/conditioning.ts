// Condition numbers of a ResNet's input–output Jacobian over training, per test example.
import * as fg from '../../index.js';

const M = fg.models;

export interface ConditioningPoint {
  step: number;
  /** κ = σ₁/σ₂ of each test example's 2 × 2 Jacobian, sorted; its median and max */
  condition: number[];
  median: number;
  max: number;
  /** σ₁ and σ₂ averaged over the examples */
  meanSigma: number[];
  testAccuracy: number;
}

export async function conditioningOverTraining(o: { seed: number; chunks: number; stepsPerChunk: number }): Promise<ConditioningPoint[]> {
  const ds = M.data.moons({ n: 200, seed: o.seed, noise: 0.1 });
  const { train, test } = M.data.split(ds, { seed: o.seed });
  const net = M.resnet({ width: 4, layers: 8, inputSize: 2, outputSize: 2, seed: o.seed });
  const x = fg.tensor(test.x, [test.n, 2]);
  let params = net.params;
  const out: ConditioningPoint[] = [];
  for (let c = 0; c <= o.chunks; c++) {
    if (c > 0) {
      const r = await M.train({ model: net, params, data: { train }, maxSteps: o.stepsPerChunk, epochs: o.stepsPerChunk, batchSize: 32, seed: o.seed + c, optimizer: (p) => fg.optim.adam(p, { lr: 0.02 }), progress: false });
      if (params !== net.params) M.disposeTree(params);
      params = r.params;
    }
    const p = params;
    const jc = fg.analysis.jacobianConditioning((u) => net.apply(p, u), x);
    const kappa = Array.from(await jc.condition.data()).sort((a, b) => a - b);
    const s = await jc.singularValues.data();
    const acc = (await M.evaluate(net, params, test)).accuracy ?? NaN;
    const point = {
      step: c * o.stepsPerChunk, condition: kappa, median: kappa[Math.floor(kappa.length / 2)]!, max: kappa.at(-1)!,
      meanSigma: [0, 1].map((j) => Array.from({ length: test.n }, (_, b) => s[2 * b + j]!).reduce((a, v) => a + v, 0) / test.n), testAccuracy: acc,
    };
    out.push(point);
    console.log(`  step ${String(point.step).padStart(4)}: Jacobian condition number median ${point.median.toFixed(2)}, max ${point.max.toFixed(2)}; test accuracy ${(100 * acc).toFixed(1)}%`);
  }
  return out;
}
