// fg.jit: traced once per signature, run as a plan with fused elementwise chains. Results are
// checked against the un-jitted function: bit for bit on the float64 CPU backend (the fused
// kernel's reference is the composition of the parts' references), to float32 rounding on WebGPU.
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import * as fg from '../index.js';
import { backendNamed, withBackend } from '../engine/context.js';
import type { Backend } from '../engine/backend.js';
import { initBoth, maxAbsDiff } from './helpers.js';

let cpu: Backend;
let gpu: Backend;
beforeAll(async () => ({ cpu, gpu } = await initBoth()));
afterEach(() => vi.restoreAllMocks());

const on = <T>(b: Backend, fn: () => T) => withBackend(b, fn);
const values = async (t: fg.Tensor) => Array.from(await t.data());
const dispatchesOf = (fn: () => unknown) => {
  const before = fg.stats().dispatches;
  fn();
  return fg.stats().dispatches - before;
};

type P = { W: fg.Tensor; b: fg.Tensor };
const loss = (p: P, x: fg.Tensor) => fg.mean(fg.square(fg.linear(x, p.W, p.b, { activation: 'tanh' })));

describe('jit on both backends', () => {
  for (const name of ['cpu', 'webgpu'] as const) {
    const tol = name === 'cpu' ? 0 : 2e-6;
    it(`fuses an elementwise chain into one kernel, with broadcasting and numbers (${name})`, async () => {
      const b = name === 'cpu' ? cpu : gpu;
      await on(b, async () => {
        const f = (x: fg.Tensor, y: fg.Tensor) => fg.sigmoid(fg.sub(fg.tanh(fg.add(fg.mul(x, y), 1)), fg.mul(y, 0.5)));
        const x = fg.randn([37, 5], { seed: 1 });
        const y = fg.randn([5], { seed: 2 });
        const jf = fg.jit(f);
        const want = await values(f(x, y));
        let got: fg.Tensor | null = null;
        expect(dispatchesOf(() => (got = jf(x, y)))).toBe(1);
        expect(jf.plans[0]!.kernels).toEqual(['fused(mul,add,tanh,mul,sub,sigmoid)']);
        expect(maxAbsDiff(await values(got!), want)).toBeLessThanOrEqual(tol);
      });
    });

    it(`jit(valueAndGrad(loss)) equals valueAndGrad(loss) (${name})`, async () => {
      const b = name === 'cpu' ? cpu : gpu;
      await on(b, async () => {
        const p = { W: fg.randn([6, 4], { seed: 3, std: 0.5 }), b: fg.randn([4], { seed: 4 }) };
        const x = fg.randn([9, 6], { seed: 5 });
        const vg = fg.valueAndGrad(loss);
        const jvg = fg.jit((q: P, xs: fg.Tensor) => vg(q, xs));
        const [v0, g0] = vg(p, x) as [fg.Tensor, P];
        const [v1, g1] = jvg(p, x) as [fg.Tensor, P];
        expect(Math.abs((await v1.item()) - (await v0.item()))).toBeLessThanOrEqual(tol);
        expect(maxAbsDiff(await values(g1.W), await values(g0.W))).toBeLessThanOrEqual(tol);
        expect(maxAbsDiff(await values(g1.b), await values(g0.b))).toBeLessThanOrEqual(tol);
        // the pre-activation the backward pass of tanh needs is computed once, not again: the
        // forward kernel stores it beside tanh of it
        expect(jvg.plans[0]!.kernels.filter((k) => k.startsWith('linear'))).toEqual(['linear+(tanh) keeping linear']);
      });
    });
  }
});

