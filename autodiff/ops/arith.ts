import { defineBinary, defineUnary } from './elementwise.js';

const NONE = { inputs: false, output: false };

export const add = defineBinary({
  name: 'add', wgsl: 'a + b', cpu: (a, b) => a + b,
  partials: () => [1, 1], saves: NONE,
});

export const sub = defineBinary({
  name: 'sub', wgsl: 'a - b', cpu: (a, b) => a - b,
  partials: () => [1, -1], saves: NONE,
});

export const mul = defineBinary({
  name: 'mul', wgsl: 'a * b', cpu: (a, b) => a * b,
  partials: (a, b) => [b, a], saves: { inputs: true, output: false },
});

export const div = defineBinary({
  name: 'div', wgsl: 'a / b', cpu: (a, b) => a / b,
  // d(a/b)/da = 1/b, d(a/b)/db = −(a/b)/b
  partials: (_a, b, y) => [div(1, b), neg(div(y, b))],
  domain: 'awayFromZero',
});

export const neg = defineUnary({
  name: 'neg', wgsl: '-a', cpu: (x) => -x,
  deriv: () => -1, saves: NONE,
});

export const square = defineUnary({
  name: 'square', wgsl: 'a * a', cpu: (x) => x * x,
  deriv: (x) => mul(x, 2), saves: { inputs: true, output: false },
});

export const sqrt = defineUnary({
  name: 'sqrt', wgsl: 'sqrt(a)', cpu: Math.sqrt,
  deriv: (_x, y) => div(0.5, y), domain: 'positive', saves: { inputs: false, output: true },
});

export const exp = defineUnary({
  name: 'exp', wgsl: 'exp(a)', cpu: Math.exp,
  deriv: (_x, y) => y, saves: { inputs: false, output: true },
});

export const log = defineUnary({
  name: 'log', wgsl: 'log(a)', cpu: Math.log,
  deriv: (x) => div(1, x), domain: 'positive', saves: { inputs: true, output: false },
});
