// Junk arguments to every public function: each throw is a FlowgradError whose message names
// the public function called, never a raw TypeError from inside. Generated from one table: for
// each function a call with good arguments, and for each argument position every junk value.
import { beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';

const m = fg.models;
const T = (shape: number[], v = 0.5) => fg.full(shape, v);
const v3 = () => T([3]);
const m23 = () => T([2, 3]);
const sq = () => fg.tensor([[2, 1], [1, 3]]);
const img = () => T([1, 1, 4, 4]);
const k33 = () => T([1, 1, 3, 3]);
const ids = () => fg.tensor([0, 1, 0]);

/** the values that stand in for each argument in turn */
const JUNK: [string, () => unknown][] = [
  ['undefined', () => undefined],
  ['null', () => null],
  ['a string', () => 'x'],
  ['a number', () => 7],
  ['NaN', () => NaN],
  ['{}', () => ({})],
  ['a [2, 3, 5] tensor', () => T([2, 3, 5])],
];

interface Entry {
  /** the name the error must carry (the public function the user called) */
  name: string;
  call: (...args: any[]) => unknown;
  args: () => unknown[];
  /** argument positions where undefined is a valid default that is slow to compute */
  slowDefault?: number[];
}
const e = (name: string, call: (...args: any[]) => unknown, args: () => unknown[], slowDefault?: number[]): Entry => ({ name, call, args, slowDefault });

let mlp: ReturnType<typeof m.mlp>;
let resnet: ReturnType<typeof m.resnet>;
let node: ReturnType<typeof m.node>;
let ham: ReturnType<typeof m.hamiltonian>;
let rnn: ReturnType<typeof m.elman>;
let cnet: ReturnType<typeof m.continuousNet>;
let nknModel: ReturnType<typeof m.nkn>;
let graph: ReturnType<typeof m.radiusGraph>;
let ds: ReturnType<typeof m.data.moons>;
let darcy: ReturnType<typeof m.data.darcy1d>;
let sde: ReturnType<typeof m.neuralSde>;
let ae: ReturnType<typeof m.lyapunovAutoencoder>;
/** a safetensors file and a training checkpoint, for the readers and for resume */
let file: Uint8Array;
let checkpoint: Uint8Array;

beforeAll(async () => {
  await fg.init({ backend: 'cpu' });
  mlp = m.mlp({ sizes: [2, 3, 2] });
  resnet = m.resnet({ width: 2, layers: 2 });
  node = m.node({ width: 2, steps: 2 });
  ham = m.hamiltonian({ width: 1, layers: 2 });
  rnn = m.elman({ inputSize: 1, hiddenSize: 2, seqLength: 3 });
  cnet = m.continuousNet({ inputSize: 2, width: 2, steps: 2 });
  nknModel = m.nkn({ dim: 1, width: 2, hidden: 4 });
  graph = m.radiusGraph(m.gridPoints(3, 1), 1, 0.6);
  ds = m.data.moons({ n: 12 });
  darcy = m.data.darcy1d({ samples: 2, fine: 9, resolutions: [5] });
  sde = m.neuralSde({ dim: 2, hidden: 3 });
  ae = m.lyapunovAutoencoder({ observed: 3, latent: 2, hidden: 4 });
  file = await fg.io.saveSafetensors({ a: fg.ones([2]) });
  await m.train({ model: mlp, data: ds, epochs: 1, batchSize: 12, checkpoint: { every: 1, save: (b) => void (checkpoint = b) } });
});

const unary = ['neg', 'square', 'sqrt', 'exp', 'log', 'tanh', 'sigmoid', 'heaviside', 'relu', 'sign', 'abs', 'sin', 'cos', 'softplus', 'gelu', 'silu', 'stopGradient', 'mT'] as const;
const binary = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum'] as const;
const reductions = ['sum', 'mean', 'max', 'min', 'argmax', 'argmin', 'norm', 'logSumExp'] as const;

const fns = (): Entry[] => [
  // creation and memory
  e('tensor', fg.tensor, () => [[1, 2], [2]]),
  e('zeros', fg.zeros, () => [[2]]),
  e('ones', fg.ones, () => [[2]]),
  e('full', fg.full, () => [[2], 1]),
  e('eye', fg.eye, () => [2, 3]),
  e('arange', fg.arange, () => [0, 3, 1]),
  e('randn', fg.randn, () => [[2], { seed: 1 }]),
  e('rand', fg.rand, () => [[2], { seed: 1 }]),
  e('tidy', fg.tidy, () => [() => fg.ones([1])]),
  e('keep', fg.keep, () => [fg.ones([1])]),
  e('memory', fg.memory, () => [{ peak: true }]),
  e('jit', fg.jit, () => [(x: fg.Tensor) => x]),
  // ops
  ...unary.map((n) => e(n, fg[n] as (...a: any[]) => unknown, () => [n === 'mT' ? m23() : v3()])),
  ...binary.map((n) => e(n, fg[n] as (...a: any[]) => unknown, () => [v3(), v3()])),
  ...reductions.map((n) => e(n, fg[n] as (...a: any[]) => unknown, () => [m23(), 1])),
  e('leakyRelu', fg.leakyRelu, () => [v3(), 0.1]),
  e('elu', fg.elu, () => [v3(), 1]),
  e('clip', fg.clip, () => [v3(), 0, 1]),
  e('powScalar', fg.powScalar, () => [v3(), 2]),
  e('where', fg.where, () => [T([3], 1), v3(), v3()]),
  e('softmax', fg.softmax, () => [m23(), -1]),
  e('logSoftmax', fg.logSoftmax, () => [m23(), -1]),
  e('crossEntropy', fg.crossEntropy, () => [m23(), [0, 2]]),
  e('mseLoss', fg.mseLoss, () => [v3(), v3()]),
  e('matmul', fg.matmul, () => [m23(), T([3, 2]), {}]),
  e('linear', fg.linear, () => [T([1, 2]), T([2, 2]), T([2]), { activation: 'relu' }]),
  e('reshape', fg.reshape, () => [m23(), [3, 2]]),
  e('transpose', fg.transpose, () => [m23(), [1, 0]]),
  e('broadcastTo', fg.broadcastTo, () => [v3(), [2, 3]]),
  e('slice', fg.slice, () => [m23(), [0], [1], [0]]),
  e('pad', fg.pad, () => [v3(), [[1, 1]], 0]),
  e('concat', fg.concat, () => [[v3(), v3()], 0]),
  e('stack', fg.stack, () => [[v3(), v3()], 0]),
  e('gather', fg.gather, () => [v3(), [0, 2], 0]),
  e('scatterAdd', fg.scatterAdd, () => [v3(), ids(), 2, 0]),
  e('segmentSum', fg.segmentSum, () => [v3(), ids(), 2]),
  e('segmentMean', fg.segmentMean, () => [v3(), ids(), 2]),
  e('oneHot', fg.oneHot, () => [ids(), 3]),
  e('conv2d', fg.conv2d, () => [img(), k33(), { padding: 1 }]),
  e('conv2dInputGrad', fg.conv2dInputGrad, () => [T([1, 1, 2, 2]), k33(), { inputSize: [4, 4] }]),
  e('conv2dWeightGrad', fg.conv2dWeightGrad, () => [img(), T([1, 1, 2, 2]), { kernelSize: [3, 3] }]),
  e('convTranspose2d', fg.convTranspose2d, () => [img(), k33(), { stride: 2 }]),
  e('maxPool2d', fg.maxPool2d, () => [img(), { kernel: 2 }]),
  e('avgPool2d', fg.avgPool2d, () => [img(), { kernel: 2 }]),
  e('nknApply', fg.nknApply, () => [T([2, 4]), T([2, 2]), { scale: 1 }]),
  e('nknOuter', fg.nknOuter, () => [T([2, 2]), T([2, 2]), { scale: 1 }]),
  e('edgeIndex', fg.edgeIndex, () => [2, [0, 1], [1, 0]]),
  e('edgeIndexValues', fg.edgeIndexValues, () => [2, [0, 1], [1, 0]]),
  e('nknEdge', fg.nknEdge, () => [T([2, 2]), T([2, 2, 2]), fg.edgeIndex(2, [0, 1], [1, 0])]),
  // transforms and checks
  e('grad', (f, o, x) => fg.grad(f, o)(x), () => [(x: fg.Tensor) => fg.sum(x), {}, v3()]),
  e('valueAndGrad', (f, o, x) => fg.valueAndGrad(f, o)(x), () => [(x: fg.Tensor) => fg.sum(x), {}, v3()]),
  e('vjp', (f, x, ct) => fg.vjp(f, x)[1](ct), () => [(x: fg.Tensor) => fg.mul(x, 2), v3(), v3()]),
  e('jvp', fg.jvp, () => [(x: fg.Tensor) => fg.mul(x, 2), [v3()], [v3()]]),
  e('jacfwd', (f, x) => fg.jacfwd(f)(x), () => [(x: fg.Tensor) => fg.mul(x, 2), v3()]),
  e('jacrev', (f, x) => fg.jacrev(f)(x), () => [(x: fg.Tensor) => fg.mul(x, 2), v3()]),
  e('hvp', fg.hvp, () => [(x: fg.Tensor) => fg.sum(fg.square(x)), v3(), v3()]),
  e('customVjp', (n, f, b, o) => fg.customVjp(n, f, b, o), () => ['twice', (x: fg.Tensor) => fg.mul(x, 2), (_: fg.Tensor[], __: fg.Tensor, g: fg.Tensor) => [fg.mul(g, 2)], {}]),
  e('gradcheck', fg.gradcheck, () => [(x: fg.Tensor) => fg.sum(fg.square(x)), [v3()], { maxElements: 2 }]),
  e('odeint', fg.odeint, () => [(_t: number, y: fg.Tensor) => fg.neg(y), v3(), [0, 1], { method: 'euler', steps: 2 }]),
  ...(['backwardEuler', 'trapezoid', 'rosenbrock23'] as const).map((method) => e('odeint', fg.odeint, () => [(_t: number, y: fg.Tensor) => fg.neg(y), v3(), [0, 1], method === 'rosenbrock23' ? { method } : { method, steps: 2 }])),
  e('odeintGrid', fg.odeintGrid, () => [(_t: number, y: fg.Tensor) => fg.neg(y), v3(), [0, 1], { method: 'euler', steps: 2 }]),
  // linalg
  e('eig', fg.linalg.eig, () => [sq(), { left: true }]),
  e('eigvals', fg.linalg.eigvals, () => [sq(), {}]),
  e('eigh', fg.linalg.eigh, () => [sq(), {}]),
  e('svd', fg.linalg.svd, () => [sq()]),
  e('svdvals', fg.linalg.svdvals, () => [sq()]),
  e('eigvalsAbs', fg.linalg.eigvalsAbs, () => [sq(), {}]),
  e('spectralRadius', fg.linalg.spectralRadius, () => [sq(), {}]),
  e('stiffness', fg.linalg.stiffness, () => [sq(), {}]),
  e('solveDiscreteLyapunov', fg.linalg.solveDiscreteLyapunov, () => [fg.mul(sq(), 0.1), fg.eye(2)]),
  // optimizers
  e('optim.sgd', fg.optim.sgd, () => [[v3()], { lr: 0.1 }]),
  e('optim.momentum', fg.optim.momentum, () => [[v3()], { lr: 0.1 }]),
  e('optim.nesterov', fg.optim.nesterov, () => [[v3()], { lr: 0.1 }]),
  e('optim.adam', fg.optim.adam, () => [[v3()], { lr: 0.1 }]),
  e('optim.adamw', fg.optim.adamw, () => [[v3()], { lr: 0.1 }]),
  e('optim.sgd', (p, g) => fg.optim.sgd([v3()], { lr: 0.1 }).step(p, g), () => [[v3()], [v3()]]),
  e('optim.globalNorm', fg.optim.globalNorm, () => [[v3()]]),
  e('optim.clipByGlobalNorm', fg.optim.clipByGlobalNorm, () => [[v3()], 1]),
  e('mulAdd', fg.optim.mulAdd, () => [v3(), 2, v3()]),
  e('optim.schedules.stepDecay', fg.optim.schedules.stepDecay, () => [{ lr: 1, every: 2 }]),
  e('optim.schedules.cosine', fg.optim.schedules.cosine, () => [{ lr: 1, steps: 4 }]),
  // solvers added later
  e('sdeint', fg.sdeint, () => [(_t: number, y: fg.Tensor) => fg.neg(y), (_t: number, y: fg.Tensor) => fg.mul(y, 0.1), v3(), [0, 1], { dt: 0.5 }]),
  e('solve', fg.linalg.solve, () => [sq(), T([2])]),
  e('inv', fg.linalg.inv, () => [sq()]),
  e('lu', fg.linalg.lu, () => [sq()]),
  e('slogdet', fg.linalg.slogdet, () => [sq()]),
  e('cholesky', fg.linalg.cholesky, () => [sq(), { symmetrize: true }]),
  e('solveTriangular', fg.linalg.solveTriangular, () => [sq(), T([2]), { lower: true }]),
  // files (a path would write a file: the path argument is left out here)
  e('saveSafetensors', (tree, o) => fg.io.saveSafetensors(tree, undefined, o), () => [{ a: v3(), n: 1 }, { dtype: 'F64' }]),
  e('loadSafetensors', fg.io.loadSafetensors, () => [file]),
  e('readSafetensors', fg.io.readSafetensors, () => [file]),
  e('toBlob', fg.io.toBlob, () => [file, 'application/octet-stream']),
  // trees
  e('tree.map', fg.tree.map, () => [{ a: v3() }, (t: fg.Tensor) => fg.neg(t)]),
  e('tree.leaves', fg.tree.leaves, () => [{ a: v3() }]),
  e('tree.leavesWithPaths', fg.tree.leavesWithPaths, () => [{ a: v3() }]),
  e('tree.flatten', fg.tree.flatten, () => [{ a: v3() }]),
  e('tree.unflatten', fg.tree.unflatten, () => [fg.tree.flatten({ a: v3() })[1], [v3()]]),
  e('tree.zipWith', fg.tree.zipWith, () => [[{ a: v3() }, { a: v3() }], (a: fg.Tensor, b: fg.Tensor) => fg.add(a, b)]),
  // analyses
  e('lyapunovSpectrum', fg.analysis.lyapunovSpectrum, () => [(_t: number, y: fg.Tensor) => fg.neg(y), T([2]), { T: 0.2, dt: 0.1 }]),
  e('jacobianConditioning', fg.analysis.jacobianConditioning, () => [(x: fg.Tensor) => fg.mul(x, 2), T([2, 2])]),
  e('kernelStiffness', fg.analysis.kernelStiffness, () => [sq(), fg.analysis.kernelParticles({ size: 2 }).refresh(sq()), {}]),
  e('kernelParticles', fg.analysis.kernelParticles, () => [{ size: 2 }]),
  e('kernelParticles.refresh', (W) => fg.analysis.kernelParticles({ size: 2 }).refresh(W), () => [sq()]),
  e('activeTimeScale', fg.analysis.activeTimeScale, () => [T([3, 2]), { dt: 0.1 }]),
];

const modelFns = (): Entry[] => [
  // constructors
  e('mlp', m.mlp, () => [{ sizes: [2, 2] }]),
  e('resnet', m.resnet, () => [{ width: 2, layers: 2 }]),
  e('node', m.node, () => [{ width: 2 }]),
  e('hamiltonian', m.hamiltonian, () => [{ width: 1, layers: 2 }]),
  e('elman', m.elman, () => [{ inputSize: 1, hiddenSize: 2 }]),
  e('continuousNet', m.continuousNet, () => [{ inputSize: 2, width: 2 }]),
  e('nkn', m.nkn, () => [{ dim: 1, width: 2, hidden: 4 }]),
  e('gnnBaseline', m.gnnBaseline, () => [{ dim: 1, width: 2, hidden: 4 }]),
  e('denseParams', m.denseParams, () => [2, 2, { seed: 0 }]),
  e('dense', m.dense, () => [m.denseParams(2, 2, { seed: 0 }), T([1, 2]), 'tanh']),
  // models' methods
  e('mlp', (p, x, o) => mlp.apply(p, x, o), () => [mlp.params, T([1, 2]), {}]),
  e('resnet', (p, x, o) => resnet.apply(p, x, o), () => [resnet.params, T([1, 2]), {}]),
  e('resnet', (p, n) => resnet.layerWeights(p, n), () => [resnet.params, 1]),
  e('resnet', (p, x) => resnet.states(p, x), () => [resnet.params, T([1, 2])]),
  e('node', (p, x, o) => node.apply(p, x, o), () => [node.params, T([1, 2]), {}]),
  e('node', (p, x, o) => node.trajectory(p, x, o), () => [node.params, T([1, 2]), { times: [0, 0.5, 1] }]),
  e('node', (t, x, p) => node.rhs(t, x, p), () => [0.5, T([1, 2]), node.params]),
  e('node', (s) => node.withSolver(s), () => [{ steps: 3 }]),
  e('hamiltonian', (p, x, o) => ham.apply(p, x, o), () => [ham.params, T([1, 2]), {}]),
  e('hamiltonian', (p, s) => ham.forward(p, s), () => [ham.params, T([1, 2])]),
  e('hamiltonian', (p, s) => ham.inverse(p, s), () => [ham.params, T([1, 2])]),
  e('elman', (p, x, o) => rnn.apply(p, x, o), () => [rnn.params, T([1, 3, 1]), {}]),
  e('elman', (p, x, h) => rnn.states(p, x, h), () => [rnn.params, T([1, 3, 1]), T([1, 2])]),
  e('elman', (p) => rnn.recurrent(p), () => [rnn.params]),
  e('continuousNet', (p, x, o) => cnet.apply(p, x, o), () => [cnet.params, T([1, 2]), {}]),
  e('continuousNet', (s) => cnet.remanifest(s), () => [{ steps: 3 }]),
  e('continuousNet', (p, f) => cnet.refine(p, f), () => [cnet.params, 2]),
  e('nkn', (p, x) => nknModel.kernels(p, x), () => [nknModel.params, m.nknInput(graph, [1, 1, 1])]),
  e('nkn', (p, x, l) => nknModel.apply(p, x, l), () => [nknModel.params, m.nknInput(graph, [1, 1, 1]), 1]),
  e('nkn', (p, h, K, g, tau) => nknModel.layer(p, h, K, g, tau), () => [nknModel.params, T([3, 2]), T([graph.index.E, 2, 2]), graph, 0.5]),
  // helpers
  e('resnetFromNode', m.resnetFromNode, () => [node, 2]),
  e('augment', m.augment, () => [T([1, 1]), 1, 2]),
  e('layerStack', m.layerStack, () => [resnet, resnet.params]),
  e('stiffnessPenalty', m.stiffnessPenalty, () => [[sq()], { measure: 'singular' }]),
  e('layerStiffness', m.layerStiffness, () => [[sq()]]),
  e('elmanStateJacobians', m.elmanStateJacobians, () => [rnn, rnn.params, T([1, 3, 1]), {}]),
  e('elmanGradientReport', m.elmanGradientReport, () => [rnn, rnn.params, T([1, 3, 1]), {}]),
  e('convergence', m.convergence, () => [cnet, cnet.params, T([1, 2]), { steps: [1, 2], referenceSteps: 4 }]),
  e('activationFn', m.activationFn, () => ['relu', 'activationFn']),
  e('dropout', m.dropout, () => [v3(), 0.5, { train: true, seed: 1 }]),
  e('l1', m.l1, () => [[v3()], {}]),
  e('l2', m.l2, () => [[v3()], {}]),
  e('mse', m.mse, () => [v3(), v3()]),
  // models.softmaxCrossEntropy is fg.crossEntropy itself, so its errors name crossEntropy
  e('crossEntropy', m.softmaxCrossEntropy, () => [m23(), fg.tensor([[1, 0, 0], [0, 1, 0]])]),
  e('accuracy', m.accuracy, () => [m23(), fg.tensor([0, 1])]),
  e('constrain', m.constrain, () => [sq(), { kind: 'antisymmetric' }]),
  e('depthBasis', m.depthBasis, () => [{ kind: 'piecewiseLinear', intervals: 2 }, 1]),
  e('depthCoefficients', m.depthCoefficients, () => [m.depthBasis({ kind: 'linear' }), [2, 2], 'glorotUniform', 0, 1]),
  e('evalDepth', m.evalDepth, () => [m.depthBasis({ kind: 'linear' }), T([2, 2, 2]), 0.5]),
  e('refineBasis', m.refineBasis, () => [m.depthBasis({ kind: 'piecewiseConstant', intervals: 2 }), 2]),
  e('refineCoefficients', m.refineCoefficients, () => [m.depthBasis({ kind: 'piecewiseConstant', intervals: 2 }), T([2, 2]), 2]),
  e('leaves', m.leaves, () => [{ a: v3() }]),
  e('mapTree', m.mapTree, () => [{ a: v3() }, (t: fg.Tensor) => fg.neg(t)]),
  e('countParams', m.countParams, () => [{ a: v3() }]),
  e('disposeTree', m.disposeTree, () => [{ a: v3() }]),
  e('subSeed', m.subSeed, () => [1, 2]),
  e('Rng', (s) => new m.Rng(s), () => [1]),
  e('radiusGraph', m.radiusGraph, () => [[0, 0.5, 1], 1, 0.6]),
  e('gridPoints', m.gridPoints, () => [3, 1]),
  e('edgeFeatures', m.edgeFeatures, () => [graph, [1, 2, 3]]),
  e('replicateGraph', m.replicateGraph, () => [graph, 2]),
  e('nknInput', m.nknInput, () => [graph, [1, 1, 1]]),
  e('nknEdgeComposed', m.nknEdgeComposed, () => [T([3, 2]), T([graph.index.E, 2, 2]), graph]),
  e('diffusionMatrix', m.diffusionMatrix, () => [T([graph.index.E, 1, 1]), graph, { tau: 0.5 }]),
  e('fitNkn', m.fitNkn, () => [nknModel, nknModel.params, m.nknInput(graph, [1, 1, 1]), T([3]), { layers: 1, steps: 1 }]),
  e('relativeL2', m.relativeL2, () => [T([3]), [1, 1, 1], 1]),
  e('withoutKernel', m.withoutKernel, () => [nknModel.params]),
  e('darcyBatch', m.darcyBatch, () => [darcy[0], { dim: 1, radius: 0.5 }, 1, 0]),
  e('darcyTestError', m.darcyTestError, () => [darcy[0], { dim: 1, radius: 0.5, first: 0, count: 1, scale: 1 }, () => T([5])]),
  e('meanSolutionError', m.meanSolutionError, () => [darcy[0], 1, 1, 1]),
  e('lineSlope', m.lineSlope, () => [[1, 2, 3], [2, 4, 6]]),
  e('logSlope', m.logSlope, () => [[1, 2, 4], [1, 4, 16]]),
  e('train', m.train, () => [{ model: mlp, data: ds, epochs: 1, batchSize: 12 }]),
  e('train', (ck) => m.train({ model: mlp, data: ds, epochs: 1, batchSize: 12, checkpoint: ck }), () => [{ every: 1, save: () => {} }]),
  e('train', (r) => m.train({ model: mlp, data: ds, epochs: 2, batchSize: 12, resume: r }), () => [checkpoint]),
  // stochastic and Lyapunov models
  e('stochasticOscillator', m.stochasticOscillator, () => [{ paths: 2, ts: [0, 0.1], dt: 0.05 }]),
  e('neuralSde', m.neuralSde, () => [{ dim: 2, hidden: 3 }]),
  e('pathMoments', m.pathMoments, () => [T([2, 3, 2])]),
  e('fitNeuralSde', m.fitNeuralSde, () => [sde, T([2, 3, 2]), [0, 0.1], { steps: 1, lr: 0.01, paths: 2, dt: 0.05 }]),
  e('sampleNeuralSde', m.sampleNeuralSde, () => [sde, sde.params, [0, 0], [0, 0.1], { paths: 2, dt: 0.05, seed: 1 }]),
  e('fitLinearNode', m.fitLinearNode, () => [T([2, 1, 2]), [0, 0.1], { method: 'dopri5', steps: 1, lr: 0.01, rtol: 1e-3, atol: 1e-6, maxSteps: 100 }]),
  e('lyapunovPrior', m.lyapunovPrior, () => [fg.mul(sq(), 0.2), { gamma: 1 }]),
  e('lyapunovAutoencoder', m.lyapunovAutoencoder, () => [{ observed: 3, latent: 2, hidden: 4 }]),
  e('lyapunovAutoencoder', (p, y) => ae.encode(p, y), () => [ae.params, T([2, 3])]),
  e('lyapunovAutoencoder', (p, z) => ae.decode(p, z), () => [ae.params, T([2, 2])]),
  e('lyapunovAutoencoder', (p, z) => ae.step(p, z), () => [ae.params, T([2, 2])]),
  e('lyapunovAutoencoder', (p, y, n) => ae.predict(p, y, n), () => [ae.params, T([2, 3]), 2]),
  e('lyapunovAutoencoder', (p, a, b, c, w) => ae.loss(p, a, b, c, w), () => [ae.params, T([2, 3]), T([2, 3]), T([2, 3]), { kappa: 1 }]),
  e('fitLyapunovAutoencoder', m.fitLyapunovAutoencoder, () => [ae, T([1, 3, 3]), { steps: 1 }]),
  e('advectionDiffusion', m.data.advectionDiffusion, () => [{ grid: 8, samples: 1, snapshots: 2, observed: 4 }]),
  e('evaluate', m.evaluate, () => [mlp, mlp.params, ds, {}]),
  e('checkFit', m.checkFit, () => [mlp, ds]),
  e('formatLine', m.formatLine, () => [{ epoch: 1, epochs: 2, batch: 1, batches: 2, step: 1, loss: 1, stepsPerSecond: 5 }]),
  e('formatBar', m.formatBar, () => [{ epoch: 1, epochs: 2, batch: 1, batches: 2, step: 1, loss: 1, stepsPerSecond: 5 }, 10]),
  // initializers
  ...(['glorotUniform', 'glorotNormal', 'heUniform', 'heNormal', 'orthogonal'] as const).map((k) => e(`init.${k}`, m.init[k], () => [[2, 2], { seed: 1 }])),
  e('init', m.init.initTensor, () => ['heNormal', [2, 2], 1, 1]),
  e('init', m.init.initValues, () => ['heNormal', [2, 2], 1, 1]),
  e('init', m.init.fans, () => [[2, 3]]),
  // data sets
  e('makeDataset', m.data.makeDataset, () => [{ name: 'd', task: 'regression', n: 1, x: Float64Array.of(1), xShape: [1], y: Float64Array.of(1), yShape: [1] }]),
  e('subset', m.data.subset, () => [ds, [0, 1]]),
  e('split', m.data.split, () => [ds, { seed: 1 }]),
  e('batches', (d, o) => [...m.data.batches(d, o)], () => [ds, { batchSize: 4 }]),
  e('batchOf', m.data.batchOf, () => [ds, Int32Array.of(0, 1)]),
  e('oneHot', m.data.oneHot, () => [[0, 1], 2]),
  e('checkFinite', m.data.checkFinite, () => [ds]),
  e('cubic', m.data.cubic, () => [{ n: 4 }]),
  e('square', m.data.square, () => [{ n: 4 }]),
  e('quadratic', m.data.quadratic, () => [{ n: 4 }]),
  e('spirals', m.data.spirals, () => [{ n: 4 }]),
  e('moons', m.data.moons, () => [{ n: 4 }]),
  e('shapes', m.data.shapes, () => [{ n: 2, size: 8 }], [0]),
  e('dampedOscillator', m.data.dampedOscillator, () => [{ n: 2, steps: 2 }], [0]),
  e('pendulum', m.data.pendulum, () => [{ n: 2, steps: 2 }], [0]),
  e('rk4', m.data.rk4, () => [(_t: number, y: number[]) => y.map((v) => -v), [1], 0.1, 2]),
  e('darcy1d', m.data.darcy1d, () => [{ samples: 1, fine: 9, resolutions: [5] }], [0]),
  e('darcy2d', m.data.darcy2d, () => [{ samples: 1, resolutions: [5] }], [0]),
  e('solveDarcy1d', m.data.solveDarcy1d, () => [() => 1, () => 1, 5]),
  e('solveDarcy2d', m.data.solveDarcy2d, () => [() => 1, () => 1, 5]),
  e('thomas', m.data.thomas, () => [Float64Array.of(0, 1), Float64Array.of(2, 2), Float64Array.of(1, 0), Float64Array.of(1, 1)]),
];

interface Case {
  entry: Entry;
  position: number;
  junk: string;
  value: () => unknown;
}

function casesOf(entries: Entry[]): Case[] {
  const out: Case[] = [];
  for (const entry of entries) {
    const n = entry.args().length;
    for (let position = 0; position < n; position++) {
      for (const [junk, value] of JUNK) {
        if (junk === 'undefined' && entry.slowDefault?.includes(position)) continue;
        out.push({ entry, position, junk, value });
      }
    }
  }
  return out;
}

/** Runs one case; returns what went wrong, or null. */
async function check({ entry, position, value }: Case): Promise<string | null> {
  const args = entry.args();
  args[position] = value();
  try {
    const r = entry.call(...args);
    if (r instanceof Promise) await r;
    return null;
  } catch (err) {
    if (!(err instanceof fg.FlowgradError)) return `${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`;
    if (!err.message.includes(entry.name)) return `${err.name} not naming ${entry.name}: ${err.message}`;
    return null;
  }
}

async function runAll(entries: Entry[]): Promise<{ count: number; failures: string[] }> {
  const failures: string[] = [];
  // good arguments run: the table is right, so each junk value is the only thing wrong
  for (const entry of entries) {
    try {
      const r = entry.call(...entry.args());
      if (r instanceof Promise) await r;
    } catch (err) {
      failures.push(`${entry.name} with good arguments: ${(err as Error).message}`);
    }
  }
  const cases = casesOf(entries);
  for (const c of cases) {
    const bad = await check(c);
    if (bad) failures.push(`${c.entry.name} (argument ${c.position} = ${c.junk}): ${bad}`);
  }
  return { count: cases.length, failures };
}

describe('junk arguments give FlowgradErrors that name the public function', () => {
  it('the engine, ops, transforms, linalg and optimizers', async () => {
    const { count, failures } = await runAll(fns());
    console.log(`bad arguments: ${count} cases over ${fns().length} calls of fg, fg.linalg, fg.optim`);
    expect(failures).toEqual([]);
  });

  it('fg.models: constructors, model methods, helpers, initializers and data sets', async () => {
    const { count, failures } = await runAll(modelFns());
    console.log(`bad arguments: ${count} cases over ${modelFns().length} calls of fg.models`);
    expect(failures).toEqual([]);
  });
});
