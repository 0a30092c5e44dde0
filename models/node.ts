import * as fg from '../index.js';
import { activationFn, type Activation } from './activations.js';
import { affine, dense, denseParams, type DenseParams } from './dense.js';
import { depthBasis, depthCoefficients, evalDepth, type DepthBasis, type DepthBasisSpec } from './depth.js';
import type { Initializer } from './init.js';
import { checkInput, checkInt, checkReal, type Model, checkApplyOptions, type ApplyOptions, checkParamTree } from './model.js';
import { subSeed } from './random.js';
import { resnet, type ResnetModel, type ResnetParams } from './resnet.js';
import { countParams, disposeTree } from './tree.js';

/** Fixed-step schemes a NODE block integrates with (no readback: they run on WebGPU too). */
export type FixedMethod = 'euler' | 'midpoint' | 'heun' | 'rk4' | 'rk38';
const FIXED: readonly string[] = ['euler', 'midpoint', 'heun', 'rk4', 'rk38'];

/**
 * The build-up variants of the research:
 * - 'full': dx/dt = σ(x·W(t) + b(t));
 * - 'linear': dx/dt = x·W(t) + b(t);
 * - 'noBias': dx/dt = x·W(t);
 * - 'constant': dx/dt = σ(x·W + b), the same weights at every t (a constant basis).
 */
export type NodeVariant = 'full' | 'linear' | 'noBias' | 'constant';

export interface NodeOptions {
  /** state dimension d */
  width: number;
  /** input dimension m ≤ width; the other d − m state entries start at zero (augmented NODE) */
  inputSize?: number;
  /** a learned dense readout to this many outputs (default: the state itself) */
  outputSize?: number;
  variant?: NodeVariant;
  /** default tanh ('full' and 'constant'); the linear variants ignore it */
  activation?: Activation;
  /** horizon: t ∈ [0, T] (default 1) */
  T?: number;
  /** W(t) and b(t) in depth (default piecewise linear on 4 intervals; 'constant' forces constant) */
  basis?: DepthBasisSpec;
  /** integrator and its step count over [0, T] (default rk4, 10 steps) */
  method?: FixedMethod;
  steps?: number;
  /** how odeint differentiates (default backprop) */
  grad?: 'backprop' | 'adjoint';
  init?: Initializer;
  /** scale of the initial weights (default 1) */
  gain?: number;
  seed?: number;
}

export interface NodeParams {
  /** coefficients of W(t): [K, d, d], acting on row vectors (x·W) */
  W: fg.Tensor;
  /** coefficients of b(t): [K, d] (absent for 'noBias') */
  b?: fg.Tensor;
  readout?: DenseParams;
}

export interface Solver {
  method: FixedMethod;
  steps: number;
  grad: 'backprop' | 'adjoint';
}

export interface NodeModel extends Model<NodeParams> {
  readonly basis: DepthBasis;
  readonly width: number;
  readonly inputSize: number;
  readonly T: number;
  readonly variant: NodeVariant;
  /** the activation by name, or the function ('identity' for the linear variants) */
  readonly activation: Activation;
  readonly solver: Solver;
  /** the right-hand side f(t, x, params) */
  rhs(t: number, x: fg.Tensor, params: NodeParams): fg.Tensor;
  /** the state at each of `times` (default [0, T]) as [times, batch, d], before the readout */
  trajectory(params: NodeParams, x: fg.Tensor, opts?: Partial<Solver> & { times?: number[] }): fg.Tensor;
  /** the same model integrated another way (same parameters, no retraining) */
  withSolver(s: Partial<Solver>): NodeModel;
}

const SOLVER_KEYS = fg.optionKeys<Solver>({ method: true, steps: true, grad: true });
const TRAJECTORY_KEYS = fg.optionKeys<Solver & { times: number[] }>({ method: true, steps: true, grad: true, times: true });

export function checkSolver(who: string, s: Partial<Solver> | undefined, base: Solver): Solver {
  s = fg.checkOptions(who, s, SOLVER_KEYS);
  const method = s.method ?? base.method;
  if (!FIXED.includes(method)) throw new fg.ArgumentError(`${who}: method must be one of ${FIXED.join(', ')}, got ${JSON.stringify(method)}`);
  const steps = checkInt(who, 'steps', s.steps ?? base.steps);
  const grad = s.grad ?? base.grad;
  if (grad !== 'backprop' && grad !== 'adjoint') throw new fg.ArgumentError(`${who}: grad must be 'backprop' or 'adjoint', got ${JSON.stringify(grad)}`);
  return { method, steps, grad };
}

