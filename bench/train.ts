// A training step on WebGPU: the MLP 2→64→64→2 with tanh, MSE, batch 256, plain SGD —
// flowgrad (valueAndGrad, then fg.optim.sgd's step) beside TensorFlow.js's optimizer.minimize
// on the same adapter, with the same initial weights and data.
import * as fg from '../index.js';
import { counted, goal, median, type BenchContext, type Goal, type Measurement } from './harness.js';
import type { BenchCase } from './kernels.js';
import { tfjsTrainStep } from './train-tfjs.js';
import { torchPeer } from './torch.js';
import type { Tf } from './tfjs.js';

export const MLP_SIZES = [2, 64, 64, 2];
export const BATCH = 256;
export const LR = 0.05;
/** targets: ms per step on WebGPU, and the speed-up over tfjs-webgpu in the same run */
export const TARGET_MS = 3;
export const TARGET_VS_TFJS = 3;
/** target: at most this many times PyTorch's ms per step on this machine's CPU */
export const TARGET_VS_TORCH = 3;

export interface StepTiming {
  /** median ms per step over the chunks */
  msPerStep: number;
  /** the loss read at the end */
  loss: number;
  /** dispatches one step records (flowgrad) */
  dispatches?: number;
}

/**
 * Times a step function: warm-up, then the median over `chunks` runs of `steps` steps, each
 * chunk ending with one readback of the last step's loss (so every step's work is included).
 */
export async function timeSteps(step: () => { data(): Promise<unknown>; dispose(): void }, opts: { steps?: number; chunks?: number; warmup?: number } = {}): Promise<number> {
  const chunk = async (n: number) => {
    const t0 = performance.now();
    let loss: ReturnType<typeof step> | null = null;
    for (let i = 0; i < n; i++) {
      loss?.dispose();
      loss = step();
    }
    await loss!.data();
    loss!.dispose();
    return (performance.now() - t0) / n;
  };
  await chunk(opts.warmup ?? 10);
  const times: number[] = [];
  for (let c = 0; c < (opts.chunks ?? 7); c++) times.push(await chunk(opts.steps ?? 20));
  return median(times);
}

/** The problem, seeded: the model (its initial weights) and a batch with targets tanh(N(0, 1)). */
export function trainProblem() {
  const model = fg.models.mlp({ sizes: MLP_SIZES, activation: 'tanh', seed: 1 });
  const x = fg.randn([BATCH, 2], { seed: 2 });
  const y = fg.tanh(fg.randn([BATCH, 2], { seed: 3 }));
  return { model, x, y };
}

/**
 * A training step as a function: value and gradient of `loss` at the current parameters, then
 * the optimizer's update; the old parameters are freed. Returns the loss before the update.
 */
export function trainingStep<P>(initial: P, loss: (p: P) => fg.Tensor, opt: fg.optim.Optimizer): { step: () => fg.Tensor; params: () => P } {
  let params = initial;
  const vg = fg.valueAndGrad(loss);
  const step = () => {
    const { value, next } = fg.tidy(() => {
      const [value, grads] = vg(params);
      return { value: value as fg.Tensor, next: opt.step(params, grads as P) };
    });
    fg.models.disposeTree(params);
    params = next;
    return value;
  };
  return { step, params: () => params };
}

/** flowgrad's step: value and gradient of the MSE, then SGD; the old parameters are freed. */
export async function flowgradStep(opts: { steps?: number; chunks?: number } = {}): Promise<StepTiming> {
  const { model, x, y } = trainProblem();
  const opt = fg.optim.sgd(model.params, { lr: LR });
  const { step, params } = trainingStep(model.params, (p) => fg.mseLoss(model.apply(p, x), y), opt);
  const msPerStep = await timeSteps(step, opts);
  const { result: last, dispatches } = counted(step);
  const value = await last.item();
  last.dispose();
  fg.models.disposeTree(params());
  opt.dispose();
  x.dispose();
  y.dispose();
  return { msPerStep, loss: value, dispatches };
}

