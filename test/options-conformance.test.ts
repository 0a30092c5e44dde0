// Every public function that takes an options object rejects a misspelled key with an
// ArgumentError that names the function, the key and the keys it knows (engine/options.ts).
import { beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';

const m = fg.models;
const x4 = () => fg.zeros([1, 1, 4, 4]);
const w33 = () => fg.zeros([1, 1, 3, 3]);
const sq = () => fg.eye(3);
const f = (t: number, y: fg.Tensor) => fg.neg(y);

let mlp: ReturnType<typeof m.mlp>;
let resnet: ReturnType<typeof m.resnet>;
let node: ReturnType<typeof m.node>;
let ham: ReturnType<typeof m.hamiltonian>;
let rnn: ReturnType<typeof m.elman>;
let cnet: ReturnType<typeof m.continuousNet>;
let ds: ReturnType<typeof m.data.moons>;
let nknModel: ReturnType<typeof m.nkn>;
let graph: ReturnType<typeof m.radiusGraph>;
let darcy: ReturnType<typeof m.data.darcy1d>;
let sde: ReturnType<typeof m.neuralSde>;
let ae: ReturnType<typeof m.lyapunovAutoencoder>;

beforeAll(async () => {
  await fg.init({ backend: 'cpu' });
  mlp = m.mlp({ sizes: [2, 3, 2] });
  resnet = m.resnet({ width: 2, layers: 2 });
  node = m.node({ width: 2, steps: 2 });
  ham = m.hamiltonian({ width: 1, layers: 2 });
  rnn = m.elman({ inputSize: 1, hiddenSize: 2, seqLength: 3 });
  cnet = m.continuousNet({ inputSize: 2, width: 2, steps: 2 });
  ds = m.data.moons({ n: 20 });
  nknModel = m.nkn({ dim: 1, width: 2, hidden: 4 });
  graph = m.radiusGraph(m.gridPoints(3, 1), 1, 0.6);
  darcy = m.data.darcy1d({ samples: 2, fine: 9, resolutions: [5] });
  sde = m.neuralSde({ dim: 2, hidden: 3 });
  ae = m.lyapunovAutoencoder({ observed: 3, latent: 2, hidden: 4 });
});

/** [the name the error must carry, the misspelled key, a call that passes it] */
const cases: [string, string, () => unknown][] = [
  // engine
  ['init', 'backnd', () => fg.init({ backnd: 'cpu' } as never)],
  ['memory', 'peek', () => fg.memory({ peek: true } as never)],
  ['randn', 'sed', () => fg.randn([2], { sed: 1 } as never)],
  ['rand', 'hi', () => fg.rand([2], { hi: 2 } as never)],
  // transforms and checks
  ['grad', 'argnum', () => fg.grad((a: fg.Tensor) => fg.sum(a), { argnum: 1 } as never)],
  ['vmap', 'inAxis', () => fg.vmap((a: fg.Tensor) => a, { inAxis: 0 } as never)],
  ['jit', 'donated', () => fg.jit((a: fg.Tensor) => a, { donated: [0] } as never)],
  ['valueAndGrad', 'argnum', () => fg.valueAndGrad((a: fg.Tensor) => fg.sum(a), { argnum: 1 } as never)],
  ['customVjp (twice)', 'batch', () => fg.customVjp('twice', (a: fg.Tensor) => fg.mul(a, 2), (_i, _o, g) => [fg.mul(g, 2)], { batch: true } as never)],
  ['gradcheck', 'tol', () => fg.gradcheck((a) => fg.sum(a), [fg.ones([2])], { tol: 1 } as never)],
  ['odeint', 'step', () => fg.odeint(f, fg.ones([2]), [0, 1], { method: 'rk4', step: 2 } as never)],
  ['odeintGrid', 'rtoll', () => fg.odeintGrid(f, fg.ones([2]), [0, 1], { rtoll: 1e-3 } as never)],
  // ops
  ['matmul', 'transposeA', () => fg.matmul(sq(), sq(), { transposeA: true } as never)],
  ['linear', 'activaton', () => fg.linear(fg.ones([1, 2]), fg.ones([2, 2]), fg.zeros([2]), { activaton: 'relu' } as never)],
  ['conv2d', 'strides', () => fg.conv2d(x4(), w33(), { strides: 2 } as never)],
  ['conv2dInputGrad', 'inputsize', () => fg.conv2dInputGrad(fg.zeros([1, 1, 2, 2]), w33(), { inputsize: [4, 4] } as never)],
  ['conv2dWeightGrad', 'kernel', () => fg.conv2dWeightGrad(x4(), fg.zeros([1, 1, 2, 2]), { kernel: [3, 3] } as never)],
  ['convTranspose2d', 'outputpadding', () => fg.convTranspose2d(x4(), w33(), { stride: 2, outputpadding: 1 } as never)],
  ['maxPool2d', 'kernelSize', () => fg.maxPool2d(x4(), { kernel: 2, kernelSize: 2 } as never)],
  ['avgPool2d', 'countIncludePadding', () => fg.avgPool2d(x4(), { kernel: 2, countIncludePadding: false } as never)],
  ['nknApply', 'transposed', () => fg.nknApply(fg.zeros([2, 4]), fg.zeros([2, 2]), { transposed: true } as never)],
  ['nknOuter', 'scal', () => fg.nknOuter(fg.zeros([2, 2]), fg.zeros([2, 2]), { scal: 2 } as never)],
  // linalg
  ['eig', 'maxIteration', () => fg.linalg.eig(sq(), { maxIteration: 5 } as never)],
  ['eigvals', 'maxIteration', () => fg.linalg.eigvals(sq(), { maxIteration: 5 } as never)],
  ['eigh', 'maxIteration', () => fg.linalg.eigh(sq(), { maxIteration: 5 } as never)],
  ['eigvalsAbs', 'maxIteration', () => fg.linalg.eigvalsAbs(sq(), { maxIteration: 5 } as never)],
  ['spectralRadius', 'maxIteration', () => fg.linalg.spectralRadius(sq(), { maxIteration: 5 } as never)],
  ['stiffness', 'maxIteration', () => fg.linalg.stiffness(sq(), { maxIteration: 5 } as never)],
  ['svd', 'maxIteration', () => (fg.linalg.svd as (...a: unknown[]) => unknown)(sq(), { maxIteration: 5 })],
  ['svdvals', 'maxIteration', () => (fg.linalg.svdvals as (...a: unknown[]) => unknown)(sq(), { maxIteration: 5 })],
  ['cholesky', 'symmetric', () => fg.linalg.cholesky(fg.eye(2), { symmetric: false } as never)],
  ['solveTriangular', 'upper', () => fg.linalg.solveTriangular(fg.eye(2), fg.ones([2]), { upper: true } as never)],
  ['sdeint', 'steps', () => fg.sdeint(f, f, fg.ones([2]), [0, 1], { dt: 0.5, steps: 2 } as never)],
  // Bayesian inference
  ['bayes.mcmc', 'warmpu', () => fg.bayes.mcmc((p: fg.Tensor) => fg.neg(fg.sum(fg.square(p))), fg.zeros([2, 1]), { warmpu: 2 } as never)],
  ['bayes.vi', 'step', () => fg.bayes.vi((p: fg.Tensor) => fg.neg(fg.sum(fg.square(p))), fg.zeros([1]), { step: 2 } as never)],
  ['bayes.ess', 'method', () => fg.bayes.ess([[1, 2, 3, 4]], { method: 'bulk' } as never)],
  ['bayes.predictive', 'levels', () => fg.bayes.predictive((_p: fg.Tensor, x: fg.Tensor) => x, fg.zeros([1, 2, 1]), fg.zeros([2, 1]), { levels: 0.5 } as never)],
  ['bayes.logPosterior', 'sigma', () => fg.bayes.logPosterior((_p: fg.Tensor, x: fg.Tensor) => x, { x: fg.zeros([2, 1]), y: fg.zeros([2, 1]) }, { sigma: 1 } as never)],
  ['solveDiscreteLyapunov', 'method', () => (fg.linalg.solveDiscreteLyapunov as (...a: unknown[]) => unknown)(fg.zeros([2, 2]), fg.eye(2), { method: 'kron' })],
  // optimizers and schedules
  ['optim.sgd', 'learningRate', () => fg.optim.sgd([fg.ones([2])], { lr: 0.1, learningRate: 1 } as never)],
  ['optim.momentum', 'mu', () => fg.optim.momentum([fg.ones([2])], { lr: 0.1, mu: 0.9 } as never)],
  ['optim.nesterov', 'mu', () => fg.optim.nesterov([fg.ones([2])], { lr: 0.1, mu: 0.9 } as never)],
  ['optim.adam', 'beta_1', () => fg.optim.adam([fg.ones([2])], { lr: 0.1, beta_1: 0.9 } as never)],
  ['optim.adamw', 'decay', () => fg.optim.adamw([fg.ones([2])], { lr: 0.1, decay: 0.1 } as never)],
  ['optim.schedules.stepDecay', 'step', () => fg.optim.schedules.stepDecay({ lr: 1, every: 2, step: 3 } as never)],
  ['optim.schedules.cosine', 'warmUp', () => fg.optim.schedules.cosine({ lr: 1, steps: 10, warmUp: 2 } as never)],
  // models: constructors, their methods, helpers
  ['mlp', 'activaton', () => m.mlp({ sizes: [2, 2], activaton: 'relu' } as never)],
  ['denseParams', 'sed', () => m.denseParams(2, 2, { seed: 0, sed: 1 } as never)],
  ['resnet', 'layer', () => m.resnet({ width: 2, layers: 2, layer: 3 } as never)],
  ['node', 'methd', () => m.node({ width: 2, methd: 'euler' } as never)],
  ['hamiltonian', 'widht', () => m.hamiltonian({ width: 2, layers: 2, widht: 3 } as never)],
  ['elman', 'hidden', () => m.elman({ inputSize: 1, hiddenSize: 2, hidden: 3 } as never)],
  ['continuousNet', 'block', () => m.continuousNet({ inputSize: 2, width: 2, block: 2 } as never)],
  ['nkn', 'widht', () => m.nkn({ dim: 1, width: 2, widht: 3 } as never)],
  ['gnnBaseline', 'hiden', () => m.gnnBaseline({ dim: 1, width: 2, hiden: 3 } as never)],
  ['mlp.apply', 'trian', () => mlp.apply(mlp.params, fg.zeros([1, 2]), { trian: true } as never)],
  ['resnet.apply', 'trian', () => resnet.apply(resnet.params, fg.zeros([1, 2]), { trian: true } as never)],
  ['node.apply', 'trian', () => node.apply(node.params, fg.zeros([1, 2]), { trian: true } as never)],
  ['hamiltonian.apply', 'trian', () => ham.apply(ham.params, fg.zeros([1, 2]), { trian: true } as never)],
  ['elman.apply', 'trian', () => rnn.apply(rnn.params, fg.zeros([1, 3, 1]), { trian: true } as never)],
  ['continuousNet.apply', 'trian', () => cnet.apply(cnet.params, fg.zeros([1, 2]), { trian: true } as never)],
  ['node.trajectory', 'time', () => node.trajectory(node.params, fg.zeros([1, 2]), { time: [0, 1] } as never)],
  ['node.withSolver', 'step', () => node.withSolver({ step: 4 } as never)],
  ['continuousNet.remanifest', 'step', () => cnet.remanifest({ step: 4 } as never)],
  ['convergence', 'reference', () => m.convergence(cnet, cnet.params, fg.zeros([1, 2]), { reference: 8 } as never)],
  ['elmanStateJacobians', 'modes', () => m.elmanStateJacobians(rnn, rnn.params, fg.zeros([1, 3, 1]), { modes: 'jacrev' } as never)],
  ['elmanGradientReport', 'norms', () => m.elmanGradientReport(rnn, rnn.params, fg.zeros([1, 3, 1]), { norms: 'spectral' } as never)],
  ['stiffnessPenalty', 'measur', () => m.stiffnessPenalty([fg.eye(2)], { measur: 'eigen' } as never)],
  ['dropout', 'training', () => m.dropout(fg.ones([2]), 0.5, { training: true } as never)],
  ['l1', 'filtr', () => m.l1([fg.ones([2])], { filtr: () => true } as never)],
  ['l2', 'filtr', () => m.l2([fg.ones([2])], { filtr: () => true } as never)],
  ['train', 'epoch', () => m.train({ model: mlp, data: ds, epoch: 2 } as never)],
  ['train: split', 'fraction', () => m.train({ model: mlp, data: ds, split: { fraction: [0.5, 0.25, 0.25] } } as never)],
  ['train: earlyStopping', 'patient', () => m.train({ model: mlp, data: ds, earlyStopping: { patient: 2 } } as never)],
  ['evaluate', 'chunks', () => m.evaluate(mlp, mlp.params, ds, { chunks: 8 } as never)],
  ['fitNkn', 'step', () => m.fitNkn(nknModel, nknModel.params, m.nknInput(graph, [1, 1, 1]), fg.zeros([3]), { layers: 1, step: 2 } as never)],
  ['diffusionMatrix', 'taus', () => m.diffusionMatrix(fg.zeros([graph.index.E, 1, 1]), graph, { taus: 1 } as never)],
  ['depthBasis (piecewiseLinear)', 'interval', () => m.depthBasis({ kind: 'piecewiseLinear', intervals: 2, interval: 3 } as never)],
  ['resnet: constraint (mixed)', 'gama', () => m.resnet({ width: 2, layers: 1, constraint: { kind: 'mixed', beta: 0.5, gama: 1 } } as never)],
  ['init.glorotUniform', 'seeds', () => m.init.glorotUniform([2, 2], { seed: 0, seeds: 1 } as never)],
  ['init.glorotNormal', 'gian', () => m.init.glorotNormal([2, 2], { seed: 0, gian: 1 } as never)],
  ['init.heUniform', 'gian', () => m.init.heUniform([2, 2], { seed: 0, gian: 1 } as never)],
  ['init.heNormal', 'gian', () => m.init.heNormal([2, 2], { seed: 0, gian: 1 } as never)],
  ['init.orthogonal', 'gian', () => m.init.orthogonal([2, 2], { seed: 0, gian: 1 } as never)],
  // data sets
  ['split', 'fraction', () => m.data.split(ds, { fraction: [0.5, 0.25, 0.25] } as never)],
  ['batches', 'batchsize', () => [...m.data.batches(ds, { batchSize: 4, batchsize: 4 } as never)]],
  ['darcy1d', 'sample', () => m.data.darcy1d({ sample: 2 } as never)],
  ['darcy2d', 'sample', () => m.data.darcy2d({ sample: 2 } as never)],
  ['spirals', 'clases', () => m.data.spirals({ clases: 3 } as never)],
  ['moons', 'nosie', () => m.data.moons({ nosie: 0.1 } as never)],
  ['shapes', 'sizes', () => m.data.shapes({ sizes: 8 } as never)],
  ['dampedOscillator', 'omgea', () => m.data.dampedOscillator({ omgea: 1 } as never)],
  ['pendulum', 'gOverl', () => m.data.pendulum({ gOverl: 1 } as never)],
  ['cubic', 'ranges', () => m.data.cubic({ ranges: 2 } as never)],
  ['square', 'ranges', () => m.data.square({ ranges: 2 } as never)],
  ['quadratic', 'dim', () => m.data.quadratic({ dim: 2 } as never)],
  ['advectionDiffusion', 'nodes', () => m.data.advectionDiffusion({ nodes: 8 } as never)],
  // files and checkpoints
  ['saveSafetensors', 'dtyp', () => fg.io.saveSafetensors({ a: fg.ones([2]) }, undefined, { dtyp: 'F32' } as never)],
  ['train: checkpoint', 'evry', () => m.train({ model: mlp, data: ds, checkpoint: { evry: 1, save: () => {} } } as never)],
  // stochastic and Lyapunov models
  ['stochasticOscillator', 'times', () => m.stochasticOscillator({ paths: 2, ts: [0, 1], times: [0, 1] } as never)],
  ['neuralSde', 'width', () => m.neuralSde({ dim: 2, hidden: 3, width: 3 } as never)],
  ['fitNeuralSde', 'step', () => m.fitNeuralSde(sde, fg.zeros([2, 2, 2]), [0, 0.1], { steps: 1, lr: 0.1, paths: 2, dt: 0.05, step: 1 } as never)],
  ['sampleNeuralSde', 'path', () => m.sampleNeuralSde(sde, sde.params, [0, 0], [0, 0.1], { paths: 2, dt: 0.05, seed: 0, path: 2 } as never)],
  ['fitLinearNode', 'maxStep', () => m.fitLinearNode(fg.zeros([2, 1, 2]), [0, 0.1], { method: 'dopri5', steps: 1, lr: 0.1, rtol: 1e-3, atol: 1e-6, maxStep: 10 } as never)],
  ['lyapunovPrior', 'gama', () => m.lyapunovPrior(fg.mul(fg.eye(2), 0.5), { gama: 1 } as never)],
  ['lyapunovAutoencoder', 'hiden', () => m.lyapunovAutoencoder({ observed: 3, latent: 2, hiden: 4 } as never)],
  ['lyapunovAutoencoder: hidden', 'encode', () => m.lyapunovAutoencoder({ observed: 3, latent: 2, hidden: { encode: 4, decoder: 4 } } as never)],
  ['lyapunovAutoencoder.loss', 'lamda', () => ae.loss(ae.params, fg.zeros([1, 3]), fg.zeros([1, 3]), fg.zeros([1, 3]), { lamda: 1 } as never)],
  ['fitLyapunovAutoencoder', 'step', () => m.fitLyapunovAutoencoder(ae, fg.zeros([1, 3, 3]), { steps: 1, step: 1 } as never)],
  // analyses
  ['lyapunovSpectrum', 'qrevery', () => fg.analysis.lyapunovSpectrum(f, fg.ones([2]), { T: 1, dt: 0.1, qrevery: 2 } as never)],
  ['kernelStiffness', 'gama', () => fg.analysis.kernelStiffness(sq(), fg.analysis.kernelParticles({ size: 2 }).refresh(sq()), { gama: 1 } as never)],
  ['kernelParticles', 'sise', () => fg.analysis.kernelParticles({ sise: 2 } as never)],
  ['activeTimeScale', 'step', () => fg.analysis.activeTimeScale(fg.ones([3, 2]), { dt: 0.1, step: 1 } as never)],
];

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

async function thrown(call: () => unknown): Promise<unknown> {
  try {
    await call();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('a misspelled option is an ArgumentError naming the function, the key and the known keys', () => {
  it(`covers ${cases.length} public functions and methods, each once`, () => {
    // the count the changelog quotes; a function added to the list raises it
    expect(new Set(cases.map(([name]) => name)).size).toBe(cases.length);
    expect(cases.length).toBe(113);
  });

  for (const [name, key, call] of cases) {
    it(`${name} { ${key} }`, async () => {
      const e = await thrown(call);
      expect(e).toBeInstanceOf(fg.ArgumentError);
      const msg = (e as Error).message;
      expect(msg.startsWith(`${name}:`) || msg.startsWith(`${name} `), msg).toBe(true);
      expect(msg).toMatch(new RegExp(`(unknown option|takes no options)`));
      if (!/takes no options/.test(msg)) {
        expect(msg).toMatch(new RegExp(`unknown option ${escape(key)}\\b`));
        expect(msg).toMatch(/; known: \w/);
      }
    });
  }
});

describe('options objects', () => {
  beforeAll(() => fg.init({ backend: 'cpu' }));

  it('grad({ argnum: 1 }) no longer returns the gradient of argument 0', () => {
    const f = (a: fg.Tensor, b: fg.Tensor) => fg.sum(fg.mul(a, b));
    expect(() => fg.grad(f, { argnum: 1 } as never)).toThrow(/grad: unknown option argnum \(did you mean argnums\?\); known: argnums/);
  });

  it('an option of another optimizer is named as such', () => {
    const p = [fg.ones([2])];
    expect(() => fg.optim.sgd(p, { lr: 0.1, beta1: 0.9 } as never)).toThrow(/optim\.sgd: beta1 is an option of optim\.adam\/adamw, not of optim\.sgd; known: lr, clipNorm, weightDecay/);
    expect(() => fg.optim.adam(p, { lr: 0.1, momentum: 0.9 } as never)).toThrow(/optim\.adam: momentum is an option of optim\.momentum\/nesterov/);
    expect(() => fg.optim.sgd(p, { lr: 0.1, nesterov: true } as never)).toThrow(/optim\.sgd: nesterov is an option of optim\.momentum/);
  });

  it('options that are not a plain object are an ArgumentError', () => {
    expect(() => fg.conv2d(x4(), w33(), 'same' as never)).toThrow(/conv2d: options must be a plain object \{ stride, padding, dilation, groups, bias \}, got "same"/);
    expect(() => fg.randn([2], [1] as never)).toThrow(/randn: options must be a plain object \{ seed, mean, std \}, got \[1\]/);
    expect(() => fg.memory(fg.ones([1]) as never)).toThrow(/memory: options must be a plain object \{ peak, resetPeak \}, got a Tensor of shape \[1\]/);
    expect(() => m.mlp(null as never)).toThrow(/mlp: options must be a plain object/);
  });

  it('the key lists are the types: a key the type has is accepted', () => {
    // every key of ConvTranspose2dOptions, each at a legal value
    const y = fg.convTranspose2d(x4(), w33(), { stride: 2, padding: 1, outputPadding: 1, dilation: 1, groups: 1, bias: fg.zeros([1]) });
    expect(y.shape).toEqual([1, 1, 8, 8]);
    expect(fg.memory({ peak: true, resetPeak: false }).peakBytes).toBeGreaterThan(0);
  });
});
