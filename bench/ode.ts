// odeint on WebGPU: steps per second for a batch of 256 states of width 64 with
// f = tanh(x W + b), forward and forward + gradient (backprop and adjoint), RK4.
import * as fg from '../index.js';
import { counted, measureTfjs, median, type BenchContext, type Measurement } from './harness.js';
import { tfjsRk4 } from './ode-tfjs.js';
import { torchPeer } from './torch.js';
import type { BenchCase } from './kernels.js';

export const ODE_BATCH = 256;
export const ODE_WIDTH = 64;
export const ODE_STEPS = 100;

type Params = { W: fg.Tensor; b: fg.Tensor };

/** The problem, seeded: y0 [256, 64], W [64, 64] scaled by 1/√64, b [64]. */
export function odeProblem() {
  const y0 = fg.randn([ODE_BATCH, ODE_WIDTH], { seed: 1 });
  const W = fg.randn([ODE_WIDTH, ODE_WIDTH], { seed: 2, std: 1 / Math.sqrt(ODE_WIDTH) });
  const b = fg.randn([ODE_WIDTH], { seed: 3, std: 0.1 });
  return { y0, W, b, dispose: () => [y0, W, b].forEach((t) => t.dispose()) };
}

/** f = tanh(y W + b) as one fused dispatch (matmul with bias and tanh in its epilogue). */
const f = (_t: number, y: fg.Tensor, p: Params) => fg.linear(y, p.W, p.b, { activation: 'tanh' });
/** The same f as three ops (matmul, add, tanh), for comparison. */
const fUnfused = (_t: number, y: fg.Tensor, p: Params) => fg.tanh(fg.add(fg.matmul(y, p.W), p.b));

/** Multiply-adds of the four matmuls per RK4 step (the elementwise work is small beside them). */
const flopsPerStep = 4 * 2 * ODE_BATCH * ODE_WIDTH * ODE_WIDTH;

/**
 * Median wall time of `run` (recording its dispatches and reading one result back), after
 * warm-up, with the dispatches one run records. One run is 800 to 6500 dispatches, more than
 * one timestamp-query pass holds (the runtime submits every 512), so only wall time is reported.
 */
async function timeRuns(run: () => fg.Tensor, reps = 7): Promise<{ wallMs: number; dispatches: number }> {
  const once = async () => {
    const out = fg.tidy(run);
    await out.data();
    out.dispose();
  };
  await once();
  await once();
  const { result: out, dispatches } = counted(() => fg.tidy(run));
  await out.data();
  out.dispose();
  const walls: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await once();
    walls.push(performance.now() - t0);
  }
  return { wallMs: median(walls), dispatches };
}

function row(name: string, wallMs: number, dispatches: number, flops: number, target?: string): Measurement {
  return {
    name,
    size: `${ODE_BATCH}×${ODE_WIDTH}, ${ODE_STEPS} RK4 steps`,
    wallMs,
    gpuMs: null,
    flops,
    extra: { 'steps/s': ODE_STEPS / (wallMs / 1000), 'dispatches/step': dispatches / ODE_STEPS },
    target,
  };
}

/** The solve timed below: RK4, ts = [0, 1], 100 steps, all on the GPU, one read at the end. */
export const odeForward = (p: { y0: fg.Tensor; W: fg.Tensor; b: fg.Tensor }, rhs = f) => () =>
  fg.odeint(rhs, p.y0, [0, 1], { method: 'rk4', steps: ODE_STEPS, params: { W: p.W, b: p.b } });

export const odeBenches: BenchCase[] = [
  {
    name: 'ode-rk4-forward',
    async run(ctx: BenchContext) {
      const p = odeProblem();
      const m = await timeRuns(odeForward(p));
      p.dispose();
      const r = row('odeint rk4 forward', m.wallMs, m.dispatches, ODE_STEPS * flopsPerStep, '≤ 150 ms, ≥ 2× tfjs-webgpu');
      if (ctx.tf) {
        // the same solve written out in tfjs ops (its own seeded data of the same shapes)
        const theirs = tfjsRk4(ctx.tf);
        r.tfjsMs = await measureTfjs(ctx.tf, theirs.run);
        theirs.dispose();
      }
      // PyTorch on this machine's CPU, the same solve (a figure only; null without torch)
      const torch = await torchPeer('rk4-forward');
      if (torch) r.extra = { ...r.extra, 'torch ms': torch.ms };
      return [r];
    },
  },
  {
    name: 'ode-rk4-forward-unfused',
    async run() {
      const p = odeProblem();
      const m = await timeRuns(odeForward(p, fUnfused));
      p.dispose();
      return [row('odeint rk4 forward, f as matmul + add + tanh', m.wallMs, m.dispatches, ODE_STEPS * flopsPerStep)];
    },
  },
  ...(['backprop', 'adjoint'] as const).map((grad): BenchCase => ({
    name: `ode-rk4-${grad}`,
    async run() {
      const p = odeProblem();
      const loss = (W: fg.Tensor, b: fg.Tensor) =>
        fg.mean(fg.square(fg.odeint(f, p.y0, [0, 1], { method: 'rk4', steps: ODE_STEPS, params: { W, b }, grad })));
      const m = await timeRuns(() => {
        const [gW, gb] = fg.grad(loss, { argnums: [0, 1] })(p.W, p.b) as fg.Tensor[];
        return fg.add(fg.sum(gW!), fg.sum(gb!)); // one tensor to read; the rest is done by then
      }, 5);
      p.dispose();
      // backward: twice the forward's matmuls per stage (two products per VJP), the adjoint
      // also runs f again in every stage of its backward solve
      const factor = grad === 'backprop' ? 3 : 4;
      return [row(`odeint rk4 forward + gradient (${grad})`, m.wallMs, m.dispatches, factor * ODE_STEPS * flopsPerStep)];
    },
  })),
];
