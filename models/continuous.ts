import * as fg from '../index.js';
import type { Activation } from './activations.js';
import { dense, denseParams, type DenseParams } from './dense.js';
import { refineCoefficients, type DepthBasisSpec } from './depth.js';
import { checkInput, checkInt, type Model, checkApplyOptions, type ApplyOptions, checkParamTree, checkShaped } from './model.js';
import { checkSolver, node, type FixedMethod, type NodeModel, type NodeParams, type Solver } from './node.js';
import { subSeed } from './random.js';
import { countParams } from './tree.js';
import { logSlope } from './slope.js';

export interface ContinuousNetOptions {
  inputSize: number;
  /** state width of the ODE blocks (≥ inputSize; the input is padded with zeros) */
  width: number;
  /** a learned dense readout to this many outputs (default: the state) */
  outputSize?: number;
  /** number of ODE blocks one after the other (default 1) */
  blocks?: number;
  /** W(t), b(t) of every block (default piecewise linear on 2 intervals) */
  basis?: DepthBasisSpec;
  /** scheme and steps per block over its [0, T] (default rk4, 8) */
  method?: FixedMethod;
  steps?: number;
  T?: number;
  activation?: Activation;
  gain?: number;
  seed?: number;
}

export interface ContinuousNetParams {
  blocks: NodeParams[];
  readout?: DenseParams;
}

export interface ContinuousNetModel extends Model<ContinuousNetParams> {
  readonly blocks: readonly NodeModel[];
  readonly solver: Solver;
  readonly options: Readonly<ContinuousNetOptions>;
  /** the same net integrated with another scheme or step count (the parameters fit unchanged) */
  remanifest(s: { method?: FixedMethod; steps?: number }): ContinuousNetModel;
  /** every block's basis split `factor` times finer, the parameters re-represented exactly */
  refine(params: ContinuousNetParams, factor?: number): { model: ContinuousNetModel; params: ContinuousNetParams };
}

const CONTINUOUS_NET_KEYS = fg.optionKeys<ContinuousNetOptions>({ inputSize: true, width: true, outputSize: true, blocks: true, basis: true, method: true, steps: true, T: true, activation: true, gain: true, seed: true });

/**
 * A ContinuousNet: ODE blocks dx/dt = σ(x·W(t) + b(t)) whose weights are a basis in depth,
 * integrated by a fixed-step scheme. What is learned is W(t), not a stack of layers: the same
 * parameters can be remanifested with another scheme or more steps, or refined onto a finer
 * basis to resume training.
 */
export function continuousNet(opts: ContinuousNetOptions): ContinuousNetModel {
  opts = fg.checkOptions('continuousNet', opts, CONTINUOUS_NET_KEYS) as typeof opts;
  const who = 'continuousNet';
  const m = checkInt(who, 'inputSize', opts?.inputSize);
  const d = checkInt(who, 'width', opts.width);
  if (m > d) throw new fg.ShapeError(`${who}: inputSize ${m} is larger than width ${d}; the state is the input padded with zeros`);
  const nb = checkInt(who, 'blocks', opts.blocks ?? 1);
  const outSize = opts.outputSize === undefined ? undefined : checkInt(who, 'outputSize', opts.outputSize);
  const seed = opts.seed ?? 0;
  const blocks = Array.from({ length: nb }, (_, i) => node({
    width: d, inputSize: i === 0 ? m : d, basis: opts.basis ?? { kind: 'piecewiseLinear', intervals: 2 },
    method: opts.method ?? 'rk4', steps: opts.steps ?? 8, T: opts.T, activation: opts.activation, gain: opts.gain, seed: subSeed(seed, i),
  }));
  const params: ContinuousNetParams = { blocks: blocks.map((b) => b.params) };
  if (outSize !== undefined) params.readout = denseParams(d, outSize, { seed: subSeed(seed, 1000) });
  return assemble(opts, blocks, params);
}

