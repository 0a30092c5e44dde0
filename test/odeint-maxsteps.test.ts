// Fixed-step solves respect maxSteps: an absurd step count is refused before any work.
import { beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';

beforeAll(async () => {
  await fg.init({ backend: 'cpu' });
});

const f = (_t: number, y: fg.Tensor) => fg.neg(y);
let calls = 0;
const counted = (t: number, y: fg.Tensor) => {
  calls++;
  return f(t, y);
};

describe('fixed-step methods respect maxSteps', () => {
  it('steps: 1e9 throws at once, naming the solve, the steps it would take and maxSteps', () => {
    calls = 0;
    const t0 = performance.now();
    expect(() => fg.odeint(counted, fg.tensor([1]), [0, 1], { method: 'rk4', steps: 1e9 })).toThrow(
      /^odeint \(rk4\): the solve would take 1000000000 steps, more than maxSteps = 10000 \(steps: 1000000000 per interval × 1 interval\); raise maxSteps, or take fewer steps$/,
    );
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(calls).toBe(0);
  });

  it('counts every interval, for dt as for steps, and for every fixed-step method', async () => {
    expect(() => fg.odeint(f, fg.tensor([1]), [0, 1, 2, 3], { method: 'euler', steps: 4000 })).toThrow(
      /^odeint \(euler\): the solve would take 12000 steps, more than maxSteps = 10000 \(steps: 4000 per interval × 3 intervals\)/,
    );
    expect(() => fg.odeint(f, fg.tensor([1]), [0, 10], { method: 'leapfrog', dt: 1e-4 })).toThrow(
      /^odeint \(leapfrog\): the solve would take 100000 steps, more than maxSteps = 10000 \(dt = 0\.0001 over ts from 0 to 10\)/,
    );
    await expect(fg.odeintGrid(f, fg.tensor([1]), [0, 1], { method: 'midpoint', dt: 1e-9 })).rejects.toThrow(/^odeintGrid \(midpoint\): the solve would take 1000000000 steps, more than maxSteps = 10000/);
    // the backward solve of the adjoint is bounded too
    expect(() => fg.odeint(f, fg.tensor([1]), [0, 1], { method: 'rk4', steps: 10, grad: 'adjoint', adjoint: { steps: 20_000 } })).toThrow(
      /^odeint adjoint \(rk4\): the solve would take 20000 steps, more than maxSteps = 10000/,
    );
  });

  it('a raised maxSteps allows it, and the default allows 10000 steps exactly', async () => {
    const y = fg.odeint(f, fg.tensor([1]), [0, 1], { method: 'euler', steps: 20_000, maxSteps: 20_000 });
    // explicit Euler: (1 − 1/n)ⁿ
    expect((await y.array() as number[][])[1]![0]).toBeCloseTo((1 - 1 / 20_000) ** 20_000, 12);
    const z = fg.odeint(f, fg.tensor([1]), [0, 0.5, 1], { method: 'euler', steps: 5000 });
    expect((await z.array() as number[][])[2]![0]).toBeCloseTo((1 - 0.5 / 5000) ** 10_000, 12);
  });
});
