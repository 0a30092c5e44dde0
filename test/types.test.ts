// Types that help: this file must type-check (`npx tsc -p .`), and its runtime lines check the
// values. expectTypeOf is checked by tsc; each @ts-expect-error line must be an error.
import { beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import * as fg from '../index.js';
import { initBoth } from './helpers.js';

beforeAll(async () => {
  await initBoth();
});

interface Params {
  layers: { W: fg.Tensor; b: fg.Tensor }[];
  alpha: fg.Tensor;
}

describe('types', () => {
  it('grad and valueAndGrad return the argument tree type', async () => {
    await fg.init({ backend: 'cpu' });
    const p: Params = { layers: [{ W: fg.tensor([[1, 2]]), b: fg.tensor([0.5]) }], alpha: fg.tensor(2) };
    const x = fg.tensor([[3], [4]]);
    const loss = (q: Params, xs: fg.Tensor) => fg.sum(fg.mul(fg.add(fg.matmul(q.layers[0]!.W, xs), q.layers[0]!.b), q.alpha));

    const g = fg.grad(loss)(p, x);
    expectTypeOf(g).toEqualTypeOf<Params>();
    expect(await g.layers[0]!.W.toArray()).toEqual([6, 8]); // alpha · x
    expect(await g.alpha.item()).toBe(11.5);

    const [value, g2] = fg.valueAndGrad(loss)(p, x);
    expectTypeOf(value).toEqualTypeOf<fg.Tensor>();
    expectTypeOf(g2).toEqualTypeOf<Params>();
    expect(await value.item()).toBe(23);

    const gx = fg.grad(loss, { argnums: 1 })(p, x);
    expectTypeOf(gx).toEqualTypeOf<fg.Tensor>();
    const both = fg.grad(loss, { argnums: [0, 1] })(p, x);
    expectTypeOf(both).toEqualTypeOf<[Params, fg.Tensor]>();
    expect(both[1].shape).toEqual([2, 1]);
    const [, pair] = fg.valueAndGrad(loss, { argnums: [1, 0] })(p, x);
    expectTypeOf(pair).toEqualTypeOf<[fg.Tensor, Params]>();

    // never called: a type error only
    // @ts-expect-error: the gradient function takes the arguments of f
    const wrong = () => fg.grad(loss)(x, x);
    expect(typeof wrong).toBe('function');
  });

  it('toFloat64 and toArray need no union juggling, on both backends', async () => {
    for (const name of ['cpu', 'webgpu'] as const) {
      await fg.init({ backend: name });
      const t = fg.tensor([[0.5, -1], [2, 4]]);
      const f = await t.toFloat64();
      expectTypeOf(f).toEqualTypeOf<Float64Array>();
      expect(f).toBeInstanceOf(Float64Array);
      expect(Array.from(f)).toEqual([0.5, -1, 2, 4]);
      const a = await t.toArray();
      expectTypeOf(a).toEqualTypeOf<number[]>();
      expect(a).toEqual([0.5, -1, 2, 4]);
    }
  });

  it('shape is assignable to number[] and stays frozen', async () => {
    await fg.init({ backend: 'cpu' });
    const t = fg.zeros([2, 3]);
    const s: number[] = t.shape;
    expect(fg.reshape(t, t.shape.slice().reverse()).shape).toEqual([3, 2]);
    expect(() => s.push(1)).toThrow(TypeError);
    expect(t.shape).toEqual([2, 3]);
  });
});
