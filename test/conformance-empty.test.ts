// Every registered op on empty tensors (a zero among the dimensions), on both backends: the
// forward pass gives the right shape (and the right values where an empty reduction has one:
// a sum of nothing is 0), the VJP and the JVP return tensors of the inputs' and the output's
// shapes, and nothing throws or upsets the GPU driver. Reductions that have no value over an
// empty axis (mean, max, min, argmax, argmin, mseLoss) throw an error naming the op instead of
// returning NaN or a made-up number.
import { beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';
import { apply, opNamed, registeredOps, type OpDef } from '../autodiff/op.js';
import { fusedProgram } from '../autodiff/jit/fused.js';
import { fusedEpilogueAttrs } from '../autodiff/jit/fused-epilogue.js';
import type { Backend } from '../engine/backend.js';
import { fromValues } from '../engine/creation.js';
import { initBoth, onBackend, opFn } from './helpers.js';

let cpu: Backend;
let gpu: Backend;
beforeAll(async () => ({ cpu, gpu } = await initBoth()));

interface EmptyCase {
  shapes: number[][];
  attrs?: unknown;
  /** fixed values by input (indices, offsets); others are zeros */
  values?: (number[] | undefined)[];
  out: number[];
  /** the output is not empty: its values (zeros unless told) */
  outValues?: number[];
}

const unary: EmptyCase[] = [{ shapes: [[0]], out: [0] }, { shapes: [[0, 3]], out: [0, 3] }, { shapes: [[2, 0, 5]], out: [2, 0, 5] }];
const binary: EmptyCase[] = [
  { shapes: [[0], [0]], out: [0] },
  { shapes: [[0, 3], [3]], out: [0, 3] },
  { shapes: [[0, 3], []], out: [0, 3] },
  { shapes: [[2, 0, 1], [1, 4]], out: [2, 0, 4] },
  { shapes: [[1], [0]], out: [0] },
];
const ternary: EmptyCase[] = [
  { shapes: [[0], [0], [0]], out: [0] },
  { shapes: [[0, 3], [3], []], out: [0, 3] },
];
const withAttrs = (cases: EmptyCase[], attrs: unknown) => cases.map((c) => ({ ...c, attrs }));
const all = (axis: number | null, keepDims = false) => ({ axis, keepDims });
const conv = { stride: [1, 1], padding: [1, 1, 1, 1], dilation: [1, 1], groups: 1 };
const pool = { kernel: [2, 2], stride: [2, 2], padding: [0, 0, 0, 0], countIncludePad: true };
// a graph with no node (nknEdge's CSR arguments: src, dst, offsets, srcOrder, srcOffsets)
const noNodes = [undefined, undefined, [], [], [0], [], [0]];

const CASES: Record<string, EmptyCase[]> = {
  sum: [
    { shapes: [[0, 3]], attrs: all(1), out: [0] },
    { shapes: [[0, 3]], attrs: all(0), out: [3], outValues: [0, 0, 0] },
    { shapes: [[0]], attrs: all(null), out: [], outValues: [0] },
    { shapes: [[2, 0]], attrs: all(null, true), out: [1, 1], outValues: [0] },
  ],
  mean: [{ shapes: [[0, 3]], attrs: all(1), out: [0] }, { shapes: [[0, 3]], attrs: all(1, true), out: [0, 1] }],
  reshape: [{ shapes: [[0, 3]], attrs: { shape: [3, 0] }, out: [3, 0] }, { shapes: [[2, 0]], attrs: { shape: [0] }, out: [0] }],
  transpose: [{ shapes: [[0, 3]], attrs: { perm: [1, 0] }, out: [3, 0] }, { shapes: [[2, 0, 4]], attrs: { perm: [2, 0, 1] }, out: [4, 2, 0] }],
  broadcastTo: [{ shapes: [[1, 3]], attrs: { shape: [0, 3] }, out: [0, 3] }, { shapes: [[0]], attrs: { shape: [2, 0] }, out: [2, 0] }],
  matmul: [
    { shapes: [[0, 3], [3, 4]], out: [0, 4] },
    { shapes: [[3, 0], [0, 4]], out: [3, 4], outValues: new Array(12).fill(0) },
    { shapes: [[3, 4], [4, 0]], out: [3, 0] },
    { shapes: [[0, 2, 3], [3, 4]], out: [0, 2, 4] },
    { shapes: [[0, 3], [4, 3]], attrs: { transB: true }, out: [0, 4] },
  ],
  linear: [
    { shapes: [[0, 5], [5, 4], [4]], attrs: { activation: 'tanh' }, out: [0, 4] },
    { shapes: [[2, 0], [0, 3], [3]], attrs: { activation: 'none' }, values: [undefined, undefined, [1, -2, 3]], out: [2, 3], outValues: [1, -2, 3, 1, -2, 3] },
    { shapes: [[3, 5], [5, 0], [0]], attrs: { activation: 'sigmoid' }, out: [3, 0] },
    { shapes: [[0, 2, 5], [5, 4], [4]], attrs: { activation: 'relu' }, out: [0, 2, 4] },
  ],
  stopGradient: unary,
  where: [
    { shapes: [[0], [0], [0]], out: [0] },
    { shapes: [[0, 3], [3], []], out: [0, 3] },
    { shapes: [[3], [0, 1], [3]], values: [[1, 0, 1]], out: [0, 3] },
  ],
  powScalar: withAttrs(unary, { p: 2 }),
  leakyRelu: withAttrs(unary, { alpha: 0.01 }),
  elu: withAttrs(unary, { alpha: 1 }),
  clip: withAttrs(unary, { lo: -0.5, hi: 0.7 }),
  clipMask: withAttrs(unary, { lo: -0.5, hi: 0.7 }),
  slice: [
    { shapes: [[0, 5]], attrs: { begin: [0, 1], end: [0, 3] }, out: [0, 2] },
    { shapes: [[4, 5]], attrs: { begin: [1, 2], end: [1, 4] }, out: [0, 2] },
  ],
  pad: [
    { shapes: [[0, 3]], attrs: { widths: [[1, 1], [0, 0]], value: 2 }, out: [2, 3], outValues: [2, 2, 2, 2, 2, 2] },
    { shapes: [[0]], attrs: { widths: [[0, 0]], value: 0 }, out: [0] },
  ],
  concat: [
    { shapes: [[0, 3], [2, 3]], attrs: { axis: 0 }, out: [2, 3], outValues: [0, 0, 0, 0, 0, 0] },
    { shapes: [[2, 0], [2, 3]], attrs: { axis: 1 }, values: [undefined, [1, 2, 3, 4, 5, 6]], out: [2, 3], outValues: [1, 2, 3, 4, 5, 6] },
    { shapes: [[0, 3], [0, 2]], attrs: { axis: 1 }, out: [0, 5] },
  ],
  stack: [
    { shapes: [[0], [0]], attrs: { axis: 0 }, out: [2, 0] },
    { shapes: [[0, 3]], attrs: { axis: 1 }, out: [0, 1, 3] },
  ],
  gather: [
    { shapes: [[5, 3], [0]], attrs: { axis: 0 }, values: [undefined, []], out: [0, 3] },
    { shapes: [[2, 0], [3]], attrs: { axis: 0 }, values: [undefined, [1, 0, 1]], out: [3, 0] },
    { shapes: [[0, 4], [2]], attrs: { axis: 1 }, values: [undefined, [3, 0]], out: [0, 2] },
  ],
  scatterAdd: [
    { shapes: [[0, 3], [0]], attrs: { axis: 0, size: 5 }, values: [undefined, []], out: [5, 3], outValues: new Array(15).fill(0) },
    { shapes: [[4, 0], [4]], attrs: { axis: 0, size: 5 }, values: [undefined, [4, 0, 2, 0]], out: [5, 0] },
    { shapes: [[0, 3], [0]], attrs: { axis: 0, size: 0 }, values: [undefined, []], out: [0, 3] },
  ],
  oneHot: [{ shapes: [[0]], attrs: { depth: 3, axis: 1 }, values: [[]], out: [0, 3] }, { shapes: [[0]], attrs: { depth: 0, axis: 1 }, values: [[]], out: [0, 0] }],
  argmax: [{ shapes: [[0, 3]], attrs: all(1), out: [0] }],
  argmin: [{ shapes: [[0, 3]], attrs: all(1), out: [0] }],
  max: [{ shapes: [[0, 3]], attrs: all(1), out: [0] }],
  min: [{ shapes: [[0, 3]], attrs: all(1), out: [0] }],
  norm: [
    { shapes: [[0, 3]], attrs: all(1), out: [0] },
    { shapes: [[0, 3]], attrs: all(0), out: [3], outValues: [0, 0, 0] },
    { shapes: [[0]], attrs: all(null), out: [], outValues: [0] },
  ],
  scaledDifference: ternary,
  mseLoss: [], // of nothing: an error (below)
  conv2d: [
    { shapes: [[0, 3, 5, 5], [4, 3, 3, 3]], attrs: conv, out: [0, 4, 5, 5] },
    { shapes: [[2, 3, 5, 5], [0, 3, 3, 3]], attrs: conv, out: [2, 0, 5, 5] },
    { shapes: [[2, 0, 3, 3], [4, 0, 3, 3]], attrs: conv, out: [2, 4, 3, 3], outValues: new Array(72).fill(0) },
  ],
  conv2dInputGrad: [{ shapes: [[0, 4, 5, 5], [4, 3, 3, 3]], attrs: { ...conv, inputSize: [5, 5] }, out: [0, 3, 5, 5] }],
  conv2dWeightGrad: [{ shapes: [[0, 3, 5, 5], [0, 4, 5, 5]], attrs: { ...conv, kernelSize: [3, 3] }, out: [4, 3, 3, 3], outValues: new Array(108).fill(0) }],
  maxPool2d: [{ shapes: [[0, 3, 4, 4]], attrs: pool, out: [0, 3, 2, 2] }, { shapes: [[2, 0, 4, 4]], attrs: pool, out: [2, 0, 2, 2] }],
  maxPool2dSelect: [{ shapes: [[0, 3, 4, 4], [0, 3, 4, 4]], attrs: pool, out: [0, 3, 2, 2] }],
  maxPool2dGrad: [{ shapes: [[0, 3, 4, 4], [0, 3, 2, 2]], attrs: { ...pool, inputSize: [4, 4] }, out: [0, 3, 4, 4] }],
  avgPool2d: [{ shapes: [[0, 3, 4, 4]], attrs: pool, out: [0, 3, 2, 2] }],
  avgPool2dGrad: [{ shapes: [[0, 3, 2, 2]], attrs: { ...pool, inputSize: [4, 4] }, out: [0, 3, 4, 4] }],
  // (a node without incoming edges is refused by design: the edge op averages over neighbours)
  nknEdge: [{ shapes: [[0, 2], [0, 2, 2], [0], [0], [1], [0], [1]], values: noNodes, out: [0, 2] }],
  nknEdgeGradH: [{ shapes: [[0, 2], [0, 2, 2], [0], [0], [1], [0], [1]], values: noNodes, out: [0, 2] }],
  nknEdgeGradK: [{ shapes: [[0, 2], [0, 2], [0], [0], [1], [0], [1]], values: noNodes, out: [0, 2, 2] }],
  nknApply: [{ shapes: [[0, 4], [0, 2]], attrs: { scale: 1, transpose: false }, out: [0, 2] }, { shapes: [[3, 0], [3, 0]], attrs: { scale: 1, transpose: true }, out: [3, 0] }],
  nknOuter: [{ shapes: [[0, 2], [0, 2]], attrs: { scale: 1 }, out: [0, 4] }],
  mulAdd: ternary,
  lincomb: [{ shapes: [[0, 3], [0, 3]], attrs: { coefs: [1, -0.5] }, out: [0, 3] }],
  eigvals: [{ shapes: [[0, 3, 3]], out: [0, 3, 2] }],
  // (eig, eigh and svd pack their results into one tensor: values and vectors side by side)
  eig: [{ shapes: [[0, 3, 3]], attrs: { left: false }, out: [0, 4, 3, 2] }],
  eigh: [{ shapes: [[0, 3, 3]], out: [0, 4, 3] }],
  solveDiscreteLyapunov: [{ shapes: [[0, 3, 3], [3, 3]], out: [0, 3, 3] }],
  svdvals: [{ shapes: [[0, 4, 3]], out: [0, 3] }],
  svd: [{ shapes: [[0, 4, 3]], out: [0, 8, 3] }],
  // (empty batches only: an empty matrix of zeros would be singular, which these ops refuse)
  solve: [{ shapes: [[0, 3, 3], [0, 3, 2]], out: [0, 3, 2] }],
  solveTriangular: [{ shapes: [[0, 3, 3], [0, 3, 2]], attrs: { lower: true, unit: false, transpose: false }, out: [0, 3, 2] }],
  // (lu packs P, L and U into one tensor; slogdet sign and log|det| side by side)
  lu: [{ shapes: [[0, 3, 3]], out: [0, 6, 3] }],
  slogdet: [{ shapes: [[0, 3, 3]], out: [0, 2] }],
  cholesky: [{ shapes: [[0, 3, 3]], out: [0, 3, 3] }],
  // no keys, or no values per key
  randomNormal: [{ shapes: [[0, 2]], attrs: { shape: [3] }, out: [0, 3] }, { shapes: [[2]], attrs: { shape: [0, 4] }, values: [[1, 2]], out: [0, 4] }],
  randomUniform: [{ shapes: [[0, 2]], attrs: { shape: [3] }, out: [0, 3] }],
  splitKey: [{ shapes: [[0, 2]], attrs: { n: 3 }, out: [0, 3, 2] }, { shapes: [[2]], attrs: { n: 0 }, values: [[1, 2]], out: [0, 2] }],
  // tanh(a·b), as jit fuses it
  fused: withAttrs(binary, fusedProgram(2, [{ op: opNamed('mul'), attrs: undefined, args: [0, 1] }, { op: opNamed('tanh'), attrs: undefined, args: [2] }])),
  // a product with no rows, then tanh of it plus a row
  fusedEpilogue: [{ shapes: [[0, 3], [3, 4], [4]], attrs: fusedEpilogueAttrs(opNamed('matmul'), {}, fusedProgram(2, [{ op: opNamed('add'), attrs: undefined, args: [0, 1] }, { op: opNamed('tanh'), attrs: undefined, args: [2] }]), 0), out: [0, 4] }],
};
for (const name of ['isFinite', 'neg', 'square', 'sqrt', 'exp', 'log', 'tanh', 'sigmoid', 'tanhGrad', 'sigmoidGrad', 'heaviside', 'relu', 'sign', 'abs', 'sin', 'cos', 'log1p', 'softplus', 'geluGrad', 'gelu', 'siluGrad', 'silu']) {
  CASES[name] = unary;
}
for (const name of ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'greaterSplit', 'tanhBackward', 'sigmoidBackward', 'equal', 'notEqual', 'greater', 'greaterEqual', 'less', 'lessEqual']) {
  CASES[name] = binary;
}

