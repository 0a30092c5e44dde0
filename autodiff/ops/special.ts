import type { Tensor } from '../../engine/tensor.js';
import { apply, defineOp } from '../op.js';

const stopGradientOp = defineOp({
  name: 'stopGradient',
  args: ['x'],
  alias: true,
  saves: { inputs: false, output: false },
  shape: ([x]) => x!,
  cpu: ([x]) => x!,
  gpu: () => {},
  vjp: () => [null],
  jvp: () => null,
  samples: [{ shapes: [[3, 2]], attrs: undefined, zeroDerivative: true }],
});

/** x itself, but no derivative flows through it (in either mode). */
export const stopGradient = (x: Tensor): Tensor => apply(stopGradientOp, [x], undefined);
