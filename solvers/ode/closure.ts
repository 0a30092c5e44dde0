import { StateError } from '../../engine/errors.js';
import type { Tensor } from '../../engine/tensor.js';

const depthOf = (t: Tensor) => t.trace?.depth ?? 0;

/**
 * The checkpointed and adjoint solves run as one composite op whose inputs are y0 and the
 * leaves of params: a tensor that f closes over and that a transform is tracing would be
 * recorded inside the op's untraced forward pass. Found by its trace reaching past the inputs'.
 */
export function checkClosure(out: Tensor, inputs: Tensor[], label: string): Tensor {
  if (depthOf(out) > Math.max(0, ...inputs.map(depthOf))) {
    throw new StateError(`${label}: f uses a tensor that grad/jvp is differentiating but that is not in opts.params; with grad: 'adjoint' or checkpoint, derivatives flow only to y0 and opts.params, so pass such tensors in params (f receives them as its third argument)`);
  }
  return out;
}
