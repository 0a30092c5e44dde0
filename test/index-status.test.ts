// Bad indices on WebGPU: each index kernel flags them in a status buffer and the next read
// throws the same ArgumentError as the CPU backend does at once (see kernels/status.ts).
import { beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';
import type { Backend } from '../engine/backend.js';
import { initBoth, onBackend, thrownAtRead, thrownOn } from './helpers.js';

let cpu: Backend;
let gpu: Backend;

beforeAll(async () => {
  ({ cpu, gpu } = await initBoth());
});

/** The CPU backend's error for `make`, thrown when the op runs. */
const cpuError = (run: () => unknown) => thrownOn(cpu, run);
const gpuError = (run: () => fg.Tensor) => thrownAtRead(gpu, run);

const x = () => fg.tensor([[1, 2], [3, 4], [5, 6]]);
const u = () => fg.tensor([[1, 1], [2, 2], [3, 3]]);

const cases: [string, () => fg.Tensor, RegExp][] = [
  ['gather, too large', () => fg.gather(x(), [0, 3, 1]), /gather: indices must be integers in \[-3, 3\) for axis 0 of x \[3, 2\]; found 3 at position 1/],
  ['gather, too negative', () => fg.gather(x(), [-4]), /gather: .*found -4 at position 0/],
  ['gather, not an integer', () => fg.gather(x(), [1.5, 0]), /gather: .*found 1.5 at position 0/],
  ['gather along axis 1', () => fg.gather(x(), fg.tensor([[1], [2]]), 1), /gather: indices must be integers in \[-2, 2\) for axis 1 of x \[3, 2\]; found 2 at position 1/],
  ['gather, NaN', () => fg.gather(x(), [0, NaN]), /gather: .*found NaN at position 1/],
  ['scatterAdd, too large', () => fg.scatterAdd(u(), [0, 1, 9], 4), /scatterAdd: indices must be integers in \[-4, 4\) for an axis of length 4; found 9 at position 2/],
  ['scatterAdd, too negative', () => fg.scatterAdd(u(), [0, -5, 1], 4), /scatterAdd: .*found -5 at position 1/],
  ['scatterAdd, not an integer', () => fg.scatterAdd(u(), [0, 1, 2.25], 4), /scatterAdd: .*found 2.25 at position 2/],
  ['segmentSum', () => fg.segmentSum(u(), [0, 4, 1], 4), /^segmentSum: .*for an axis of length 4; found 4 at position 1/],
  ['segmentMean', () => fg.segmentMean(u(), [0, 1, 7], 2), /^segmentMean: .*for an axis of length 2; found 7 at position 2/],
  ['oneHot, too large', () => fg.oneHot([0, 3], 3), /oneHot: indices must be integers in \[0, 3\) for depth 3; found 3 at position 1/],
  ['oneHot, negative (no counting from the end)', () => fg.oneHot(fg.tensor([[0], [-1]]), 3, 0), /oneHot: .*found -1 at position 1/],
  ['oneHot, not an integer', () => fg.oneHot([1.5], 3), /oneHot: .*found 1.5 at position 0/],
];

describe('bad indices on WebGPU throw from the next read, as on the CPU backend', () => {
  for (const [name, make, message] of cases) {
    it(name, async () => {
      const onCpu = cpuError(make);
      expect(onCpu).toBeInstanceOf(fg.ArgumentError);
      expect(onCpu.message).toMatch(message);
      const onGpu = await gpuError(make);
      expect(onGpu).toBeInstanceOf(fg.ArgumentError);
      // every value above is exact in float32, so even the index found prints the same
      expect(onGpu.message).toBe(onCpu.message);
      // the status is cleared by that read: the next valid op reads normally
      expect(await onBackend(gpu, () => fg.gather(x(), [2, -3])).array()).toEqual([[5, 6], [1, 2]]);
    });
  }

  it('names the first bad position; past the first 63 it omits the index found', async () => {
    const ids = Array.from({ length: 200 }, (_, j) => (j === 150 || j === 170 ? 5 + j : j % 3));
    const make = () => fg.gather(x(), ids);
    expect((await gpuError(make)).message).toMatch(/gather: indices must be integers in \[-3, 3\) for axis 0 of x \[3, 2\]; found an index outside them at position 150$/);
    expect(cpuError(make).message).toMatch(/found 155 at position 150$/);
    expect((await gpuError(() => fg.gather(x(), [9, 0, -8]))).message).toMatch(/found 9 at position 0$/);
  });

  it('the result is NaN where the index was bad (read again after the error)', async () => {
    const g = onBackend(gpu, () => fg.gather(x(), [1, 7]));
    await expect(g.data()).rejects.toThrow(/gather: .*found 7 at position 1/);
    expect(Array.from(await g.data())).toEqual([3, 4, NaN, NaN]);
    const h = onBackend(gpu, () => fg.oneHot([1, 4], 3));
    await expect(h.data()).rejects.toThrow(/oneHot: .*found 4 at position 1/);
    expect(Array.from(await h.data())).toEqual([0, 1, 0, NaN, NaN, NaN]);
  });

  it('the next read of any tensor throws, once', async () => {
    const other = onBackend(gpu, () => fg.tensor([1, 2]));
    onBackend(gpu, () => fg.scatterAdd(u(), [3, 0, 0], 3));
    await expect(other.data()).rejects.toThrow(/scatterAdd: .*found 3 at position 0/);
    expect(Array.from(await other.data())).toEqual([1, 2]);
  });

  it('many index ops between two reads: the first bad one is reported', async () => {
    // 40 ops of different shapes take 40 status slots, more than one shared buffer holds (16)
    const run = (bad: number[]) => onBackend(gpu, () => Array.from({ length: 40 }, (_, k) => fg.gather(fg.ones([k + 2, 2]), [0, bad.includes(k) ? 100 + k : 1])));
    const ok = run([]);
    expect(await Promise.all(ok.map((t) => t.array()))).toEqual(ok.map(() => [[1, 1], [1, 1]]));
    await expect(run([33])[0]!.data()).rejects.toThrow(/for axis 0 of x \[35, 2\]; found 133 at position 1$/);
    await expect(run([20, 5, 37])[39]!.data()).rejects.toThrow(/for axis 0 of x \[7, 2\]; found 105 at position 1$/);
    // like ops share a slot: the index named is a bad one of one of them
    const same = onBackend(gpu, () => [fg.gather(x(), [0, 1]), fg.gather(x(), [8, 2, 9]), fg.gather(x(), [-9])]);
    await expect(same[0]!.data()).rejects.toThrow(/for axis 0 of x \[3, 2\]; found (8|-9) at position 0$/);
    expect(await onBackend(gpu, () => fg.oneHot([1], 2)).array()).toEqual([[0, 1]]);
  });

  it('valid indices, negative ones included, raise nothing', async () => {
    const r = onBackend(gpu, () => [
      fg.gather(x(), [-1, 0, 2]),
      fg.scatterAdd(u(), [-1, 0, 3], 4),
      fg.segmentMean(u(), [1, 1, 0], 2),
      fg.oneHot([2, 0], 3),
    ]);
    const got = await Promise.all(r.map((t) => t.array()));
    expect(got).toEqual([
      [[5, 6], [1, 2], [5, 6]],
      [[2, 2], [0, 0], [0, 0], [4, 4]],
      [[3, 3], [1.5, 1.5]],
      [[0, 0, 1], [1, 0, 0]],
    ]);
  });
});
