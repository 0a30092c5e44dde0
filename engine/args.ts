// Positional arguments of public functions: a wrong kind of value is an ArgumentError that
// names the function and the argument, never a TypeError from deep inside.
import { ArgumentError } from './errors.js';
import { describe } from './options.js';
import { Tensor } from './tensor.js';

export function checkTensor(who: string, name: string, v: unknown): Tensor {
  if (!(v instanceof Tensor)) throw new ArgumentError(`${who}: ${name} must be a Tensor, got ${describe(v)}`);
  return v;
}

/** A list of tensors (concat, stack, …). */
export function checkTensors(who: string, name: string, v: unknown): Tensor[] {
  if (!Array.isArray(v)) throw new ArgumentError(`${who}: ${name} must be an array of Tensors, got ${describe(v)}`);
  v.forEach((t, i) => checkTensor(who, `${name}[${i}]`, t));
  return v;
}
