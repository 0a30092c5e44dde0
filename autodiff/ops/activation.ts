import { mul, neg } from './arith.js';
import { defineUnary } from './elementwise.js';

const INPUT = { inputs: true, output: false };

// The derivatives are computed from x, not from the output y: 1 − y² and y(1 − y) cancel where
// tanh and σ saturate (σ′(15) ≈ 3.1e−7 came out 17 % off in float32 from y = σ(15)).

/** float64 references of tanh′ and σ′, in the same forms as the kernels. */
export function tanhGradRef(x: number): number {
  const e = Math.exp(-2 * Math.abs(x));
  return (4 * e) / (1 + e) ** 2;
}
export function sigmoidGradRef(x: number): number {
  const e = Math.exp(-Math.abs(x));
  return e / (1 + e) ** 2;
}

/** tanh′(x) = 1 − tanh²(x) = 4e/(1 + e)² with e = e^−2|x|: accurate in saturation. */
export const tanhGrad = defineUnary({
  name: 'tanhGrad', wgsl: 'tanh_grad(a)', cpu: tanhGradRef,
  // tanh″ = −2·tanh·tanh′
  deriv: (x) => mul(mul(tanh(x), tanhGrad(x)), -2), saves: INPUT,
});

/** σ′(x) = σ(x)·σ(−x) = e/(1 + e)² with e = e^−|x|: accurate in saturation. */
export const sigmoidGrad = defineUnary({
  name: 'sigmoidGrad', wgsl: 'sigmoid_grad(a)', cpu: sigmoidGradRef,
  // σ″ = σ′·(1 − 2σ) = −σ′·tanh(x/2) (no cancellation near 0 either)
  deriv: (x) => neg(mul(sigmoidGrad(x), tanh(mul(x, 0.5)))), saves: INPUT,
});

export const tanh = defineUnary({
  name: 'tanh', wgsl: 'safe_tanh(a)', cpu: Math.tanh,
  deriv: (x) => tanhGrad(x), saves: INPUT,
});

export const sigmoid = defineUnary({
  name: 'sigmoid', wgsl: 'safe_sigmoid(a)', cpu: (x) => 1 / (1 + Math.exp(-x)),
  deriv: (x) => sigmoidGrad(x), saves: INPUT,
});

/** 1 where x > 0, else 0: relu's derivative (zero almost everywhere itself). */
export const heaviside = defineUnary({
  name: 'heaviside', wgsl: 'select(0.0, 1.0, a > 0.0)', cpu: (x) => (x > 0 ? 1 : 0),
  deriv: () => 0, domain: 'awayFromZero', saves: { inputs: false, output: false },
});

export const relu = defineUnary({
  name: 'relu', wgsl: 'max(a, 0.0)', cpu: (x) => Math.max(x, 0),
  deriv: (x) => heaviside(x), domain: 'awayFromZero', saves: { inputs: true, output: false },
});
