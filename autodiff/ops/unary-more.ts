import type { Tensor } from '../../engine/tensor.js';
import { add, div, mul, neg, square, sub } from './arith.js';
import { sigmoid, sigmoidGrad, tanh, tanhGrad, tanhGradRef } from './activation.js';
import { defineUnary } from './elementwise.js';

const INPUT = { inputs: true, output: false };

/** −1, 0 or 1; its derivative is zero (also at 0, by convention). */
export const sign = defineUnary({
  name: 'sign', wgsl: 'sign(a)', cpu: Math.sign,
  deriv: () => 0, domain: 'awayFromZero', saves: { inputs: false, output: false },
});

/** |x|; its derivative sign(x) is 0 at x = 0 (the subgradient of least norm, as in PyTorch and JAX). */
export const abs = defineUnary({
  name: 'abs', wgsl: 'abs(a)', cpu: Math.abs,
  deriv: (x) => sign(x), domain: 'awayFromZero', saves: INPUT,
});

export const sin = defineUnary({
  name: 'sin', wgsl: 'sin(a)', cpu: Math.sin,
  deriv: (x) => cos(x), saves: INPUT,
});

export const cos = defineUnary({
  name: 'cos', wgsl: 'cos(a)', cpu: Math.cos,
  deriv: (x) => neg(sin(x)), saves: INPUT,
});

/** log(1 + x), accurate for small x (where log(1 + x) rounds 1 + x first). */
export const log1p = defineUnary({
  name: 'log1p', wgsl: 'safe_log1p(a)', cpu: Math.log1p,
  deriv: (x) => div(1, add(x, 1)), domain: 'positive', saves: INPUT,
});

/** log(1 + eˣ), computed as max(x, 0) + log1p(e^−|x|): no overflow for large x. */
export const softplus = defineUnary({
  name: 'softplus', wgsl: 'safe_softplus(a)', cpu: (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))),
  deriv: (x) => sigmoid(x), saves: INPUT,
});

// GELU in its tanh form (JAX's default, PyTorch's approximate='tanh', GPT-2's):
// gelu(x) = ½·x·(1 + tanh(u)) = x·σ(2u), u = c·(x + k·x³), c = √(2/π), k = 0.044715.
// Written with σ(2u) (and tanh′(u) = 4σ(2u)σ(−2u)) because 1 + tanh(u) loses every digit for
// x ≪ 0, in float64 as in float32. The reference below evaluates the same formula in float64,
// so the two backends compute one function.
const C = Math.sqrt(2 / Math.PI);
const K = 0.044715;

const sigmoidRef = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

function geluRef(x: number): number {
  return x * sigmoidRef(2 * C * (x + K * x * x * x));
}

/** gelu′(x) = σ(2u) + ½·x·tanh′(u)·u′, u′ = c·(1 + 3k·x²). */
function geluGradRef(x: number): number {
  const u = C * (x + K * x * x * x);
  return sigmoidRef(2 * u) + 0.5 * x * tanhGradRef(u) * C * (1 + 3 * K * x * x);
}

/** gelu″ = s·(u′ + ½·x·(u″ − 2t·u′²)) with s = tanh′(u), u″ = 6ck·x: written with ops, for higher derivatives. */
function geluSecond(x: Tensor): Tensor {
  const x2 = square(x);
  const u = mul(mul(x, C), add(mul(x2, K), 1));
  const t = tanh(u);
  const s = tanhGrad(u);
  const du = mul(add(mul(x2, 3 * K), 1), C);
  const inner = sub(mul(x, 6 * C * K), mul(mul(t, square(du)), 2));
  return mul(s, add(du, mul(mul(x, 0.5), inner)));
}

const geluGrad = defineUnary({
  name: 'geluGrad', wgsl: 'gelu_tanh_grad(a)', cpu: geluGradRef,
  deriv: (x) => geluSecond(x), saves: INPUT,
});

/** Gaussian error linear unit, tanh form: ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
export const gelu = defineUnary({
  name: 'gelu', wgsl: 'gelu_tanh(a)', cpu: geluRef,
  deriv: (x) => geluGrad(x), saves: INPUT,
});

/** silu″ = σ′(x)·(2 + x(1 − 2σ)) with σ′ = σ(x)σ(−x) and 1 − 2σ = −tanh(x/2): no cancellation in saturation. */
function siluSecond(x: Tensor): Tensor {
  return mul(sigmoidGrad(x), sub(2, mul(x, tanh(mul(x, 0.5)))));
}

/** silu′ = σ(x)·(1 + x·σ(−x)) (σ(−x) for 1 − σ(x), which cancels for large x). */
const siluGrad = defineUnary({
  name: 'siluGrad', wgsl: 'safe_sigmoid(a) * (1.0 + a * safe_sigmoid(-a))',
  cpu: (x) => sigmoidRef(x) * (1 + x * sigmoidRef(-x)),
  deriv: (x) => siluSecond(x), saves: INPUT,
});

/** x·σ(x) (also called swish). */
export const silu = defineUnary({
  name: 'silu', wgsl: 'a * safe_sigmoid(a)', cpu: (x) => x * sigmoidRef(x),
  deriv: (x) => siluGrad(x), saves: INPUT,
});
