import { checkOptions, describe, optionKeys } from '../engine/options.js';
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
const CUSTOM_KEYS = optionKeys<{ batched?: boolean }>({ batched: true });

export function customVjp(
  name: string,
  forward: (...inputs: Tensor[]) => Tensor,
  vjp: (inputs: Tensor[], out: Tensor, g: Tensor) => MaybeTensor[],
  opts: { batched?: boolean } = {},
): (...inputs: Tensor[]) => Tensor {
  if (typeof name !== 'string') throw new ArgumentError(`customVjp: name must be a string (it names the op in errors), got ${describe(name)}`);
  if (typeof forward !== 'function' || typeof vjp !== 'function') throw new ArgumentError(`customVjp (${name}): forward and vjp must be functions`);
  opts = checkOptions(`customVjp (${name})`, opts, CUSTOM_KEYS);
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
