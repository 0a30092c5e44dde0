// Convolutions beyond the registry walk (test/conformance.test.ts covers every op's samples):
// both kernel variants at sizes that span many tiles, the public options, the transposed
// convolution, finite differences in float64, Hessian-vector products through two stacked
// convolutions, a residual block under gradcheck, and the errors users see.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';
import { convKernelOptions } from '../kernels/conv.js';
import { F32_EPS, initBoth, maxAbs, maxAbsDiff, onBackend } from './helpers.js';
import type { Backend } from '../engine/backend.js';

let cpu: Backend;
let gpu: Backend;
beforeAll(async () => ({ cpu, gpu } = await initBoth()));
afterEach(() => {
  convKernelOptions.subgroups = true;
});

const randn = (b: Backend, shape: number[], seed: number) => onBackend(b, () => fg.randn(shape, { seed }));

interface Case {
  x: number[];
  w: number[];
  opts: fg.ConvOptions;
}

/** The three passes of a configuration on one backend. */
function passes(b: Backend, c: Case, seed: number) {
  return onBackend(b, () => {
    const x = fg.randn(c.x, { seed });
    const w = fg.randn(c.w, { seed: seed + 1 });
    const y = fg.conv2d(x, w, c.opts);
    const g = fg.randn(y.shape as number[], { seed: seed + 2 });
    const gx = fg.conv2dInputGrad(g, w, { ...c.opts, inputSize: [c.x[2]!, c.x[3]!] });
    const gw = fg.conv2dWeightGrad(x, g, { ...c.opts, kernelSize: [c.w[2]!, c.w[3]!] });
    return { y, gx, gw };
  });
}

describe('conv2d kernels at sizes that span many tiles', () => {
  // Many workgroups, columns past one tile, pixels not a multiple of a tile, a split weight
  // reduction (chunks), groups; each configuration on both kernel variants.
  const cases: Case[] = [
    { x: [2, 16, 32, 32], w: [32, 16, 3, 3], opts: { padding: 1 } },
    { x: [2, 4, 32, 32], w: [4, 4, 3, 3], opts: { padding: 'same' } },
    { x: [3, 6, 11, 9], w: [20, 3, 3, 2], opts: { stride: 2, padding: [1, 2, 0, 1], groups: 2 } },
  ];
  for (const subgroups of [true, false]) {
    for (const [i, c] of cases.entries()) {
      it(`${subgroups ? 'subgroup' : 'portable'} kernels equal the float64 reference: x ${JSON.stringify(c.x)}, w ${JSON.stringify(c.w)}`, async () => {
        convKernelOptions.subgroups = subgroups;
        const ref = passes(cpu, c, 10 + i);
        const out = passes(gpu, c, 10 + i);
        // float32 sums of K terms of size ≈ 1 (seeded normals, which both backends share to
        // float32 rounding): a few ε·K relative to the largest output. K: C/groups·kh·kw for y
        // and the input gradient, N·ho·wo for the weight gradient.
        const [, cg, kh, kw] = c.w;
        const k = { y: cg! * kh! * kw!, gx: c.w[0]! * kh! * kw!, gw: ref.y.shape[0]! * ref.y.shape[2]! * ref.y.shape[3]! };
        for (const name of ['y', 'gx', 'gw'] as const) {
          const r = await ref[name].data();
          const o = await out[name].data();
          expect(o.length, name).toBe(r.length);
          expect(maxAbsDiff(o, r), name).toBeLessThanOrEqual(4 * F32_EPS * k[name] * maxAbs(r));
        }
      });
    }
  }
});

