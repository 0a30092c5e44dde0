// vmap against a JS loop over members, same work, same run, on WebGPU:
// - per-example gradients of an MLP 2→64→64→2 for 256 examples: vmap(grad(loss)) vs 256 grad calls;
// - an ensemble of 64 ResNets (d = 4, L = 8) trained 20 Adam steps: one vmapped step vs 64 trainings;
// - 256 Neural ODE solves with different W (RK4, 20 steps): vmap(odeint) vs 256 solves.
import * as fg from '../index.js';
import { medianWall, type Measurement } from './harness.js';
import type { BenchCase } from './kernels.js';

const goal = (target: number, ratio: number) => ({ target: `≥ ${target}× the loop`, measured: `${ratio.toFixed(1)}×`, met: ratio >= target });

type Tree = unknown;
const leavesOf = (t: Tree) => fg.models.leaves(t).map((l) => l.tensor);

/**
 * Waits for all recorded work by reading one number: the queue runs in order, so a read waits
 * for everything recorded before it, and the smallest leaf keeps the readback itself out of the
 * timing (a readback of every per-example gradient would time the copy to the host instead).
 * Both sides of each comparison wait this way.
 */
async function settle(tree: Tree): Promise<void> {
  const smallest = leavesOf(tree).reduce((a, b) => (b.size < a.size ? b : a));
  const one = fg.sum(smallest);
  await one.data();
  one.dispose();
}

async function perExample(): Promise<Measurement> {
  const N = 256;
  const net = fg.models.mlp({ sizes: [2, 64, 64, 2], seed: 1 });
  const X = fg.randn([N, 2], { seed: 2 });
  const Y = fg.randn([N, 2], { seed: 3 });
  const loss = (p: Tree, x: fg.Tensor, y: fg.Tensor) => fg.mseLoss(net.apply(p as never, fg.reshape(x, [1, 2])), fg.reshape(y, [1, 2]));
  const rows = (t: fg.Tensor) => Array.from({ length: N }, (_, i) => fg.reshape(fg.slice(t, [i, 0], [i + 1, 2]), [2]));
  const [xs, ys] = [rows(X), rows(Y)];
  const batched = fg.vmap(fg.grad(loss), { inAxes: [null, 0, 0] });
  const vm = await medianWall(async () => {
    const g = fg.tidy(() => batched(net.params, X, Y));
    await settle(g);
    fg.models.disposeTree(g);
  }, { warmup: 2, reps: 5 });
  const lp = await medianWall(async () => {
    const gs = fg.tidy(() => xs.map((x, i) => fg.grad(loss)(net.params, x, ys[i]!)));
    await settle(gs[N - 1]);
    gs.forEach((g) => fg.models.disposeTree(g));
  }, { warmup: 1, reps: 5 });
  fg.models.disposeTree(net.params);
  [X, Y, ...xs, ...ys].forEach((t) => t.dispose());
  const ratio = lp / vm;
  return {
    name: 'vmap per-example gradients',
    size: `MLP 2→64→64→2, ${N} examples; loop of grad ${lp.toFixed(1)} ms`,
    wallMs: vm,
    gpuMs: null,
    extra: { 'loop ms': lp, '× loop': ratio },
    goals: [goal(30, ratio)],
  };
}

