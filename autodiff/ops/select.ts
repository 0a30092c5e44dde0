import type { Tensor } from '../../engine/tensor.js';
import type { TensorOrNumber } from '../op.js';
import { defineTernary } from './elementwise.js';

/**
 * where(cond, a, b): a where cond ≠ 0, else b, broadcasting all three (NumPy's np.where).
 * cond carries no derivative; the cotangent goes to a where cond ≠ 0 and to b elsewhere
 * (selected, not multiplied by a mask, so that inf or NaN in the branch not taken stays out).
 */
export const where: (cond: TensorOrNumber, a: TensorOrNumber, b: TensorOrNumber) => Tensor = defineTernary({
  name: 'where',
  args: ['cond', 'a', 'b'],
  wgsl: 'select(c, b, a != 0.0)',
  cpu: (c, a, b) => (c !== 0 ? a : b),
  nondiff: [0],
  saves: { inputs: true, output: false },
  vjp: ([cond], _y, g) => [null, where(cond!, g, 0), where(cond!, 0, g)],
  jvp: ([cond], _y, [, da, db]) => (da || db ? where(cond!, da ?? 0, db ?? 0) : null),
  samples: [
    { shapes: [[7], [7], [7]], attrs: undefined, values: [[1, 0, 1, 1, 0, 0, 1]] },
    { shapes: [[3, 1], [3, 4], [4]], attrs: undefined, values: [[1, 0, 1]] },
    { shapes: [[], [2, 3], [2, 3]], attrs: undefined, values: [[0]] },
    { shapes: [[2, 3], [], [1, 3]], attrs: undefined, values: [[0, 1, 1, 0, 0, 1]] },
    { shapes: [[2, 1, 5], [3, 1], []], attrs: undefined },
  ],
});