describe('jit plans', () => {
  it('a chain of 200 adds is one dispatch', async () => {
    const x = on(gpu, () => fg.randn([64], { seed: 6 }));
    const chain = fg.jit((y: fg.Tensor) => {
      for (let i = 0; i < 200; i++) y = fg.add(y, 0.01);
      return y;
    });
    let out: fg.Tensor | null = null;
    expect(dispatchesOf(() => (out = chain(x)))).toBe(1);
    const want = (await values(x)).map((v) => v + 2);
    expect(maxAbsDiff(await values(out!), want)).toBeLessThan(2e-5); // 200 float32 roundings of v + 0.01
  });

  it('a call submits once and a steady loop holds steady memory', async () => {
    const f = fg.jit((x: fg.Tensor, w: fg.Tensor) => fg.tanh(fg.add(fg.matmul(x, w), 1)));
    const x = on(gpu, () => fg.randn([16, 8], { seed: 7 }));
    const w = on(gpu, () => fg.randn([8, 8], { seed: 8 }));
    f(x, w).dispose();
    const s0 = fg.stats();
    const m0 = on(gpu, () => fg.memory());
    for (let i = 0; i < 20; i++) f(x, w).dispose();
    const s1 = fg.stats();
    expect(s1.submits - s0.submits).toBe(20);
    expect(s1.dispatches - s0.dispatches).toBe(20); // add∘tanh in the matmul's epilogue
    expect(f.plans[0]!.kernels).toEqual(['matmul+(add,tanh)']);
    expect(on(gpu, () => fg.memory())).toEqual(m0);
  });

  it('a product or reduction read by a chain and by others stores both in one kernel', async () => {
    const f = (x: fg.Tensor, w: fg.Tensor) => {
      const s = fg.sum(x, 0);
      const z = fg.matmul(x, w);
      return [fg.exp(fg.neg(s)), fg.mul(s, 3), fg.tanh(z), fg.add(z, 1)];
    };
    const jf = fg.jit(f);
    const x = on(gpu, () => fg.randn([300, 12], { seed: 18 }));
    const w = on(gpu, () => fg.randn([12, 12], { seed: 19 }));
    const want = f(x, w);
    const got = jf(x, w);
    expect(jf.plans[0]!.kernels).toEqual(['sum+(neg,exp) keeping sum', 'mul', 'matmul+(tanh) keeping matmul', 'add']);
    for (let i = 0; i < 4; i++) expect(maxAbsDiff(await values(got[i]!), await values(want[i]!))).toBeLessThan(2e-5);
  });

  it('a number computed in two chains from a reduction, and a captured tensor seen in two shapes', async () => {
    for (const b of [cpu, gpu]) {
      await on(b, async () => {
        const c = fg.arange(6);
        const f = (x: fg.Tensor, y: fg.Tensor) => {
          const total = fg.add(fg.sum(c), 0); // c as it is, then reshaped: one storage, two shapes
          const e = fg.exp(fg.mul(fg.sum(x, 1), 0.01)); // [1]: one number read by the two chains below
          return [total, fg.mul(e, y), fg.add(e, fg.square(y)), fg.add(x, fg.reshape(c, [1, 6]))];
        };
        const x = fg.randn([1, 6], { seed: 20 });
        const y = fg.randn([1], { seed: 21 });
        const want = f(x, y);
        const got = fg.jit(f)(x, y);
        for (let i = 0; i < 4; i++) expect(maxAbsDiff(await values(got[i]!), await values(want[i]!))).toBeLessThanOrEqual(b === cpu ? 0 : 1e-6);
      });
    }
  });

  it('retraces when shapes or static numbers change, never reusing a wrong plan', async () => {
    const f = fg.jit((x: fg.Tensor, k: number) => fg.mul(x, k));
    await on(cpu, async () => {
      expect(await values(f(fg.tensor([1, 2]), 3))).toEqual([3, 6]);
      expect(await values(f(fg.tensor([4, 5]), 3))).toEqual([12, 15]);
      expect(f.traces).toBe(1);
      expect(await values(f(fg.tensor([1, 2, 3]), 3))).toEqual([3, 6, 9]);
      expect(await values(f(fg.tensor([1, 2]), -1))).toEqual([-1, -2]);
      expect(f.traces).toBe(3);
    });
  });

  it('warns once after many retraces', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const f = fg.jit((x: fg.Tensor) => fg.neg(x));
    on(cpu, () => {
      for (let n = 1; n <= 12; n++) f(fg.zeros([n]));
    });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/traced 9 times.*keep shapes fixed/);
  });

  it('captured tensors are constants of the plan, held until clear()', async () => {
    await on(cpu, async () => {
      const c = fg.tensor([10, 20]);
      const f = fg.jit((x: fg.Tensor) => fg.add(x, c));
      expect(await values(f(fg.tensor([1, 2])))).toEqual([11, 22]);
      c.dispose();
      expect(await values(f(fg.tensor([3, 4])))).toEqual([13, 24]);
      f.clear();
      expect(() => f(fg.tensor([3, 4]))).toThrow(/captured \[2\] was disposed|disposed/);
    });
  });
});

