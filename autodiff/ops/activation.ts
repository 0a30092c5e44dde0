import { mul, sub } from './arith.js';
import { defineUnary } from './elementwise.js';

const OUTPUT = { inputs: false, output: true };

export const tanh = defineUnary({
  name: 'tanh', wgsl: 'safe_tanh(a)', cpu: Math.tanh,
  deriv: (_x, y) => sub(1, mul(y, y)), saves: OUTPUT,
});

export const sigmoid = defineUnary({
  name: 'sigmoid', wgsl: 'safe_sigmoid(a)', cpu: (x) => 1 / (1 + Math.exp(-x)),
  deriv: (_x, y) => mul(y, sub(1, y)), saves: OUTPUT,
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
