// Comparison ops (no derivative), and one cross-entropy that takes both target conventions:
// integer labels or one-hot / soft class probabilities, told apart by shape. Accuracy is built
// from argmax and equal, with no loop over host arrays.
import { beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';
import type { Backend } from '../engine/backend.js';
import { initBoth, maxAbsDiff, onBackend, vals } from './helpers.js';

let cpu: Backend;
let gpu: Backend;
beforeAll(async () => ({ cpu, gpu } = await initBoth()));


describe('comparison ops', () => {
  const a = [1, 2, 3, -1, 0.5, 4];
  const b = [1, 3, 2, -1, -0.5, 4];
  const cases: [string, (x: fg.Tensor, y: fg.Tensor | number) => fg.Tensor, (x: number, y: number) => boolean][] = [
    ['equal', fg.equal, (x, y) => x === y],
    ['notEqual', fg.notEqual, (x, y) => x !== y],
    ['greater', fg.greater, (x, y) => x > y],
    ['greaterEqual', fg.greaterEqual, (x, y) => x >= y],
    ['less', fg.less, (x, y) => x < y],
    ['lessEqual', fg.lessEqual, (x, y) => x <= y],
  ];
  for (const [name, op, rel] of cases) {
    it(`${name}: values (with broadcasting) on both backends, zero derivative in both modes`, async () => {
      for (const be of [cpu, gpu]) {
        const r = onBackend(be, () => {
          const x = fg.tensor(a, [2, 3]);
          const y = fg.tensor(b, [2, 3]);
          return {
            v: op(x, y),
            row: op(x, fg.tensor([1, 2, 3])), // [2, 3] against [3]
            scalar: op(x, 2),
            g: fg.grad((p: fg.Tensor, q: fg.Tensor) => fg.sum(fg.mul(op(p, q), p)), { argnums: [0, 1] })(x, y) as fg.Tensor[],
            t: fg.jvp((p: fg.Tensor) => op(p, y), [x], [fg.ones([2, 3])])[1] as fg.Tensor,
          };
        });
        const want = a.map((x, i) => (rel(x, b[i]!) ? 1 : 0));
        expect(await vals(r.v)).toEqual(want);
        expect(await vals(r.row)).toEqual(a.map((x, i) => (rel(x, [1, 2, 3][i % 3]!) ? 1 : 0)));
        expect(await vals(r.scalar)).toEqual(a.map((x) => (rel(x, 2) ? 1 : 0)));
        // d/dp Σ cmp(p, q)·p = cmp(p, q): the comparison itself contributes nothing
        expect(await vals(r.g[0]!)).toEqual(want);
        expect(await vals(r.g[1]!)).toEqual([0, 0, 0, 0, 0, 0]);
        expect(await vals(r.t)).toEqual([0, 0, 0, 0, 0, 0]);
      }
    });
  }
  it('are registered ops', () => {
    const names = fg.registeredOps().map((o) => o.name);
    for (const n of ['equal', 'notEqual', 'greater', 'greaterEqual', 'less', 'lessEqual']) expect(names).toContain(n);
  });
});

describe('crossEntropy takes integer labels and one-hot (or soft) targets alike', () => {
  const z = [[2, 0.5, -1], [0.1, 0.2, 3], [1, 1, 1]];
  const labels = [0, 2, 1];
  const lse = (r: number[]) => Math.log(r.reduce((s, v) => s + Math.exp(v), 0));
  // −mean log softmax(z)[label], by hand
  const want = z.reduce((s, r, i) => s + lse(r) - r[labels[i]!]!, 0) / 3;
  it('the same value and gradient either way; models.softmaxCrossEntropy is the same function', async () => {
    for (const be of [cpu, gpu]) {
      const r = onBackend(be, () => {
        const logits = fg.tensor(z);
        const hot = fg.tensor(labels.map((l) => [0, 1, 2].map((c) => (c === l ? 1 : 0))));
        const ints = fg.tensor(labels);
        const f = (t: fg.Tensor) => (x: fg.Tensor) => fg.crossEntropy(x, t);
        return {
          a: fg.crossEntropy(logits, ints), b: fg.crossEntropy(logits, hot), c: fg.models.softmaxCrossEntropy(logits, ints),
          ga: fg.grad(f(ints))(logits), gb: fg.grad(f(hot))(logits),
          // soft targets: −mean Σ p log softmax, differentiable in p (gradient −log softmax / n)
          gp: fg.grad((p: fg.Tensor) => fg.crossEntropy(logits, p))(hot),
        };
      });
      const tol = be === cpu ? 1e-14 : 1e-6;
      for (const v of [r.a, r.b, r.c]) expect(Math.abs((await v.item()) - want)).toBeLessThanOrEqual(tol);
      expect(maxAbsDiff(await r.ga.data(), await r.gb.data())).toBeLessThanOrEqual(tol);
      const gpWant = z.flatMap((row) => row.map((v) => -(v - lse(row)) / 3));
      expect(maxAbsDiff(await r.gp.data(), gpWant)).toBeLessThanOrEqual(tol);
    }
    expect(fg.models.softmaxCrossEntropy).toBe(fg.crossEntropy);
  });
  it('labels of neither shape are refused, naming both conventions', () => {
    expect(() => fg.crossEntropy(fg.zeros([3, 4]), fg.zeros([3, 3]))).toThrow(/without its last \(class\) axis \(class indices\), or the logits' shape \(class probabilities\)/);
  });
  it('one logSoftmax: models has no copy of its own', () => {
    expect((fg.models as Record<string, unknown>).logSoftmax).toBeUndefined();
  });
});

describe('models.accuracy from argmax and equal', () => {
  it('integer labels and one-hot rows, as a scalar tensor', async () => {
    for (const be of [cpu, gpu]) {
      const r = onBackend(be, () => {
        const logits = fg.tensor([[2, 1, 0], [0, 3, 1], [5, 0, 6], [1, 0, 0]]);
        const ints = fg.tensor([0, 1, 0, 2]); // rows 0 and 1 right, 2 and 3 wrong
        const hot = fg.tensor([[1, 0, 0], [0, 1, 0], [1, 0, 0], [0, 0, 1]]);
        return [fg.models.accuracy(logits, ints), fg.models.accuracy(logits, hot)];
      });
      for (const acc of r) {
        expect(acc.shape).toEqual([]);
        expect(await acc.item()).toBe(0.5);
      }
    }
    expect(() => fg.models.accuracy(fg.zeros([4, 3]), fg.zeros([3]))).toThrow(/accuracy: labels \[3\] must be class indices \[4\] or one-hot rows \[4, 3\]/);
  });
});
