// After the device is lost, fg.init() sets up a new one: the error says so, and it works.
import { describe, expect, it } from 'vitest';
import * as fg from '../index.js';

async function lossError(run: () => Promise<unknown>): Promise<Error> {
  try {
    await run();
  } catch (e) {
    return e as Error;
  }
  throw new Error('no error after the device was lost');
}

describe('re-initialising after device loss', () => {
  it('fg.init() after a loss gives a fresh device with correct results', async () => {
    await fg.init();
    const before = fg.gpuRuntime();
    const x = fg.arange(0, 6);
    expect(await fg.sum(fg.square(x)).item()).toBe(55);

    before.device.destroy();
    await new Promise((r) => setTimeout(r, 50));
    const err = await lossError(() => fg.sum(fg.mul(x, 2)).item());
    expect(err).toBeInstanceOf(fg.DeviceError);
    expect(err.message).toMatch(/the device was lost .*call fg\.init\(\) again/);

    expect(await fg.init()).toBe('webgpu');
    const after = fg.gpuRuntime();
    expect(after).not.toBe(before);
    expect(after.device).not.toBe(before.device);
    // a small computation on the new device, against the closed form Σ k² = n(n+1)(2n+1)/6
    const n = 100; // every partial sum is an integer below 2^24: exact in float32
    const y = fg.arange(1, n + 1);
    expect(await fg.sum(fg.square(y)).item()).toBe((n * (n + 1) * (2 * n + 1)) / 6);
    expect(await fg.matmul(fg.tensor([[1, 2], [3, 4]]), fg.tensor([[5], [6]])).array()).toEqual([[17], [39]]);
    // tensors of the lost device stay unusable, with the same advice
    expect((await lossError(() => x.data())).message).toMatch(/the device was lost/);
  });

  it('a loss right before init() (not yet reported) is noticed too', async () => {
    await fg.init();
    const before = fg.gpuRuntime();
    before.device.destroy();
    await fg.init();
    expect(fg.gpuRuntime()).not.toBe(before);
    expect(await fg.sum(fg.ones([7])).item()).toBe(7);
  });
});
