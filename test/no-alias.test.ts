// What vjp, grad and jvp return is the caller's to dispose: no result is the caller's own input,
// tangent or cotangent, and no two results are one tensor, even where a rule passes its
// cotangent straight through (add of equal shapes, pow(x, 1), the identity).
import { beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';
import type { Backend } from '../engine/backend.js';
import { initBoth, onBackend, vals } from './helpers.js';

let cpu: Backend;
let gpu: Backend;
beforeAll(async () => ({ cpu, gpu } = await initBoth()));


for (const where of ['cpu', 'webgpu'] as const) {
  describe(`on ${where}`, () => {
    const on = <T>(f: () => T) => onBackend(where === 'cpu' ? cpu : gpu, f);

    it('vjp of add: the two cotangents and the caller’s cotangent are three tensors', async () => {
      const [x, y, ct] = on(() => [fg.tensor([1, 2]), fg.tensor([3, 4]), fg.tensor([5, 6])]);
      const [out, pull] = on(() => fg.vjp(fg.add, x!, y!));
      const [gx, gy] = on(() => pull(ct!));
      gx!.dispose();
      expect(await vals(gy!)).toEqual([5, 6]);
      expect(await vals(ct!)).toEqual([5, 6]);
      gy!.dispose();
      expect(await vals(ct!)).toEqual([5, 6]);
      expect(await vals(out)).toEqual([4, 6]);
      pull.dispose();
    });

    it('vjp of pow(x, 1), of sub and of the identity give back tensors of their own', async () => {
      const [x, ct] = on(() => [fg.tensor([2, 3]), fg.tensor([1, -1])]);
      for (const f of [(a: fg.Tensor) => fg.pow(a, 1), (a: fg.Tensor) => fg.sub(a, 0), (a: fg.Tensor) => a, (a: fg.Tensor) => fg.reshape(a, [2])]) {
        const [out, pull] = on(() => fg.vjp(f, x!));
        const [g] = on(() => pull(ct!));
        g!.dispose();
        expect(await vals(ct!)).toEqual([1, -1]);
        out.dispose(); // the identity's value is not x itself either
        expect(await vals(x!)).toEqual([2, 3]);
        pull.dispose();
      }
    });

    it('grad with several argnums: disposing one gradient leaves the other', async () => {
      const [x, y] = on(() => [fg.tensor([1, 2, 3]), fg.tensor([4, 5, 6])]);
      const [gx, gy] = on(() => fg.grad((a: fg.Tensor, b: fg.Tensor) => fg.sum(fg.add(a, b)), { argnums: [0, 1] })(x!, y!)) as fg.Tensor[];
      gx!.dispose();
      expect(await vals(gy!)).toEqual([1, 1, 1]);
    });

    it('valueAndGrad and grad of the identity leave the input alive', async () => {
      const x = on(() => fg.tensor(3));
      const g = on(() => fg.grad((a: fg.Tensor) => a)(x));
      expect(await g.item()).toBe(1);
      expect(await x.item()).toBe(3);
      const [v] = on(() => fg.valueAndGrad((a: fg.Tensor) => a)(x));
      v.dispose();
      expect(await x.item()).toBe(3);
    });

    it('jvp of the identity: value and tangent are not the caller’s primal and tangent', async () => {
      const [x, t] = on(() => [fg.tensor([1, 2]), fg.tensor([7, 8])]);
      const [y, ty] = on(() => fg.jvp((a: fg.Tensor) => a, [x!], [t!]));
      y.dispose();
      ty.dispose();
      expect(await vals(x!)).toEqual([1, 2]);
      expect(await vals(t!)).toEqual([7, 8]);
    });

    it('grad of grad: a cotangent passed through at the inner level is still its own tensor', async () => {
      const x = on(() => fg.tensor([0.5, -1]));
      // d/dx Σ d/dx(Σ x + x²)… the inner gradient 1 + 2x passes add's cotangent on
      const h = on(() => fg.grad((a: fg.Tensor) => fg.sum(fg.grad((b: fg.Tensor) => fg.sum(fg.add(b, fg.square(b))))(a)))(x));
      expect(await vals(h)).toEqual([2, 2]);
      expect(await vals(x)).toEqual([0.5, -1]);
    });
  });
}
