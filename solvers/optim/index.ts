// Optimizers over parameter trees, with their state on the parameters' device.
export { sgd, momentum, nesterov, type SgdOptions, type MomentumOptions } from './sgd.js';
export { adam, adamw, type AdamOptions } from './adam.js';
export { globalNorm, clipByGlobalNorm } from './clip.js';
export { type Optimizer, type OptimizerOptions, type OptimizerState, type OptimizerCarry, type SavableOptimizer, type LearningRate } from './optimizer.js';
export * as schedules from './schedules.js';
export type { StepDecayOptions, CosineOptions } from './schedules.js';
export { mulAdd } from './fused.js';
