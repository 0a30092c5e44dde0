// Every registered op, on every sample it declares, on both backends: forward against the
// float64 reference, VJP and JVP against finite differences, forward against reverse mode,
// and bad input. A new op is covered the moment it is registered with samples.
import { beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';
import { apply, registeredOps } from '../autodiff/op.js';
import type { Backend } from '../engine/backend.js';
import { normalArray } from '../engine/random.js';
import { fromValues } from '../engine/creation.js';
import { F32_EPS, dot, initBoth, label, maxAbs, maxAbsDiff, onBackend, opFn, sampleValues, tensorsOn } from './helpers.js';

let cpu: Backend;
let gpu: Backend;
beforeAll(async () => ({ cpu, gpu } = await initBoth()));

const ops = registeredOps();

describe('registry', () => {
  it('has every op of the spine, each with samples', () => {
    const names = ops.map((o) => o.name);
    for (const n of ['add', 'sub', 'mul', 'div', 'neg', 'exp', 'log', 'tanh', 'relu', 'sigmoid', 'square', 'sqrt', 'sum', 'mean', 'matmul', 'reshape', 'transpose', 'broadcastTo']) {
      expect(names).toContain(n);
    }
    for (const op of ops) expect(op.samples.length, op.name).toBeGreaterThan(0);
  });
});

for (const op of ops) {
  describe(`op ${op.name}`, () => {
    op.samples.forEach((sample, si) => {
      const seed = 1000 + si;
      const values = () => sampleValues(sample.shapes, sample.domain, seed, sample.values);

      it(`WebGPU equals the float64 reference: ${label(op, sample)}`, async () => {
        const vs = values();
        const ref = await apply(op, tensorsOn(cpu, vs, sample.shapes), sample.attrs).data();
        const out = await apply(op, tensorsOn(gpu, vs, sample.shapes), sample.attrs).data();
        expect(out.length).toBe(ref.length);
        // Inputs are the same float32 numbers on both sides, so the difference is float32
        // arithmetic: a few ε per operation, times the length of the longest reduction
        // (≤ 600 here), relative to the size of the terms.
        const reduction = Math.max(1, ...sample.shapes.flat());
        const scale = Math.max(1, maxAbs(ref), ...vs.map(maxAbs));
        expect(maxAbsDiff(out, ref)).toBeLessThanOrEqual(8 * F32_EPS * reduction * scale);
      });

      if (sample.zeroDerivative) {
        it(`derivative is zero in both modes: ${label(op, sample)}`, async () => {
          const xs = tensorsOn(cpu, values(), sample.shapes);
          const { f } = opFn(op, sample, xs);
          const g = fg.grad((x: fg.Tensor) => fg.sum(fg.mul(f(x), x)))(xs[0]!); // d/dx Σ sg(x)·x = sg(x)
          expect(maxAbsDiff(await g.data(), await xs[0]!.data())).toBe(0);
          const [, t] = fg.jvp(f, [xs[0]!], [fg.ones(xs[0]!.shape as number[])]);
          expect(maxAbs(await t.data())).toBe(0);
        });
        return;
      }

      it(`VJP equals central differences in float64: ${label(op, sample)}`, async () => {
        const xs = tensorsOn(cpu, values(), sample.shapes);
        const { diff, f } = opFn(op, sample, xs);
        const report = await fg.gradcheck(f, diff.map((i) => xs[i]!), { backend: 'cpu' });
        for (const r of report.inputs) expect(r.maxAbsError, JSON.stringify(r)).toBeLessThanOrEqual(r.atol + r.rtol * Math.abs(r.numeric));
        expect(report.pass).toBe(true);
      });

      it(`JVP equals central differences in float64: ${label(op, sample)}`, async () => {
        const xs = tensorsOn(cpu, values(), sample.shapes);
        const { diff, f } = opFn(op, sample, xs);
        const primals = diff.map((i) => xs[i]!);
        const us = primals.map((x, k) => fromValues(normalArray(x.size, seed + 50 + k), x.shape, cpu));
        const [, t] = fg.jvp(f, primals, us);
        const h = 1e-6;
        const shifted = (sgn: number) => f(...primals.map((x, k) => fg.add(x, fg.mul(us[k]!, sgn * h))));
        const fd = (await shifted(1).data()).map((p, i) => p);
        const fm = await shifted(-1).data();
        const numeric = fd.map((p, i) => (p - fm[i]!) / (2 * h));
        // central differences in float64 with h = 1e-6: truncation ~h²·f''' and round-off ~ε/h ≈ 2e-10
        expect(maxAbsDiff(await t.data(), numeric)).toBeLessThanOrEqual(1e-6 * Math.max(1, maxAbs(numeric)));
      });

      for (const where of ['cpu', 'webgpu'] as const) {
        it(`dot-product test ⟨v, J u⟩ = ⟨Jᵀ v, u⟩ on ${where}: ${label(op, sample)}`, async () => {
          const b = where === 'cpu' ? cpu : gpu;
          const xs = tensorsOn(b, values(), sample.shapes);
          const { diff, f } = opFn(op, sample, xs);
          const primals = diff.map((i) => xs[i]!);
          const us = primals.map((x, k) => fromValues(normalArray(x.size, seed + 70 + k), x.shape, b));
          const [y, Ju] = onBackend(b, () => fg.jvp(f, primals, us));
          const v = fromValues(normalArray(y.size, seed + 90), y.shape, b);
          const [, pull] = onBackend(b, () => fg.vjp(f, ...primals));
          const JTv = onBackend(b, () => pull(v)) as fg.Tensor[];
          const lhs = dot(await v.data(), await Ju.data());
          let rhs = 0;
          for (let k = 0; k < us.length; k++) rhs += dot(await JTv[k]!.data(), await us[k]!.data());
          pull.dispose();
          // float64: round-off only; float32: ε times the sum of the magnitudes of the terms
          const magnitude = Math.max(1, Math.abs(lhs), maxAbs(await Ju.data()) * y.size);
          expect(Math.abs(lhs - rhs)).toBeLessThanOrEqual((where === 'cpu' ? 1e-12 : 64 * F32_EPS) * magnitude);
        });
      }

      it(`batched forward (jacfwd) equals batched reverse (jacrev): ${label(op, sample)}`, async () => {
        const xs = tensorsOn(cpu, values(), sample.shapes);
        const { diff, f } = opFn(op, sample, xs);
        for (const k of diff) {
          const g = (x: fg.Tensor) => f(...diff.map((i) => (i === k ? x : xs[i]!)));
          const jf = await fg.jacfwd(g)(xs[k]!).data();
          const jr = await fg.jacrev(g)(xs[k]!).data();
          expect(maxAbsDiff(jf, jr)).toBeLessThanOrEqual(1e-12 * Math.max(1, maxAbs(jf)));
        }
      });
    });

    it('rejects a non-tensor argument, naming op and argument', () => {
      const shapes = op.samples[0]!.shapes;
      const args: unknown[] = shapes.map((s) => fg.zeros(s));
      args[0] = 'x';
      const argName = op.args[0]!.replace(/[[\]().*+?^$|{}\\]/g, '\\$&'); // names like xs[0]
      expect(() => apply(op, args as fg.Tensor[], op.samples[0]!.attrs)).toThrow(new RegExp(`${op.name}: argument ${argName} must be a Tensor or a number`));
    });

    for (const bad of op.rejects ?? []) {
      it(`rejects ${JSON.stringify(bad.shapes)} ${JSON.stringify(bad.attrs ?? {})} with a ShapeError`, () => {
        for (const b of [cpu, gpu]) {
          const xs = bad.shapes.map((s) => fromValues(new Float64Array(s.reduce((a, c) => a * c, 1)), s, b));
          let err: unknown;
          try {
            apply(op, xs, bad.attrs);
          } catch (e) {
            err = e;
          }
          expect(err).toBeInstanceOf(fg.ShapeError);
          expect((err as Error).message).toMatch(bad.message);
        }
      });
    }
  });
}
