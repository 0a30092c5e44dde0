// One Neural ODE training step on WebGPU: value and gradient of the MSE of x(1) for
// dx/dt = tanh(x W + b) (width 64, batch 256, RK4 with 10 steps on [0, 1]), then an Adam
// update — through the solver's steps (grad: 'backprop') and by the continuous adjoint
// (grad: 'adjoint'), beside TensorFlow.js's hand-written RK4 differentiated by optimizer.minimize
// on the same adapter; the three are timed interleaved, chunk by chunk, in one run.
import * as fg from '../index.js';
import { counted, median, type BenchContext, type Measurement } from './harness.js';
import type { BenchCase } from './kernels.js';
import { odeProblem, ODE_BATCH, ODE_WIDTH } from './ode.js';
import type { Tf } from './tfjs.js';
import { trainingStep } from './train.js';
import { rk4Steps } from './ode-tfjs.js';

export const NODE_STEPS = 10;
export const NODE_LR = 1e-2;
export const ADAM = { lr: NODE_LR, beta1: 0.9, beta2: 0.999, eps: 1e-8 };

type Params = { W: fg.Tensor; b: fg.Tensor };
export type Readable = { data(): Promise<ArrayLike<number>>; dispose(): void };
/** a training step: records one step and returns its loss (before the update) */
export type Step = () => Readable;

/** f = tanh(x W + b), one fused dispatch (as in bench/ode.ts) */
const f = (_t: number, x: fg.Tensor, p: Params) => fg.linear(x, p.W, p.b, { activation: 'tanh' });

/** The problem of bench/ode.ts (seeded x0, W, b) and a target tanh(N(0, 1)) [256, 64]. */
export function nodeProblem() {
  const p = odeProblem();
  const target = fg.tanh(fg.randn([ODE_BATCH, ODE_WIDTH], { seed: 4 }));
  return { ...p, target, dispose: () => (p.dispose(), target.dispose()) };
}

/** flowgrad's step in one gradient mode; `dispose` frees the parameters and the optimizer. */
function flowgradStep(grad: 'backprop' | 'adjoint') {
  const prob = nodeProblem();
  const initial: Params = { W: prob.W, b: prob.b };
  const opt = fg.optim.adam(initial, ADAM);
  const loss = (p: Params) => {
    const xs = fg.odeint(f, prob.y0, [0, 1], { method: 'rk4', steps: NODE_STEPS, params: p, grad });
    return fg.models.mse(fg.reshape(fg.slice(xs, [1], [2]), [ODE_BATCH, ODE_WIDTH]), prob.target);
  };
  const { step, params } = trainingStep(initial, loss, opt);
  const dispose = () => {
    fg.models.disposeTree(params());
    opt.dispose();
    prob.y0.dispose();
    prob.target.dispose();
  };
  return { step, dispose };
}

/** The same step in TensorFlow.js: RK4 written out, Adam's optimizer.minimize, same data and weights. */
async function tfjsStep(tf: Tf) {
  const prob = nodeProblem();
  const [y0, W, b, target] = await Promise.all([prob.y0, prob.W, prob.b, prob.target].map(async (t) => Float32Array.from(await t.data())));
  prob.dispose();
  const x0 = tf.tensor2d(y0!, [ODE_BATCH, ODE_WIDTH]);
  const y = tf.tensor2d(target!, [ODE_BATCH, ODE_WIDTH]);
  const vW = tf.variable(tf.tensor2d(W!, [ODE_WIDTH, ODE_WIDTH]), true, 'nodeW');
  const vb = tf.variable(tf.tensor1d(b!), true, 'nodeB');
  const opt = tf.train.adam(ADAM.lr, ADAM.beta1, ADAM.beta2, ADAM.eps);
  const h = 1 / NODE_STEPS;
  type T2 = ReturnType<Tf['tensor2d']>;
  const rhs = (x: T2) => tf.tanh(tf.add(tf.matMul(x, vW), vb)) as T2;
  const forward = () => {
    const x = rk4Steps(tf, rhs, x0, NODE_STEPS, h);
    return tf.mean(tf.square(tf.sub(x, y))) as ReturnType<Tf['scalar']>;
  };
  const step: Step = () => opt.minimize(forward, true)!;
  const dispose = () => {
    opt.dispose();
    tf.dispose([x0, y, vW, vb]);
  };
  return { step, dispose };
}