/**
 * flowgrad's step dispatch by dispatch: the GPU time of each (median over `reps` steps after a
 * warm-up), in recording order; null without timestamp queries.
 */
export async function profileStep(reps = 5): Promise<{ label: string; ms: number }[] | null> {
  const { model, x, y } = trainProblem();
  const opt = fg.optim.sgd(model.params, { lr: LR });
  const { step, params } = trainingStep(model.params, (p) => fg.mseLoss(model.apply(p, x), y), opt);
  for (let i = 0; i < 5; i++) step().dispose();
  const runs: { label: string; ms: number }[][] = [];
  for (let r = 0; r < reps; r++) {
    let loss: fg.Tensor | null = null;
    const p = await fg.gpuRuntime().profile(() => (loss = step()));
    loss!.dispose();
    if (!p) return null;
    runs.push(p);
  }
  fg.models.disposeTree(params());
  opt.dispose();
  x.dispose();
  y.dispose();
  return runs[0]!.map(({ label }, i) => ({ label, ms: median(runs.map((r) => r[i]?.ms ?? NaN)) }));
}

/** The same step in TensorFlow.js (webgpu backend): same initial weights, data and learning rate. */
export async function tfjsStep(tf: Tf, opts: { steps?: number; chunks?: number } = {}): Promise<StepTiming> {
  const { model, x, y } = trainProblem();
  const layers = await Promise.all(model.params.layers.map(async (l) => ({ W: await l.W.data(), b: await l.b.data(), shape: l.W.shape as [number, number] })));
  const problem = { layers, x: await x.data(), y: await y.data(), batch: BATCH, lr: LR };
  fg.models.disposeTree(model.params);
  x.dispose();
  y.dispose();
  const t = tfjsTrainStep(tf, problem);
  const msPerStep = await timeSteps(t.step, opts);
  const last = t.step();
  const loss = (await last.data())[0]!;
  last.dispose();
  t.dispose();
  return { msPerStep, loss };
}

export const trainBenches: BenchCase[] = [
  {
    name: 'train-mlp',
    async run(ctx: BenchContext): Promise<Measurement[]> {
      const ours = await flowgradStep();
      // FLOWGRAD_PROFILE=1: each dispatch of one step with its GPU time (timestamp queries)
      if (process.env.FLOWGRAD_PROFILE) {
        const prof = await profileStep();
        if (prof) console.log(prof.map(({ label, ms }, i) => `  ${String(i).padStart(2)} ${ms.toFixed(3).padStart(7)} ms  ${label}`).join('\n'));
      }
      const theirs = ctx.tf ? await tfjsStep(ctx.tf) : null;
      // PyTorch on this machine's CPU, same problem (null without /usr/bin/python3 and torch)
      const torch = await torchPeer('mlp-sgd');
      const goals = [
        goal(`≤ ${TARGET_MS} ms per step`, ours.msPerStep, TARGET_MS, 'atMost', (v) => `${v.toFixed(2)} ms`),
        theirs ? goal(`≥ ${TARGET_VS_TFJS}× tfjs-webgpu (wall)`, theirs.msPerStep / ours.msPerStep, TARGET_VS_TFJS, 'atLeast', (v) => `${v.toFixed(2)}×`) : null,
        torch ? goal(`within ${TARGET_VS_TORCH}× of PyTorch CPU`, ours.msPerStep / torch.ms, TARGET_VS_TORCH, 'atMost', (v) => `${v.toFixed(2)}×`) : null,
      ].filter((g): g is Goal => g !== null);
      return [{
        name: 'train step (MLP, SGD)',
        size: `${MLP_SIZES.join('→')} tanh, MSE, batch ${BATCH}`,
        wallMs: ours.msPerStep,
        gpuMs: null,
        tfjsMs: theirs?.msPerStep ?? null,
        extra: { 'dispatches/step': ours.dispatches ?? NaN, 'steps/s': 1000 / ours.msPerStep, ...(torch ? { 'torch ms': torch.ms } : {}) },
        goals,
      }];
    },
  },
];
