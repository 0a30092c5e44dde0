import type { Tensor } from '../../engine/tensor.js';
import { add, mul, neg, square, sub } from './arith.js';
import { sigmoid, tanh } from './activation.js';
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

/** log(1 + eˣ), computed as max(x, 0) + log1p(e^−|x|): no overflow for large x. */
export const softplus = defineUnary({
  name: 'softplus', wgsl: 'safe_softplus(a)', cpu: (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))),
  deriv: (x) => sigmoid(x), saves: INPUT,
});

// GELU in its tanh form (JAX's default, PyTorch's approximate='tanh', GPT-2's):
// gelu(x) = ½·x·(1 + tanh(u)), u = c·(x + k·x³), c = √(2/π), k = 0.044715.
// The reference below evaluates the same formula in float64, so the two backends compute one function.
const C = Math.sqrt(2 / Math.PI);
const K = 0.044715;

function geluRef(x: number): number {
  return 0.5 * x * (1 + Math.tanh(C * (x + K * x * x * x)));
}

/** gelu′(x) = ½(1 + t) + ½·x·(1 − t²)·u′ with t = tanh(u), u′ = c·(1 + 3k·x²). */
function geluGradRef(x: number): number {
  const t = Math.tanh(C * (x + K * x * x * x));
  return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * C * (1 + 3 * K * x * x);
}

/** gelu″ = s·(u′ + ½·x·(u″ − 2t·u′²)) with s = 1 − t², u″ = 6ck·x: written with ops, for higher derivatives. */
function geluSecond(x: Tensor): Tensor {
  const x2 = square(x);
  const t = tanh(mul(mul(x, C), add(mul(x2, K), 1)));
  const s = sub(1, square(t));
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

/** silu″ = s(1 − s)(2 + x(1 − 2s)) with s = σ(x). */
function siluSecond(x: Tensor): Tensor {
  const s = sigmoid(x);
  return mul(mul(s, sub(1, s)), add(mul(x, sub(1, mul(s, 2))), 2));
}

const siluGrad = defineUnary({
  name: 'siluGrad', wgsl: 'safe_sigmoid(a) * (1.0 + a * (1.0 - safe_sigmoid(a)))',
  cpu: (x) => {
    const s = 1 / (1 + Math.exp(-x));
    return s * (1 + x * (1 - s));
  },
  deriv: (x) => siluSecond(x), saves: INPUT,
});

/** x·σ(x) (also called swish). */
export const silu = defineUnary({
  name: 'silu', wgsl: 'a * safe_sigmoid(a)', cpu: (x) => x / (1 + Math.exp(-x)),
  deriv: (x) => siluGrad(x), saves: INPUT,
});
