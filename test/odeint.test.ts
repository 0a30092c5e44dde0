// odeint against closed forms: orders of accuracy, dopri5's tolerances, the seed identity
// (backprop vs adjoint), NODE-Euler = ResNet, reversibility, energy, and the errors.
// Gradients, forward mode and memory are in odeint-grad.test.ts.
import { beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';
import { TABLEAUS } from '../solvers/ode/tableaus.js';
import { F32_EPS, initBoth, maxAbsDiff } from './helpers.js';

beforeAll(async () => {
  await initBoth();
});

const EPS64 = 2.220446049250313e-16;

/** x' = A x with A = −0.1·I + [[0, 1], [−1, 0]]: x(t) = e^{−0.1t}·R(t)·x₀, R a rotation. */
const A = [[-0.1, 1], [-1, -0.1]];
function exact(x0: number[], t: number): number[] {
  const d = Math.exp(-0.1 * t);
  const [c, s] = [Math.cos(t), Math.sin(t)];
  return [d * (c * x0[0]! + s * x0[1]!), d * (-s * x0[0]! + c * x0[1]!)];
}
const linear = () => {
  const a = fg.tensor(A);
  return (_t: number, y: fg.Tensor) => fg.matmul(a, y);
};

const slope = fg.models.logSlope; // least-squares slope of log(err) against log(h)

const last = async (out: fg.Tensor) => Array.from(await out.data()).slice(-out.shape.slice(1).reduce((a, b) => a * b, 1));

describe('tableaus', () => {
  it('are consistent: Σb = 1, rows of a sum to c, the error weights sum to 0', () => {
    for (const tab of Object.values(TABLEAUS)) {
      expect(Math.abs(tab.b.reduce((s, x) => s + x, 0) - 1)).toBeLessThan(1e-15);
      tab.a.forEach((row, i) => expect(Math.abs(row.reduce((s, x) => s + x, 0) - tab.c[i]!)).toBeLessThan(1e-14));
      if (tab.e) expect(Math.abs(tab.e.reduce((s, x) => s + x, 0))).toBeLessThan(1e-15);
    }
  });
});

describe('accuracy on x′ = A x (cpu, float64)', () => {
  beforeAll(async () => {
    await fg.init({ backend: 'cpu' });
  });

  it('error slopes on log-log refinement match the orders 1, 2, 2, 4, 4, forwards and backwards in time', async () => {
    const T = 2;
    const x0 = [1, 0.5];
    const xT = exact(x0, T);
    const f = linear();
    const rows: string[] = [];
    for (const [method, order, ns] of [
      ['euler', 1, [32, 64, 128, 256]],
      ['midpoint', 2, [16, 32, 64, 128]],
      ['heun', 2, [16, 32, 64, 128]],
      ['rk4', 4, [8, 16, 32, 64]],
      ['rk38', 4, [8, 16, 32, 64]],
    ] as const) {
      const hs = ns.map((n) => T / n);
      const fwd: number[] = [];
      const bwd: number[] = [];
      for (const steps of ns) {
        const out = fg.odeint(f, fg.tensor(x0), [0, T], { method, steps });
        fwd.push(maxAbsDiff(await last(out), xT));
        const back = fg.odeint(f, fg.tensor(xT), [T, 0], { method, steps });
        bwd.push(maxAbsDiff(await last(back), x0));
      }
      const [sf, sb] = [slope(hs, fwd), slope(hs, bwd)];
      rows.push(`${method.padEnd(8)} order ${order}  slope forward ${sf.toFixed(3)}  backward ${sb.toFixed(3)}  errors ${fwd.map((e) => e.toExponential(2)).join(' ')}`);
      // the leading error term dominates at these steps; what is left of the next term moves
      // the fitted slope by less than 0.1 (the errors stay far above float64 round-off)
      expect(Math.abs(sf - order)).toBeLessThan(0.1);
      expect(Math.abs(sb - order)).toBeLessThan(0.1);
    }
    console.log(`order of accuracy, x' = Ax to T = ${T}, steps h = T/n:\n${rows.join('\n')}`);
  });

  it('and on a nonlinear, time-dependent problem, where methods of one order differ', async () => {
    // y′ = −2t·y², y(0) = 1: y(t) = 1/(1 + t²); the stage times c and the nonlinear order
    // conditions matter here (on x′ = Ax all methods of one order and stage count agree)
    const T = 2;
    const yT = 1 / (1 + T * T);
    const f = (t: number, y: fg.Tensor) => fg.mul(fg.square(y), -2 * t);
    const rows: string[] = [];
    const finest: Record<string, number> = {};
    for (const [method, order, ns] of [
      ['euler', 1, [64, 128, 256, 512]],
      ['midpoint', 2, [32, 64, 128, 256]],
      ['heun', 2, [32, 64, 128, 256]],
      ['rk4', 4, [16, 32, 64, 128]],
      ['rk38', 4, [16, 32, 64, 128]],
    ] as const) {
      const errs: number[] = [];
      for (const steps of ns) errs.push(Math.abs((await last(fg.odeint(f, fg.tensor([1]), [0, T], { method, steps })))[0]! - yT));
      const s = slope(ns.map((n) => T / n), errs);
      finest[method] = errs[errs.length - 1]!;
      rows.push(`${method.padEnd(8)} order ${order}  slope ${s.toFixed(3)}  errors ${errs.map((e) => e.toExponential(2)).join(' ')}`);
      // as above: the leading term dominates, the fitted slope is within 0.15 of the order
      expect(Math.abs(s - order)).toBeLessThan(0.15);
    }
    expect(finest.midpoint).not.toBe(finest.heun);
    expect(finest.rk4).not.toBe(finest.rk38);
    console.log(`order of accuracy, y' = -2t y^2 to T = ${T}:\n${rows.join('\n')}`);
  });

  it('dopri5 meets rtol/atol, forwards and backwards, hitting every output time', async () => {
    const f = linear();
    const x0 = [1, 0.5];
    const ts = [0, 0.3, 1.7, 4];
    const rows: string[] = [];
    let prevSteps = 0;
    for (const rtol of [1e-4, 1e-6, 1e-8, 1e-10]) {
      const atol = rtol * 1e-3;
      const out = await fg.odeint(f, fg.tensor(x0), ts, { rtol, atol }).array() as number[][];
      let worst = 0;
      ts.forEach((t, i) => {
        const e = exact(x0, t);
        // global error relative to the local tolerance: the controller keeps each step's error
        // below atol + rtol·|y|; over this smooth, mildly decaying problem the errors add up
        // to a few times that, never 10×
        worst = Math.max(worst, maxAbsDiff(out[i]!, e) / (atol + rtol * Math.max(...e.map(Math.abs))));
      });
      const grid = await fg.odeintGrid(f, fg.tensor(x0), ts, { rtol, atol });
      for (const t of ts) expect(grid).toContain(t);
      const back = await fg.odeint(f, fg.tensor(exact(x0, 4)), [4, 0], { rtol, atol }).array() as number[][];
      const worstBack = maxAbsDiff(back[1]!, x0) / (atol + rtol);
      rows.push(`rtol ${rtol.toExponential(0)}: ${grid.length - 1} steps, max error / tolerance ${worst.toFixed(3)} forward, ${worstBack.toFixed(3)} backward`);
      expect(worst).toBeLessThan(10);
      expect(worstBack).toBeLessThan(10);
      // a fifth-order method: steps grow like tol^(−1/5), about ×2.5 per factor 100
      expect(grid.length - 1).toBeGreaterThan(prevSteps);
      prevSteps = grid.length - 1;
    }
    console.log(`dopri5 on x' = Ax, ts = [${ts}]:\n${rows.join('\n')}`);
  });
});

describe('the seed identity: x′ = w x, Euler, L steps, loss (x_L − y)²', () => {
  it('backprop equals the discrete formula exactly; the adjoint approaches the continuous one', async () => {
    await fg.init({ backend: 'cpu' });
    const [w0, x00, y, T] = [0.7, 1.3, 0.5, 1];
    const f = (_t: number, x: fg.Tensor, p: { w: fg.Tensor }) => fg.mul(x, p.w);
    const gradW = async (L: number, mode: 'backprop' | 'adjoint') => {
      const loss = (w: fg.Tensor) => {
        const out = fg.odeint(f, fg.tensor([x00]), [0, T], { method: 'euler', steps: L, params: { w }, grad: mode });
        return fg.sum(fg.square(fg.sub(fg.reshape(fg.slice(out, [1], [2]), [1]), y)));
      };
      return fg.grad(loss)(fg.tensor(w0)).item();
    };
    const xT = x00 * Math.exp(w0 * T);
    const continuous = 2 * (xT - y) * T * Math.exp(w0 * T) * x00;
    const rows = ['    L   backprop            discrete formula    adjoint             continuous          |bp − adj|'];
    let prevGap = Infinity;
    let prevAdj = Infinity;
    for (let L = 1; L <= 64; L *= 2) {
      const dt = T / L;
      const xL = x00 * (1 + dt * w0) ** L;
      const discrete = 2 * (xL - y) * L * dt * (1 + dt * w0) ** (L - 1) * x00;
      const bp = await gradW(L, 'backprop');
      const adj = await gradW(L, 'adjoint');
      rows.push(`${String(L).padStart(5)}   ${[bp, discrete, adj, continuous].map((v) => v.toFixed(15).padEnd(18)).join('  ')}  ${Math.abs(bp - adj).toExponential(3)}`);
      // the same products in another order: equal to float64 round-off of ~2L operations
      expect(Math.abs(bp - discrete)).toBeLessThan(4 * L * EPS64 * Math.abs(discrete));
      // the two gradients differ at finite L and converge (O(1/L)) as the steps are refined
      const gap = Math.abs(bp - adj);
      expect(gap).toBeGreaterThan(1e-3 / L);
      expect(gap).toBeLessThan(prevGap);
      expect(Math.abs(adj - continuous)).toBeLessThan(prevAdj);
      [prevGap, prevAdj] = [gap, Math.abs(adj - continuous)];
    }
    // first order in 1/L: at L = 64 both are within ~2/L·|gradient| of the continuous value
    expect(prevAdj).toBeLessThan((2 / 64) * Math.abs(continuous));
    console.log(`seed identity, w = ${w0}, x0 = ${x00}, y = ${y}, T = ${T}:\n${rows.join('\n')}`);
  });
});

for (const backend of ['cpu', 'webgpu'] as const) {
  describe(`forward equivalence on ${backend}`, () => {
    it('a Neural ODE dx/dt = tanh(W(t)x + b(t)) with Euler, Δt = T/L, is the ResNet with α_n = Δt, W_n = W(nΔt)', async () => {
      await fg.init({ backend });
      const [L, T] = [10, 1.5];
      const dt = T / L;
      const p = { W0: fg.randn([4, 4], { seed: 1, std: 0.5 }), W1: fg.randn([4, 4], { seed: 2, std: 0.5 }), b0: fg.randn([4], { seed: 3 }), b1: fg.randn([4], { seed: 4 }) };
      const W = (t: number) => fg.add(p.W0, fg.mul(p.W1, t));
      const b = (t: number) => fg.add(p.b0, fg.mul(p.b1, t));
      // rows are samples: x Wᵀ applies W to each
      const layer = (t: number, x: fg.Tensor) => fg.tanh(fg.add(fg.matmul(x, fg.transpose(W(t))), b(t)));
      const x0 = fg.randn([5, 4], { seed: 5 });
      const node = fg.odeint((t, x) => layer(t, x), x0, [0, T], { method: 'euler', steps: L });
      let x = x0;
      for (let n = 0; n < L; n++) x = fg.add(x, fg.mul(layer(n * dt, x), dt));
      // the Euler step is y + h·k rounded as add(y, mul(k, h)) (its fused kernel computes
      // 1·y + h·k, and 1·y is exact): identical to the last bit on the float64 reference and on
      // lavapipe; a driver that contracts h·k + y into one FMA rounds once instead of twice,
      // which can move the result by an ulp per step
      const diff = maxAbsDiff(await last(node), await x.data());
      if (backend === 'cpu') expect(diff).toBe(0);
      else expect(diff).toBeLessThanOrEqual(L * F32_EPS * 2);
    });
  });
}

describe('reversibility and energy (cpu, float64)', () => {
  beforeAll(async () => {
    await fg.init({ backend: 'cpu' });
  });

  // anharmonic oscillator H = p²/2 + q²/2 + q⁴/4, state [q, p] on the last axis
  const anharmonic = (_t: number, y: fg.Tensor) => {
    const q = fg.slice(y, [0], [1], [-1]);
    const p = fg.slice(y, [1], [2], [-1]);
    return fg.concat([p, fg.neg(fg.add(q, fg.mul(fg.square(q), q)))], -1);
  };

  it('rk4 forward then backward recovers y0 to its O(h⁴) error; leapfrog to round-off', async () => {
    const y0 = [0.8, -0.3];
    const T = 5;
    const reference = await last(fg.odeint(anharmonic, fg.tensor(y0), [0, T], { method: 'rk4', steps: 4000 }));
    const errs: number[] = [];
    for (const steps of [50, 100]) {
      const fwd = await last(fg.odeint(anharmonic, fg.tensor(y0), [0, T], { method: 'rk4', steps }));
      errs.push(maxAbsDiff(await last(fg.odeint(anharmonic, fg.tensor(fwd), [T, 0], { method: 'rk4', steps })), y0));
      // rk4 is not reversible: the round trip errs by about its forward error (the backward
      // solve's error, from a perturbed start, adds to it), not by round-off
      const forwardError = maxAbsDiff(fwd, reference);
      expect(errs[errs.length - 1]!).toBeLessThan(2 * forwardError);
      expect(errs[errs.length - 1]!).toBeGreaterThan(1e-9);
    }
    // and it shrinks at least as fast as h⁴ (here even h⁵: the leading errors of the step
    // forward and the step back, C·h⁵ and C·(−h)⁵, cancel), 2⁴ = 16 per halving less 25%
    expect(errs[0]! / errs[1]!).toBeGreaterThan(12);

    const steps = 1000;
    const fwd = await last(fg.odeint(anharmonic, fg.tensor(y0), [0, T], { method: 'leapfrog', steps }));
    const back = await last(fg.odeint(anharmonic, fg.tensor(fwd), [T, 0], { method: 'leapfrog', steps }));
    const lf = maxAbsDiff(back, y0);
    console.log(`round trip 0 → ${T} → 0: rk4 error ${errs.map((e) => e.toExponential(2)).join(', ')} (50, 100 steps: ratio ${(errs[0]! / errs[1]!).toFixed(1)}); leapfrog ${lf.toExponential(2)} (1000 steps)`);
    // leapfrog's step is exactly invertible with −h: only round-off remains, ≲ steps·ε·|y|
    expect(lf).toBeLessThan(steps * EPS64 * 10);
  });

  it('leapfrog conserves energy over 10⁴ steps far better than rk4 at the same step', async () => {
    // harmonic oscillator q″ = −q, H = (q² + p²)/2, h = 0.5: closed forms for both methods
    const h = 0.5;
    const N = 10_000;
    const J = fg.tensor([[0, -1], [1, 0]]);
    const f = (_t: number, y: fg.Tensor) => fg.matmul(y, J); // [q, p] → [p, −q]
    const y0 = [1, 0];
    const H0 = 0.5;
    const ts = Array.from({ length: N + 1 }, (_, i) => i * h);
    const lf = await fg.odeint(f, fg.tensor(y0), ts, { method: 'leapfrog', steps: 1 }).data();
    const rk = await last(fg.odeint(f, fg.tensor(y0), [0, N * h], { method: 'rk4', steps: N }));
    let maxH = 0;
    let maxShadow = 0;
    for (let n = 0; n <= N; n++) {
      const [q, p] = [lf[2 * n]!, lf[2 * n + 1]!];
      maxH = Math.max(maxH, Math.abs((q * q + p * p) / 2 - H0) / H0);
      // kick–drift–kick conserves p² + (1 − h²/4)·q² exactly (its step matrix preserves that form)
      maxShadow = Math.max(maxShadow, Math.abs((p * p + (1 - h * h / 4) * q * q) / 2 - (1 - h * h / 4) * H0) / H0);
    }
    const rkH = (rk[0]! ** 2 + rk[1]! ** 2) / 2;
    // rk4's amplification on y′ = iy is R(ih) with |R|² = 1 − h⁶/72 + h⁸/576 per step
    const rkClosed = H0 * (1 - h ** 6 / 72 + h ** 8 / 576) ** N;
    console.log(`energy over ${N} steps of h = ${h}: leapfrog max |ΔH|/H = ${maxH.toExponential(3)} (shadow energy drift ${maxShadow.toExponential(2)}); rk4 H_N/H_0 = ${(rkH / H0).toFixed(6)} (closed form ${(rkClosed / H0).toFixed(6)})`);
    // leapfrog's H oscillates inside the band (h²/4)/(1 − h²/4) = 6.7% and does not drift
    expect(maxH).toBeLessThanOrEqual((h * h / 4) / (1 - h * h / 4) + 1e-12);
    // round-off only: N steps of a few operations each, ε each
    expect(maxShadow).toBeLessThan(N * 10 * EPS64);
    // rk4 loses 85% of the energy, exactly as its amplification factor says (float64)
    expect(Math.abs(rkH - rkClosed) / rkClosed).toBeLessThan(1e-9);
    expect(1 - rkH / H0).toBeGreaterThan(10 * maxH);
  });
});

describe('leapfrog and the others on WebGPU (float32)', () => {
  it('agree with the float64 reference and reverse to float32 round-off', async () => {
    // [q, p] → [p, −q] on the backend current when it is made
    const rotation = () => {
      const J = fg.tensor([[0, -1], [1, 0]]);
      return (_t: number, y: fg.Tensor) => fg.matmul(y, J);
    };
    const y0v = [[1, 0], [0.5, 0.5], [-0.2, 0.9]];
    await fg.init({ backend: 'webgpu' });
    const f = rotation();
    const y0 = fg.tensor(y0v);
    const steps = 200;
    const end = fg.tensor(await last(fg.odeint(f, y0, [0, 4], { method: 'leapfrog', steps })), [3, 2]);
    const back = await last(fg.odeint(f, end, [4, 0], { method: 'leapfrog', steps }));
    // reversible up to float32 round-off, which grows no faster than steps·ε·|y|
    expect(maxAbsDiff(back, y0v.flat())).toBeLessThan(steps * F32_EPS * 2);
    for (const method of ['euler', 'midpoint', 'heun', 'rk4', 'rk38', 'leapfrog'] as const) {
      const results: number[][] = [];
      for (const backend of ['webgpu', 'cpu'] as const) {
        await fg.init({ backend });
        results.push(await last(fg.odeint(rotation(), fg.tensor(y0v), [0, 4], { method, steps: 50 })));
      }
      // float32 round-off of 50 steps of a few operations on values ≤ 1.3 (float64 is the reference)
      expect(maxAbsDiff(results[0]!, results[1]!)).toBeLessThan(50 * 8 * F32_EPS);
    }
  });

  it('dopri5 runs on WebGPU through odeintGrid, and says how when called without a grid', async () => {
    await fg.init({ backend: 'webgpu' });
    const f = linear();
    const x0 = fg.tensor([1, 0.5]);
    const ts = [0, 1, 3];
    expect(() => fg.odeint(f, x0, ts, { rtol: 1e-5, atol: 1e-7 })).toThrow(/odeint \(dopri5\): dopri5 chooses each step .* WebGPU reads are asynchronous; compute the steps first with `const grid = await fg\.odeintGrid/);
    const grid = await fg.odeintGrid(f, x0, ts, { rtol: 1e-5, atol: 1e-7 });
    const out = await fg.odeint(f, x0, ts, { grid }).array() as number[][];
    ts.forEach((t, i) => {
      // the controller's tolerance (≤ 10× as on the cpu) plus float32 round-off of the steps
      expect(maxAbsDiff(out[i]!, exact([1, 0.5], t))).toBeLessThan(10 * (1e-7 + 1e-5) + grid.length * 10 * F32_EPS);
    });
  });
});

describe('errors say where and why', () => {
  beforeAll(async () => {
    await fg.init({ backend: 'cpu' });
  });
  const f = (_t: number, y: fg.Tensor) => fg.neg(y);

  it('bad ts, options and shapes', () => {
    const y0 = fg.tensor([1, 2]);
    expect(() => fg.odeint(f, y0, [0, 1, 0.5], { dt: 0.1 })).toThrow(/odeint \(rk4\): ts must be strictly increasing or strictly decreasing, but ts\[2\] = 0\.5 follows ts\[1\] = 1 while ts\[1\] > ts\[0\]/);
    expect(() => fg.odeint(f, y0, [0, 0], { dt: 0.1 })).toThrow(/strictly increasing or strictly decreasing/);
    expect(() => fg.odeint(f, y0, [0, NaN], { dt: 0.1 })).toThrow(/ts\[1\] must be a finite number/);
    expect(() => fg.odeint(f, y0, [], { dt: 0.1 })).toThrow(/at least one time/);
    expect(() => fg.odeint(f, y0, [0, 1], { method: 'rk5' as 'rk4', dt: 0.1 })).toThrow(/method must be one of euler, midpoint, heun, rk4, rk38, dopri5, leapfrog, backwardEuler, trapezoid, rosenbrock23; got "rk5"/);
    expect(() => fg.odeint(f, y0, [0, 1], { method: 'rk4' })).toThrow(/odeint \(rk4\): a fixed-step method needs dt \(step size\), steps/);
    expect(() => fg.odeint(f, y0, [0, 1], { dt: -0.1 })).toThrow(/dt must be a positive finite number, got -0\.1 \(the direction of integration comes from ts\)/);
    expect(() => fg.odeint(f, y0, [0, 1], { dt: 0.1, steps: 3 })).toThrow(/give dt or steps, not both/);
    expect(() => fg.odeint(f, y0, [0, 1], { dt: 0.1, grad: 'adjoint', checkpoint: true })).toThrow(/checkpoint applies to grad: 'backprop'/);
    expect(() => fg.odeint(f, y0, [0, 1], { dt: 0.1, tol: 1 } as fg.OdeintOptions)).toThrow(/unknown option tol/);
    expect(() => fg.odeint(f, y0, [0, 1], { grid: [0, 0.5] })).toThrow(/grid must run from ts\[0\] = 0 to ts\[1\] = 1/);
    expect(() => fg.odeint(f, y0, [0, 0.5, 1], { grid: [0, 0.3, 1] })).toThrow(/grid must contain every time in ts, but ts\[1\] = 0\.5 is missing/);
    expect(() => fg.odeint(f, fg.tensor([1, 2, 3]), [0, 1], { method: 'leapfrog', dt: 0.1 })).toThrow(/odeint \(leapfrog\): y0 \[3\] must have an even last dimension/);
    expect(() => fg.odeint((_t, y) => fg.sum(y, 0, true), fg.tensor([[1, 2], [3, 4]]), [0, 1], { dt: 0.5 })).toThrow(/odeint \(rk4\): f\(t, y, params\) returned shape \[1, 2\] at t = 0, but y has shape \[2, 2\]; f must return dy\/dt with the shape of y/);
    expect(() => fg.odeint(() => 3 as unknown as fg.Tensor, y0, [0, 1], { dt: 0.5 })).toThrow(/must return a Tensor \(dy\/dt\), got number at t = 0/);
  });

  it('NaN/Inf in the state names the time and the step', () => {
    // f turns NaN once a stage sees t > 0.55: rk4's last stage of step 6 (from t = 0.5) does
    const bad = (t: number, y: fg.Tensor) => fg.mul(y, t > 0.55 ? NaN : -1);
    expect(() => fg.odeint(bad, fg.tensor([1, 2]), [0, 1], { dt: 0.1 })).toThrow(/odeint \(rk4\): the state became NaN at t = 0\.6 \(step 6, from t = 0\.5 with h = 0\.1000; element 0 of \[2\]\)/);
    expect(() => fg.odeint((_t, y) => fg.mul(fg.square(y), 1e200), fg.tensor([1e200]), [0, 1], { method: 'euler', steps: 4 })).toThrow(/the state became Inf at t = 0\.25 \(step 1/);
  });

  it('dopri5: step-size underflow at a blow-up, and the cap on steps', () => {
    // y′ = y², y(0) = 1 blows up at t = 1
    const blowup = (_t: number, y: fg.Tensor) => fg.square(y);
    expect(() => fg.odeint(blowup, fg.tensor([1]), [0, 2], { rtol: 1e-6, atol: 1e-9, maxSteps: 100_000 })).toThrow(/odeint \(dopri5\): (step size underflow at|the state became NaN\/Inf after) t = (0\.99|1\.0000)\d* \(step \d+, \|h\| = /);
    expect(() => fg.odeint(f, fg.tensor([1, 2]), [0, 100], { rtol: 1e-10, atol: 1e-12, maxSteps: 20 })).toThrow(/odeint \(dopri5\): reached maxSteps = 20 \(\d+ accepted, \d+ rejected\) at t = [\d.]+ with \|h\| = [\d.e-]+, before t = 100; raise maxSteps/);
  });

  it('adjoint and checkpointing need the differentiated tensors in params', () => {
    const W = fg.tensor([[0.5, -1], [1, 0.2]]);
    const g = (t: number, y: fg.Tensor) => fg.matmul(W, y);
    for (const opts of [{ grad: 'adjoint' as const }, { checkpoint: 2 }]) {
      expect(() => fg.grad((w: fg.Tensor) => {
        void w;
        return fg.sum(fg.odeint((t, y) => fg.matmul(w, y), fg.tensor([1, 2]), [0, 1], { steps: 4, ...opts }));
      })(W)).toThrow(/f uses a tensor that grad\/jvp is differentiating but that is not in opts\.params/);
    }
    expect(() => fg.odeint(g, fg.tensor([1, 2]), [0, 1], { dt: 0.1, grad: 'adjoint', adjoint: { method: 'leapfrog' as 'rk4' } })).toThrow(/not a separable Hamiltonian system/);
    expect(() => fg.odeint(g, fg.tensor([1, 2]), [0, 1], { rtol: 1e-6, grad: 'adjoint', adjoint: { method: 'rk4' } })).toThrow(/odeint adjoint \(rk4\): a fixed-step method needs dt/);
  });
});
