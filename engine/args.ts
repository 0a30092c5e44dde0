// Positional arguments of public functions: a wrong kind of value is an ArgumentError that
// names the function and the argument, never a TypeError from deep inside.
import { ArgumentError, FlowgradError } from './errors.js';
import { describe } from './options.js';
import { Tensor } from './tensor.js';

export function checkTensor(who: string, name: string, v: unknown): Tensor {
  if (!(v instanceof Tensor)) throw new ArgumentError(`${who}: ${name} must be a Tensor, got ${describe(v)}`);
  return v;
}

/** An array (or typed array) of numbers: shapes, indices, axes. */
export function checkNumbers(who: string, name: string, v: unknown): ArrayLike<number> {
  const ok = (Array.isArray(v) || ArrayBuffer.isView(v)) && Array.prototype.every.call(v, (d: unknown) => typeof d === 'number');
  if (!ok) throw new ArgumentError(`${who}: ${name} must be an array of numbers, got ${describe(v)}`);
  return v as ArrayLike<number>;
}

/**
 * Runs the body of a public function built from other public ones, so that an error raised by
 * one of those names the function the user called: "segmentSum: …", not "scatterAdd: …".
 */
export function asPublic<T>(who: string, body: () => T): T {
  try {
    return body();
  } catch (e) {
    if (!(e instanceof FlowgradError) || e.message.startsWith(`${who}:`)) throw e;
    const inner = /^[A-Za-z][\w.]*: /.exec(e.message);
    const Kind = e.constructor as new (message: string) => FlowgradError;
    throw new Kind(`${who}: ${inner ? e.message.slice(inner[0].length) : e.message}`);
  }
}
