// Soak: long WebGPU training loops that never read back, with the process's resident memory
// and flowgrad's live buffers printed along the way. Native memory that grows while
// fg.memory() stays flat is work or objects the driver keeps for us.
//   node <bundle of this file> odeint|mlp [steps] [every] [sync]
// prints one JSON line per checkpoint: { loop, step, rssMB, buffers, ms }, then how long a read
// waits for the work still queued. The loop yields to the event loop at each checkpoint, or
// never with 'sync' (a loop with no await at all).
import * as fg from '../index.js';

/** y' = tanh(W y + b): the odeint loop of the soak, rk4 with 10 steps, grads by backprop */
export function odeintLoop(): () => void {
  const f = (_t: number, y: fg.Tensor, q: { w: fg.Tensor; b: fg.Tensor }) => fg.tanh(fg.add(fg.matmul(y, q.w), q.b));
  const y0 = fg.randn([16, 8], { seed: 1 });
  let p = { w: fg.mul(fg.randn([8, 8], { seed: 2 }), 0.25), b: fg.zeros([8]) };
  const g = fg.grad((q: typeof p) => fg.mean(fg.square(fg.odeint(f, y0, [0, 1], { method: 'rk4', steps: 10, params: q }))));
  return () => {
    const next = fg.tidy(() => {
      const d = g(p) as typeof p;
      return { w: fg.sub(p.w, fg.mul(d.w, 0.01)), b: fg.sub(p.b, fg.mul(d.b, 0.01)) };
    });
    fg.models.disposeTree(p);
    p = next;
  };
}

/** the MLP 2→64→64→2 (tanh), MSE on a batch of 256, SGD: one step per call */
export function mlpLoop(): () => void {
  const model = fg.models.mlp({ sizes: [2, 64, 64, 2], activation: 'tanh', seed: 1 });
  const x = fg.randn([256, 2], { seed: 2 });
  const y = fg.tanh(fg.randn([256, 2], { seed: 3 }));
  const opt = fg.optim.sgd(model.params, { lr: 0.05 });
  const vg = fg.valueAndGrad((p: typeof model.params) => fg.mseLoss(model.apply(p, x), y));
  let params = model.params;
  return () => {
    const next = fg.tidy(() => opt.step(params, vg(params)[1] as typeof params));
    fg.models.disposeTree(params);
    params = next;
  };
}

export interface SoakPoint {
  loop: string;
  step: number;
  rssMB: number;
  buffers: number;
  ms: number;
}

/** Runs `steps` steps of a loop without a read, reporting at every `every` steps. */
export async function soak(loop: 'odeint' | 'mlp', steps: number, every: number, report: (p: SoakPoint) => void, sync = false): Promise<void> {
  const step = loop === 'odeint' ? odeintLoop() : mlpLoop();
  const t0 = performance.now();
  for (let i = 1; i <= steps; i++) {
    step();
    if (i % every === 0) {
      // give timers a turn (nothing here waits on the GPU)
      if (!sync) await new Promise((r) => setImmediate(r));
      report({ loop, step: i, rssMB: Math.round((process.memoryUsage.rss() / 2 ** 20) * 10) / 10, buffers: fg.memory().buffers, ms: Math.round(performance.now() - t0) });
    }
  }
}

const isMain = process.argv[1] && /soak\.(m?js|ts)$/.test(process.argv[1]);
if (isMain) {
  const [loop = 'odeint', steps = '10000', every = '1000', mode] = process.argv.slice(2);
  if (loop !== 'odeint' && loop !== 'mlp') throw new Error(`loop must be odeint or mlp, got ${loop}`);
  await fg.init();
  await soak(loop, Number(steps), Number(every), (p) => console.log(JSON.stringify(p)), mode === 'sync');
  // how far the device was behind: the time a one-number read waits for the queued work
  const t0 = performance.now();
  await fg.zeros([1]).data();
  console.log(JSON.stringify({ loop, drainMs: Math.round(performance.now() - t0) }));
  process.exit(0);
}
