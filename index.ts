// flowgrad: a WebGPU compute engine with its own automatic differentiation.
export { init, backend, memory, gpuRuntime, type InitOptions } from './engine/context.js';
export { tensor, zeros, ones, full, eye, arange, randn, rand, type TensorLike } from './engine/creation.js';
export { Tensor, type NestedArray } from './engine/tensor.js';
export { tidy, keep } from './engine/scope.js';
export { checkOptions, optionKeys, type OptionKeys } from './engine/options.js';
export { FlowgradError, ShapeError, ArgumentError, DeviceError, StateError, NumericalError } from './engine/errors.js';
export type { BackendName, DType } from './engine/backend.js';

import './autodiff/methods.js';
export * from './autodiff/ops/index.js';
export { registeredOps, type OpDef } from './autodiff/op.js';
export { grad, valueAndGrad, vjp, jvp, jacfwd, jacrev, hvp, type GradOptions } from './autodiff/transforms.js';
export { customVjp } from './autodiff/custom.js';
export * as tree from './autodiff/pytree.js';
export { vmap, type VmapOptions, type AxisSpec } from './autodiff/vmap.js';
export { gradcheck, type GradcheckReport, type GradcheckOptions } from './autodiff/gradcheck.js';
export * as optim from './solvers/optim/index.js';
export { odeint, odeintGrid, type OdeintOptions, type AdjointOptions, type OdeFunc, type OdeMethod } from './solvers/ode/index.js';
export * as models from './models/index.js';
export * as linalg from './solvers/linalg/index.js';
export * as io from './solvers/io/index.js';
export { sdeint, BrownianTree, type SdeFunc, type SdeMethod, type SdeintOptions } from './solvers/sde/index.js';
export * as analysis from './analysis/index.js';
export * as bayes from './solvers/bayes/index.js';
export { jit, type Jitted, type JitInfo } from './autodiff/jit/jit.js';
export { stats, type Stats } from './engine/stats.js';