const ops = registeredOps();

it('every registered op has empty cases here', () => {
  expect(ops.map((o) => o.name).filter((n) => !(n in CASES))).toEqual([]);
});

function inputs(c: EmptyCase, b: Backend): fg.Tensor[] {
  return c.shapes.map((s, i) => fromValues(Float64Array.from(c.values?.[i] ?? new Array(s.reduce((a, d) => a * d, 1)).fill(0)), s, b));
}

const opsByName = new Map(ops.map((o) => [o.name, o] as [string, OpDef<any>]));

for (const [name, cases] of Object.entries(CASES)) {
  const op = opsByName.get(name);
  if (!op || cases.length === 0) continue;
  describe(`op ${name} on empty tensors`, () => {
    cases.forEach((c) => {
      const label = `${c.shapes.map((s) => `[${s}]`).join(' ')}${c.attrs ? ' ' + JSON.stringify(c.attrs) : ''}`;
      for (const where of ['cpu', 'webgpu'] as const) {
        it(`${label} on ${where}: forward, VJP and JVP keep the shapes`, async () => {
          const b = where === 'cpu' ? cpu : gpu;
          const xs = inputs(c, b);
          const y = onBackend(b, () => apply(op, xs, c.attrs));
          expect(y.shape).toEqual(c.out);
          expect(Array.from(await y.data())).toEqual(c.outValues ?? []);

          const { diff, f } = opFn(op, { shapes: c.shapes, attrs: c.attrs }, xs);
          if (diff.length === 0) return;
          const primals = diff.map((i) => xs[i]!);
          const [out, pull] = onBackend(b, () => fg.vjp(f, ...primals));
          const grads = onBackend(b, () => pull(fromValues(new Float64Array(out.size), out.shape, b))) as fg.Tensor[];
          pull.dispose();
          grads.forEach((g, k) => expect(g.shape, `cotangent of ${op.args[diff[k]!]}`).toEqual(primals[k]!.shape));
          for (const g of grads) expect(Array.from(await g.data()).every((v) => v === 0)).toBe(true); // zero cotangent in, zeros out

          const us = primals.map((x) => fromValues(new Float64Array(x.size), x.shape, b));
          const [, t] = onBackend(b, () => fg.jvp(f, primals, us));
          expect((t as fg.Tensor).shape).toEqual(c.out);
          expect(Array.from(await (t as fg.Tensor).data()).every((v) => v === 0)).toBe(true);
        });
      }
    });
  });
}

