// fg.jit against the same work un-jitted, in one run: the MLP SGD step, 100 RK4 steps forward,
// a Neural ODE training step with Adam (backprop and adjoint), and a chain of 200 adds —
// dispatches per run from fg.stats(), and PyTorch on the same CPU where it is installed.
import * as fg from '../index.js';
import { goal, type Goal, type Measurement } from './harness.js';
import type { BenchCase } from './kernels.js';
import { ADAM, NODE_STEPS, dispatchesPerStep, nodeProblem, timeInterleaved, type Step } from './node-train.js';
import { ODE_BATCH, ODE_STEPS, ODE_WIDTH, odeProblem } from './ode.js';
import { torchPeer } from './torch.js';
import { LR, MLP_SIZES, BATCH, trainProblem, trainingStep } from './train.js';

/** targets of the issue: dispatches and speed-ups */
const MLP_DISPATCHES = 8;
const MLP_VS_EAGER = 3;
const MLP_VS_TORCH = 3;
const SPEEDUP = 2;

/**
 * A jitted training step: value and gradient, then the optimizer's pure update, all one plan;
 * the old parameters and state are freed after each call. Returns the loss before the update.
 */
function jittedStep<P>(initial: P, loss: (p: P) => fg.Tensor, opt: fg.optim.SavableOptimizer): { step: Step; dispose: () => void } {
  const vg = fg.valueAndGrad(loss);
  const run = fg.jit((p: P, carry: fg.optim.OptimizerCarry) => {
    const [value, grads] = vg(p) as [fg.Tensor, P];
    const next = opt.update(p, grads, carry);
    return { value, params: next.params, carry: next.carry };
  });
  let params = initial;
  let carry = opt.init();
  const step = () => {
    const out = run(params, carry);
    fg.models.disposeTree(params);
    fg.models.disposeTree(carry);
    params = out.params;
    carry = out.carry;
    return out.value;
  };
  return { step, dispose: () => (fg.models.disposeTree(params), fg.models.disposeTree(carry), run.clear()) };
}

function mlpSteps() {
  const eager = trainProblem();
  const eagerOpt = fg.optim.sgd(eager.model.params, { lr: LR });
  const e = trainingStep(eager.model.params, (p) => fg.mseLoss(eager.model.apply(p, eager.x), eager.y), eagerOpt);
  const jit = trainProblem();
  const jitOpt = fg.optim.sgd(jit.model.params, { lr: LR });
  const j = jittedStep(jit.model.params, (p) => fg.mseLoss(jit.model.apply(p, jit.x), jit.y), jitOpt);
  const dispose = () => {
    fg.models.disposeTree(e.params());
    j.dispose();
    for (const t of [eager.x, eager.y, jit.x, jit.y]) t.dispose();
    eagerOpt.dispose();
    jitOpt.dispose();
  };
  return { eager: e.step, jitted: j.step, dispose };
}

const rk4 = (_t: number, y: fg.Tensor, p: { W: fg.Tensor; b: fg.Tensor }) => fg.linear(y, p.W, p.b, { activation: 'tanh' });

function nodeSteps(grad: 'backprop' | 'adjoint') {
  const make = () => {
    const prob = nodeProblem();
    const initial = { W: prob.W, b: prob.b };
    const opt = fg.optim.adam(initial, ADAM);
    const loss = (p: typeof initial) => {
      const xs = fg.odeint(rk4, prob.y0, [0, 1], { method: 'rk4', steps: NODE_STEPS, params: p, grad });
      return fg.models.mse(fg.reshape(fg.slice(xs, [1], [2]), [ODE_BATCH, ODE_WIDTH]), prob.target);
    };
    return { prob, initial, opt, loss };
  };
  const a = make();
  const e = trainingStep(a.initial, a.loss, a.opt);
  const b = make();
  const j = jittedStep(b.initial, b.loss, b.opt);
  const dispose = () => {
    fg.models.disposeTree(e.params());
    j.dispose();
    for (const x of [a, b]) {
      x.opt.dispose();
      x.prob.y0.dispose();
      x.prob.target.dispose();
    }
  };
  return { eager: e.step, jitted: j.step, dispose };
}

const ratio = (v: number) => `${v.toFixed(2)}×`;
const only = (g: Goal | null): Goal[] => (g ? [g] : []);