function assemble(opts: ContinuousNetOptions, blocks: NodeModel[], params: ContinuousNetParams): ContinuousNetModel {
  const who = 'continuousNet';
  const solver = blocks[0]!.solver;
  const model: ContinuousNetModel = {
    name: `continuousNet d=${opts.width} ×${blocks.length} (${blocks[0]!.basis.spec.kind} K=${blocks[0]!.basis.size}, ${solver.method} ×${solver.steps})`,
    params,
    blocks,
    solver,
    options: opts,
    inputShape: [opts.inputSize],
    outputShape: [opts.outputSize ?? opts.width],
    parameterCount: countParams(params),
    apply(p, x, o?: ApplyOptions) {
      checkApplyOptions(who, o);
      checkInput(who, x, [opts.inputSize]);
      if (p?.blocks?.length !== blocks.length) throw new fg.ShapeError(`${who}: params has ${p?.blocks?.length ?? 'no'} blocks, expected ${blocks.length}`);
      checkParamTree(who, p, params);
      let h = x;
      blocks.forEach((b, i) => (h = b.apply(p.blocks[i]!, h)));
      return p.readout ? dense(p.readout, h) : h;
    },
    remanifest(s) {
      const next = checkSolver(`${who}.remanifest`, s ?? {}, solver);
      return assemble({ ...opts, method: next.method, steps: next.steps }, blocks.map((b) => b.withSolver(next)), params);
    },
    refine(p, factor = 2) {
      checkParamTree(`${who}.refine`, p, params);
      checkInt(`${who}.refine`, 'factor', factor);
      const nextBlocks: NodeModel[] = [];
      const nextParams: ContinuousNetParams = { blocks: [] };
      blocks.forEach((b, i) => {
        const bp = p.blocks[i]!;
        const W = refineCoefficients(b.basis, bp.W, factor);
        const nb = node({ width: b.width, inputSize: b.inputSize, basis: W.basis.spec, method: solver.method, steps: solver.steps, T: b.T, activation: b.activation });
        nextBlocks.push(nb);
        nextParams.blocks.push({ W: W.coeffs, ...(bp.b ? { b: refineCoefficients(b.basis, bp.b, factor).coeffs } : {}) });
      });
      if (p.readout) nextParams.readout = p.readout;
      const nextOpts = { ...opts, basis: nextBlocks[0]!.basis.spec };
      return { model: assemble(nextOpts, nextBlocks, nextParams), params: nextParams };
    },
  };
  return model;
}

export interface ConvergenceResult {
  method: FixedMethod;
  steps: number[];
  /** max |y(steps) − y(reference)| over the batch */
  errors: number[];
  referenceSteps: number;
  /** −slope of log error against log steps (least squares): the observed order */
  order: number;
}

const CONVERGENCE_KEYS = fg.optionKeys<NonNullable<Parameters<typeof convergence>[3]>>({ method: true, steps: true, referenceSteps: true });

/**
 * The convergence test: the model run at each step count (default 1, 2, 4, …, 64) against a
 * fine solve (default 16× the largest count). A net that learned a continuous dynamics shows
 * its integrator's order; one that learned only a discrete map does not.
 */
export async function convergence(model: ContinuousNetModel, params: ContinuousNetParams, x: fg.Tensor, opts: { method?: FixedMethod; steps?: number[]; referenceSteps?: number } = {}): Promise<ConvergenceResult> {
  checkShaped('convergence', 'model', model, ['remanifest', 'solver', 'blocks'], 'a model from fg.models.continuousNet(…)');
  checkParamTree('convergence', params, model.params);
  checkInput('convergence', x, model.inputShape);
  opts = fg.checkOptions('convergence', opts, CONVERGENCE_KEYS) as typeof opts;
  const method = opts.method ?? model.solver.method;
  const steps = opts.steps ?? [1, 2, 4, 8, 16, 32, 64];
  steps.forEach((s, i) => checkInt('convergence', `steps[${i}]`, s));
  const refSteps = checkInt('convergence', 'referenceSteps', opts.referenceSteps ?? 16 * Math.max(...steps));
  const ref = await model.remanifest({ method, steps: refSteps }).apply(params, x).data();
  const errors: number[] = [];
  for (const s of steps) {
    const y = await model.remanifest({ method, steps: s }).apply(params, x).data();
    let e = 0;
    for (let i = 0; i < y.length; i++) e = Math.max(e, Math.abs(y[i]! - ref[i]!));
    errors.push(e);
  }
  return { method, steps, errors, referenceSteps: refSteps, order: -logSlope(steps, errors) };
}
