import { checkTensor } from '../../engine/args.js';
import { checkOptions, optionKeys } from '../../engine/options.js';
import { ArgumentError, ShapeError, fmtShape } from '../../engine/errors.js';
import type { Shape } from '../../engine/shape.js';
import type { Tensor } from '../../engine/tensor.js';
import { ACTIVATIONS, launchMatmul, type Activation } from '../../kernels/matmul.js';
import { apply, defineOp, type MaybeTensor, type OpDef } from '../op.js';
import { heaviside } from './activation.js';
import { mul, sub } from './arith.js';
import { addMaybe, defineBinary } from './elementwise.js';
import { cpuMatmul, matmulShapeOf, mm } from './matmul.js';
import { reshape, unbroadcast } from './shape.js';

export type { Activation };

interface LinearAttrs {
  activation: Activation;
}

const CPU_ACT: Record<Activation, (z: number) => number> = {
  none: (z) => z,
  tanh: Math.tanh,
  relu: (z) => Math.max(z, 0),
  sigmoid: (z) => 1 / (1 + Math.exp(-z)),
};

/** g·(1 − y²) and g·y(1 − y): the cotangent through tanh and sigmoid from y, in one dispatch. */
const tanhBackward = defineBinary({
  name: 'tanhBackward',
  wgsl: 'a * (1.0 - b * b)',
  cpu: (g, y) => g * (1 - y * y),
  partials: (g, y) => [sub(1, mul(y, y)), mul(-2, mul(g, y))],
});
const sigmoidBackward = defineBinary({
  name: 'sigmoidBackward',
  wgsl: 'a * b * (1.0 - b)',
  cpu: (g, y) => g * y * (1 - y),
  partials: (g, y) => [mul(y, sub(1, y)), mul(g, sub(1, mul(2, y)))],
});

/** g·σ'(z) with y = σ(z), as ops (so that it differentiates again). */
function activationBackward(act: Activation, g: Tensor, y: Tensor): Tensor {
  if (act === 'tanh') return tanhBackward(g, y);
  if (act === 'sigmoid') return sigmoidBackward(g, y);
  const d = activationDeriv(act, y);
  return d ? mul(g, d) : g;
}

/** σ'(z) written with y = σ(z), as ops (so that it differentiates again); null: σ' = 1. */
function activationDeriv(act: Activation, y: Tensor): Tensor | null {
  switch (act) {
    case 'none':
      return null;
    case 'tanh':
      return sub(1, mul(y, y));
    case 'sigmoid':
      return mul(y, sub(1, y));
    case 'relu':
      return heaviside(y); // y > 0 exactly where z > 0
  }
}

function linearShape([x, w, b]: Shape[], { activation }: LinearAttrs): Shape {
  if (!ACTIVATIONS.includes(activation)) {
    throw new ArgumentError(`linear: activation must be one of ${ACTIVATIONS.join(', ')}, got ${JSON.stringify(activation)}`);
  }
  const out = matmulShapeOf('linear', [x!, w!], undefined, ['x', 'w']);
  const n = out[out.length - 1]!;
  if (b!.length !== 1 || b![0] !== n) {
    throw new ShapeError(`linear: b must have shape [${n}] (the columns of w ${fmtShape(w!)}), got b ${fmtShape(b!)}`);
  }
  return out;
}

/**
 * σ(x·w + b) in one dispatch: the bias add and the activation run in the matmul's epilogue.
 * x: [..., m, k], w: [..., k, n] (batch dimensions broadcast), b: [n].
 */
const linearOp: OpDef<LinearAttrs> = defineOp<LinearAttrs>({
  name: 'linear',
  args: ['x', 'w', 'b'],
  broadcasting: true,
  saves: { inputs: true, output: true },
  shape: linearShape,
  cpu: ([x, w, b], [xs, ws], { activation }, outShape) => {
    const z = cpuMatmul(x!, w!, xs!, ws!, outShape, undefined);
    const n = outShape[outShape.length - 1]!;
    const f = CPU_ACT[activation];
    return z.map((v, i) => f(v + b![i % n]!));
  },
  gpu: (rt, [x, w, b], out, { activation }) => launchMatmul(rt, x!, w!, out, { bias: b!, activation }),
  // gz = g·σ'(z); gx = gz·wᵀ, gw = xᵀ·gz (transposes read in place), gb = gz summed over rows
  // (gx is skipped where x is data: the first layer of a network)
  vjp: ([x, w], y, g, { activation }, [xs, ws, bs], outShape, needs) => {
    const batch = g.rank - outShape.length;
    const gz = activationBackward(activation, g, y);
    const gx = needs?.[0] === false ? null : unbroadcast(mm(gz, w!, false, true), xs!, batch);
    const gw = needs?.[1] === false ? null : unbroadcast(mm(x!, gz, true, false), ws!, batch);
    return [gx, gw, needs?.[2] === false ? null : unbroadcast(gz, bs!, batch)];
  },
  jvp: ([x, w], y, [dx, dw, db], { activation }) => {
    const dz: MaybeTensor = addMaybe(addMaybe(dx && mm(dx, w!, false, false), dw && mm(x!, dw, false, false)), db);
    return dz && activationBackward(activation, dz, y);
  },
  samples: [
    { shapes: [[3, 5], [5, 4], [4]], attrs: { activation: 'tanh' } },
    { shapes: [[1, 7], [7, 3], [3]], attrs: { activation: 'sigmoid' } },
    { shapes: [[2, 3, 6], [6, 5], [5]], attrs: { activation: 'none' } },
    { shapes: [[11, 9], [9, 8], [8]], attrs: { activation: 'relu' }, domain: 'awayFromZero' },
    { shapes: [[2, 9, 4], [2, 4, 13], [13]], attrs: { activation: 'tanh' } },
  ],
  rejects: [
    { shapes: [[3, 5], [5, 4], [5]], attrs: { activation: 'tanh' }, message: /linear: b must have shape \[4\] \(the columns of w \[5, 4\]\), got b \[5\]/ },
    { shapes: [[3, 5], [4, 4], [4]], attrs: { activation: 'none' }, message: /linear: inner dimensions differ: x \[3, 5\] has 5 columns, w \[4, 4\] has 4 rows/ },
    { shapes: [[5], [5, 4], [4]], attrs: { activation: 'none' }, message: /linear: x and w must have rank ≥ 2/ },
  ],
});

/**
 * σ(x·w + b) as one fused op: a dense layer's forward pass in one dispatch on WebGPU.
 * `activation`: 'none' | 'tanh' | 'relu' | 'sigmoid' (default 'none'). A 1-D x is one row.
 */
export interface LinearOptions {
  activation?: Activation;
}
const LINEAR_KEYS = optionKeys<LinearOptions>({ activation: true });

export function linear(x: Tensor, w: Tensor, b: Tensor, opts: LinearOptions = {}): Tensor {
  checkTensor('linear', 'x', x);
  const attrs = { activation: checkOptions('linear', opts, LINEAR_KEYS).activation ?? 'none' };
  if (x.rank !== 1) return apply(linearOp, [x, w, b], attrs);
  const y = apply(linearOp, [reshape(x, [1, x.shape[0]!]), w, b], attrs);
  return reshape(y, [...y.shape.slice(0, -2), y.shape[y.rank - 1]!]);
}
