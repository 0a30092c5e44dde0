// Models assembled from the public API: parameter trees plus pure functions.
export { type Model, type ApplyOptions } from './model.js';
export { Rng, subSeed } from './random.js';
export { leaves, mapTree, countParams, disposeTree } from './tree.js';
export * as init from './init.js';
export { type Initializer } from './init.js';
export { activationFn, type Activation, type ActivationName } from './activations.js';
export { dense, denseParams, mlp, type DenseParams, type MlpOptions, type MlpParams } from './dense.js';
export { dropout } from './dropout.js';
export { l1, l2, type LeafFilter } from './penalties.js';
export { mse, softmaxCrossEntropy, logSoftmax, accuracy } from './losses.js';
export { constrain, type WeightConstraint } from './constraints.js';
export { depthBasis, depthCoefficients, evalDepth, refineBasis, refineCoefficients, type DepthBasis, type DepthBasisSpec } from './depth.js';
export { resnet, type ResnetOptions, type ResnetParams, type ResnetModel } from './resnet.js';
export { hamiltonian, type HamiltonianOptions, type HamiltonianParams, type HamiltonianModel } from './hamiltonian.js';
export { elman, type ElmanOptions, type ElmanParams, type ElmanModel } from './rnn.js';
export * as data from './data/index.js';
export { type Dataset } from './data/index.js';
export * from './train/index.js';
