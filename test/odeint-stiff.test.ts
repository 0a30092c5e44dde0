// Implicit methods of odeint (backwardEuler, trapezoid, rosenbrock23): orders of accuracy,
// stiff benchmarks (Robertson, van der Pol μ = 1000) against an independent float64 reference,
// steps against dopri5's, batches of states, gradients (backprop and adjoint) of a stiff linear
// NODE against the closed form, WebGPU, and singular Newton matrices.
import { beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';
import type { Backend } from '../engine/backend.js';
import { F32_EPS, initBoth, maxAbsDiff, onBackend } from './helpers.js';
import { dopri5Reference, robertson, vanDerPol } from './stiff-reference.js';

let cpu: Backend;
let gpu: Backend;
beforeAll(async () => {
  ({ cpu, gpu } = await initBoth());
  await fg.init({ backend: 'cpu' });
});

const slope = fg.models.logSlope;
const lastRow = async (out: fg.Tensor) => Array.from(await out.data()).slice(-out.shape.slice(1).reduce((a, b) => a * b, 1));

/** x′ = A x, A = −0.1·I + [[0, 1], [−1, 0]]: x(t) = e^{−0.1t}·R(t)·x₀. */
const A = [[-0.1, 1], [-1, -0.1]];
const exactLinear = (x0: number[], t: number) => {
  const d = Math.exp(-0.1 * t);
  const [c, s] = [Math.cos(t), Math.sin(t)];
  return [d * (c * x0[0]! + s * x0[1]!), d * (-s * x0[0]! + c * x0[1]!)];
};

describe('order of accuracy (cpu, float64)', () => {
  it('error slopes 1, 2, 2 for backwardEuler, trapezoid, rosenbrock23 (on equal steps), forwards and backwards', async () => {
    const a = fg.tensor(A);
    const f = (_t: number, y: fg.Tensor) => fg.matmul(a, y);
    const T = 2;
    const x0 = [1, 0.5];
    const xT = exactLinear(x0, T);
    const ns = [16, 32, 64, 128];
    const hs = ns.map((n) => T / n);
    const rows: string[] = [];
    for (const [method, order] of [['backwardEuler', 1], ['trapezoid', 2], ['rosenbrock23', 2]] as const) {
      const fwd: number[] = [];
      const bwd: number[] = [];
      for (const n of ns) {
        const grid = (t0: number, t1: number) => Array.from({ length: n + 1 }, (_, k) => t0 + ((t1 - t0) * k) / n);
        const step = (t0: number, t1: number) => (method === 'rosenbrock23' ? { grid: grid(t0, t1) } : { steps: n });
        fwd.push(maxAbsDiff(await lastRow(fg.odeint(f, fg.tensor(x0), [0, T], { method, ...step(0, T) })), xT));
        bwd.push(maxAbsDiff(await lastRow(fg.odeint(f, fg.tensor(xT), [T, 0], { method, ...step(T, 0) })), x0));
      }
      const [sf, sb] = [slope(hs, fwd), slope(hs, bwd)];
      rows.push(`${method.padEnd(14)} order ${order}  slope forward ${sf.toFixed(3)}  backward ${sb.toFixed(3)}  errors ${fwd.map((e) => e.toExponential(2)).join(' ')}`);
      // the leading error term dominates at these steps (errors far above round-off): within 0.1
      expect(Math.abs(sf - order)).toBeLessThan(0.1);
      expect(Math.abs(sb - order)).toBeLessThan(0.1);
    }
    console.log(`order of accuracy, x' = Ax to T = ${T}:\n${rows.join('\n')}`);
  });

  it('rosenbrock23 keeps order 2 on a nonlinear, time-dependent problem (its ∂f/∂t term)', async () => {
    // y′ = −2t·y², y(0) = 1: y = 1/(1 + t²)
    const f = (t: number, y: fg.Tensor) => fg.mul(fg.square(y), -2 * t);
    const T = 2;
    const ns = [16, 32, 64, 128];
    const errs: number[] = [];
    for (const n of ns) {
      const grid = Array.from({ length: n + 1 }, (_, k) => (T * k) / n);
      errs.push(Math.abs((await lastRow(fg.odeint(f, fg.tensor([1]), [0, T], { method: 'rosenbrock23', grid })))[0]! - 1 / (1 + T * T)));
    }
    // as above, with the nonlinear terms' constants: within 0.15 of the order
    expect(Math.abs(slope(ns.map((n) => T / n), errs) - 2)).toBeLessThan(0.15);
  });
});

describe('stiff problems (cpu, float64)', () => {
  it('y′ = −1000(y − cos t): the L-stable methods damp the transient in few steps, the adaptive one to tolerance', async () => {
    const f = (t: number, y: fg.Tensor) => fg.mul(fg.sub(y, Math.cos(t)), -1000);
    const exact = (t: number) => (1e6 * Math.cos(t) + 1e3 * Math.sin(t) - 1e6 * Math.exp(-1000 * t)) / (1e6 + 1) + Math.exp(-1000 * t);
    // 20 steps of h = 0.05 (hλ = −50, far outside explicit stability): backward Euler's error is
    // O(h·|y″|/|λ|)-small, as L-stability promises
    const be = (await lastRow(fg.odeint(f, fg.tensor([0]), [0, 1], { method: 'backwardEuler', steps: 20 })))[0]!;
    expect(Math.abs(be - exact(1))).toBeLessThan(1e-3);
    const rtol = 1e-6;
    const grid = await fg.odeintGrid(f, fg.tensor([0]), [0, 1], { method: 'rosenbrock23', rtol, atol: 1e-9 });
    const ros = (await lastRow(fg.odeint(f, fg.tensor([0]), [0, 1], { method: 'rosenbrock23', rtol, atol: 1e-9 })))[0]!;
    // the global error of a smooth, contracting solution stays within a few local tolerances
    expect(Math.abs(ros - exact(1))).toBeLessThan(10 * rtol * Math.abs(exact(1)));
    // dopri5 at the same tolerance is held at its stability limit |hλ| ≈ 3.3: it needs ≥ 300
    // steps on [0, 1] and fails within the step budget rosenbrock23 used
    expect(() => fg.odeint(f, fg.tensor([0]), [0, 1], { method: 'dopri5', rtol, atol: 1e-9, maxSteps: 250 })).toThrow(/reached maxSteps = 250/);
    console.log(`y' = -1000(y - cos t) on [0, 1], rtol ${rtol}: rosenbrock23 ${grid.length - 1} steps, error ${Math.abs(ros - exact(1)).toExponential(2)}; dopri5 > 250`);
  });

  it("Robertson's problem to t = 40 against an independent float64 reference, in few steps", async () => {
    const rtol = 1e-6;
    const atol = 1e-10;
    const ref = dopri5Reference(robertson, [1, 0, 0], [0, 40], 1e-12, 1e-16);
    const explicitSteps = dopri5Reference(robertson, [1, 0, 0], [0, 40], rtol, atol).steps;
    const f = (_t: number, y: fg.Tensor) => {
      const [a, b, c] = [0, 1, 2].map((i) => fg.slice(y, [i], [i + 1]));
      const r1 = fg.mul(a!, 0.04);
      const r2 = fg.mul(fg.mul(b!, c!), 1e4);
      const r3 = fg.mul(fg.square(b!), 3e7);
      return fg.concat([fg.sub(r2, r1), fg.sub(fg.sub(r1, r2), r3), r3]);
    };
    const grid = await fg.odeintGrid(f, fg.tensor([1, 0, 0]), [0, 40], { method: 'rosenbrock23', rtol, atol });
    const y = await lastRow(fg.odeint(f, fg.tensor([1, 0, 0]), [0, 40], { method: 'rosenbrock23', rtol, atol }));
    const errs = y.map((v, i) => Math.abs(v - ref.ys[1]![i]!) / (atol + rtol * Math.abs(ref.ys[1]![i]!)));
    console.log(`Robertson to t = 40, rtol ${rtol}, atol ${atol}: rosenbrock23 ${grid.length - 1} steps, errors in units of (atol + rtol·|y|) ${errs.map((e) => e.toFixed(2)).join(' ')}; dopri5 (float64 reference code, same tolerances) ${explicitSteps} steps`);
    // global error within 10 local tolerances: the solution contracts onto a slow manifold, so
    // local errors do not accumulate (measured: see the line above)
    for (const e of errs) expect(e).toBeLessThan(10);
    expect(grid.length - 1).toBeLessThan(1000);
    expect(explicitSteps).toBeGreaterThan(20 * (grid.length - 1));
  }, 120_000);

  it('van der Pol μ = 1000 to t = 3000 against an independent float64 reference, in a bounded number of steps', async () => {
    const mu = 1000;
    const rtol = 1e-5;
    const atol = 1e-8;
    const ref = dopri5Reference(vanDerPol(mu), [2, 0], [0, 3000], 1e-11, 1e-13);
    const f = (_t: number, y: fg.Tensor) => {
      const x = fg.slice(y, [0], [1]);
      const v = fg.slice(y, [1], [2]);
      return fg.concat([v, fg.sub(fg.mul(fg.mul(fg.sub(1, fg.square(x)), v), mu), x)]);
    };
    const grid = await fg.odeintGrid(f, fg.tensor([2, 0]), [0, 3000], { method: 'rosenbrock23', rtol, atol, maxSteps: 20_000 });
    const y = await lastRow(fg.odeint(f, fg.tensor([2, 0]), [0, 3000], { method: 'rosenbrock23', grid }));
    const errs = y.map((v, i) => Math.abs(v - ref.ys[1]![i]!) / (atol + rtol * Math.abs(ref.ys[1]![i]!)));
    console.log(`van der Pol mu = ${mu} to t = 3000, rtol ${rtol}, atol ${atol}: rosenbrock23 ${grid.length - 1} steps, errors in units of (atol + rtol·|y|) ${errs.map((e) => e.toFixed(2)).join(' ')}; dopri5 (float64 reference code, rtol 1e-11) ${ref.steps} steps`);
    // two relaxation jumps lie before t = 3000, where local errors shift the phase; the state at
    // 3000 (on a slow branch) is within 100 local tolerances
    for (const e of errs) expect(e).toBeLessThan(100);
    expect(grid.length - 1).toBeLessThan(5000);
  }, 300_000);

  it('a batch of states [B, n] is B independent systems with their own Jacobians', async () => {
    // y′ = −k_b·(y − 1) per member, k = 1, 100, 10000 along the batch
    const k = fg.tensor([[1], [100], [1e4]]);
    const f = (_t: number, y: fg.Tensor) => fg.mul(fg.sub(y, 1), fg.neg(k));
    const y0 = fg.tensor([[0, 2], [0, 2], [0, 2]]);
    for (const opts of [{ method: 'backwardEuler', steps: 10 }, { method: 'rosenbrock23', rtol: 1e-6, atol: 1e-9 }] as const) {
      const out = await lastRow(fg.odeint(f, y0, [0, 0.5], opts));
      const members: number[] = [];
      for (const [b, kb] of [1, 100, 1e4].entries()) {
        const fb = (_t: number, y: fg.Tensor) => fg.mul(fg.sub(y, 1), -kb);
        const yb = fg.slice(y0, [b], [b + 1]);
        members.push(...(await lastRow(fg.odeint(fb, fg.reshape(yb, [2]), [0, 0.5], opts.method === 'rosenbrock23' ? { ...opts, grid: await fg.odeintGrid(f, y0, [0, 0.5], opts) } : opts))));
      }
      expect(maxAbsDiff(out, members)).toBeLessThan(1e-12);
    }
  });
});

describe('gradients of a stiff linear NODE against the closed form', () => {
  // y′ = −k∘y + c: y(t) = c/k + (y₀ − c/k)·e^{−kt}, with k = [1, 1000]
  const ts = [0, 0.002, 0.05, 1];
  const w = [0, 1, 2, 3];
  function closedForm(k: number[], c: number[], y0: number[]) {
    let loss = 0;
    const gk = [0, 0];
    const gc = [0, 0];
    const gy0 = [0, 0];
    ts.forEach((t, j) => {
      for (let i = 0; i < 2; i++) {
        const e = Math.exp(-k[i]! * t);
        const s = c[i]! / k[i]!;
        loss += w[j]! * (s + (y0[i]! - s) * e);
        gk[i]! += w[j]! * (-s / k[i]! + (s / k[i]!) * e - (y0[i]! - s) * t * e);
        gc[i]! += (w[j]! * (1 - e)) / k[i]!;
        gy0[i]! += w[j]! * e;
      }
    });
    return { loss, gk, gc, gy0 };
  }
  const K = [1, 1000];
  const Cc = [0.5, 300];
  const Y0 = [1, 2];

  for (const [name, opts, tol] of [
    // backprop through the adaptive steps: the exact gradient of the discrete map, whose error
    // against the exact solution's is of the size of the solution's (rtol)
    ['rosenbrock23, backprop', { method: 'rosenbrock23', rtol: 1e-8, atol: 1e-10 }, 1e-5],
    ['rosenbrock23, adjoint (rosenbrock23 backwards)', { method: 'rosenbrock23', rtol: 1e-8, atol: 1e-10, grad: 'adjoint' }, 1e-5],
  ] as const) {
    it(name, async () => {
      const params = { k: fg.tensor(K), c: fg.tensor(Cc) };
      const loss = (y0: fg.Tensor, p: { k: fg.Tensor; c: fg.Tensor }) => {
        const out = fg.odeint((_t, y, q: typeof p) => fg.add(fg.mul(fg.neg(q.k), y), q.c), y0, ts, { ...opts, params: p });
        return fg.sum(fg.mul(fg.sum(out, 1), fg.tensor(w)));
      };
      const [value, [gy0, gp]] = fg.valueAndGrad(loss, { argnums: [0, 1] })(fg.tensor(Y0), params) as [fg.Tensor, [fg.Tensor, { k: fg.Tensor; c: fg.Tensor }]];
      const cf = closedForm(K, Cc, Y0);
      const rel = (got: number[], want: number[]) => Math.max(...got.map((g, i) => Math.abs(g - want[i]!) / Math.max(1e-3, Math.abs(want[i]!))));
      expect(Math.abs((await value.item()) - cf.loss) / Math.abs(cf.loss)).toBeLessThan(tol);
      expect(rel(Array.from(await gy0.data()), cf.gy0)).toBeLessThan(tol);
      expect(rel(Array.from(await gp.k.data()), cf.gk)).toBeLessThan(tol);
      expect(rel(Array.from(await gp.c.data()), cf.gc)).toBeLessThan(tol);
    }, 120_000);
  }
});

describe('backprop through backward Euler is the exact gradient of its recursion', () => {
  it('on y′ = −k∘y + c: y_{n+1} = (y_n + h·c)/(1 + h·k), differentiated by central differences in plain float64', async () => {
    const ts = [0, 0.002, 0.05];
    const dt = 1e-3;
    const recursion = (k: number[], c: number[], y0: number[]) => {
      let total = 0;
      const y = y0.slice();
      for (let j = 1; j < ts.length; j++) {
        const n = Math.max(1, Math.ceil(((ts[j]! - ts[j - 1]!) / dt) * (1 - 1e-12)));
        const h = (ts[j]! - ts[j - 1]!) / n;
        for (let s = 0; s < n; s++) for (let i = 0; i < 2; i++) y[i] = (y[i]! + h * c[i]!) / (1 + h * k[i]!);
        total += j * (y[0]! + y[1]!);
      }
      return total;
    };
    const K = [1, 1000];
    const C = [0.5, 300];
    const Y0 = [1, 2];
    const fd = (which: 0 | 1 | 2, i: number) => {
      const e = 1e-6 * Math.max(1, [K, C, Y0][which]![i]!);
      const args = (sgn: number) => [K, C, Y0].map((v, w) => v.map((x, j) => (w === which && j === i ? x + sgn * e : x)));
      const [p, m] = [args(1), args(-1)];
      return (recursion(p[0]!, p[1]!, p[2]!) - recursion(m[0]!, m[1]!, m[2]!)) / (2 * e);
    };
    const loss = (y0: fg.Tensor, p: { k: fg.Tensor; c: fg.Tensor }) => {
      const out = fg.odeint((_t, y, q: typeof p) => fg.add(fg.mul(fg.neg(q.k), y), q.c), y0, ts, { method: 'backwardEuler', dt, params: p });
      return fg.sum(fg.mul(fg.sum(out, 1), fg.tensor([0, 1, 2])));
    };
    const [value, [gy0, gp]] = fg.valueAndGrad(loss, { argnums: [0, 1] })(fg.tensor(Y0), { k: fg.tensor(K), c: fg.tensor(C) }) as [fg.Tensor, [fg.Tensor, { k: fg.Tensor; c: fg.Tensor }]];
    expect(Math.abs((await value.item()) - recursion(K, C, Y0))).toBeLessThan(1e-12 * Math.abs(recursion(K, C, Y0)));
    // central differences in float64 with a relative step 1e-6: truncation and round-off ~1e-9
    const got = [...(await gp.k.data()), ...(await gp.c.data()), ...(await gy0.data())];
    const want = [fd(0, 0), fd(0, 1), fd(1, 0), fd(1, 1), fd(2, 0), fd(2, 1)];
    got.forEach((g, i) => expect(Math.abs(g - want[i]!)).toBeLessThan(1e-7 * Math.max(1, Math.abs(want[i]!))));
  });
});

describe('WebGPU', () => {
  it('backwardEuler and rosenbrock23 (on its odeintGrid steps) match the float64 reference; no reads inside the solve', async () => {
    const run = (b: Backend, opts: object) => onBackend(b, () => {
      const k = fg.tensor([[1], [50], [2000]]);
      const f = (t: number, y: fg.Tensor) => fg.mul(fg.sub(y, Math.cos(t)), fg.neg(k));
      const y0 = fg.tensor([[0, 1], [0, 1], [0, 1]]);
      return { f, y0, out: (o: object) => onBackend(b, () => fg.odeint(f, y0, [0, 0.5, 1], o)), opts };
    });
    for (const opts of [{ method: 'backwardEuler', steps: 8 }, { method: 'trapezoid', steps: 8 }]) {
      const ref = await run(cpu, opts).out(opts).data();
      const got = await run(gpu, opts).out(opts).data();
      // float32: each step solves a well-conditioned 1×1 system; a few ε per op over 16 steps
      expect(maxAbsDiff(got, ref)).toBeLessThan(200 * F32_EPS);
    }
    const g = run(gpu, {});
    const grid = await onBackend(gpu, () => fg.odeintGrid(g.f, g.y0, [0, 0.5, 1], { method: 'rosenbrock23', rtol: 1e-4, atol: 1e-6 }));
    const ref = await run(cpu, {}).out({ method: 'rosenbrock23', grid }).data();
    const got = await onBackend(gpu, () => g.out({ method: 'rosenbrock23', grid })).data();
    expect(maxAbsDiff(got, ref)).toBeLessThan(200 * F32_EPS);
    // without a grid the controller would need host reads: a clear error names the fix
    expect(() => onBackend(gpu, () => g.out({ method: 'rosenbrock23' }))).toThrow(/odeintGrid/);
  }, 120_000);
});

describe('bad input', () => {
  it('a singular Newton matrix: NumericalError naming the solve, the step and the time, on both backends', async () => {
    // f = y/h makes I − h·∂f/∂y = 0 for backward Euler with step h = 0.25 (exact in binary)
    const f = (_t: number, y: fg.Tensor) => fg.mul(y, 4);
    const expected = /odeint \(backwardEuler\): step 1 at t = 0 \(h = 0\.2500\): the Newton matrix I − h·∂f\/∂y is singular/;
    expect(() => fg.odeint(f, fg.tensor([1, 2]), [0, 0.5], { method: 'backwardEuler', dt: 0.25 })).toThrow(expected);
    const out = onBackend(gpu, () => fg.odeint(f, fg.tensor([1, 2]), [0, 0.5], { method: 'backwardEuler', dt: 0.25 }));
    await expect(out.data()).rejects.toThrow(expected);
    expect(() => fg.odeint(f, fg.tensor([1]), [0, 1], { method: 'rosenbrock23', steps: 4 })).toThrow(/odeint \(rosenbrock23\): rosenbrock23 chooses its own steps/);
    expect(() => fg.odeint(f, fg.tensor([1]), [0, 1], { method: 'trapezoid' })).toThrow(/odeint \(trapezoid\): a fixed-step method needs dt/);
  });
});