describe('conv2d options', () => {
  it("padding forms: number, pair, four sides, 'same' (odd and even kernels, dilation), 'valid'", async () => {
    const x = randn(cpu, [1, 2, 7, 6], 1);
    const w3 = randn(cpu, [3, 2, 3, 3], 2);
    const w4 = randn(cpu, [3, 2, 4, 2], 3);
    const same = (a: fg.Tensor, b: fg.Tensor) => onBackend(cpu, () => fg.conv2d(a, b, { padding: [1, 1, 1, 1] }));
    expect(maxAbsDiff(await fg.conv2d(x, w3, { padding: 1 }).data(), await same(x, w3).data())).toBe(0);
    expect(maxAbsDiff(await fg.conv2d(x, w3, { padding: [1, 1] }).data(), await same(x, w3).data())).toBe(0);
    expect(maxAbsDiff(await fg.conv2d(x, w3, { padding: 'same' }).data(), await same(x, w3).data())).toBe(0);
    // an even kernel pads by k − 1 in total, the odd one at the bottom and right (PyTorch)
    const y4 = fg.conv2d(x, w4, { padding: 'same' });
    expect(y4.shape).toEqual([1, 3, 7, 6]);
    expect(maxAbsDiff(await y4.data(), await fg.conv2d(x, w4, { padding: [1, 2, 0, 1] }).data())).toBe(0);
    expect(fg.conv2d(x, w3, { padding: 'same', dilation: [2, 3] }).shape).toEqual([1, 3, 7, 6]);
    expect(fg.conv2d(x, w3, { padding: 'valid' }).shape).toEqual([1, 3, 5, 4]);
    expect(fg.conv2d(x, w3).shape).toEqual([1, 3, 5, 4]);
    // PyTorch's size: ⌊(H + top + bottom − dilation·(k − 1) − 1)/stride⌋ + 1
    expect(fg.conv2d(x, w3, { stride: [2, 3], padding: [0, 2, 1, 0], dilation: [1, 2] }).shape).toEqual([1, 3, 4, 1]);
  });

  it('bias adds one value per output channel, and the method form', async () => {
    const x = randn(cpu, [2, 3, 4, 4], 4);
    const w = randn(cpu, [2, 3, 3, 3], 5);
    const bias = fg.tensor([0.5, -2]);
    const y = await onBackend(cpu, () => x.conv2d(w, { padding: 1, bias })).data();
    const y0 = await fg.conv2d(x, w, { padding: 1 }).data();
    for (let i = 0; i < y.length; i++) expect(y[i]! - y0[i]!).toBeCloseTo(Math.floor(i / 16) % 2 === 0 ? 0.5 : -2, 12);
  });

  it('convTranspose2d matches a direct scatter, with stride, padding, outputPadding and groups', async () => {
    // y[n, o, iy·s + ky − p, ix·s + kx − p] += x[n, c, iy, ix] · w[c, o − g·Og, ky, kx]
    const [n, cin, h, wd, og, k, s, p, groups] = [2, 4, 3, 4, 3, 3, 2, 1, 2];
    const x = randn(cpu, [n, cin, h, wd], 6);
    const w = randn(cpu, [cin, og, k, k], 7);
    const y = fg.convTranspose2d(x, w, { stride: s, padding: p, outputPadding: 1, groups });
    const H = (h - 1) * s - 2 * p + (k - 1) + 1 + 1;
    const W = (wd - 1) * s - 2 * p + (k - 1) + 1 + 1;
    expect(y.shape).toEqual([n, og * groups, H, W]);
    const xv = await x.data();
    const wv = await w.data();
    const ref = new Float64Array(n * og * groups * H * W);
    const cg = cin / groups;
    for (let b = 0; b < n; b++) for (let c = 0; c < cin; c++) for (let iy = 0; iy < h; iy++) for (let ix = 0; ix < wd; ix++) {
      const grp = Math.floor(c / cg);
      for (let o = 0; o < og; o++) for (let ky = 0; ky < k; ky++) for (let kx = 0; kx < k; kx++) {
        const oy = iy * s + ky - p;
        const ox = ix * s + kx - p;
        if (oy < 0 || oy >= H || ox < 0 || ox >= W) continue;
        ref[((b * og * groups + grp * og + o) * H + oy) * W + ox] += xv[((b * cin + c) * h + iy) * wd + ix]! * wv[((c * og + o) * k + ky) * k + kx]!;
      }
    }
    expect(maxAbsDiff(await y.data(), ref)).toBeLessThan(1e-12);
  });
});

