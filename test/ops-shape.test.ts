// concat, stack, slice and pad through the public API on both backends: NumPy semantics
// (negative axes and bounds, clamping, empty results), values against hand-written results,
// gradients against closed forms, and the errors users hit.
import { beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';
import { initBoth } from './helpers.js';

beforeAll(async () => {
  await initBoth();
});

// Every value here is a small integer, exact in float32: results must match exactly.
const flat = async (t: fg.Tensor) => Array.from(await t.data());

for (const backend of ['cpu', 'webgpu'] as const) {
  describe(`shape ops on ${backend}`, () => {
    beforeAll(async () => {
      await fg.init({ backend });
    });

    it('slice follows NumPy: negative bounds, clamping, omitted end, named axes, empty results', async () => {
      const x = fg.reshape(fg.arange(12), [3, 4]); // [[0..3], [4..7], [8..11]]
      expect(await fg.slice(x, [1]).array()).toEqual([[4, 5, 6, 7], [8, 9, 10, 11]]);
      expect(await fg.slice(x, [0, 1], [2, 3]).array()).toEqual([[1, 2], [5, 6]]);
      expect(await fg.slice(x, [-2, -3], [100, -1]).array()).toEqual([[5, 6], [9, 10]]);
      expect(await fg.slice(x, [2], [4], [-1]).array()).toEqual([[2, 3], [6, 7], [10, 11]]); // x[..., 2:4]
      expect(await fg.slice(x, [0], [Infinity], [1]).array()).toEqual(await x.array());
      const empty = fg.slice(x, [2, 0], [1, 4]); // end < begin: empty, as NumPy
      expect(empty.shape).toEqual([0, 4]);
      expect(await flat(empty)).toEqual([]);
      expect(() => fg.slice(x, [0.5])).toThrow(/slice: begin 0.5 for axis 0 of x \[3, 4\] must be an integer/);
      expect(() => fg.slice(x, [0, 0, 0])).toThrow(/slice: begin \[0, 0, 0\] must have one entry per sliced axis/);
      expect(() => fg.slice(x, [0], [1], [2])).toThrow(/slice: axis 2 is out of range for a tensor of rank 2/);
    });

    it('concat and stack join along existing and new axes (negative axes count from the end)', async () => {
      const a = fg.tensor([[1, 2], [3, 4]]);
      const b = fg.tensor([[5], [6]]);
      expect(await fg.concat([a, b], -1).array()).toEqual([[1, 2, 5], [3, 4, 6]]);
      expect(await fg.concat([a, fg.tensor([[7, 8]])]).array()).toEqual([[1, 2], [3, 4], [7, 8]]);
      expect(await fg.concat([a, fg.zeros([2, 0])], 1).array()).toEqual([[1, 2], [3, 4]]);
      expect(await fg.stack([a, a.mul(10)]).array()).toEqual([[[1, 2], [3, 4]], [[10, 20], [30, 40]]]);
      expect(await fg.stack([a, a.mul(10)], -1).array()).toEqual([[[1, 10], [2, 20]], [[3, 30], [4, 40]]]);
      expect(await fg.stack([1, 2, fg.tensor(3)]).array()).toEqual([1, 2, 3]);
      expect(() => fg.concat([a, fg.ones([3, 1])], 1)).toThrow(/concat: xs\[1\] \[3, 1\] does not match xs\[0\] \[2, 2\] outside axis 1/);
      expect(() => fg.stack([a, b])).toThrow(/stack: xs\[1\] \[2, 1\] does not match xs\[0\] \[2, 2\]/);
      expect(() => fg.concat([])).toThrow(/concat: xs must hold at least one tensor/);
      expect(() => fg.concat(a as never)).toThrow(/concat: xs must be an array of tensors/);
      expect(() => fg.concat([a, 'b' as never])).toThrow(/concat: argument xs\[1\] must be a Tensor or a number/);
    });

    it('pad surrounds with a value; its gradient is the window', async () => {
      const x = fg.tensor([[1, 2], [3, 4]]);
      expect(await fg.pad(x, [[1, 0], [0, 2]], -1).array()).toEqual([[-1, -1, -1, -1], [1, 2, -1, -1], [3, 4, -1, -1]]);
      const w = fg.reshape(fg.arange(12), [3, 4]);
      // d/dx Σ pad(x)·w picks the entries of w over x
      const g = fg.grad((x: fg.Tensor) => fg.sum(fg.mul(fg.pad(x, [[1, 0], [0, 2]], 5), w)))(x);
      expect(await g.array()).toEqual([[4, 5], [8, 9]]);
      expect(() => fg.pad(x, [[1, 1]])).toThrow(/pad: widths \[\[1,1\]\] must hold one \[before, after\] pair .* x \[2, 2\]/);
    });

    it('gradients: concat splits the cotangent, slice pads it, stack unstacks it', async () => {
      const a = fg.tensor([1, 2]);
      const b = fg.tensor([3, 4, 5]);
      const w = fg.tensor([10, 20, 30, 40, 50]);
      const [ga, gb] = fg.grad((a: fg.Tensor, b: fg.Tensor) => fg.sum(fg.mul(fg.concat([a, b]), w)), { argnums: [0, 1] })(a, b);
      expect(await flat(ga)).toEqual([10, 20]);
      expect(await flat(gb)).toEqual([30, 40, 50]);
      const gs = fg.grad((w: fg.Tensor) => fg.sum(fg.square(fg.slice(w, [1], [3]))))(w);
      expect(await flat(gs)).toEqual([0, 40, 60, 0, 0]);
      const [gx, gy] = fg.grad((x: fg.Tensor, y: fg.Tensor) => fg.sum(fg.mul(fg.stack([x, y], 1), fg.tensor([[1, 2], [3, 4]]))), { argnums: [0, 1] })(a, fg.tensor([0, 0]));
      expect(await flat(gx)).toEqual([1, 3]);
      expect(await flat(gy)).toEqual([2, 4]);
      // forward mode with a constant piece: its tangent is zero
      const [, t] = fg.jvp((a: fg.Tensor) => fg.concat([a, b, a]), [a], [fg.tensor([1, -1])]);
      expect(await flat(t)).toEqual([1, -1, 0, 0, 0, 1, -1]);
      // a batch of tangents (jacfwd) through stack with a constant piece
      const J = fg.jacfwd((a: fg.Tensor) => fg.stack([b.slice([0], [2]), a]))(a);
      expect(await J.array()).toEqual([[[0, 0], [0, 0]], [[1, 0], [0, 1]]]);
    });
  });
}