/**
 * Times several step functions interleaved: warm-up steps of each, then `chunks` rounds in
 * which each runs `steps` steps ending with one read of its last loss (so the chunk includes all
 * its work); the median ms per step of each. Load from other processes falls on all alike.
 */
export async function timeInterleaved(steps: Step[], opts = { steps: 5, chunks: 7, warmup: 3 }): Promise<{ ms: number[]; firstLoss: number[]; lastLoss: number[] }> {
  const firstLoss: number[] = [];
  const lastLoss: number[] = [];
  const chunk = async (step: Step, n: number, first?: boolean) => {
    const t0 = performance.now();
    let loss: Readable | null = null;
    for (let i = 0; i < n; i++) {
      if (loss && first && i === 1) firstLoss.push((await loss.data())[0]!); // outside timing: warm-up only
      loss?.dispose();
      loss = step();
    }
    const v = (await loss!.data())[0]!;
    loss!.dispose();
    return { ms: (performance.now() - t0) / n, v };
  };
  for (const s of steps) await chunk(s, opts.warmup, true);
  const times: number[][] = steps.map(() => []);
  for (let c = 0; c < opts.chunks; c++) {
    for (const [k, s] of steps.entries()) {
      const { ms, v } = await chunk(s, opts.steps);
      times[k]!.push(ms);
      if (c === opts.chunks - 1) lastLoss[k] = v;
    }
  }
  return { ms: times.map(median), firstLoss, lastLoss };
}

/** Median GPU time of one step from timestamp queries (null without them or when a step spans submits). */
async function gpuStepMs(step: Step, reps = 5): Promise<number | null> {
  const rt = fg.gpuRuntime();
  const ms: number[] = [];
  try {
    for (let i = 0; i < reps; i++) {
      let loss: Readable | null = null;
      const t = await rt.gpuTime(() => void (loss = step()));
      await loss!.data();
      loss!.dispose();
      if (t === null) return null;
      ms.push(t);
    }
  } catch {
    return null;
  }
  return median(ms);
}

/** Dispatches one step records; its result is read and freed afterwards. */
export function dispatchesPerStep(step: Step): number {
  const { result: loss, dispatches } = counted(step);
  void loss.data().then(() => loss.dispose());
  return dispatches;
}

export const nodeTrainBenches: BenchCase[] = [
  {
    name: 'node-train',
    async run(ctx: BenchContext): Promise<Measurement[]> {
      const ours = [flowgradStep('backprop'), flowgradStep('adjoint')];
      const theirs = ctx.tf ? await tfjsStep(ctx.tf) : null;
      const steps = [...ours.map((o) => o.step), ...(theirs ? [theirs.step] : [])];
      const t = await timeInterleaved(steps);
      const dispatches = ours.map((o) => dispatchesPerStep(o.step));
      const gpu = [await gpuStepMs(ours[0]!.step), await gpuStepMs(ours[1]!.step)];
      ours.forEach((o) => o.dispose());
      theirs?.dispose();
      const [bp, adj, tfMs] = [t.ms[0]!, t.ms[1]!, theirs ? t.ms[2]! : null];
      const size = `${ODE_BATCH}×${ODE_WIDTH}, RK4 ×${NODE_STEPS}, MSE + Adam`;
      // the loss at the first step (same weights and data: equal up to float32 round-off) and after the last
      const losses = (k: number) => `; loss ${t.firstLoss[k]!.toPrecision(4)} → ${t.lastLoss[k]!.toPrecision(4)}`;
      return [
        {
          name: 'NODE train step (backprop)',
          size: size + losses(0) + (theirs ? ` (tfjs ${t.firstLoss[2]!.toPrecision(4)} → ${t.lastLoss[2]!.toPrecision(4)})` : ''),
          wallMs: bp,
          gpuMs: gpu[0]!,
          tfjsMs: tfMs,
          extra: { 'dispatches/step': dispatches[0]! },
        },
        {
          name: 'NODE train step (adjoint)',
          size: size + losses(1),
          wallMs: adj,
          gpuMs: gpu[1]!,
          tfjsMs: null,
          extra: { 'dispatches/step': dispatches[1]!, '× backprop time': adj / bp },
        },
      ];
    },
  },
];