describe('conv2d derivatives in float64', () => {
  it('gradient of conv2d with bias, stride, dilation and groups against central differences', async () => {
    const x = randn(cpu, [2, 4, 7, 6], 8);
    const w = randn(cpu, [6, 2, 3, 2], 9);
    const b = randn(cpu, [6], 10);
    const f = (x: fg.Tensor, w: fg.Tensor, b: fg.Tensor) => fg.tanh(fg.conv2d(x, w, { stride: [2, 1], padding: [1, 0, 2, 1], dilation: [1, 2], groups: 2, bias: b }));
    const report = await fg.gradcheck(f, [x, w, b]);
    expect(report.pass, JSON.stringify(report.inputs)).toBe(true);
  });

  // Two stacked convolutions with tanh between (relu would make the Hessian zero almost
  // everywhere): the Hessian-vector product runs the JVP rules of conv2d's VJP rules, i.e. of
  // conv2dInputGrad and conv2dWeightGrad.
  const w1 = () => randn(cpu, [4, 3, 3, 3], 21);
  const w2 = () => randn(cpu, [2, 4, 3, 3], 22);
  const x0 = () => randn(cpu, [2, 3, 6, 5], 23);
  const net = (x: fg.Tensor, a: fg.Tensor, b: fg.Tensor) =>
    fg.sum(fg.square(fg.tanh(fg.conv2d(fg.tanh(fg.conv2d(x, a, { padding: 1, stride: [1, 2] })), b, { padding: 'same', dilation: 2 }))));

  it('Hessian-vector products through conv of conv, by input and by weights, against differences of gradients and jacfwd(grad)', async () => {
    const [x, a, b] = [x0(), w1(), w2()];
    const check = async (f: (t: fg.Tensor) => fg.Tensor, at: fg.Tensor, seed: number) => {
      const v = randn(cpu, at.shape as number[], seed);
      const hv = await fg.hvp(f, at, v).data();
      // central difference of the gradient along v: error ~ h²·(fourth derivative), with h = 1e-5
      const h = 1e-5;
      const gp = await fg.grad(f)(fg.add(at, fg.mul(v, h))).data();
      const gm = await fg.grad(f)(fg.sub(at, fg.mul(v, h))).data();
      const fd = Array.from(gp as ArrayLike<number>, (p, i) => (p - gm[i]!) / (2 * h));
      expect(maxAbsDiff(hv, fd)).toBeLessThan(1e-6 * Math.max(1, maxAbs(fd)));
      // the full Hessian by forward over reverse, times v: the same numbers to round-off
      const H = await fg.jacfwd(fg.grad(f))(at).data();
      const n = at.size;
      const vv = await v.data();
      const Hv = Array.from({ length: n }, (_, i) => Array.from(vv).reduce((s, vj, j) => s + H[i * n + j]! * vj, 0));
      expect(maxAbsDiff(hv, Hv)).toBeLessThan(1e-10 * Math.max(1, maxAbs(Hv)));
    };
    await check((t) => net(t, a, b), x, 31);
    await check((t) => net(x, t, b), a, 32);
    await check((t) => net(x, a, t), b, 33);
  });

  it('batched derivatives (jacrev, and jacfwd over grad) with groups on WebGPU agree with float64', async () => {
    // a batch of tangents or cotangents rides on the image (folded into N) or on the kernel
    // (folded into the groups): both folds run here, through all three ops
    const make = (be: Backend) => onBackend(be, () => [fg.randn([2, 4, 3, 4], { seed: 61 }), fg.randn([4, 2, 2, 2], { seed: 62 })]);
    const f = (x: fg.Tensor, w: fg.Tensor) => fg.tanh(fg.conv2d(x, w, { groups: 2, padding: [1, 0, 1, 1], stride: [2, 1] }));
    const loss = (x: fg.Tensor, w: fg.Tensor) => fg.sum(fg.square(f(x, w)));
    for (const k of [0, 1]) {
      const results = await Promise.all([cpu, gpu].map(async (be) => {
        const [x, w] = make(be);
        const at = (t: fg.Tensor) => (k === 0 ? [t, w!] : [x!, t]) as [fg.Tensor, fg.Tensor];
        const J = onBackend(be, () => fg.jacrev((t: fg.Tensor) => f(...at(t)))(k === 0 ? x! : w!));
        const H = onBackend(be, () => fg.jacfwd(fg.grad((t: fg.Tensor) => loss(...at(t))))(k === 0 ? x! : w!));
        return [await J.data(), await H.data()];
      }));
      const [[Jc, Hc], [Jg, Hg]] = results as [Float64Array[], Float32Array[]];
      // float32 through one (J) or three (H) convolution passes of ≤ 30 terms, and tanh
      expect(maxAbsDiff(Jg!, Jc!), `jacrev, argument ${k}`).toBeLessThan(1e-5 * maxAbs(Jc!));
      expect(maxAbsDiff(Hg!, Hc!), `jacfwd(grad), argument ${k}`).toBeLessThan(1e-4 * maxAbs(Hc!));
    }
  });

  it('the Hessian-vector product on WebGPU agrees with float64', async () => {
    const make = (be: Backend) => onBackend(be, () => [fg.randn([2, 3, 6, 5], { seed: 23 }), fg.randn([4, 3, 3, 3], { seed: 21 }), fg.randn([2, 4, 3, 3], { seed: 22 }), fg.randn([4, 3, 3, 3], { seed: 34 })]);
    const [xc, ac, bc, vc] = make(cpu);
    const [xg, ag, bg, vg] = make(gpu);
    const ref = await onBackend(cpu, () => fg.hvp((t: fg.Tensor) => net(xc!, t, bc!), ac!, vc!)).data();
    const out = await onBackend(gpu, () => fg.hvp((t: fg.Tensor) => net(xg!, t, bg!), ag!, vg!)).data();
    // float32 through four convolution passes of ≤ 60 terms and tanh: ~1e-4 of the largest entry
    expect(maxAbsDiff(out, ref)).toBeLessThan(1e-4 * maxAbs(ref));
  });
});