/** The state padded from m input entries to d with zeros (the augmentation). */
export function augment(x: fg.Tensor, m: number, d: number): fg.Tensor {
  checkInt('augment', 'm', m);
  checkInt('augment', 'd', d);
  checkInput('augment', x, [m]);
  return m < d ? fg.pad(x, [[0, 0], [0, d - m]]) : x;
}

const NODE_KEYS = fg.optionKeys<NodeOptions>({ width: true, inputSize: true, outputSize: true, variant: true, activation: true, T: true, basis: true, method: true, steps: true, grad: true, init: true, gain: true, seed: true });

/**
 * A Neural ODE dx/dt = σ(x·W(t) + b(t)) on [0, T] with W and b given by a basis in depth,
 * integrated by fg.odeint; the output is x(T) (or a dense readout of it). With inputSize < width
 * it is an augmented NODE: the extra state dimensions start at zero, so trajectories can pass
 * each other in the larger space (a plain 1-D NODE's flow map is monotone).
 */
export function node(opts: NodeOptions): NodeModel {
  opts = fg.checkOptions('node', opts, NODE_KEYS) as typeof opts;
  const who = 'node';
  const d = checkInt(who, 'width', opts?.width);
  const m = checkInt(who, 'inputSize', opts.inputSize ?? d);
  if (m > d) throw new fg.ShapeError(`${who}: inputSize ${m} is larger than width ${d}; the state is the input padded with zeros, so width must be at least inputSize`);
  const outSize = opts.outputSize === undefined ? undefined : checkInt(who, 'outputSize', opts.outputSize);
  const T = checkReal(who, 'T', opts.T ?? 1, (x) => x > 0, 'a positive number');
  const variant = opts.variant ?? 'full';
  if (!['full', 'linear', 'noBias', 'constant'].includes(variant)) throw new fg.ArgumentError(`${who}: variant must be 'full', 'linear', 'noBias' or 'constant', got ${JSON.stringify(variant)}`);
  const spec: DepthBasisSpec = variant === 'constant' ? { kind: 'constant' } : (opts.basis ?? { kind: 'piecewiseLinear', intervals: 4 });
  const basis = depthBasis(spec, T);
  const linear = variant === 'linear' || variant === 'noBias';
  const activation: Activation = linear ? 'identity' : (opts.activation ?? 'tanh');
  activationFn(activation, who);
  const solver = checkSolver(who, { method: opts.method ?? 'rk4', steps: opts.steps ?? 10, grad: opts.grad ?? 'backprop' }, { method: 'rk4', steps: 10, grad: 'backprop' });
  const seed = opts.seed ?? 0;
  const params: NodeParams = { W: depthCoefficients(basis, [d, d], opts.init ?? 'glorotUniform', subSeed(seed, 1), opts.gain ?? 1) };
  if (variant !== 'noBias') params.b = fg.zeros([basis.size, d]);
  if (outSize !== undefined) params.readout = denseParams(d, outSize, { seed: subSeed(seed, 2) });
  return build({ who, d, m, outSize, T, variant, basis, activation, solver, params });
}

interface Built {
  who: string;
  d: number;
  m: number;
  outSize?: number;
  T: number;
  variant: NodeVariant;
  basis: DepthBasis;
  activation: Activation;
  solver: Solver;
  params: NodeParams;
}

