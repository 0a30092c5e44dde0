import * as fg from '../index.js';
import { activationFn, type Activation } from './activations.js';
import { checkConstraint, constrain, type WeightConstraint } from './constraints.js';
import { dense, denseParams, type DenseParams } from './dense.js';
import { initTensor, type Initializer } from './init.js';
import { checkInt, type Model, checkApplyOptions, type ApplyOptions, checkParamTree, checkTensor } from './model.js';
import { subSeed } from './random.js';
import { countParams } from './tree.js';

export interface ElmanOptions {
  inputSize: number;
  hiddenSize: number;
  /** a learned dense readout of the last hidden state (default: the hidden state itself) */
  outputSize?: number;
  /** sequence length, when fixed (checked on input; default: any) */
  seqLength?: number;
  activation?: Activation;
  /** initializer of the recurrent matrix W (default orthogonal) */
  recurrentInit?: Initializer;
  /** scale of W (default 1) */
  gain?: number;
  constraint?: WeightConstraint;
  seed?: number;
}

export interface ElmanParams {
  /** recurrent weights [d, d], acting on row vectors (h·W) */
  W: fg.Tensor;
  /** input weights [m, d] */
  U: fg.Tensor;
  b: fg.Tensor;
  readout?: DenseParams;
}

export interface ElmanModel extends Model<ElmanParams> {
  readonly inputSize: number;
  readonly hiddenSize: number;
  /** hidden states h_0 … h_T for inputs x [batch, T, m] (h_0 zero unless given) */
  states(params: ElmanParams, x: fg.Tensor, h0?: fg.Tensor): fg.Tensor[];
  /** the recurrent matrix the steps multiply by: params.W under the model's constraint */
  recurrent(params: ElmanParams): fg.Tensor;
}

const ELMAN_KEYS = fg.optionKeys<ElmanOptions>({ inputSize: true, hiddenSize: true, outputSize: true, seqLength: true, activation: true, recurrentInit: true, gain: true, constraint: true, seed: true });

/**
 * The Elman RNN h_{t+1} = σ(h_t·W + x_t·U + b) (σ = tanh by default; per sample in column form
 * Wᵀh + Uᵀx + b), unrolled over the sequence; the output is the (read-out) last hidden state.
 */
export function elman(opts: ElmanOptions): ElmanModel {
  opts = fg.checkOptions('elman', opts, ELMAN_KEYS) as typeof opts;
  const who = 'elman';
  const m = checkInt(who, 'inputSize', opts?.inputSize);
  const d = checkInt(who, 'hiddenSize', opts.hiddenSize);
  const T = opts.seqLength === undefined ? undefined : checkInt(who, 'seqLength', opts.seqLength);
  const outSize = opts.outputSize === undefined ? undefined : checkInt(who, 'outputSize', opts.outputSize);
  const act = activationFn(opts.activation, who);
  const constraint = checkConstraint(who, opts.constraint);
  const seed = opts.seed ?? 0;
  const params: ElmanParams = {
    W: initTensor(opts.recurrentInit ?? 'orthogonal', [d, d], subSeed(seed, 1), opts.gain ?? 1),
    U: initTensor('glorotUniform', [m, d], subSeed(seed, 2)),
    b: fg.zeros([d]),
  };
  if (outSize !== undefined) params.readout = denseParams(d, outSize, { seed: subSeed(seed, 3) });

  const states = (p: ElmanParams, x: fg.Tensor, h0?: fg.Tensor) => {
    checkParamTree(who, p, params);
    if (h0 !== undefined) checkTensor(who, 'h0', h0);
    if (!(x instanceof fg.Tensor) || x.rank !== 3 || x.shape[2] !== m || (T !== undefined && x.shape[1] !== T)) {
      const got = x instanceof fg.Tensor ? `[${x.shape.join(', ')}]` : typeof x;
      throw new fg.ShapeError(`${who}: input x has shape ${got}, expected [batch, ${T ?? 'steps'}, ${m}] (a batch of sequences of ${m}-vectors)`);
    }
    const [B, steps] = x.shape as [number, number, number];
    if (h0 && h0.shape.join() !== [B, d].join()) throw new fg.ShapeError(`${who}: h0 has shape [${h0.shape.join(', ')}], expected [${B}, ${d}]`);
    const W = constrain(p.W, constraint);
    const xu = fg.add(fg.matmul(x, p.U), p.b); // all input terms in one batched product: [B, T, d]
    let h = h0 ?? fg.zeros([B, d]);
    const out = [h];
    for (let t = 0; t < steps; t++) {
      h = act(fg.add(fg.matmul(h, W), fg.reshape(fg.slice(xu, [0, t], [B, t + 1]), [B, d])));
      out.push(h);
    }
    return out;
  };
  return {
    name: `elman m=${m} d=${d}`,
    params,
    inputShape: [T ?? -1, m],
    outputShape: [outSize ?? d],
    parameterCount: countParams(params),
    inputSize: m,
    hiddenSize: d,
    states,
    recurrent: (p) => (checkParamTree(who, p, params), constrain(p.W, constraint)),
    apply(p, x, o?: ApplyOptions) {
      checkApplyOptions(who, o);
      const hs = states(p, x);
      const h = hs[hs.length - 1]!;
      return p.readout ? dense(p.readout, h) : h;
    },
  };
}