describe('a convolutional residual block', () => {
  // x + conv(relu(conv(x, w1) + b1), w2) + b2, the ResNet block of a dynamical-systems view
  const block = (x: fg.Tensor, w1: fg.Tensor, b1: fg.Tensor, w2: fg.Tensor, b2: fg.Tensor) =>
    fg.add(x, fg.conv2d(fg.relu(fg.conv2d(x, w1, { padding: 1, bias: b1 })), w2, { padding: 1, bias: b2 }));
  const loss = (...p: fg.Tensor[]) => fg.mean(fg.square(fg.tanh(block(p[0]!, p[1]!, p[2]!, p[3]!, p[4]!))));
  const params = (b: Backend) => onBackend(b, () => [fg.randn([2, 3, 5, 5], { seed: 41 }), fg.mul(fg.randn([3, 3, 3, 3], { seed: 42 }), 0.5), fg.randn([3], { seed: 43 }), fg.mul(fg.randn([3, 3, 3, 3], { seed: 44 }), 0.5), fg.randn([3], { seed: 45 })]);

  it('passes gradcheck end to end in float64 (input, both kernels, both biases)', async () => {
    const report = await fg.gradcheck(loss, params(cpu));
    expect(report.pass, JSON.stringify(report.inputs.map((r) => [r.maxAbsError, r.atol]))).toBe(true);
  });

  it('its gradients on WebGPU agree with float64', async () => {
    const gc = fg.grad(loss, { argnums: [0, 1, 2, 3, 4] })(...params(cpu)) as fg.Tensor[];
    const gg = onBackend(gpu, () => fg.grad(loss, { argnums: [0, 1, 2, 3, 4] })(...params(gpu))) as fg.Tensor[];
    for (let i = 0; i < 5; i++) {
      const r = await gc[i]!.data();
      // float32 forward and backward through two convolutions of 27 terms: 1e-4 of the largest entry
      expect(maxAbsDiff(await gg[i]!.data(), r), `parameter ${i}`).toBeLessThan(1e-4 * Math.max(maxAbs(r), 1e-3));
    }
  });

  it('a training step on WebGPU frees what it allocates', async () => {
    const p = params(gpu);
    const step = () => onBackend(gpu, () => fg.tidy(() => fg.grad(loss, { argnums: [0, 1, 2, 3, 4] })(...p) as fg.Tensor[]));
    (await Promise.all(step().map((g) => g.data())));
    const before = onBackend(gpu, () => fg.memory().buffers);
    for (let i = 0; i < 3; i++) for (const g of step()) g.dispose();
    expect(onBackend(gpu, () => fg.memory().buffers)).toBe(before);
  });
});