describe('reductions with no value over an empty axis throw, naming the op', () => {
  const cases: [string, () => unknown, RegExp][] = [
    ['mean', () => fg.mean(fg.zeros([0, 3]), 0), /mean: the reduced axis of x \[0, 3\] is empty/],
    ['mean (all)', () => fg.mean(fg.zeros([0])), /mean: the reduced axis of x \[0\] is empty/],
    ['max', () => fg.max(fg.zeros([0, 3]), 0), /max: .*empty/],
    ['min', () => fg.min(fg.zeros([2, 0])), /min: .*empty/],
    ['argmax', () => fg.argmax(fg.zeros([0, 3]), 0), /argmax: .*empty/],
    ['argmin', () => fg.argmin(fg.zeros([0])), /argmin: .*empty/],
    ['mseLoss', () => fg.mseLoss(fg.zeros([0, 2]), fg.zeros([0, 2])), /mseLoss: .*empty/],
    ['logSumExp', () => fg.logSumExp(fg.zeros([0, 3]), 0), /logSumExp: .*empty/],
  ];
  for (const [name, run, message] of cases) {
    it(name, () => {
      for (const b of ['cpu', 'webgpu'] as const) {
        onBackend(b === 'cpu' ? cpu : gpu, () => expect(run).toThrow(message));
      }
    });
  }
});

