// A fixed-step solve whose state becomes NaN or Inf: the CPU backend throws at that step; on
// WebGPU the solve records on (no readback per step) and the next read throws the same error.
import { beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';
import type { Backend } from '../engine/backend.js';
import { initBoth, onBackend, thrownAtRead, thrownOn } from './helpers.js';

let cpu: Backend;
let gpu: Backend;

beforeAll(async () => {
  ({ cpu, gpu } = await initBoth());
});

// y' = y²: y(t) = y0 / (1 − y0·t) blows up at t = 1/y0; with y0 = [0.5, 2, 1] element 1 goes
// first (at t = 0.5), rk4 overflows float32 and float64 a few steps past it
const blowup = (_t: number, y: fg.Tensor) => fg.square(y);
const y0 = () => fg.tensor([0.5, 2, 1]);

const cpuError = (run: () => unknown) => thrownOn(cpu, run);
const gpuError = (run: () => fg.Tensor) => thrownAtRead(gpu, run);

describe('non-finite states on WebGPU are reported by the next read', () => {
  it('rk4 blow-up: same NumericalError on both backends (first bad step and time)', async () => {
    // ∞ in float32 (3.4e38) comes sooner than in float64 (1.8e308): a solve that overflows
    // within one step on both keeps the messages comparable
    const solve = () => fg.odeint(blowup, fg.mul(y0(), 1e30), [0, 1], { method: 'rk4', steps: 10 });
    const onCpu = cpuError(solve);
    const onGpu = await gpuError(solve);
    expect(onCpu).toBeInstanceOf(fg.NumericalError);
    expect(onGpu).toBeInstanceOf(fg.NumericalError);
    expect(onCpu.message).toMatch(/^odeint \(rk4\): the state became (Inf|NaN) at t = 0\.1 \(step 1, from t = 0 with h = 0\.1000; element \d of \[3\]\)/);
    expect(onGpu.message).toBe(onCpu.message);
  });

  it('euler: the first bad step is named, not a later one, with NaN or Inf as it is', async () => {
    // y' = y² from 2 by euler with h = 0.1: y_{n+1} = y_n + 0.1·y_n², in float32 arithmetic
    let y = 2;
    let first = 0;
    for (let n = 1; !first; n++) if (!Number.isFinite((y = Math.fround(y + Math.fround(0.1 * Math.fround(y * y)))))) first = n;
    const solve = () => fg.odeint(blowup, fg.tensor([0, 2, 1e-3]), [0, 2], { method: 'euler', steps: 20 });
    const onGpu = await gpuError(solve);
    expect(onGpu).toBeInstanceOf(fg.NumericalError);
    const t = Number((first / 10).toPrecision(10));
    const from = Number(((first - 1) / 10).toPrecision(10));
    expect(onGpu.message.startsWith(`odeint (euler): the state became Inf at t = ${t} (step ${first}, from t = ${from} with h = 0.1000; element 1 of [3])`)).toBe(true);
    expect(first).toBe(13);
    // a NaN: 0·∞ from the start
    const nan = () => fg.odeint((_t: number, y: fg.Tensor) => fg.mul(y, fg.tensor([Infinity, 1])), fg.tensor([0, 1]), [0, 1], { method: 'euler', steps: 4 });
    const e = await gpuError(nan);
    expect(e.message).toBe(cpuError(nan).message);
    expect(e.message).toMatch(/became NaN at t = 0\.25 \(step 1, .*element 0 of \[2\]\)/);
  });

  it('a later read after the error works, and finite solves raise nothing', async () => {
    onBackend(gpu, () => fg.odeint(blowup, fg.tensor([3]), [0, 1], { method: 'rk4', steps: 10 }));
    const ok = onBackend(gpu, () => fg.odeint((_t: number, y: fg.Tensor) => fg.neg(y), fg.tensor([1]), [0, 1], { method: 'rk4', steps: 10 }));
    await expect(ok.data()).rejects.toThrow(fg.NumericalError);
    const [, last] = (await ok.array()) as number[][];
    expect(last![0]).toBeCloseTo(Math.exp(-1), 5);
    const again = onBackend(gpu, () => fg.odeint((_t: number, y: fg.Tensor) => fg.neg(y), fg.tensor([1, 0]), [0, 1], { method: 'leapfrog', steps: 10 }));
    await expect(again.data()).resolves.toBeInstanceOf(Float32Array);
  });
});
