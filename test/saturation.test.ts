// Derivatives where activations saturate, in float32 on WebGPU, judged ELEMENTWISE (relative to
// each true value, not to the largest entry of the tensor): first derivatives by reverse and
// forward mode, second derivatives by grad of grad. The references are closed forms evaluated
// in float64 in forms that do not cancel; they were checked against central differences of the
// plain definitions (tanh, 1/(1 + e^−x), log(1 + eˣ), ½x(1 + tanh u), x·σ(x), eˣ − 1) in
// 120-digit decimal arithmetic at these points, agreeing to 1e−15 wherever the value is above
// 1e−30 (PyTorch's float64 tanh-form gelu itself cancels there: 1 + tanh(u) = 0 for x ≪ 0).
import { beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';
import type { Backend } from '../engine/backend.js';
import { F32_EPS, initBoth, onBackend } from './helpers.js';

let gpu: Backend;
beforeAll(async () => ({ gpu } = await initBoth()));

const sig = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
const dsig = (x: number) => sig(x) * sig(-x);
const dtanh = (x: number) => {
  const e = Math.exp(-2 * Math.abs(x));
  return (4 * e) / (1 + e) ** 2;
};
const C = Math.sqrt(2 / Math.PI);
const K = 0.044715;
const geluParts = (x: number) => {
  const u = C * (x + K * x ** 3);
  return { u, du: C * (1 + 3 * K * x * x), ddu: 6 * C * K * x };
};

/** f′ and f″ of each activation, in float64. */
const REFS: Record<string, { f: (x: fg.Tensor) => fg.Tensor; d1: (x: number) => number; d2: (x: number) => number }> = {
  tanh: { f: fg.tanh, d1: dtanh, d2: (x) => -2 * Math.tanh(x) * dtanh(x) },
  sigmoid: { f: fg.sigmoid, d1: dsig, d2: (x) => dsig(x) * (1 - 2 * sig(x)) },
  softplus: { f: fg.softplus, d1: sig, d2: dsig },
  // gelu = x·σ(2u): gelu′ = σ(2u) + 2x·u′·σ′(2u), gelu″ = 4u′σ′(2u) + 2x·(u″σ′(2u) + 2u′²σ″(2u))
  gelu: {
    f: fg.gelu,
    d1: (x) => {
      const { u, du } = geluParts(x);
      return sig(2 * u) + 2 * x * du * dsig(2 * u);
    },
    d2: (x) => {
      const { u, du, ddu } = geluParts(x);
      const s1 = dsig(2 * u);
      const s2 = s1 * (1 - 2 * sig(2 * u));
      return 4 * du * s1 + 2 * x * (ddu * s1 + 2 * du * du * s2);
    },
  },
  silu: { f: fg.silu, d1: (x) => sig(x) + x * dsig(x), d2: (x) => 2 * dsig(x) + x * dsig(x) * (1 - 2 * sig(x)) },
  elu: { f: (x) => fg.elu(x), d1: (x) => (x > 0 ? 1 : Math.exp(x)), d2: (x) => (x > 0 ? 0 : Math.exp(x)) },
};

// exactly representable points on both sides of saturation
const XS = [8, 9.5, 12, 15, 17.5, 20].flatMap((x) => [x, -x]);

// WGSL's exp is accurate to 3 + 2|x| ULP: at |x| ≤ 40 (e^−2|x| for |x| ≤ 20) that is ≤ 83 ULP,
// about 1e−5 relative, plus a few roundings in the forms. The outputs computed from y before
// were off by 17 % (σ′(15)) to 100 % (tanh′(12): 1 − y² = 0).
const REL = 100 * F32_EPS;
// below this a float32 result cannot carry the value (gelu at x ≪ 0 underflows): judged absolute
const TINY = 1e-30;

function expectElementwise(got: ArrayLike<number>, want: number[], what: string) {
  want.forEach((w, i) => {
    const g = got[i]!;
    const err = Math.abs(w) < TINY ? Math.abs(g) : Math.abs(g - w) / Math.abs(w);
    expect(err, `${what} at x = ${XS[i]}: got ${g}, want ${w}`).toBeLessThanOrEqual(Math.abs(w) < TINY ? TINY : REL);
  });
}

describe('activations in saturation on WebGPU, elementwise', () => {
  for (const [name, r] of Object.entries(REFS)) {
    it(`${name}: f′ by VJP and JVP, f″ by grad of grad`, async () => {
      const { d1, d2, v1, v2 } = onBackend(gpu, () => {
        const x = fg.tensor(XS);
        const v1 = fg.grad((z: fg.Tensor) => fg.sum(r.f(z)))(x);
        const [, d1] = fg.jvp(r.f, [x], [fg.ones([XS.length])]);
        const d2 = fg.grad((z: fg.Tensor) => fg.sum(fg.grad((u: fg.Tensor) => fg.sum(r.f(u)))(z)))(x);
        const [, v2] = fg.jvp((z: fg.Tensor) => fg.grad((u: fg.Tensor) => fg.sum(r.f(u)))(z), [x], [fg.ones([XS.length])]);
        return { d1: d1 as fg.Tensor, d2, v1, v2: v2 as fg.Tensor };
      });
      expectElementwise(await v1.data(), XS.map(r.d1), `${name}′ (VJP)`);
      expectElementwise(await d1.data(), XS.map(r.d1), `${name}′ (JVP)`);
      expectElementwise(await d2.data(), XS.map(r.d2), `${name}″ (grad of grad)`);
      expectElementwise(await v2.data(), XS.map(r.d2), `${name}″ (jvp of grad)`);
    });
  }

  for (const act of ['tanh', 'sigmoid'] as const) {
    it(`linear's fused ${act} epilogue: d/db and d²/db² of Σ ${act}(x·w + b) at saturated b`, async () => {
      const ref = REFS[act]!;
      const n = XS.length;
      const { g, h, t } = onBackend(gpu, () => {
        // x·w = 0 (x [1, 1] = 0), so z = b
        const x = fg.zeros([1, 1]);
        const w = fg.ones([1, n]);
        const b = fg.tensor(XS);
        const f = (bb: fg.Tensor) => fg.sum(fg.linear(x, w, bb, { activation: act }));
        const g = fg.grad(f)(b);
        const h = fg.grad((bb: fg.Tensor) => fg.sum(fg.grad(f)(bb)))(b);
        const [, t] = fg.jvp((bb: fg.Tensor) => fg.linear(x, w, bb, { activation: act }), [b], [fg.ones([n])]);
        return { g, h, t: t as fg.Tensor };
      });
      expectElementwise(await g.data(), XS.map(ref.d1), `linear ${act}′ (VJP)`);
      expectElementwise(await t.data(), XS.map(ref.d1), `linear ${act}′ (JVP)`);
      expectElementwise(await h.data(), XS.map(ref.d2), `linear ${act}″`);
    });
  }

  it('logSumExp: its gradient (the softmax) and its JVP, with entries e^−20 below the largest', async () => {
    // one row of logits with gaps of 8 … 20 below the maximum
    const logits = [3, 3 - 8, 3 - 12, 3 - 15, 3 - 20];
    const dir = [0.5, -1, 2, 1, -0.25];
    const m = Math.max(...logits);
    const s = logits.reduce((a, l) => a + Math.exp(l - m), 0);
    const p = logits.map((l) => Math.exp(l - m) / s);
    const { g, t } = onBackend(gpu, () => {
      const x = fg.tensor(logits);
      const g = fg.grad((z: fg.Tensor) => fg.logSumExp(z))(x);
      const [, t] = fg.jvp((z: fg.Tensor) => fg.logSumExp(z), [x], [fg.tensor(dir)]);
      return { g, t: t as fg.Tensor };
    });
    const gv = await g.data();
    p.forEach((pi, i) => expect(Math.abs(gv[i]! - pi) / pi, `softmax entry ${i}`).toBeLessThanOrEqual(REL));
    const tWant = p.reduce((a, pi, i) => a + pi * dir[i]!, 0);
    expect(Math.abs((await t.item()) - tWant) / Math.abs(tWant)).toBeLessThanOrEqual(REL);
  });
});

describe('logSoftmax and logSumExp at a confident class on WebGPU, elementwise', () => {
  // rows with gaps of 8 … 20 below the maximum (the last with a tie at the top)
  const rows = [
    [3, 3 - 8, 3 - 12, 3 - 15, 3 - 20],
    [-20, 0, -9.5, -17.5, -12],
    [1, 1, -20, -15, -8],
  ];
  const dirs = [[0.5, -1, 2, 1, -0.25], [1, 0.25, -2, 0.5, 3], [-1, 2, 0.7, 1, 0.75]]; // (no entry of the JVP near 0: its relative error would measure that cancellation)
  // float64 closed forms with k the first maximum and R = Σ_{j≠k} e^{x_j − x_k}:
  // logSoftmax_i = (x_i − x_k) − log1p(R), p_i = e^{x_i − x_k}/(1 + R), 1 − p_k = R/(1 + R)
  const ref = rows.map((r) => {
    const k = r.indexOf(Math.max(...r));
    const e = r.map((v) => Math.exp(v - r[k]!));
    const R = e.reduce((a, v, j) => (j === k ? a : a + v), 0);
    return { k, R, e, ls: r.map((v) => v - r[k]! - Math.log1p(R)), p: e.map((v) => v / (1 + R)) };
  });

  it('forward, the VJP of the log-probability at the maximum, and the JVP', async () => {
    const { y, g, t, lse } = onBackend(gpu, () => {
      const x = fg.tensor(rows);
      // cotangent one-hot at each row's first maximum: the cross-entropy of the confident class
      const hot = fg.tensor(ref.map(({ k }) => [0, 1, 2, 3, 4].map((c) => (c === k ? 1 : 0))));
      const g = fg.grad((z: fg.Tensor) => fg.sum(fg.mul(fg.logSoftmax(z), hot)))(x);
      const [, t] = fg.jvp((z: fg.Tensor) => fg.logSoftmax(z), [x], [fg.tensor(dirs)]);
      return { y: fg.logSoftmax(x), g, t: t as fg.Tensor, lse: fg.logSumExp(x, 1) };
    });
    const [yv, gv, tv, lv] = [await y.data(), await g.data(), await t.data(), await lse.data()];
    ref.forEach(({ k, R, ls, p }, r) => {
      const d = dirs[r]!;
      const pd = p.reduce((a, pj, j) => (j === k ? a : a + pj * (d[j]! - d[k]!)), 0);
      for (let i = 0; i < 5; i++) {
        const at = `row ${r}, entry ${i}`;
        const rel = (got: number, want: number) => Math.abs(got - want) / Math.abs(want);
        expect(rel(yv[r * 5 + i]!, ls[i]!), `logSoftmax ${at}`).toBeLessThanOrEqual(REL);
        // d/dx_i of logSoftmax_k: 1 − p_k at k, −p_i elsewhere
        expect(rel(gv[r * 5 + i]!, i === k ? R / (1 + R) : -p[i]!), `VJP ${at}`).toBeLessThanOrEqual(REL);
        // JVP: (d_i − d_k) − Σ_{j≠k} p_j (d_j − d_k)
        expect(rel(tv[r * 5 + i]!, (i === k ? 0 : d[i]! - d[k]!) - pd), `JVP ${at}`).toBeLessThanOrEqual(REL);
      }
      expect(rel2(lv[r]!, rows[r]![k]! + Math.log1p(R)), `logSumExp row ${r}`).toBeLessThanOrEqual(REL);
    });
  });
});

const rel2 = (got: number, want: number) => Math.abs(got - want) / Math.abs(want);