describe('jit composes', () => {
  it('grad(jit(f)), vmap(jit(f)) and jit(vmap(f)) equal the same without jit', async () => {
    await on(cpu, async () => {
      const f = (x: fg.Tensor) => fg.sum(fg.mul(fg.sin(x), fg.exp(x)));
      const x = fg.randn([5], { seed: 9 });
      expect(await values(fg.grad(fg.jit(f))(x) as fg.Tensor)).toEqual(await values(fg.grad(f)(x) as fg.Tensor));
      const xs = fg.randn([3, 5], { seed: 10 });
      const want = await values(fg.vmap(f)(xs));
      expect(await values(fg.vmap(fg.jit(f))(xs))).toEqual(want);
      expect(await values(fg.jit(fg.vmap(f))(xs))).toEqual(want);
    });
  });

  it('a fixed-step odeint inside jit equals the solve without it, in fewer dispatches', async () => {
    const p = on(gpu, () => ({ W: fg.randn([16, 16], { seed: 11, std: 0.25 }), b: fg.randn([16], { seed: 12, std: 0.1 }) }));
    const y0 = on(gpu, () => fg.randn([8, 16], { seed: 13 }));
    const solve = (y: fg.Tensor, q: P) =>
      fg.odeint((_t: number, s: fg.Tensor, r: P) => fg.tanh(fg.add(fg.matmul(s, r.W), r.b)), y, [0, 1], { method: 'rk4', steps: 10, params: q });
    const js = fg.jit(solve);
    js(y0, p).dispose();
    let a: fg.Tensor | null = null;
    let b: fg.Tensor | null = null;
    const plain = dispatchesOf(() => (a = solve(y0, p)));
    const jitted = dispatchesOf(() => (b = js(y0, p)));
    expect(maxAbsDiff(await values(b!), await values(a!))).toBeLessThan(1e-5);
    expect(jitted).toBeLessThan(plain);
  });
});

