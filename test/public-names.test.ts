// Errors name the public function the user called, on both backends, including the index
// errors WebGPU reports from the next read; the size limit of a tensor names the limit.
import { beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';
import { initBoth, onBackend } from './helpers.js';
import type { Backend } from '../engine/backend.js';

let cpu: Backend;
let gpu: Backend;
beforeAll(async () => {
  ({ cpu, gpu } = await initBoth());
});

describe('raw TypeErrors of the issue are FlowgradErrors naming the function', () => {
  it('reductions, softmax, slice, scatterAdd and segments of undefined or null', () => {
    const cases: [string, () => unknown][] = [
      ['sum', () => fg.sum(undefined as never)], ['mean', () => fg.mean(null as never)], ['max', () => fg.max(undefined as never)],
      ['min', () => fg.min(null as never)], ['norm', () => fg.norm(undefined as never)], ['softmax', () => fg.softmax(undefined as never)],
      ['logSoftmax', () => fg.logSoftmax(null as never)], ['argmax', () => fg.argmax(undefined as never, 0)], ['slice', () => fg.slice(undefined as never, [0])],
      ['scatterAdd', () => fg.scatterAdd(null as never, [0], 1)], ['segmentSum', () => fg.segmentSum(undefined as never, [0], 1)],
      ['segmentMean', () => fg.segmentMean(fg.ones([2]), null as never, 1)], ['reshape', () => fg.reshape(fg.ones([3]), '3' as never)],
      ['transpose', () => fg.transpose(fg.ones([2, 2]), 'x' as never)], ['mseLoss', () => fg.mseLoss('x' as never, fg.ones([2]))],
    ];
    for (const [name, run] of cases) {
      expect(run, name).toThrow(fg.FlowgradError);
      expect(run, name).toThrow(new RegExp(`^${name}: `));
    }
  });

  it('sum(x, 1.5) says the axis is not an integer', () => {
    expect(() => fg.sum(fg.ones([2, 2]), 1.5)).toThrow(/^sum: axis must be an integer, got 1\.5/);
  });
});

describe('composites name themselves, not the op they are built from', () => {
  for (const where of ['cpu', 'webgpu'] as const) {
    const b = () => (where === 'cpu' ? cpu : gpu);
    it(`segmentSum, segmentMean and crossEntropy with a bad index (${where})`, async () => {
      const expectNamed = async (name: string, run: () => fg.Tensor) => {
        // CPU checks at once; WebGPU flags the index in the kernel and the next read throws
        if (where === 'cpu') return expect(() => onBackend(b(), run)).toThrow(new RegExp(`^${name}: indices must be integers in \\[`));
        const t = onBackend(b(), run);
        await expect(t.data()).rejects.toThrow(new RegExp(`^${name}: indices must be integers in \\[`));
      };
      await expectNamed('segmentSum', () => fg.segmentSum(fg.ones([3]), [0, 5, 1], 2));
      await expectNamed('segmentMean', () => fg.segmentMean(fg.ones([3]), [0, 1, 2.5], 2));
      await expectNamed('crossEntropy', () => fg.crossEntropy(fg.ones([2, 3]), [0, 7]));
      expect(() => onBackend(b(), () => fg.segmentSum(fg.ones([2, 3]), [0, 1, 1], 2))).toThrow(/^segmentSum: data \[2, 3\] must hold the shape of segmentIds \[3\] at axis 0/);
      expect(() => onBackend(b(), () => fg.logSumExp(fg.ones([2, 3]), 7))).toThrow(/^logSumExp: axis 7 is out of range for a tensor of rank 2/);
      expect(() => onBackend(b(), () => fg.linalg.stiffness(fg.ones([2, 3])))).toThrow(/^stiffness: A must be square/);
    });
  }
});

describe('size limits and creation on WebGPU', () => {
  it('zeros([1e6, 1e6]) is an ArgumentError naming zeros, the shape and maxStorageBufferBindingSize', () => {
    const limit = fg.gpuRuntime().limits.maxStorageBufferBindingSize;
    for (const [name, make] of [['zeros', () => fg.zeros([1e6, 1e6])], ['ones', () => fg.ones([1e6, 1e6])], ['randn', () => fg.randn([1e6, 1e6])], ['full', () => fg.full([1e6, 1e6], 2)]] as const) {
      const run = () => onBackend(gpu, make);
      expect(run, name).toThrow(fg.ArgumentError);
      expect(run, name).toThrow(new RegExp(`^${name}: its output \\[1000000, 1000000\\] needs 4000000000000 bytes, more than this adapter's maxStorageBufferBindingSize \\(${limit} bytes\\)`));
    }
  });

  it('arange(0, 5, NaN) is an ArgumentError, not a Dawn error', () => {
    expect(() => onBackend(gpu, () => fg.arange(0, 5, NaN))).toThrow(/^arange: needs finite bounds and a finite non-zero step/);
    expect(() => onBackend(gpu, () => fg.full([2], 'x' as never))).toThrow(/^full: value must be a number/);
  });
});
