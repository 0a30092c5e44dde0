import { checkTensor } from '../../engine/args.js';
import { checkOptions, oneOf, optionKeys } from '../../engine/options.js';
import { ArgumentError, ShapeError, fmtShape } from '../../engine/errors.js';
import type { Shape } from '../../engine/shape.js';
import type { Tensor } from '../../engine/tensor.js';
import { ACTIVATIONS, launchMatmul, type Activation } from '../../kernels/matmul.js';
import { apply, defineOp, type MaybeTensor, type OpDef } from '../op.js';
import { heaviside, relu, sigmoid, sigmoidGrad, sigmoidGradRef, tanh, tanhGrad, tanhGradRef } from './activation.js';
import { add, mul, neg } from './arith.js';
import { addMaybe, defineBinary } from './elementwise.js';
import { cpuMatmul, matmulShapeOf, mm } from './matmul.js';
import { broadcastTo, reshape, unbroadcast } from './shape.js';

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

/**
 * g·tanh′(z) and g·σ′(z): the cotangent through tanh and sigmoid in one dispatch, from the
 * pre-activation z (1 − y² and y(1 − y) from the output y cancel where the activation saturates).
 */
const tanhBackward = defineBinary({
  name: 'tanhBackward',
  wgsl: 'a * tanh_grad(b)',
  cpu: (g, z) => g * tanhGradRef(z),
  // ∂/∂z = g·tanh″(z) = −2g·tanh(z)·tanh′(z)
  partials: (g, z) => [tanhGrad(z), mul(g, mul(mul(tanh(z), tanhGrad(z)), -2))],
});
const sigmoidBackward = defineBinary({
  name: 'sigmoidBackward',
  wgsl: 'a * sigmoid_grad(b)',
  cpu: (g, z) => g * sigmoidGradRef(z),
  // ∂/∂z = g·σ″(z) = −g·σ′(z)·tanh(z/2)
  partials: (g, z) => [sigmoidGrad(z), neg(mul(g, mul(sigmoidGrad(z), tanh(mul(z, 0.5)))))],
});

/**
 * g·σ'(z) for y = σ(z), as ops (so that it differentiates again). tanh and sigmoid need z, which
 * the fused kernel does not keep: `z()` recomputes it (one more matmul with its bias epilogue);
 * relu's derivative is read from y (y > 0 exactly where z > 0).
 */
function activationBackward(act: Activation, g: Tensor, y: Tensor, z: () => Tensor): Tensor {
  switch (act) {
    case 'none':
      return g;
    case 'tanh':
      return tanhBackward(g, z());
    case 'sigmoid':
      return sigmoidBackward(g, z());
    case 'relu':
      return mul(g, heaviside(y));
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
  gpuEpilogue: (rt, [x, w, b], out, { activation }, epilogue) => launchMatmul(rt, x!, w!, out, { bias: b!, activation, epilogue }),
  // gz = g·σ'(z); gx = gz·wᵀ, gw = xᵀ·gz (transposes read in place), gb = gz summed over rows
  // (gx is skipped where x is data: the first layer of a network)
  vjp: ([x, w, b], y, g, { activation }, [xs, ws, bs], outShape, needs) => {
    const batch = g.rank - outShape.length;
    const gz = activationBackward(activation, g, y, () => apply(linearOp, [x!, w!, b!], { activation: 'none' }));
    const gx = needs?.[0] === false ? null : unbroadcast(mm(gz, w!, false, true), xs!, batch);
    const gw = needs?.[1] === false ? null : unbroadcast(mm(x!, gz, true, false), ws!, batch);
    return [gx, gw, needs?.[2] === false ? null : unbroadcast(gz, bs!, batch)];
  },
  jvp: ([x, w, b], y, [dx, dw, db], { activation }) => {
    const dz: MaybeTensor = addMaybe(addMaybe(dx && mm(dx, w!, false, false), dw && mm(x!, dw, false, false)), db);
    return dz && activationBackward(activation, dz, y, () => apply(linearOp, [x!, w!, b!], { activation: 'none' }));
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

const ACT_OPS: Record<Activation, ((z: Tensor) => Tensor) | null> = { none: null, tanh, relu, sigmoid };

/**
 * σ(x·w + b) as one fused op: a dense layer's forward pass in one dispatch on WebGPU.
 * `activation`: 'none' | 'tanh' | 'relu' | 'sigmoid' (default 'none'). A 1-D x is one row.
 * b is any tensor that broadcasts to the output without growing it: [n], a scalar, [1, n], …
 * go through the fused epilogue (as a row [n]); others ([m, 1], [m, n]) are added after the
 * product, then the activation runs as its own op.
 */
export interface LinearOptions {
  activation?: Activation;
}
const LINEAR_KEYS = optionKeys<LinearOptions>({ activation: true });

export function linear(x: Tensor, w: Tensor, b: Tensor, opts: LinearOptions = {}): Tensor {
  checkTensor('linear', 'x', x);
  checkTensor('linear', 'w', w);
  checkTensor('linear', 'b', b);
  const attrs = { activation: oneOf('linear', 'activation', checkOptions('linear', opts, LINEAR_KEYS).activation, ACTIVATIONS) ?? 'none' };
  const x2 = x.rank === 1 ? reshape(x, [1, x.shape[0]!]) : x;
  const outShape = matmulShapeOf('linear', [x2.shape, w.shape], undefined, ['x', 'w']);
  const n = outShape[outShape.length - 1]!;
  const row = rowBias(b, outShape);
  const y = row ? apply(linearOp, [x2, w, row], attrs) : biasAfter(x2, w, b, attrs.activation);
  return x.rank === 1 ? reshape(y, [...y.shape.slice(0, -2), n]) : y;
}

/** b as a row [n] when all its other dimensions are 1 (the fused epilogue's bias); null otherwise. */
function rowBias(b: Tensor, out: Shape): Tensor | null {
  const n = out[out.length - 1]!;
  const grows = b.rank > out.length || b.shape.some((d, i) => d !== 1 && d !== out[out.length - b.rank + i]);
  if (grows) {
    throw new ShapeError(`linear: b must broadcast to the output ${fmtShape(out)} of x·w (the columns of w are ${n}), got b ${fmtShape(b.shape)}`);
  }
  if (b.shape.slice(0, -1).some((d) => d !== 1)) return null;
  const last = b.shape[b.rank - 1] ?? 1;
  if (b.rank === 1 && last === n) return b;
  return last === n ? reshape(b, [n]) : broadcastTo(reshape(b, [1]), [n]);
}

/** act(x·w + b) for a bias that varies along the rows: the add and the activation as ops of their own. */
function biasAfter(x: Tensor, w: Tensor, b: Tensor, act: Activation): Tensor {
  const z = add(mm(x, w, false, false), b);
  return ACT_OPS[act]?.(z) ?? z;
}
