// Loads every op file in an order that respects their top-level definitions.
export * from './arith.js';
export * from './activation.js';
export * from './shape.js';
export * from './reduce.js';
export { matmul, type MatmulOptions } from './matmul.js';
export { linear, type Activation } from './linear.js';
export * from './special.js';
export { sign, abs, sin, cos, softplus, gelu, silu } from './unary-more.js';
export { where } from './select.js';
export { powScalar, leakyRelu, elu, clip } from './unary-attrs.js';
export { pow, maximum, minimum } from './binary-more.js';
export { slice, pad } from './slice.js';
export { concat, stack } from './concat.js';
export { addMaybe } from './elementwise.js';
export { conv2d, conv2dInputGrad, conv2dWeightGrad, convTranspose2d, type Conv2dOptions, type ConvOptions, type ConvTranspose2dOptions } from './conv.js';
export { maxPool2d, avgPool2d, type PoolOptions } from './pool.js';