export const jitBenches: BenchCase[] = [
  {
    name: 'jit-mlp',
    async run(): Promise<Measurement[]> {
      const s = mlpSteps();
      const { ms: [eager, jitted], lastLoss } = await timeInterleaved([s.eager, s.jitted], { steps: 20, chunks: 7, warmup: 10 });
      const dEager = dispatchesPerStep(s.eager);
      const dJit = dispatchesPerStep(s.jitted);
      s.dispose();
      const torch = await torchPeer('mlp-sgd');
      const goals = [
        goal(`≤ ${MLP_DISPATCHES} dispatches per jitted step`, dJit, MLP_DISPATCHES, 'atMost', (v) => `${v}`),
        goal(`jitted ≤ 1/${MLP_VS_EAGER} of the un-jitted step`, eager! / jitted!, MLP_VS_EAGER, 'atLeast', ratio),
        torch ? goal(`within ${MLP_VS_TORCH}× of PyTorch CPU (torch ${torch.version}, ${torch.threads} thread(s))`, jitted! / torch.ms, MLP_VS_TORCH, 'atMost', ratio) : null,
      ].filter((g): g is Goal => g !== null);
      return [{
        name: 'jit train step (MLP, SGD)',
        size: `${MLP_SIZES.join('→')} tanh, MSE, batch ${BATCH}`,
        wallMs: jitted!,
        gpuMs: null,
        extra: { 'un-jitted ms': eager!, 'speed-up': eager! / jitted!, 'dispatches/step': dJit, 'un-jitted dispatches': dEager, ...(torch ? { 'torch ms': torch.ms } : {}), 'loss (eager − jit)': lastLoss[0]! - lastLoss[1]! },
        goals,
      }];
    },
  },
  {
    name: 'jit-rk4',
    async run(): Promise<Measurement[]> {
      const p = odeProblem();
      const params = { W: p.W, b: p.b };
      const solve = (y0: fg.Tensor, q: typeof params) => fg.odeint(rk4, y0, [0, 1], { method: 'rk4', steps: ODE_STEPS, params: q });
      const jsolve = fg.jit(solve);
      const steps: Step[] = [() => solve(p.y0, params), () => jsolve(p.y0, params)];
      const { ms: [eager, jitted] } = await timeInterleaved(steps, { steps: 1, chunks: 7, warmup: 2 });
      const [dEager, dJit] = steps.map(dispatchesPerStep);
      const torch = await torchPeer('rk4-forward');
      jsolve.clear();
      p.dispose();
      return [{
        name: 'jit odeint RK4 forward',
        size: `${ODE_BATCH}×${ODE_WIDTH}, ${ODE_STEPS} steps, tanh(yW + b)`,
        wallMs: jitted!,
        gpuMs: null,
        extra: { 'un-jitted ms': eager!, 'speed-up': eager! / jitted!, 'dispatches/step': dJit! / ODE_STEPS, 'un-jitted dispatches/step': dEager! / ODE_STEPS, ...(torch ? { 'torch ms': torch.ms } : {}) },
        goals: only(goal(`jitted ≥ ${SPEEDUP}× the un-jitted solve`, eager! / jitted!, SPEEDUP, 'atLeast', ratio)),
      }];
    },
  },
  {
    name: 'jit-node-train',
    async run(): Promise<Measurement[]> {
      const rows: Measurement[] = [];
      for (const grad of ['backprop', 'adjoint'] as const) {
        const s = nodeSteps(grad);
        const { ms: [eager, jitted] } = await timeInterleaved([s.eager, s.jitted], { steps: 3, chunks: 5, warmup: 2 });
        const dEager = dispatchesPerStep(s.eager);
        const dJit = dispatchesPerStep(s.jitted);
        s.dispose();
        const torch = grad === 'backprop' ? await torchPeer('node-train-backprop') : null;
        rows.push({
          name: `jit Neural ODE train step (${grad})`,
          size: `RK4 ×${NODE_STEPS}, width ${ODE_WIDTH}, batch ${ODE_BATCH}, Adam`,
          wallMs: jitted!,
          gpuMs: null,
          extra: { 'un-jitted ms': eager!, 'speed-up': eager! / jitted!, dispatches: dJit, 'un-jitted dispatches': dEager, ...(torch ? { 'torch ms': torch.ms } : {}) },
          goals: only(goal(`jitted ≥ ${SPEEDUP}× the un-jitted step`, eager! / jitted!, SPEEDUP, 'atLeast', ratio)),
        });
      }
      return rows;
    },
  },
  {
    name: 'jit-add-chain',
    async run(): Promise<Measurement[]> {
      const x = fg.randn([ODE_BATCH, ODE_WIDTH], { seed: 1 });
      const chain = (y: fg.Tensor) => {
        for (let i = 0; i < 200; i++) y = fg.add(y, 1e-3);
        return y;
      };
      const jchain = fg.jit(chain);
      const steps: Step[] = [() => fg.tidy(() => chain(x)), () => jchain(x)];
      const { ms: [eager, jitted] } = await timeInterleaved(steps, { steps: 5, chunks: 7, warmup: 3 });
      const [dEager, dJit] = steps.map(dispatchesPerStep);
      jchain.clear();
      x.dispose();
      return [{
        name: 'jit chain of 200 adds',
        size: `${ODE_BATCH}×${ODE_WIDTH}`,
        wallMs: jitted!,
        gpuMs: null,
        extra: { 'un-jitted ms': eager!, 'speed-up': eager! / jitted!, dispatches: dJit!, 'un-jitted dispatches': dEager! },
        goals: only(goal('1 dispatch', dJit!, 1, 'atMost', (v) => `${v}`)),
      }];
    },
  },
];

