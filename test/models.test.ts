import { beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';
import { maxAbs, maxAbsDiff, vals, gradcheckTree, expectPass } from './helpers.js';

const M = fg.models;
beforeAll(async () => {
  await fg.init({ backend: 'cpu' });
});

describe('initializers', () => {
  it('are seeded and have the variance they promise', async () => {
    const a = await vals(M.init.glorotUniform([64, 32], { seed: 1 }));
    expect(await vals(M.init.glorotUniform([64, 32], { seed: 1 }))).toEqual(a);
    expect(await vals(M.init.glorotUniform([64, 32], { seed: 2 }))).not.toEqual(a);
    const variance = (v: number[]) => v.reduce((s, x) => s + x * x, 0) / v.length;
    // Glorot: Var = 2/(fanIn + fanOut) = 2/96; He: 2/fanIn = 2/64. 2048 draws: the sample
    // variance's relative standard error is ≈ √(2/2048) ≈ 3% (normal) — 15% is five of them
    expect(variance(a) / (2 / 96)).toBeGreaterThan(0.85);
    expect(variance(a) / (2 / 96)).toBeLessThan(1.15);
    const h = await vals(M.init.heNormal([64, 32], { seed: 3 }));
    expect(variance(h) / (2 / 64)).toBeGreaterThan(0.85);
    expect(variance(h) / (2 / 64)).toBeLessThan(1.15);
  });

  it('orthogonal: QᵀQ = I for tall, wide and stacked shapes', async () => {
    for (const [r, c] of [[6, 6], [7, 3], [3, 8]] as const) {
      const q = M.init.orthogonal([2, r, c], { seed: 5 });
      for (let b = 0; b < 2; b++) {
        const Q = fg.reshape(fg.slice(q, [b], [b + 1]), [r, c]);
        const small = r >= c ? fg.matmul(fg.transpose(Q), Q) : fg.matmul(Q, fg.transpose(Q));
        const k = Math.min(r, c);
        // Gram–Schmidt run twice in float64: orthogonal to a few ulps
        expect(maxAbsDiff(await vals(small), await vals(fg.eye(k)))).toBeLessThan(1e-14);
      }
    }
    expect(() => M.init.orthogonal([3], { seed: 1 })).toThrow(/init\.orthogonal: needs a matrix/);
  });
});

describe('depth parameterization W(t; α)', () => {
  it('bases: values, parameter counts and refinement that keeps W(t)', async () => {
    const specs: fg.models.DepthBasisSpec[] = [
      { kind: 'constant' }, { kind: 'linear' }, { kind: 'piecewiseConstant', intervals: 4 },
      { kind: 'piecewiseLinear', intervals: 3 }, { kind: 'legendre', degree: 3 },
    ];
    expect(specs.map((s) => M.depthBasis(s, 2).size)).toEqual([1, 2, 4, 4, 4]);
    // Legendre P₂(x) = (3x² − 1)/2 at t = 1.5 of [0, 2] (x = 0.5): −0.125
    expect(M.depthBasis({ kind: 'legendre', degree: 2 }, 2).values(1.5)[2]).toBeCloseTo(-0.125, 15);
    // hats: t = 0.5 of [0, 1] with 4 intervals sits on node 2
    expect(Array.from(M.depthBasis({ kind: 'piecewiseLinear', intervals: 4 }).values(0.5))).toEqual([0, 0, 1, 0, 0]);
    // a ResNet layer's time n·T/L must land in interval n even where n·T/L rounds down
    const pc = M.depthBasis({ kind: 'piecewiseConstant', intervals: 10 }, 0.3);
    for (let n = 0; n < 10; n++) expect(pc.values(n * (0.3 / 10))[n]).toBe(1);
    for (const spec of specs.slice(2)) {
      const basis = M.depthBasis(spec, 2);
      const C = fg.randn([basis.size, 2, 3], { seed: 9 });
      const { basis: fine, coeffs } = M.refineCoefficients(basis, C, 2);
      for (const t of [0, 0.3, 0.77, 1.01, 1.5, 2]) {
        // exact re-representation: only round-off of a few float64 operations
        expect(maxAbsDiff(await vals(M.evalDepth(basis, C, t)), await vals(M.evalDepth(fine, coeffs, t)))).toBeLessThan(1e-14);
      }
    }
    expect(() => M.depthBasis({ kind: 'linear' }).values(1.5)).toThrow(/t = 1\.5 is outside \[0, 1\]/);
    expect(() => M.evalDepth(M.depthBasis({ kind: 'linear' }), fg.zeros([3, 2]), 0)).toThrow(/coefficients have shape \[3, 2\], expected \[2, …\]/);
    expect(() => M.refineBasis(M.depthBasis({ kind: 'constant' }))).toThrow(/the constant basis has no finer version/);
  });

  it('a ResNet reports its trainable-parameter count for every basis', () => {
    const d = 3;
    const L = 6;
    const count = (basis: fg.models.DepthBasisSpec) => M.resnet({ width: d, layers: L, basis }).parameterCount;
    expect(count({ kind: 'constant' })).toBe(d * d + d);
    expect(count({ kind: 'linear' })).toBe(2 * (d * d + d));
    expect(count({ kind: 'piecewiseConstant', intervals: L })).toBe(L * (d * d + d));
    expect(count({ kind: 'piecewiseLinear', intervals: 2 })).toBe(3 * (d * d + d));
    expect(count({ kind: 'legendre', degree: 2 })).toBe(3 * (d * d + d));
    expect(M.resnet({ width: d, layers: L, alpha: 'learnable', outputSize: 1 }).parameterCount).toBe(L * (d * d + d) + L + d + 1);
  });
});

describe('models against hand-written formulas', () => {
  it('ResNet step x + α·σ(x·W + b), antisymmetric weights', async () => {
    const net = M.resnet({ width: 2, layers: 2, T: 1, activation: 'tanh', seed: 3, constraint: { kind: 'antisymmetric', gamma: 0.1 } });
    const x = fg.tensor([[0.3, -0.7]]);
    const [W, b] = [await vals(net.params.W), await vals(net.params.b)];
    let h = [0.3, -0.7];
    for (let n = 0; n < 2; n++) {
      const w = W.slice(4 * n, 4 * n + 4);
      // θ = W − Wᵀ − γI
      const th = [w[0]! - w[0]! - 0.1, w[1]! - w[2]!, w[2]! - w[1]!, w[3]! - w[3]! - 0.1];
      const pre = [h[0]! * th[0]! + h[1]! * th[2]! + b[2 * n]!, h[0]! * th[1]! + h[1]! * th[3]! + b[2 * n + 1]!];
      h = h.map((v, i) => v + 0.5 * Math.tanh(pre[i]!));
    }
    expect(maxAbsDiff(await vals(net.apply(net.params, x)), h)).toBeLessThan(1e-15);
  });

  it('Elman RNN unrolled: h_{t+1} = tanh(h·W + x_t·U + b)', async () => {
    const net = M.elman({ inputSize: 1, hiddenSize: 2, seed: 4 });
    const xs = [0.5, -1, 0.25];
    const [W, U] = [await vals(net.params.W), await vals(net.params.U)];
    let h = [0, 0];
    for (const x of xs) h = [0, 1].map((j) => Math.tanh(h[0]! * W[j]! + h[1]! * W[2 + j]! + x * U[j]!));
    expect(maxAbsDiff(await vals(net.apply(net.params, fg.tensor([[[0.5], [-1], [0.25]]]))), h)).toBeLessThan(1e-15);
  });

  it('dropout: seeded masks in training, the identity in evaluation', async () => {
    const x = fg.ones([40, 50]);
    const a = await vals(M.dropout(x, 0.25, { train: true, seed: 1 }));
    expect(await vals(M.dropout(x, 0.25, { train: true, seed: 1 }))).toEqual(a);
    expect(await vals(M.dropout(x, 0.25, { train: true, seed: 2 }))).not.toEqual(a);
    expect(new Set(a)).toEqual(new Set([0, 1 / 0.75]));
    // 2000 Bernoulli(0.25) draws: the dropped fraction has standard error ≈ 0.01
    const dropped = a.filter((v) => v === 0).length / a.length;
    expect(Math.abs(dropped - 0.25)).toBeLessThan(0.04);
    expect(M.dropout(x, 0.25, { train: false })).toBe(x);
    expect(() => M.dropout(x, 1)).toThrow(/dropout: rate must be in \[0, 1\), got 1/);
  });

  it('L1 and L2 penalties leave biases out by default', async () => {
    const p = { layers: [{ W: fg.tensor([[1, -2]]), b: fg.tensor([5]) }], K: fg.tensor([-3]) };
    expect(await M.l1(p).item()).toBe(6);
    expect(await M.l2(p).item()).toBe(14);
    expect(await M.l2(p, { filter: () => true }).item()).toBe(39);
    expect(() => M.l1({ b: fg.tensor([1]) })).toThrow(/l1: the tree holds no tensor the filter selects/);
  });
});

describe('Hamiltonian network', () => {
  it('reconstructs its input from its output to round-off', async () => {
    const net = M.hamiltonian({ width: 3, layers: 16, h: 0.2, seed: 1, gain: 2 });
    const x = fg.randn([5, 6], { seed: 2 });
    const y = net.forward(net.params, x);
    const back = net.inverse(net.params, y);
    // 16 steps of a few float64 operations each; the map moved x by O(1)
    expect(maxAbsDiff(await vals(back), await vals(x))).toBeLessThan(1e-13);
    expect(maxAbsDiff(await vals(y), await vals(x))).toBeGreaterThan(0.1);
  });

  it('the reconstructing backward pass equals the stored one, and memory does not grow with depth', async () => {
    const x = fg.randn([512, 8], { seed: 3 });
    const peak = (memory: 'reconstruct' | 'store', L: number) => {
      const net = M.hamiltonian({ width: 4, layers: L, seed: 1, memory });
      const base = fg.memory({ peak: true, resetPeak: true }).bytes;
      const g = fg.grad((p: fg.models.HamiltonianParams) => fg.sum(fg.square(net.forward(p, x))))(net.params);
      const used = fg.memory({ peak: true }).peakBytes - base;
      return { g, used, net };
    };
    const r = peak('reconstruct', 8);
    const s = peak('store', 8);
    expect(maxAbsDiff(await vals(r.g.K), await vals(s.g.K))).toBeLessThan(1e-12);
    expect(maxAbsDiff(await vals(r.g.b), await vals(s.g.b))).toBeLessThan(1e-12);
    const state = 512 * 8 * 8; // bytes of one state [512, 8] in float64
    const r64 = peak('reconstruct', 64);
    const s64 = peak('store', 64);
    // 56 more layers: the parameters and their gradients grow by 56·(16 + 4)·8 bytes·(a few
    // copies), which is far less than one state; the stored tape grows by several states a layer
    expect(r64.used - r.used).toBeLessThan(state);
    expect(s64.used - s.used).toBeGreaterThan(56 * state);
  });

  it('passes gradcheck through the reconstructing backward pass', async () => {
    const net = M.hamiltonian({ width: 2, layers: 5, seed: 2, inputSize: 3, outputSize: 2, activation: 'tanh' });
    const x = fg.randn([4, 3], { seed: 1 });
    const t = fg.randn([4, 2], { seed: 2 });
    expectPass(await gradcheckTree((p) => M.mse(net.apply(p, x), t), net.params));
    // and with respect to the input, through the custom rule
    expectPass(await fg.gradcheck((s) => fg.sum(fg.sin(net.forward(net.params, s))), [fg.randn([3, 4], { seed: 5 })]));
  });
});

describe('gradients pass gradcheck (float64, CPU)', () => {
  const x2 = () => fg.randn([5, 2], { seed: 11 });
  it('MLP with dropout in training mode', async () => {
    const net = M.mlp({ sizes: [2, 5, 3], activation: 'tanh', dropout: 0.3, seed: 1 });
    const x = x2();
    const t = fg.tensor([0, 1, 2, 1, 0].flatMap((c) => [0, 1, 2].map((k) => (k === c ? 1 : 0))), [5, 3]);
    expectPass(await gradcheckTree((p) => fg.add(M.softmaxCrossEntropy(net.apply(p, x, { train: true, seed: 3 }), t), fg.mul(M.l2(p), 0.1)), net.params));
  });

  it('ResNet: every basis, learnable α, mixed constraint, readout', async () => {
    const x = fg.randn([4, 2], { seed: 12 });
    const t = fg.randn([4, 1], { seed: 13 });
    const variants: fg.models.ResnetOptions[] = [
      { width: 3, layers: 3, inputSize: 2, outputSize: 1, alpha: 'learnable' },
      { width: 3, layers: 4, inputSize: 2, outputSize: 1, basis: { kind: 'linear' }, activation: 'sigmoid' },
      { width: 3, layers: 4, inputSize: 2, outputSize: 1, basis: { kind: 'piecewiseLinear', intervals: 2 }, constraint: { kind: 'mixed', beta: 0.3, gamma: 0.05 } },
      { width: 3, layers: 3, inputSize: 2, outputSize: 1, basis: { kind: 'legendre', degree: 2 }, activation: 'softplus' },
    ];
    for (const v of variants) {
      const net = M.resnet({ ...v, seed: 4 });
      // the biases start at zero; move them off zero so their gradient is generic
      const params = { ...net.params, b: fg.randn(net.params.b.shape as number[], { seed: 6, std: 0.3 }) };
      expectPass(await gradcheckTree((p) => M.mse(net.apply(p, x), t), params));
    }
  });

  it('Elman RNN with readout', async () => {
    const net = M.elman({ inputSize: 2, hiddenSize: 3, outputSize: 1, seed: 5 });
    const x = fg.randn([2, 4, 2], { seed: 14 });
    const t = fg.randn([2, 1], { seed: 15 });
    expectPass(await gradcheckTree((p) => M.mse(net.apply(p, x), t), net.params));
  });
});

describe('bad input', () => {
  it('says which model, which argument and which shapes', () => {
    const net = M.mlp({ sizes: [2, 4, 1] });
    expect(() => net.apply(net.params, fg.zeros([5, 3]))).toThrow(/mlp: input x has shape \[5, 3\], expected \[batch, 2\]/);
    expect(() => M.mlp({ sizes: [2] })).toThrow(/mlp: sizes must list at least the input and output widths/);
    expect(() => M.mlp({ sizes: [2, 0] })).toThrow(/mlp: sizes\[1\] must be an integer ≥ 1, got 0/);
    expect(() => M.mlp({ sizes: [2, 3], activation: 'swish' as any })).toThrow(/mlp: unknown activation "swish"/);
    expect(() => M.resnet({ width: 2, layers: 3, inputSize: 3 })).toThrow(/resnet: inputSize 3 is larger than width 2/);
    const r = M.resnet({ width: 2, layers: 3 });
    expect(() => r.apply({ ...r.params, W: fg.zeros([2, 2, 2]) }, fg.zeros([1, 2]))).toThrow(/resnet: params\.W has shape \[2, 2, 2\], expected \[3, 2, 2\]/);
    const h = M.hamiltonian({ width: 2, layers: 2 });
    expect(() => h.inverse(h.params, fg.zeros([3, 3]))).toThrow(/hamiltonian: the output state must have shape \[batch, 4\]/);
    const e = M.elman({ inputSize: 2, hiddenSize: 3 });
    expect(() => e.apply(e.params, fg.zeros([4, 2]))).toThrow(/elman: input x has shape \[4, 2\], expected \[batch, steps, 2\]/);
    expect(() => M.resnet({ width: 2, layers: 2, constraint: { kind: 'mixed', beta: 2 } })).toThrow(/resnet: constraint beta must be in \[0, 1\], got 2/);
  });
});

describe('on WebGPU (float32)', () => {
  it('spot checks: forward equals the float64 model, gradients of ResNet, Hamiltonian, MLP, RNN pass gradcheck', async () => {
    await fg.init({ backend: 'webgpu' });
    try {
      const net = M.resnet({ width: 4, layers: 3, inputSize: 2, outputSize: 1, seed: 2 });
      const x = fg.randn([8, 2], { seed: 1 });
      const t = fg.randn([8, 1], { seed: 2 });
      expectPass(await gradcheckTree((p) => M.mse(net.apply(p, x), t), net.params, { backend: 'webgpu' }));
      const h = M.hamiltonian({ width: 2, layers: 4, seed: 3 });
      const s = fg.randn([6, 4], { seed: 4 });
      expectPass(await gradcheckTree((p) => fg.sum(fg.square(h.forward(p, s))), h.params, { backend: 'webgpu' }));
      const mlp = M.mlp({ sizes: [3, 5, 2], activation: 'softplus', seed: 5 });
      const xm = fg.randn([6, 3], { seed: 6 });
      const tm = fg.tensor([0, 1, 1, 0, 0, 1].flatMap((c) => (c ? [0, 1] : [1, 0])), [6, 2]);
      expectPass(await gradcheckTree((p) => M.softmaxCrossEntropy(mlp.apply(p, xm), tm), mlp.params, { backend: 'webgpu' }));
      const rnn = M.elman({ inputSize: 2, hiddenSize: 3, outputSize: 1, seed: 7 });
      const xr = fg.randn([3, 4, 2], { seed: 8 });
      const tr = fg.randn([3, 1], { seed: 9 });
      expectPass(await gradcheckTree((p) => M.mse(rnn.apply(p, xr), tr), rnn.params, { backend: 'webgpu' }));
      // the inverse in float32: 4 steps of O(1) values, error a few float32 ulps each
      expect(maxAbsDiff(await vals(h.inverse(h.params, h.forward(h.params, s))), await vals(s))).toBeLessThan(1e-5);
      const gpuOut = await vals(net.apply(net.params, x));
      await fg.init({ backend: 'cpu' });
      const cpuNet = M.resnet({ width: 4, layers: 3, inputSize: 2, outputSize: 1, seed: 2 });
      const cpuOut = await vals(cpuNet.apply(cpuNet.params, fg.randn([8, 2], { seed: 1 })));
      // outputs of order 1 after ~10 float32 operations on the path: a few ulps, 1e-5 leaves room
      expect(maxAbs(cpuOut)).toBeGreaterThan(0.01);
      expect(maxAbsDiff(gpuOut, cpuOut)).toBeLessThan(1e-5);
    } finally {
      await fg.init({ backend: 'cpu' });
    }
  });
});

describe('losses', () => {
  it('mse: value, gradient, Hessian-vector product and Jacobian with a constant target', async () => {
    const p = fg.randn([3, 2], { seed: 1 });
    const t = fg.randn([3, 2], { seed: 2 });
    const P = await vals(p);
    const T = await vals(t);
    expect(await M.mse(p, t).item()).toBeCloseTo(P.reduce((s, v, i) => s + (v - T[i]!) ** 2, 0) / 6, 15);
    expectPass(await fg.gradcheck((x) => M.mse(x, t), [p]));
    // second derivative: the Hessian of mse is (2/n)·I, so H·v = v/3
    const v = fg.randn([3, 2], { seed: 3 });
    expect(maxAbsDiff(await vals(fg.hvp((x) => M.mse(x, t), p, v)), (await vals(v)).map((x) => x / 3))).toBeLessThan(1e-15);
    // jacrev pulls a batch of cotangents through the rule: here one scalar output
    const J = fg.jacrev((x: fg.Tensor) => fg.reshape(M.mse(x, t), [1]))(p);
    expect(maxAbsDiff(await vals(J), P.map((x, i) => (2 * (x - T[i]!)) / 6))).toBeLessThan(1e-15);
    // a traced target (differentiating with respect to it) takes the plain path
    const gt = fg.grad((y: fg.Tensor) => M.mse(p, y))(t);
    expect(maxAbsDiff(await vals(gt), P.map((x, i) => (-2 * (x - T[i]!)) / 6))).toBeLessThan(1e-15);
    expect(() => M.mse(p, fg.zeros([2, 3]))).toThrow(/mse: pred \[3, 2\] and target \[2, 3\] must have the same shape/);
  });

  it('softmax cross-entropy: stable for large logits, gradient softmax − y', async () => {
    const z = fg.tensor([[1000, 0, -1000], [1, 2, 3]]);
    const y = fg.tensor([[1, 0, 0], [0, 0, 1]]);
    // row 1: log-softmax of the right class is 0; row 2: −log(e³/(e + e² + e³))
    const want = (0 + Math.log(Math.exp(-2) + Math.exp(-1) + 1)) / 2;
    expect(await M.softmaxCrossEntropy(z, y).item()).toBeCloseTo(want, 14);
    const g = await vals(fg.grad((x: fg.Tensor) => M.softmaxCrossEntropy(x, y))(z));
    const e = [Math.exp(1), Math.exp(2), Math.exp(3)];
    const s = e.reduce((a, b) => a + b);
    expect(maxAbsDiff(g, [0, 0, 0, e[0]! / s / 2, e[1]! / s / 2, (e[2]! / s - 1) / 2])).toBeLessThan(1e-15);
    expect(await M.accuracy(fg.tensor([[1, 0], [0, 1]]), fg.tensor([0, 1])).item()).toBe(1);
  });
});

describe('mse with a target made inside the differentiated function', () => {
  it('keeps the target alive for the backward pass', async () => {
    await fg.init({ backend: 'cpu' });
    const x = fg.tensor([1, 2, 3]);
    const g = fg.grad((p: fg.Tensor) => fg.models.mse(p, fg.zeros([3])))(x);
    expect(Array.from(await g.data())).toEqual([2 / 3, 4 / 3, 2]);
  });
});
