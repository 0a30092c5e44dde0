// Derivatives of odeint: gradcheck of backprop (plain and checkpointed) and of the adjoint,
// forward mode against both (dot-product test), jacfwd of a flow map, the adjoint's constant
// memory, and the same on WebGPU (float32).
import { beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';
import { F32_EPS, dot, initBoth, maxAbs, maxAbsDiff } from './helpers.js';

beforeAll(async () => {
  await initBoth();
});

type P = { W: fg.Tensor; b: fg.Tensor };
/** A small Neural ODE, time-dependent: dy/dt = tanh(y W + (1 + t)·b), rows of y are samples. */
const node = (t: number, y: fg.Tensor, p: P) => fg.tanh(fg.add(fg.matmul(y, p.W), fg.mul(p.b, 1 + t)));
const ts = [0, 0.4, 1];
const inputs = () => [fg.randn([3, 4], { seed: 11 }), fg.randn([4, 4], { seed: 12, std: 0.6 }), fg.randn([4], { seed: 13, std: 0.5 })];
/** Separable, for leapfrog: state [q, p] on the last axis, q′ = p, p′ = −tanh(q)·W₂ₓ₂ per sample. */
const ham = (_t: number, y: fg.Tensor, p: P) => fg.concat([fg.slice(y, [2], [4], [-1]), fg.neg(fg.matmul(fg.tanh(fg.slice(y, [0], [2], [-1])), fg.slice(p.W, [0, 0], [2, 2])))], -1);
const solver = (opts: fg.OdeintOptions<P>) => (y0: fg.Tensor, W: fg.Tensor, b: fg.Tensor) => fg.odeint(node, y0, ts, { ...opts, params: { W, b } });

function expectPass(report: fg.GradcheckReport, what: string) {
  const worst = report.inputs.map((r) => `input ${r.input}: max abs error ${r.maxAbsError.toExponential(2)} (atol ${r.atol.toExponential(1)}, rtol ${r.rtol})`).join('; ');
  expect(report.pass, `${what}: ${worst}`).toBe(true);
}

describe('gradcheck (cpu, float64)', () => {
  beforeAll(async () => {
    await fg.init({ backend: 'cpu' });
  });

  it('backprop through every fixed-step method, with cotangents at several output times', async () => {
    // gradcheck contracts the stacked output [3, 3, 4] with a random cotangent: every time in ts counts
    for (const method of ['euler', 'midpoint', 'heun', 'rk4', 'rk38'] as const) {
      expectPass(await fg.gradcheck(solver({ method, steps: 3 }), inputs()), method);
    }
    const lf = (y0: fg.Tensor, W: fg.Tensor) => fg.odeint(ham, y0, ts, { method: 'leapfrog', steps: 4, params: { W, b: W } });
    expectPass(await fg.gradcheck(lf, inputs().slice(0, 2)), 'leapfrog');
    // dopri5 on a fixed grid: a smooth function of the inputs (adaptive steps would jump)
    expectPass(await fg.gradcheck(solver({ grid: [0, 0.1, 0.25, 0.4, 0.7, 1] }), inputs()), 'dopri5 on a grid');
  });

  it('checkpointing gives backprop gradients to round-off (rk4, leapfrog, adaptive dopri5)', async () => {
    const [y0, W, b] = inputs();
    const cases: [fg.OdeintOptions<P>, fg.OdeintOptions<P>][] = [
      [{ method: 'rk4', steps: 7 }, { method: 'rk4', steps: 7, checkpoint: 3 }],
      [{ method: 'rk4', steps: 16 }, { method: 'rk4', steps: 16, checkpoint: true }],
      [{ method: 'leapfrog', dt: 0.05 }, { method: 'leapfrog', dt: 0.05, checkpoint: 4 }],
      [{ rtol: 1e-6, atol: 1e-8 }, { rtol: 1e-6, atol: 1e-8, checkpoint: 2 }],
    ];
    for (const [plain, ckpt] of cases) {
      // leapfrog's carried kick equals a fresh one only for a separable system
      const f = plain.method === 'leapfrog' ? ham : node;
      const loss = (o: fg.OdeintOptions<P>) => (W: fg.Tensor, b: fg.Tensor, y: fg.Tensor) => fg.sum(fg.square(fg.odeint(f, y, ts, { ...o, params: { W, b } })));
      const g1 = fg.grad(loss(plain), { argnums: [0, 1, 2] })(W, b, y0) as fg.Tensor[];
      const g2 = fg.grad(loss(ckpt), { argnums: [0, 1, 2] })(W, b, y0) as fg.Tensor[];
      for (let i = 0; i < 3; i++) {
        // the same steps and stages; only the first stage of each segment is recomputed
        // (leapfrog's and dopri5's carried f value), which is the same number again
        expect(maxAbsDiff(await g1[i]!.data(), await g2[i]!.data())).toBeLessThan(1e-13 * Math.max(1, maxAbs(await g1[i]!.data())));
      }
    }
  });

  it('the adjoint against finite differences of a solve at tight tolerance', async () => {
    // rk4 with h = 0.01: the discrete solve and the discretized adjoint both err by O(h⁴) ≈ 1e-8
    // relative, below gradcheck's float64 bound (atol ≈ 4e-9 plus rtol 1e-6 of each entry)
    expectPass(await fg.gradcheck(solver({ method: 'rk4', dt: 0.01, grad: 'adjoint' }), inputs()), 'adjoint, rk4');
    // the adjoint solved by dopri5 backwards, forward by rk4
    expectPass(await fg.gradcheck(solver({ method: 'rk4', dt: 0.01, grad: 'adjoint', adjoint: { method: 'dopri5', rtol: 1e-10, atol: 1e-12 } }), inputs()), 'adjoint, dopri5 backwards');
  });

  it('the adjoint with dopri5 both ways meets the closed form d/dw of x(T) = e^{wT}x₀', async () => {
    const [w, x0, T] = [-0.8, 1.7, 1.5];
    const f = (_t: number, x: fg.Tensor, p: { w: fg.Tensor }) => fg.mul(x, p.w);
    const [gw, gx] = fg.grad((w: fg.Tensor, x: fg.Tensor) => fg.sum(fg.slice(fg.odeint(f, x, [0, T], { rtol: 1e-10, atol: 1e-12, params: { w }, grad: 'adjoint' }), [1])), { argnums: [0, 1] })(fg.tensor(w), fg.tensor([x0])) as fg.Tensor[];
    // two solves at rtol 1e-10, each within a few tolerances (see the dopri5 test)
    expect(Math.abs((await gw!.item()) - T * Math.exp(w * T) * x0)).toBeLessThan(1e-8);
    expect(Math.abs((await gx!.item()) - Math.exp(w * T))).toBeLessThan(1e-8);
  });
});

describe('forward mode (cpu, float64)', () => {
  beforeAll(async () => {
    await fg.init({ backend: 'cpu' });
  });

  it('jvp through the solver agrees with backprop (exactly) and the adjoint (to its accuracy): ⟨v, J u⟩ = ⟨Jᵀv, u⟩', async () => {
    const xs = inputs();
    const us = [fg.randn([3, 4], { seed: 21 }), fg.randn([4, 4], { seed: 22 }), fg.randn([4], { seed: 23 })];
    const v = fg.randn([3, 3, 4], { seed: 24 });
    const vv = await v.data();
    for (const [grad, rel] of [
      // reverse mode of the same discrete map: round-off of a few thousand operations
      ['backprop', 1e-12],
      // the adjoint discretizes the continuous adjoint: O(h⁴) with h = 0.01
      ['adjoint', 1e-7],
    ] as const) {
      const fn = solver({ method: 'rk4', dt: 0.01, grad });
      const [, tangent] = fg.jvp(fn, xs, us);
      const lhs = dot(vv, await (tangent as fg.Tensor).data());
      const [, back] = fg.vjp(fn, ...xs);
      const cts = back(v) as fg.Tensor[];
      back.dispose();
      let rhs = 0;
      for (let i = 0; i < 3; i++) rhs += dot(await cts[i]!.data(), await us[i]!.data());
      expect(Math.abs(lhs - rhs)).toBeLessThan(rel * Math.abs(lhs));
    }
  });

  it('jacfwd of a flow map is e^{AT} (rk4, and adaptive dopri5)', async () => {
    const A = fg.tensor([[-0.1, 1], [-1, -0.1]]);
    const T = 2;
    const d = Math.exp(-0.1 * T);
    const eAT = [d * Math.cos(T), d * Math.sin(T), -d * Math.sin(T), d * Math.cos(T)];
    for (const [opts, tol] of [
      [{ method: 'rk4', steps: 100 }, 5e-9], // rk4's global error at h = 0.02 here: ≈ 2e-9 (h⁴ scaling of the order table)
      [{ rtol: 1e-10, atol: 1e-12 }, 1e-9], // a few tolerances
    ] as const) {
      const flow = (x: fg.Tensor) => fg.reshape(fg.slice(fg.odeint((_t, y) => fg.matmul(A, y), x, [0, T], opts), [1]), [2]);
      const J = fg.jacfwd(flow)(fg.tensor([1, 0.5]));
      expect(J.shape).toEqual([2, 2]);
      expect(maxAbsDiff(await J.data(), eAT)).toBeLessThan(tol);
    }
  });
});

/** Bytes live at the peak while fn runs (in a tidy), above what was live before. */
function peakOf(fn: () => unknown): number {
  const before = fg.memory({ resetPeak: true }).bytes;
  fg.tidy(() => void fn());
  return fg.memory({ peak: true }).peakBytes - before;
}

for (const backend of ['cpu', 'webgpu'] as const) {
  describe(`memory on ${backend}`, () => {
    it('the adjoint peaks at the same bytes for few and many steps; backprop grows with them; checkpoints bound it', async () => {
      await fg.init({ backend });
      const y0 = fg.randn([8, 16], { seed: 31 });
      const W = fg.randn([16, 16], { seed: 32, std: 0.3 });
      const b = fg.randn([16], { seed: 33 });
      const state = y0.size * (backend === 'cpu' ? 8 : 4);
      const loss = (o: fg.OdeintOptions<P>) => (W: fg.Tensor) => fg.sum(fg.square(fg.odeint(node, y0, [0, 1], { method: 'rk4', ...o, params: { W, b } })));
      const many = backend === 'cpu' ? 1000 : 100; // WebGPU on a software driver: fewer steps, same point
      const peak = (o: fg.OdeintOptions<P>) => peakOf(() => fg.grad(loss(o))(W));
      peak({ steps: 2, grad: 'adjoint' }); // warm-up: fills the buffer pool's buckets
      const adj = [peak({ steps: 10, grad: 'adjoint' }), peak({ steps: many, grad: 'adjoint' })];
      const bp = [peak({ steps: 10 }), peak({ steps: many })];
      const ck = peak({ steps: many, checkpoint: true });
      console.log(`${backend} peak bytes above baseline (state = ${state} B): adjoint ${adj[0]} (10 steps), ${adj[1]} (${many}); backprop ${bp[0]}, ${bp[1]}; backprop with checkpoints every ~√${many} steps ${ck}`);
      // each step replaces the state and frees its intermediates: nothing depends on the count
      expect(adj[1]).toBe(adj[0]);
      // the tape keeps at least the state of every step
      expect(bp[1]! - bp[0]!).toBeGreaterThan((many - 10) * state);
      // √N segment states plus one segment's tape instead of N steps' tape
      expect(ck).toBeLessThan(bp[1]! / 4);
      expect(ck).toBeGreaterThan(adj[1]!);
    });
  });
}

describe('derivatives on WebGPU (float32) against the float64 reference', () => {
  it('backprop, checkpointed backprop and the adjoint', async () => {
    const grads = async (backend: 'cpu' | 'webgpu', opts: fg.OdeintOptions<P>) => {
      await fg.init({ backend });
      const [y0, W, b] = inputs();
      const loss = (y0: fg.Tensor, W: fg.Tensor, b: fg.Tensor) => fg.sum(fg.square(solver(opts)(y0, W, b)));
      const gs = fg.grad(loss, { argnums: [0, 1, 2] })(y0, W, b) as fg.Tensor[];
      return Promise.all(gs.map(async (g) => Array.from(await g.data())));
    };
    const results: Record<string, number[][]> = {};
    for (const [name, opts] of [
      ['backprop', { method: 'rk4', steps: 10 }],
      ['checkpoint', { method: 'rk4', steps: 10, checkpoint: 3 }],
      ['adjoint', { method: 'rk4', steps: 10, grad: 'adjoint' }],
    ] as const) {
      const cpu = await grads('cpu', opts);
      const gpu = (results[name] = await grads('webgpu', opts));
      for (let i = 0; i < 3; i++) {
        // float32 round-off along ~30 steps of ~20 operations each, relative to the gradient's size
        expect(maxAbsDiff(gpu[i]!, cpu[i]!)).toBeLessThan(2e-4 * Math.max(1, maxAbs(cpu[i]!)));
      }
    }
    // rk4 has no carried stage: checkpointing repeats the very same float32 operations
    for (let i = 0; i < 3; i++) expect(maxAbsDiff(results.checkpoint![i]!, results.backprop![i]!)).toBeLessThan(4 * F32_EPS * maxAbs(results.backprop![i]!));
  });

  it('dopri5 on WebGPU: steps from odeintGrid, gradients by backprop and by the adjoint on the reversed grid', async () => {
    const tol = { rtol: 1e-5, atol: 1e-7 };
    const grads = async (backend: 'cpu' | 'webgpu', grad: 'backprop' | 'adjoint') => {
      await fg.init({ backend });
      const [y0, W, b] = inputs();
      // the cpu backend chooses the steps as it goes; WebGPU takes them from odeintGrid
      const grid = backend === 'webgpu' ? await fg.odeintGrid(node, y0, ts, { ...tol, params: { W, b } }) : undefined;
      const opts: fg.OdeintOptions<P> = grid ? { grid, grad } : { ...tol, grad, ...(grad === 'adjoint' ? { adjoint: tol } : {}) };
      const loss = (W: fg.Tensor, b: fg.Tensor) => fg.sum(fg.square(fg.odeint(node, y0, ts, { ...opts, params: { W, b } })));
      const gs = fg.grad(loss, { argnums: [0, 1] })(W, b) as fg.Tensor[];
      return Promise.all(gs.map(async (g) => Array.from(await g.data())));
    };
    for (const grad of ['backprop', 'adjoint'] as const) {
      const [cpu, gpu] = [await grads('cpu', grad), await grads('webgpu', grad)];
      // float32 round-off, plus for the adjoint the difference between the cpu's own adaptive
      // backward steps and the reversed forward grid, both within rtol 1e-5 of the solution
      for (let i = 0; i < 2; i++) expect(maxAbsDiff(gpu[i]!, cpu[i]!)).toBeLessThan(2e-4 * Math.max(1, maxAbs(cpu[i]!)));
    }
  });

  it('the dot-product test of jvp against backprop and the adjoint', async () => {
    await fg.init({ backend: 'webgpu' });
    const xs = inputs();
    const us = [fg.randn([3, 4], { seed: 21 }), fg.randn([4, 4], { seed: 22 }), fg.randn([4], { seed: 23 })];
    const v = fg.randn([3, 3, 4], { seed: 24 });
    for (const grad of ['backprop', 'adjoint'] as const) {
      const fn = solver({ method: 'rk4', steps: 10, grad });
      const [, tangent] = fg.jvp(fn, xs, us);
      const lhs = dot(await v.data(), await (tangent as fg.Tensor).data());
      const [, back] = fg.vjp(fn, ...xs);
      const cts = back(v) as fg.Tensor[];
      back.dispose();
      let rhs = 0;
      for (let i = 0; i < 3; i++) rhs += dot(await cts[i]!.data(), await us[i]!.data());
      // float32 sums of ~100 terms of size ~1 each side; the adjoint's O(h⁴) discretization
      // difference at h = 0.04 (~1e-6 relative) is below that
      expect(Math.abs(lhs - rhs)).toBeLessThan(1e-4 * Math.max(1, Math.abs(lhs)));
    }
  });
});
