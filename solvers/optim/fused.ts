import type { Tensor } from '../../engine/tensor.js';
import { mul } from '../../autodiff/ops/arith.js';
import { addMaybe, defineTernary } from '../../autodiff/ops/elementwise.js';

/**
 * a·b + c in one dispatch (broadcasting): the update steps of the optimizers (p − lr·g is
 * mulAdd(g, −lr, p)) without a separate multiply. Differentiable like any op.
 */
export const mulAdd: (a: Tensor, b: Tensor | number, c: Tensor) => Tensor = defineTernary({
  name: 'mulAdd',
  args: ['a', 'b', 'c'],
  wgsl: 'fma(a, b, c)',
  cpu: (a, b, c) => a * b + c,
  saves: { inputs: true, output: false },
  vjp: ([a, b], _y, g) => [mul(g, b!), mul(g, a!), g],
  jvp: ([a, b], _y, [da, db, dc]) => addMaybe(addMaybe(da && mul(da, b!), db && mul(a!, db)), dc),
  samples: [
    { shapes: [[7], [7], [7]], attrs: undefined },
    { shapes: [[3, 4], [], [3, 4]], attrs: undefined },
    { shapes: [[2, 1, 5], [3, 1], [5]], attrs: undefined },
    { shapes: [[1], [2, 3], []], attrs: undefined },
  ],
}) as (a: Tensor, b: Tensor | number, c: Tensor) => Tensor;