describe('conv2d errors name the op, the argument and the shapes', () => {
  const x = () => fg.zeros([1, 3, 5, 5]);
  it('channels not divisible by groups', () => {
    expect(() => fg.conv2d(x(), fg.zeros([2, 1, 3, 3]), { groups: 2 })).toThrow(/conv2d: 3 input channels are not divisible by groups 2 \(x \[1, 3, 5, 5\], w \[2, 1, 3, 3\]\)/);
    expect(() => fg.conv2d(x(), fg.zeros([2, 3, 3, 3]), { groups: 2 })).toThrow(fg.ShapeError);
  });
  it('a kernel larger than the padded input', () => {
    expect(() => fg.conv2d(x(), fg.zeros([1, 3, 7, 3]), { padding: [0, 1] })).toThrow(/conv2d: the kernel \(height 7, dilation 1: spans 7\) is larger than the padded input \(5 \+ 0 \+ 0 = 5\) \(x \[1, 3, 5, 5\], w \[1, 3, 7, 3\]\)/);
  });
  it('zero or negative stride, dilation, groups; bad padding', () => {
    for (const stride of [0, -1, [1, 0], 1.5] as never[]) {
      expect(() => fg.conv2d(x(), fg.zeros([2, 3, 3, 3]), { stride })).toThrow(fg.ArgumentError);
    }
    expect(() => fg.conv2d(x(), fg.zeros([2, 3, 3, 3]), { stride: 0 })).toThrow(/conv2d: stride must be a positive integer or two of them, got 0/);
    expect(() => fg.conv2d(x(), fg.zeros([2, 3, 3, 3]), { dilation: [0, 1] })).toThrow(/conv2d: dilation must be a positive integer or two of them, got \[0,1\]/);
    expect(() => fg.conv2d(x(), fg.zeros([2, 3, 3, 3]), { groups: 0 })).toThrow(/conv2d: groups must be a positive integer, got 0/);
    expect(() => fg.conv2d(x(), fg.zeros([2, 3, 3, 3]), { padding: -1 })).toThrow(/conv2d: padding must be a non-negative integer/);
    expect(() => fg.conv2d(x(), fg.zeros([2, 3, 3, 3]), { padding: 'same', stride: 2 })).toThrow(/conv2d: padding 'same' needs stride 1, got stride \[2, 2\]/);
  });
  it('wrong rank, mismatched channels, a bias of the wrong shape', () => {
    expect(() => fg.conv2d(fg.zeros([3, 5, 5]), fg.zeros([2, 3, 3, 3]))).toThrow(/conv2d: x must have rank 4 \(N, C, H, W\), got x \[3, 5, 5\]/);
    expect(() => fg.conv2d(x(), fg.zeros([2, 3, 3]))).toThrow(/conv2d: w must have rank 4 \(O, C\/groups, kh, kw\), got w \[2, 3, 3\]/);
    expect(() => fg.conv2d(x(), fg.zeros([2, 4, 3, 3]))).toThrow(/conv2d: w has 4 input channels per group but x has 3 channels/);
    expect(() => fg.conv2d(x(), fg.zeros([2, 3, 3, 3]), { bias: fg.zeros([3]) })).toThrow(/conv2d: bias must have shape \[2\].*got bias \[3\] for w \[2, 3, 3, 3\]/);
  });
  it('convTranspose2d: outputPadding not below the stride, padding that leaves nothing', () => {
    expect(() => fg.convTranspose2d(x(), fg.zeros([3, 2, 3, 3]), { stride: 2, outputPadding: 2 })).toThrow(/convTranspose2d: outputPadding \[2, 2\] must be smaller than the stride \[2, 2\]/);
    expect(() => fg.convTranspose2d(fg.zeros([1, 3, 1, 1]), fg.zeros([3, 2, 1, 1]), { padding: 1 })).toThrow(/convTranspose2d: padding \[1, 1, 1, 1\] leaves no output \(-1×-1\) for x \[1, 3, 1, 1\], w \[3, 2, 1, 1\]/);
  });
});
