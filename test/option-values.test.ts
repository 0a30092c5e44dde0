// Values of options and arguments that used to be ignored or turned into NaN are ArgumentErrors.
import { beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';

beforeAll(() => fg.init({ backend: 'cpu' }));

const A = () => fg.tensor([[2, 1], [1, 3]]);

describe('iteration caps', () => {
  for (const bad of [0, -1, NaN, 2.5, '5']) {
    it(`maxIterations ${String(bad)} is refused by eig, eigvals, eigvalsAbs, spectralRadius, stiffness`, () => {
      for (const [name, fn] of [['eig', fg.linalg.eig], ['eigvals', fg.linalg.eigvals], ['eigvalsAbs', fg.linalg.eigvalsAbs], ['spectralRadius', fg.linalg.spectralRadius], ['stiffness', fg.linalg.stiffness]] as const) {
        expect(() => fn(A(), { maxIterations: bad as number }), name).toThrow(new RegExp(`^${name}: maxIterations must be a positive integer`));
      }
    });
  }

  it('a valid cap is used: stiffness and spectralRadius pass it to the Francis iteration', async () => {
    // eigenvalues (5 ± √5)/2
    expect(await fg.linalg.spectralRadius(A(), { maxIterations: 50 }).item()).toBeCloseTo((5 + Math.sqrt(5)) / 2, 12);
    expect(await fg.linalg.stiffness(A(), { maxIterations: 50 }).item()).toBeCloseTo(Math.sqrt(5), 12);
  });

  it('eigh and svd run a fixed number of Jacobi sweeps: a cap is an error, not ignored', () => {
    expect(() => fg.linalg.eigh(A(), { maxIterations: 0 } as never)).toThrow(/^eigh: unknown option maxIterations; known: symmetrize/);
    expect(() => (fg.linalg.svd as (...a: unknown[]) => unknown)(A(), { maxIterations: 0 })).toThrow(/^svd: takes no options/);
    expect(() => (fg.linalg.svdvals as (...a: unknown[]) => unknown)(A(), { maxIterations: -1 })).toThrow(/^svdvals: takes no options/);
    expect(() => fg.linalg.eigh(A(), { symmetrize: 'no' } as never)).toThrow(/^eigh: symmetrize must be true or false, got "no"/);
    expect(() => fg.linalg.eig(A(), { left: 1 } as never)).toThrow(/^eig: left must be true or false, got 1/);
  });
});

describe('argnums', () => {
  const f = (a: fg.Tensor, b: fg.Tensor) => fg.sum(fg.mul(a, b));
  it('repeated, negative, fractional or non-numeric argnums are refused when the transform is made', () => {
    expect(() => fg.grad(f, { argnums: [0, 0] })).toThrow(/^grad: argnums \[0, 0\] names argument 0 twice/);
    expect(() => fg.valueAndGrad(f, { argnums: [1, 0, 1] })).toThrow(/^valueAndGrad: argnums \[1, 0, 1\] names argument 1 twice/);
    expect(() => fg.grad(f, { argnums: 0.5 })).toThrow(/^grad: argnums must be non-negative integers \(argument positions\), got 0\.5/);
    expect(() => fg.grad(f, { argnums: -1 })).toThrow(/^grad: argnums must be non-negative integers/);
    expect(() => fg.grad(f, { argnums: ['1'] as never })).toThrow(/^grad: argnums must be non-negative integers/);
    expect(() => fg.grad('f' as never)).toThrow(/^grad: f must be a function, got "f"/);
  });

  it('argnums out of range for the call is still refused at the call', () => {
    expect(() => fg.grad(f, { argnums: 2 })(fg.ones([2]), fg.ones([2]))).toThrow(/^grad: argnums 2 out of range for 2 argument/);
  });

  it('valid argnums differentiate the named arguments, in the order named', async () => {
    const [ga, gb] = fg.grad(f, { argnums: [1, 0] })(fg.tensor([1, 2]), fg.tensor([3, 4])) as fg.Tensor[];
    expect(Array.from(await ga!.data())).toEqual([1, 2]); // ∂/∂b = a
    expect(Array.from(await gb!.data())).toEqual([3, 4]); // ∂/∂a = b
  });
});

describe('keep and tidy', () => {
  it('keep of something without a tensor is an ArgumentError', () => {
    for (const bad of [undefined, null, 3, 'x', {}, []]) expect(() => fg.keep(bad as never)).toThrow(/^keep: expects a Tensor \(or a tree of tensors\)/);
    const t = fg.tidy(() => fg.keep(fg.ones([1])));
    expect(t.isDisposed).toBe(false);
  });

  it('tidy of a non-function or an async function is an ArgumentError', () => {
    expect(() => fg.tidy(3 as never)).toThrow(fg.ArgumentError);
    expect(() => fg.tidy((async () => fg.ones([1])) as never)).toThrow(/^tidy\(fn\): fn must be synchronous/);
  });
});

describe('creation', () => {
  it('NaN or infinite mean, std, low, high are refused instead of filling the tensor with NaN', () => {
    expect(() => fg.randn([2], { std: NaN })).toThrow(/^randn: std must be a non-negative finite number, got NaN/);
    expect(() => fg.randn([2], { std: -1 })).toThrow(/^randn: std must be a non-negative finite number, got -1/);
    expect(() => fg.randn([2], { mean: Infinity })).toThrow(/^randn: mean must be a finite number, got Infinity/);
    expect(() => fg.rand([2], { low: NaN })).toThrow(/^rand: low must be a finite number, got NaN/);
    expect(() => fg.rand([2], { high: '1' as never })).toThrow(/^rand: high must be a finite number, got "1"/);
    expect(() => fg.rand([2], { low: 2, high: 1 })).toThrow(/^rand: needs low ≤ high, got low 2, high 1/);
    expect(() => fg.randn([2], { seed: 1.5 })).toThrow(/^randn: seed must be an integer, got 1\.5/);
  });

  it('NaN, negative and fractional sizes are refused by every creation function', () => {
    for (const [name, make] of [['zeros', () => fg.zeros([NaN])], ['ones', () => fg.ones([2, -1])], ['full', () => fg.full([1.5], 0)], ['randn', () => fg.randn([NaN])], ['rand', () => fg.rand([NaN])], ['eye', () => fg.eye(NaN)], ['tensor', () => fg.tensor([1], [NaN])]] as const) {
      expect(make, name).toThrow(new RegExp(`^${name}: (shape|size) must be an array of non-negative integers`));
    }
  });

  it("full([2], 'x') and arange with a NaN step are refused", () => {
    expect(() => fg.full([2], 'x' as never)).toThrow(/^full: value must be a number, got "x"/);
    expect(() => fg.full([2], undefined as never)).toThrow(/^full: value must be a number, got undefined/);
    expect(() => fg.arange(0, 5, NaN)).toThrow(/^arange: needs finite bounds and a finite non-zero step, got \(0, 5, NaN\)/);
    expect(() => fg.arange('5' as never)).toThrow(/^arange: needs finite bounds/);
    expect(fg.full([2], NaN).size).toBe(2); // a NaN fill value is a value, asked for
  });

  it('a tensor too large for the backend is an ArgumentError naming the function and the limit', () => {
    expect(() => fg.zeros([1e6, 1e6])).toThrow(/^zeros: its output \[1000000, 1000000\] has 1000000000000 elements, more than the CPU backend's limit of 2\^30 elements/);
    expect(() => fg.randn([1e5, 1e5])).toThrow(/^randn: its output .* more than the CPU backend's limit/);
    expect(() => fg.eye(1e5)).toThrow(/^eye: its output/);
    expect(() => fg.broadcastTo(fg.ones([1]), [1e5, 1e5])).toThrow(/^broadcastTo: its output \[100000, 100000\] has 10000000000 elements/);
  });
});

describe('option values', () => {
  it('booleans, numbers and choices of options are checked', () => {
    expect(() => fg.matmul(fg.eye(2), fg.eye(2), { transA: 'yes' } as never)).toThrow(/^matmul: transA must be true or false, got "yes"/);
    expect(() => fg.memory({ peak: 1 } as never)).toThrow(/^memory: peak must be true or false, got 1/);
    expect(() => fg.nknApply(fg.zeros([1, 4]), fg.zeros([1, 2]), { scale: NaN })).toThrow(/^nknApply: scale must be a finite number, got NaN/);
    expect(() => fg.avgPool2d(fg.zeros([1, 1, 2, 2]), { kernel: 2, countIncludePad: 'no' } as never)).toThrow(/^avgPool2d: countIncludePad must be true or false/);
    expect(() => fg.optim.momentum([fg.ones([1])], { lr: 0.1, nesterov: 'yes' } as never)).toThrow(/^optim\.momentum: nesterov must be true or false/);
    expect(() => fg.models.init.heNormal([2, 2], { seed: 0.5 })).toThrow(/^init\.heNormal: seed must be an integer, got 0\.5/);
    expect(() => fg.models.init.heNormal([2, 2], undefined as never)).toThrow(/^init\.heNormal: options \{ seed, gain\? \} are required/);
  });

  it('gradcheck checks its tolerances and backend', async () => {
    const f = (a: fg.Tensor) => fg.sum(a);
    await expect(fg.gradcheck(f, [fg.ones([2])], { eps: 0 })).rejects.toThrow(/^gradcheck: eps must be a positive finite number, got 0/);
    await expect(fg.gradcheck(f, [fg.ones([2])], { backend: 'gpu' as never })).rejects.toThrow(/^gradcheck: backend must be one of cpu, webgpu; got "gpu"/);
    await expect(fg.gradcheck(f, [fg.ones([2])], { maxElements: 0 })).rejects.toThrow(/^gradcheck: maxElements must be a positive integer, got 0/);
  });
});
