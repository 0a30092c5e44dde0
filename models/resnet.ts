import * as fg from '../index.js';
import { activationFn, type Activation } from './activations.js';
import { checkConstraint, constrain, type WeightConstraint } from './constraints.js';
import { affine, dense, denseParams, type DenseParams } from './dense.js';
import { depthBasis, depthCoefficients, evalDepth, type DepthBasis, type DepthBasisSpec } from './depth.js';
import type { Initializer } from './init.js';
import { checkInput, checkInt, checkReal, type Model, checkApplyOptions, type ApplyOptions, checkParamTree } from './model.js';
import { subSeed } from './random.js';
import { countParams } from './tree.js';

export interface ResnetOptions {
  /** state dimension d */
  width: number;
  /** number of layers L */
  layers: number;
  activation?: Activation;
  /** depth horizon: layer n sits at t_n = n·T/L (default 1) */
  T?: number;
  /** W(t) and b(t) in depth (default piecewise constant with one interval per layer: the ordinary ResNet) */
  basis?: DepthBasisSpec;
  /** step α_n: a fixed number for every layer (default Δt = T/L), or 'learnable' (one per layer, starting at Δt) */
  alpha?: number | 'learnable';
  /** input dimension (≤ width; the state is padded with zeros, as an augmented NODE) — default width */
  inputSize?: number;
  /** a learned dense readout to this many outputs (default: the state itself) */
  outputSize?: number;
  constraint?: WeightConstraint;
  init?: Initializer;
  /** scale of the initial weights (default 1) */
  gain?: number;
  seed?: number;
}

export interface ResnetParams {
  /** coefficients of W(t): [K, d, d], acting on row vectors (x·W) */
  W: fg.Tensor;
  /** coefficients of b(t): [K, d] */
  b: fg.Tensor;
  /** learnable steps [L] */
  alpha?: fg.Tensor;
  readout?: DenseParams;
}

export interface ResnetModel extends Model<ResnetParams> {
  readonly basis: DepthBasis;
  readonly layers: number;
  readonly width: number;
  /** the weights W_n = W(t_n) (constrained) and b_n of layer n */
  layerWeights(params: ResnetParams, n: number): { W: fg.Tensor; b: fg.Tensor };
  /** the states x_0 … x_L (after the input padding, before the readout) */
  states(params: ResnetParams, x: fg.Tensor): fg.Tensor[];
}

const RESNET_KEYS = fg.optionKeys<ResnetOptions>({ width: true, layers: true, activation: true, T: true, basis: true, alpha: true, inputSize: true, outputSize: true, constraint: true, init: true, gain: true, seed: true });

/**
 * The residual network x_{n+1} = x_n + α_n·σ(x_n·W_n + b_n), n = 0 … L−1, with W_n = W(t_n) and
 * b_n = b(t_n) from a basis in depth (per sample in column form: x + α·σ(W_nᵀx + b_n); the
 * spectra of W_n and W_nᵀ agree). It is explicit Euler with step α_n = Δt for the NODE
 * dx/dt = σ(x·W(t) + b(t)).
 */
export function resnet(opts: ResnetOptions): ResnetModel {
  opts = fg.checkOptions('resnet', opts, RESNET_KEYS) as typeof opts;
  const who = 'resnet';
  const d = checkInt(who, 'width', opts?.width);
  const L = checkInt(who, 'layers', opts.layers);
  const T = checkReal(who, 'T', opts.T ?? 1, (x) => x > 0, 'a positive number');
  const m = checkInt(who, 'inputSize', opts.inputSize ?? d);
  if (m > d) throw new fg.ShapeError(`${who}: inputSize ${m} is larger than width ${d}; the state is the input padded with zeros, so width must be at least inputSize`);
  const outSize = opts.outputSize === undefined ? undefined : checkInt(who, 'outputSize', opts.outputSize);
  const basis = depthBasis(opts.basis ?? { kind: 'piecewiseConstant', intervals: L }, T);
  const constraint = checkConstraint(who, opts.constraint);
  const act = opts.activation ?? 'tanh';
  activationFn(act, who);
  const dt = T / L;
  const alphaOpt = opts.alpha ?? dt;
  if (alphaOpt !== 'learnable') checkReal(who, 'alpha', alphaOpt);
  const seed = opts.seed ?? 0;
  const gain = opts.gain ?? 1;
  const params: ResnetParams = {
    W: depthCoefficients(basis, [d, d], opts.init ?? 'glorotUniform', subSeed(seed, 1), gain),
    b: fg.zeros([basis.size, d]),
  };
  if (alphaOpt === 'learnable') params.alpha = fg.full([L], dt);
  if (outSize !== undefined) params.readout = denseParams(d, outSize, { seed: subSeed(seed, 2) });

  const weightsAt = (p: ResnetParams, n: number) => {
    const t = n * dt;
    return { W: constrain(evalDepth(basis, p.W, t), constraint), b: evalDepth(basis, p.b, t) };
  };
  /** layer n's weights for callers outside the forward pass: checks its arguments */
  const layerWeights = (p: ResnetParams, n: number) => {
    checkParamTree(who, p, params);
    checkInt(who, 'n (layer index)', n, 0);
    if (n >= L) throw new fg.ArgumentError(`${who}: layer index n = ${n} is out of range for ${L} layers`);
    return weightsAt(p, n);
  };
  const check = (p: ResnetParams) => {
    if (!(p?.W instanceof fg.Tensor) || p.W.shape.join() !== [basis.size, d, d].join()) {
      throw new fg.ShapeError(`${who}: params.W has shape [${p?.W?.shape?.join(', ') ?? ''}], expected [${basis.size}, ${d}, ${d}]`);
    }
  };
  const states = (p: ResnetParams, x: fg.Tensor) => {
    checkInput(who, x, [m]);
    check(p);
    checkParamTree(who, p, params);
    let h = m < d ? fg.pad(x, [[0, 0], [0, d - m]]) : x;
    const out = [h];
    for (let n = 0; n < L; n++) {
      const { W, b } = weightsAt(p, n);
      const a = p.alpha ? fg.slice(p.alpha, [n], [n + 1]) : (alphaOpt as number);
      h = fg.add(h, fg.mul(affine(h, W, b, act), a));
      out.push(h);
    }
    return out;
  };
  return {
    name: `resnet d=${d} L=${L} (${basis.spec.kind})`,
    params,
    basis,
    layers: L,
    width: d,
    inputShape: [m],
    outputShape: [outSize ?? d],
    parameterCount: countParams(params),
    layerWeights,
    states,
    apply(p, x, o?: ApplyOptions) {
      checkApplyOptions(who, o);
      const xs = states(p, x);
      const h = xs[xs.length - 1]!;
      return p.readout ? dense(p.readout, h) : h;
    },
  };
}