function build(c: Built): NodeModel {
  const { who, d, m, T, basis } = c;
  const check = (p: NodeParams) => {
    checkParamTree(who, p, c.params);
    if (!(p?.W instanceof fg.Tensor) || p.W.shape.join() !== [basis.size, d, d].join()) {
      throw new fg.ShapeError(`${who}: params.W has shape [${p?.W?.shape?.join(', ') ?? ''}], expected [${basis.size}, ${d}, ${d}] for the ${basis.spec.kind} basis`);
    }
  };
  const zeroBias = fg.zeros([d]);
  // the solver's right-hand side: its arguments were checked once where the solve starts
  const field = (t: number, x: fg.Tensor, p: NodeParams) => {
    const W = evalDepth(basis, p.W, t);
    // the same fused σ(x·W + b) as a ResNet layer, so resnetFromNode matches Euler to round-off
    return affine(x, W, p.b ? evalDepth(basis, p.b, t) : zeroBias, c.activation);
  };
  /** dx/dt for callers outside a solve: checks its arguments */
  const rhs = (t: number, x: fg.Tensor, p: NodeParams) => {
    checkReal(who, 't', t, (v) => v >= -1e-12 * T && v <= T * (1 + 1e-12), `in [0, ${T}]`);
    checkInput(who, x, [d]);
    check(p);
    return field(t, x, p);
  };
  const trajectory = (p: NodeParams, x: fg.Tensor, opts?: Partial<Solver> & { times?: number[] }) => {
    const { times = [0, T], ...o } = fg.checkOptions(`${who}.trajectory`, opts, TRAJECTORY_KEYS);
    checkInput(who, x, [m]);
    check(p);
    for (const t of times) checkReal(who, 'times', t, (v) => v >= -1e-12 * T && v <= T * (1 + 1e-12), `in [0, ${T}]`);
    const s = checkSolver(`${who}.trajectory`, o, c.solver);
    // steps per interval between output times, so that [0, T] is split into s.steps in all
    const steps = Math.max(1, Math.round(s.steps / (times.length - 1)));
    return fg.odeint(field, augment(x, m, d), times, { method: s.method, steps, params: p, grad: s.grad });
  };
  const model: NodeModel = {
    name: `node ${c.variant} d=${d}${m < d ? ` (augmented from ${m})` : ''} (${basis.spec.kind}, ${c.solver.method} ×${c.solver.steps})`,
    params: c.params,
    basis,
    width: d,
    inputSize: m,
    T,
    variant: c.variant,
    activation: c.activation,
    solver: c.solver,
    inputShape: [m],
    outputShape: [c.outSize ?? d],
    parameterCount: countParams(c.params),
    rhs,
    trajectory,
    withSolver: (s) => build({ ...c, solver: checkSolver(`${who}.withSolver`, s, c.solver) }),
    apply(p, x, o?: ApplyOptions) {
      checkApplyOptions(who, o);
      const ys = trajectory(p, x);
      const h = fg.reshape(fg.slice(ys, [1], [2]), [x.shape[0]!, d]);
      return p.readout ? dense(p.readout, h) : h;
    },
  };
  return model;
}

/**
 * The ResNet that is explicit Euler with L steps for the NODE: Δt = T/L, α_n = Δt,
 * W_n = W(nΔt), b_n = b(nΔt) (sampled from `params`, default the NODE's initial ones); the
 * readout is shared. Returns the model with these weights as its `params`.
 */
export function resnetFromNode(nodeModel: NodeModel, L: number, params?: NodeParams): ResnetModel {
  checkInt('resnetFromNode', 'L', L);
  if (!nodeModel || typeof nodeModel.rhs !== 'function') throw new fg.ArgumentError('resnetFromNode: the first argument must be a NODE from fg.models.node(…)');
  params ??= nodeModel.params;
  checkParamTree('resnetFromNode', params, nodeModel.params);
  const { width: d, T, basis } = nodeModel;
  const dt = T / L;
  const act = nodeModel.activation;
  const r = resnet({
    width: d, layers: L, T, activation: act, inputSize: nodeModel.inputSize,
    outputSize: params.readout ? nodeModel.outputShape[0] : undefined,
  });
  disposeTree(r.params); // replaced by the NODE's samples below
  const Ws: fg.Tensor[] = [];
  const bs: fg.Tensor[] = [];
  for (let n = 0; n < L; n++) {
    Ws.push(evalDepth(basis, params.W, n * dt));
    bs.push(params.b ? evalDepth(basis, params.b, n * dt) : fg.zeros([d]));
  }
  const p: ResnetParams = { W: fg.stack(Ws), b: fg.stack(bs) };
  if (params.readout) p.readout = params.readout;
  return { ...r, name: `resnet from ${nodeModel.name}, L=${L}`, params: p };
}
