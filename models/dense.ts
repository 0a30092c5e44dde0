import * as fg from '../index.js';
import { activationFn, type Activation } from './activations.js';
import { dropout } from './dropout.js';
import { initTensor, type Initializer } from './init.js';
import { checkApplyOptions, checkInput, checkInt, type ApplyOptions, type Model, checkShaped, checkTensor } from './model.js';
import { subSeed } from './random.js';
import { countParams } from './tree.js';

/** A dense layer's parameters: y = x·W + b with W [in, out], b [out]. */
export interface DenseParams {
  W: fg.Tensor;
  b: fg.Tensor;
}

const DENSE_PARAMS_KEYS = fg.optionKeys<Parameters<typeof denseParams>[2]>({ init: true, seed: true, gain: true });

/** Seeded parameters of a dense layer; the bias starts at zero. */
export function denseParams(inSize: number, outSize: number, opts: { init?: Initializer; seed: number; gain?: number }): DenseParams {
  opts = fg.checkOptions('denseParams', opts, DENSE_PARAMS_KEYS) as typeof opts;
  checkInt('denseParams', 'inSize', inSize);
  checkInt('denseParams', 'outSize', outSize);
  checkInt('denseParams', 'seed', opts.seed, -Number.MAX_SAFE_INTEGER);
  return { W: initTensor(opts.init ?? 'glorotUniform', [inSize, outSize], opts.seed, opts.gain), b: fg.zeros([outSize]) };
}

const FUSED: Record<string, 'none' | 'tanh' | 'relu' | 'sigmoid'> = { identity: 'none', tanh: 'tanh', relu: 'relu', sigmoid: 'sigmoid' };

/**
 * σ(x·W + b): one fused dispatch (fg.linear) for identity, tanh, relu and sigmoid, the affine map
 * then the activation otherwise.
 */
export function affine(x: fg.Tensor, W: fg.Tensor, b: fg.Tensor, activation: Activation = 'identity'): fg.Tensor {
  if (typeof activation === 'string' && FUSED[activation]) return fg.linear(x, W, b, { activation: FUSED[activation] });
  return activationFn(activation, 'dense')(fg.linear(x, W, b));
}

/** σ(x·W + b) for x [batch, in]. */
export function dense(p: DenseParams, x: fg.Tensor, activation: Activation = 'identity'): fg.Tensor {
  checkShaped('dense', 'p', p, ['W', 'b'], 'dense parameters { W, b } from denseParams(…)');
  checkTensor('dense', 'x', x);
  const [inSize, outSize] = p.W.shape;
  if (x.rank !== 2 || x.shape[1] !== inSize) {
    throw new fg.ShapeError(`dense: input x has shape [${x.shape.join(', ')}], expected [batch, ${inSize}] for weights W [${inSize}, ${outSize}]`);
  }
  return affine(x, p.W, p.b, activation);
}

export interface MlpOptions {
  /** layer widths from input to output, e.g. [2, 64, 64, 2] */
  sizes: number[];
  /** activation after every hidden layer (default tanh) */
  activation?: Activation;
  /** activation of the output layer (default identity) */
  outputActivation?: Activation;
  /** default: heNormal for relu-like activations, glorotUniform otherwise */
  init?: Initializer;
  seed?: number;
  /** dropout rate after every hidden activation (training mode only) */
  dropout?: number;
  /** shape of one input sample when it is not a vector (flattened to sizes[0]), e.g. [1, 16, 16] */
  inputShape?: number[];
}

export type MlpParams = { layers: DenseParams[] };

const MLP_KEYS = fg.optionKeys<MlpOptions>({ sizes: true, activation: true, outputActivation: true, init: true, seed: true, dropout: true, inputShape: true });

/** A multilayer perceptron: dense layers with an activation between them. */
export function mlp(opts: MlpOptions): Model<MlpParams> {
  opts = fg.checkOptions('mlp', opts, MLP_KEYS) as typeof opts;
  const who = 'mlp';
  const sizes = opts?.sizes;
  if (!Array.isArray(sizes) || sizes.length < 2) throw new fg.ArgumentError(`${who}: sizes must list at least the input and output widths, e.g. [2, 64, 2], got ${JSON.stringify(sizes)}`);
  sizes.forEach((s, i) => checkInt(who, `sizes[${i}]`, s));
  const inputShape = opts.inputShape ?? [sizes[0]!];
  if (inputShape.reduce((a, b) => a * b, 1) !== sizes[0]) {
    throw new fg.ShapeError(`${who}: inputShape [${inputShape.join(', ')}] has ${inputShape.reduce((a, b) => a * b, 1)} elements but sizes[0] is ${sizes[0]}`);
  }
  const hidden = opts.activation ?? 'tanh';
  const out = opts.outputActivation ?? 'identity';
  activationFn(hidden, who);
  activationFn(out, who);
  const reluLike = ['relu', 'leakyRelu', 'elu', 'gelu', 'silu'].includes(String(opts.activation));
  const init = opts.init ?? (reluLike ? 'heNormal' : 'glorotUniform');
  const seed = opts.seed ?? 0;
  const rate = opts.dropout ?? 0;
  const layers = sizes.slice(1).map((s, i) => denseParams(sizes[i]!, s, { init, seed: subSeed(seed, i) }));
  const params: MlpParams = { layers };
  return {
    name: `mlp ${sizes.join('→')}`,
    params,
    inputShape: [...inputShape],
    outputShape: [sizes[sizes.length - 1]!],
    parameterCount: countParams(params),
    apply(p: MlpParams, x: fg.Tensor, opts?: ApplyOptions) {
      const o = checkApplyOptions(who, opts);
      checkInput(who, x, inputShape);
      if (p?.layers?.length !== layers.length) throw new fg.ShapeError(`${who}: params has ${p?.layers?.length ?? 'no'} layers, expected ${layers.length}`);
      let h = inputShape.length === 1 ? x : fg.reshape(x, [x.shape[0]!, sizes[0]!]);
      p.layers.forEach((l, i) => {
        const last = i === p.layers.length - 1;
        h = dense(l, h, last ? out : hidden);
        if (!last && rate > 0) h = dropout(h, rate, { train: o.train, seed: o.seed === undefined ? undefined : subSeed(o.seed, i) });
      });
      return h;
    },
  };
}
