import type { Tensor } from '../engine/tensor.js';
import { ArgumentError } from '../engine/errors.js';
import { apply, type MaybeTensor, type OpDef } from './op.js';

/**
 * A function of tensors with a hand-written reverse-mode rule (like jax.custom_vjp): reverse
 * mode records one tape node whose vjp is `vjp(inputs, out, g)` instead of the steps of
 * `forward` (which runs untraced, so its intermediates are not kept); forward mode
 * differentiates through `forward`. The rule must be written with ops to be differentiable
 * again. It receives g without a batch dimension, unless `batched` says it handles one.
 */
export function customVjp(
  name: string,
  forward: (...inputs: Tensor[]) => Tensor,
  vjp: (inputs: Tensor[], out: Tensor, g: Tensor) => MaybeTensor[],
  opts: { batched?: boolean } = {},
): (...inputs: Tensor[]) => Tensor {
  const unsupported = () => {
    throw new Error(`${name}: a composite op has no kernel`);
  };
  const op: OpDef = {
    name,
    args: [],
    forward: (inputs) => forward(...inputs),
    vjp: (inputs, out, g, _attrs, _shapes, outShape) => {
      if (!opts.batched && g.rank !== outShape.length) {
        throw new ArgumentError(`${name}: its reverse-mode rule takes one cotangent at a time (jacrev pulls a batch); use jacfwd`);
      }
      return vjp(inputs, out, g);
    },
    jvp: unsupported,
    shape: unsupported,
    cpu: unsupported,
    gpu: unsupported,
    samples: [],
  };
  return (...inputs) => apply(op, inputs, undefined);
}