async function ensemble(): Promise<Measurement> {
  const E = 64;
  const steps = 20;
  const models = Array.from({ length: E }, (_, e) => fg.models.resnet({ width: 4, layers: 8, seed: 100 + e }));
  const net = models[0]!;
  const x = fg.randn([32, 4], { seed: 5 });
  const y = fg.tanh(fg.randn([32, 4], { seed: 6 }));
  const loss = (p: Tree) => fg.mseLoss(net.apply(p as never, x), y);
  const lr = 0.02;
  const train = (p0: Tree, step: (p: Tree) => [fg.Tensor, Tree]) => {
    const opt = fg.optim.adam(p0, { lr });
    let p = p0;
    const losses: fg.Tensor[] = [];
    for (let s = 0; s < steps; s++) {
      const [l, g] = step(p);
      const next = fg.tidy(() => opt.step(p, g));
      if (p !== p0) fg.models.disposeTree(p);
      fg.models.disposeTree(g);
      losses.push(l);
      p = next;
    }
    opt.dispose();
    if (p !== p0) fg.models.disposeTree(p);
    return losses;
  };
  const stackedParams = () => {
    const leaves = models.map((m) => leavesOf(m.params));
    let k = 0;
    return fg.models.mapTree(net.params, () => {
      const i = k++;
      return fg.stack(leaves.map((ls) => ls[i]!));
    });
  };
  const vstep = fg.vmap(fg.valueAndGrad(loss));
  let vLoss: Float32Array | Float64Array = new Float32Array();
  const vm = await medianWall(async () => {
    const p0 = stackedParams();
    const ls = train(p0, (p) => vstep(p));
    vLoss = await ls[steps - 1]!.data();
    ls.forEach((l) => l.dispose());
    fg.models.disposeTree(p0);
  }, { warmup: 1, reps: 5 });
  // the sequential side warms up too (its shaders, its read estimate), then reads each
  // training's final loss as a loop over trainings does
  const warm = train(models[0]!.params, (p) => fg.valueAndGrad(loss)(p));
  await settle(warm);
  warm.forEach((l) => l.dispose());
  const sLoss: number[] = [];
  const t0 = performance.now();
  for (const m of models) {
    const ls = train(m.params, (p) => fg.valueAndGrad(loss)(p));
    sLoss.push((await ls[steps - 1]!.data())[0]!);
    ls.forEach((l) => l.dispose());
  }
  const seq = performance.now() - t0; // one run: 64 trainings are long enough to time once
  let worst = 0;
  sLoss.forEach((l, e) => (worst = Math.max(worst, Math.abs(l - vLoss[e]!) / Math.max(Math.abs(l), 1e-30))));
  models.forEach((m) => fg.models.disposeTree(m.params));
  [x, y].forEach((t) => t.dispose());
  const ratio = seq / vm;
  return {
    name: 'vmap ResNet ensemble training',
    size: `${E} ResNets d=4 L=8, ${steps} Adam steps on 32 samples; sequential ${seq.toFixed(0)} ms; final losses differ by ≤ ${worst.toExponential(1)} (relative)`,
    wallMs: vm,
    gpuMs: null,
    extra: { 'sequential ms': seq, '× sequential': ratio, 'max rel loss diff': worst },
    goals: [goal(10, ratio)],
  };
}

async function nodeSolves(): Promise<Measurement> {
  const M = 256;
  const d = 16;
  const Ws = fg.mul(fg.randn([M, d, d], { seed: 7 }), 1 / Math.sqrt(d));
  const y0 = fg.randn([16, d], { seed: 8 });
  const rhs = (_t: number, y: fg.Tensor, W: fg.Tensor) => fg.tanh(fg.matmul(y, W));
  const solve = (W: fg.Tensor) => fg.odeint(rhs, y0, [0, 1], { method: 'rk4', steps: 20, params: W });
  const members = Array.from({ length: M }, (_, i) => fg.reshape(fg.slice(Ws, [i, 0, 0], [i + 1, d, d]), [d, d]));
  const batched = fg.vmap(solve);
  const vm = await medianWall(async () => {
    const ys = fg.tidy(() => batched(Ws));
    await settle(ys);
    ys.dispose();
  }, { warmup: 10, reps: 5 }); // warm-up long enough for the read's sleep estimate to settle after other cases
  // the loop reads each solve's result, as a loop over solves does (a queue of 256 solves
  // that never waits also grows without bound on Dawn); one timed run: it is long enough
  const warm = fg.tidy(() => solve(members[0]!));
  await settle(warm);
  warm.dispose();
  const t0 = performance.now();
  for (const W of members) {
    const y = fg.tidy(() => solve(W));
    await settle(y);
    y.dispose();
  }
  const lp = performance.now() - t0;
  [Ws, y0, ...members].forEach((t) => t.dispose());
  const ratio = lp / vm;
  return {
    name: 'vmap Neural ODE solves',
    size: `${M} solves of dy/dt = tanh(y·W), y [16, ${d}], RK4 ×20; loop ${lp.toFixed(1)} ms`,
    wallMs: vm,
    gpuMs: null,
    extra: { 'loop ms': lp, '× loop': ratio },
    goals: [goal(20, ratio)],
  };
}

export const vmapBenches: BenchCase[] = [
  { name: 'vmap-per-example', run: async () => [await perExample()] },
  { name: 'vmap-ensemble', run: async () => [await ensemble()] },
  { name: 'vmap-node', run: async () => [await nodeSolves()] },
];