describe('jit bad input', () => {
  it('reading a traced value says what cannot be traced and how to make it static', async () => {
    const f = fg.jit((x: fg.Tensor) => {
      void x.data();
      return x;
    });
    expect(() => on(cpu, () => f(fg.tensor([1])))).toThrow(/jit: the value of a traced tensor cannot be read .*number argument \(numbers are static/);
    const g = fg.jit(async (x: fg.Tensor) => x);
    expect(() => on(cpu, () => g(fg.tensor([1])))).toThrow(/jit\(f\): f returned a Promise; a jitted function must be synchronous/);
  });

  it('a tensor of an outer transform used from outside, or returned, names the problem', () => {
    on(cpu, () => {
      const x = fg.tensor([1, 2]);
      expect(() =>
        fg.grad((y: fg.Tensor) => {
          const inner = fg.jit((z: fg.Tensor) => fg.mul(z, y));
          return fg.sum(inner(fg.tensor([3, 4])));
        })(x),
      ).toThrow(/mul: argument b \[2\] is traced by an outer transform .*pass it to the jitted function as an argument/);
      expect(() =>
        fg.grad((y: fg.Tensor) => {
          const inner = fg.jit((_z: fg.Tensor) => y);
          return fg.sum(inner(fg.tensor([3, 4])));
        })(x),
      ).toThrow(/output 0 \[2\] is traced by an outer transform/);
    });
  });

  it('arguments must be tensors, numbers, strings, booleans or trees of them', () => {
    const f = fg.jit((x: fg.Tensor) => x);
    expect(() => on(cpu, () => (f as any)(fg.tensor([1]), () => 1))).toThrow(/jit: argument 1 is a function; a jitted function takes tensors, numbers/);
    expect(() => fg.jit(3 as any)).toThrow(/jit: f must be a function, got 3/);
  });
});

describe('stats', () => {
  it('counts dispatches, submits and reads', async () => {
    const x = on(gpu, () => fg.randn([4], { seed: 14 }));
    const s0 = fg.stats();
    const y = on(gpu, () => fg.exp(fg.neg(x)));
    const s1 = fg.stats();
    await y.data();
    const s2 = fg.stats();
    expect(s1.dispatches - s0.dispatches).toBe(2);
    expect(s2.reads - s1.reads).toBe(1);
    expect(s2.submits - s1.submits).toBeGreaterThanOrEqual(1);
    void backendNamed;
  });
});

describe('jit donation', () => {
  it('donated parameters are consumed and their buffers reused by the update', async () => {
    const step = fg.jit((p: P, x: fg.Tensor) => {
      const g = fg.grad((q: P) => loss(q, x))(p) as P;
      return { W: fg.sub(p.W, fg.mul(g.W, 0.1)), b: fg.sub(p.b, fg.mul(g.b, 0.1)) };
    }, { donate: [0] });
    const plain = (p: P, x: fg.Tensor) =>
      fg.tidy(() => {
        const g = fg.grad((q: P) => loss(q, x))(p) as P;
        return { W: fg.sub(p.W, fg.mul(g.W, 0.1)), b: fg.sub(p.b, fg.mul(g.b, 0.1)) };
      });
    const x = on(gpu, () => fg.randn([32, 8], { seed: 15 }));
    let p: P = on(gpu, () => ({ W: fg.randn([8, 8], { seed: 16, std: 0.3 }), b: fg.randn([8], { seed: 17 }) }));
    let q: P = { W: on(gpu, () => fg.mul(p.W, 1)), b: on(gpu, () => fg.mul(p.b, 1)) };
    p = step(p, x); // the first call traces
    q = plain(q, x);
    const before = on(gpu, () => fg.memory());
    for (let i = 0; i < 5; i++) {
      const old = p;
      p = step(p, x);
      expect(old.W.isDisposed && old.b.isDisposed).toBe(true);
      const oq = q;
      q = plain(q, x);
      fg.models.disposeTree(oq);
    }
    expect(on(gpu, () => fg.memory())).toEqual(before);
    expect(maxAbsDiff(await values(p.W), await values(q.W))).toBeLessThan(1e-6);
    expect(maxAbsDiff(await values(p.b), await values(q.b))).toBeLessThan(1e-6);
  });

  it('a donated tensor also given undonated is kept until its last read', async () => {
    await on(cpu, async () => {
      const f = fg.jit((a: fg.Tensor, b: fg.Tensor) => fg.add(fg.exp(a), fg.mul(b, 2)), { donate: [0] });
      const a = fg.tensor([0, 1]);
      const out = f(a, a);
      expect(a.isDisposed).toBe(true);
      expect(maxAbsDiff(await values(out), [1, Math.E + 2])).toBeLessThan(1e-12);
    });
    expect(() => fg.jit((x: fg.Tensor) => x, { donate: [-1] })).toThrow(/jit: donate must be an array of argument positions/);
    expect(() => fg.jit((x: fg.Tensor) => x, { donat: [0] } as any)).toThrow(/jit.*donat/);
  });
});

describe('jit plans of the benchmarked steps', () => {
  it('the MLP 2→64→64→2 SGD step is 13 dispatches (25 without jit), and equals the eager step', async () => {
    const run = (jitted: boolean) =>
      withBackend(gpu, () => {
        const model = fg.models.mlp({ sizes: [2, 64, 64, 2], activation: 'tanh', seed: 1 });
        const x = fg.randn([256, 2], { seed: 2 });
        const y = fg.tanh(fg.randn([256, 2], { seed: 3 }));
        const opt = fg.optim.sgd(model.params, { lr: 0.05 });
        const vg = fg.valueAndGrad((p: typeof model.params) => fg.mseLoss(model.apply(p, x), y));
        const step = (p: typeof model.params, c: fg.optim.OptimizerCarry) => {
          const [v, g] = vg(p) as [fg.Tensor, typeof model.params];
          const n = opt.update(p, g, c);
          return { v, p: n.params, c: n.carry };
        };
        const f = jitted ? fg.jit(step) : step;
        f(model.params, opt.init()); // the first call traces (work on constants runs then)
        const before = fg.stats().dispatches;
        const out = f(model.params, opt.init());
        return { out, dispatches: fg.stats().dispatches - before, kernels: jitted ? (f as fg.Jitted<typeof step>).plans[0]!.kernels : [] };
      });
    const eager = run(false);
    const jitted = run(true);
    expect(eager.dispatches).toBe(25); // the bench's eager step, with opt.step (no step count), is 24
    expect(jitted.dispatches).toBe(13); // the reshapes are views
    expect(jitted.kernels).toEqual([
      'linear+(tanh) keeping linear', 'linear+(tanh) keeping linear', 'linear+(scaledDifference) keeping linear', 'mseLoss',
      'reshape', 'matmul+(tanhBackward)', 'reshape', 'matmul+(tanhBackward)', 'reshape', 'add',
      'matmul+(mulAdd)', 'sum+(mulAdd)', 'matmul+(mulAdd)', 'sum+(mulAdd)', 'matmul+(mulAdd)', 'sum+(mulAdd)',
    ]);
    expect(Math.abs((await jitted.out.v.item()) - (await eager.out.v.item()))).toBeLessThan(1e-6);
    const leaves = (t: unknown) => fg.models.leaves(t).map((l: { tensor: fg.Tensor }) => l.tensor);
    const [a, b] = [leaves(eager.out.p), leaves(jitted.out.p)];
    for (let i = 0; i < a.length; i++) expect(maxAbsDiff(await values(b[i]!), await values(a[i]!))).toBeLessThan(2e-6);
  });
});