describe('composite ops on empty tensors', () => {
  it('softmax, logSoftmax, logSumExp over a non-empty axis of an empty batch; crossEntropy of no label throws', async () => {
    for (const b of [cpu, gpu]) {
      onBackend(b, () => {
        const x = fg.zeros([0, 3]);
        expect(fg.softmax(x).shape).toEqual([0, 3]);
        expect(fg.logSoftmax(x).shape).toEqual([0, 3]);
        expect(fg.logSumExp(x, 1).shape).toEqual([0]);
        const g = fg.grad((z: fg.Tensor) => fg.sum(fg.logSoftmax(z)))(x);
        expect(g.shape).toEqual([0, 3]);
      });
    }
  });
});

describe('vjp of a zero-size output', () => {
  it('vjp(neg, zeros([0, 3])) pulls back zeros([0, 3])', async () => {
    for (const b of [cpu, gpu]) {
      const [y, pull] = onBackend(b, () => fg.vjp(fg.neg, fromValues(new Float64Array(0), [0, 3], b)));
      expect(y.shape).toEqual([0, 3]);
      const [g] = onBackend(b, () => pull(fromValues(new Float64Array(0), [0, 3], b)));
      expect(g!.shape).toEqual([0, 3]);
      // a batch of cotangents in front (jacrev's) is still accepted, a wrong shape is not
      const [gb] = onBackend(b, () => pull(fromValues(new Float64Array(0), [2, 0, 3], b)));
      expect(gb!.shape).toEqual([2, 0, 3]);
      expect(() => onBackend(b, () => pull(fromValues(new Float64Array(0), [0, 4], b)))).toThrow(/vjp: cotangents \[0, 4\] do not match the outputs \[0, 3\]/);
    }
  });
});
