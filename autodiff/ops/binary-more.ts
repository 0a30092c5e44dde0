import type { Tensor } from '../../engine/tensor.js';
import type { TensorOrNumber } from '../op.js';
import { log, mul, sub } from './arith.js';
import { heaviside } from './activation.js';
import { defineBinary } from './elementwise.js';
import { where } from './select.js';
import { powScalar } from './unary-attrs.js';

/** 1 where a > b, ½ where a = b, 0 where a < b: how maximum and minimum split their cotangent. */
const greaterSplit = defineBinary({
  name: 'greaterSplit', wgsl: 'select(select(0.0, 0.5, a == b), 1.0, a > b)',
  cpu: (a, b) => (a > b ? 1 : a === b ? 0.5 : 0),
  partials: () => [0, 0], saves: { inputs: false, output: false },
});

/**
 * Elementwise larger of a and b. At ties the derivative is split: half to each (as JAX and
 * PyTorch do), so that maximum(x, x) has derivative 1.
 */
export const maximum = defineBinary({
  name: 'maximum', wgsl: 'max(a, b)', cpu: Math.max,
  partials: (a, b) => [greaterSplit(a, b), greaterSplit(b, a)], saves: { inputs: true, output: false },
});

/** Elementwise smaller of a and b; ties split the derivative half and half, as maximum. */
export const minimum = defineBinary({
  name: 'minimum', wgsl: 'min(a, b)', cpu: Math.min,
  partials: (a, b) => [greaterSplit(b, a), greaterSplit(a, b)], saves: { inputs: true, output: false },
});

const powOp = defineBinary({
  name: 'pow', wgsl: 'safe_pow(a, b)', cpu: Math.pow,
  // ∂/∂a = b·aᵇ⁻¹; ∂/∂b = aᵇ·log a for a > 0, taken as 0 for a ≤ 0 (no real derivative there)
  partials: (a, b, y) => [mul(b, pow(a, sub(b, 1))), mul(y, log(where(heaviside(a), a, 1)))],
  domain: 'positive',
});

/**
 * aᵇ, broadcasting. A number exponent (x.pow(2)) uses a one-input op whose derivative is
 * again a power; a negative base with an integer exponent keeps its sign; 0⁰ = 1.
 */
export function pow(a: TensorOrNumber, b: TensorOrNumber): Tensor {
  return typeof b === 'number' ? powScalar(a, b) : powOp(a, b);
}
