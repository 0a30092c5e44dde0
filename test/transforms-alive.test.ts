// A transform given a disposed tensor throws a StateError naming the transform and the argument,
// instead of computing with freed storage (stale values on CPU, a reused buffer on WebGPU).
import { beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';

beforeAll(() => fg.init({ backend: 'cpu' }));

const dead = (shape = [2]) => {
  const t = fg.ones(shape);
  t.dispose();
  return t;
};
const f = (x: fg.Tensor) => fg.sum(fg.square(x));
const g = (x: fg.Tensor) => fg.mul(x, 2);

describe('every transform checks that its inputs are alive', () => {
  const cases: [string, () => unknown, RegExp][] = [
    ['grad', () => fg.grad(f)(dead()), /^grad: argument holds tensor #\d+ of shape \[2\], which was disposed/],
    ['grad (second argument)', () => fg.grad((a: fg.Tensor, b: fg.Tensor) => fg.sum(fg.mul(a, b)), { argnums: 0 })(fg.ones([2]), dead()), /^grad: argument 1 holds tensor/],
    ['valueAndGrad (in a tree)', () => fg.valueAndGrad((p: { w: fg.Tensor }) => f(p.w))({ w: dead() }), /^valueAndGrad: argument holds tensor #\d+ of shape \[2\], which was disposed/],
    ['vjp', () => fg.vjp(g, dead()), /^vjp: primal holds tensor/],
    ['vjpFn', () => fg.vjp(g, fg.ones([2]))[1](dead()), /^vjp \(vjpFn\): cotangent holds tensor #\d+ of shape \[2\], which was disposed/],
    ['jvp (primal)', () => fg.jvp(g, [dead()], [fg.ones([2])]), /^jvp: primal holds tensor/],
    ['jvp (tangent)', () => fg.jvp(g, [fg.ones([2])], [dead()]), /^jvp: tangent holds tensor/],
    ['jacfwd', () => fg.jacfwd(g)(dead()), /^jacfwd: argument holds tensor #\d+ of shape \[2\], which was disposed/],
    ['jacrev', () => fg.jacrev(g)(dead()), /^jacrev: argument holds tensor/],
    ['hvp (x)', () => fg.hvp(f, dead(), fg.ones([2])), /^hvp: x holds tensor/],
    ['hvp (v)', () => fg.hvp(f, fg.ones([2]), dead()), /^hvp: v holds tensor/],
  ];
  for (const [name, run, message] of cases) {
    it(name, () => {
      expect(run).toThrow(fg.StateError);
      expect(run).toThrow(message);
    });
  }

  it('the transforms refuse a non-function f when they are made', () => {
    for (const [name, make] of [['grad', () => fg.grad(3 as never)], ['valueAndGrad', () => fg.valueAndGrad(null as never)], ['vjp', () => fg.vjp('f' as never, fg.ones([1]))], ['jvp', () => fg.jvp({} as never, [], [])], ['jacfwd', () => fg.jacfwd(1 as never)], ['jacrev', () => fg.jacrev(undefined as never)], ['hvp', () => fg.hvp(2 as never, fg.ones([1]), fg.ones([1]))]] as const) {
      expect(make, name).toThrow(new RegExp(`^${name}: f must be a function`));
    }
  });

  it('live inputs still work (the check does not get in the way)', async () => {
    const j = fg.jacfwd(g)(fg.ones([2]));
    expect(Array.from(await j.data())).toEqual([2, 0, 0, 2]);
  });
});
