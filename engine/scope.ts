import { ArgumentError } from './errors.js';
import { describe } from './options.js';
import type { Tensor } from './tensor.js';

/**
 * tidy() scopes: every tensor created inside a scope is disposed when the scope ends,
 * except those in the returned value, which move to the enclosing scope.
 */
const scopes: Set<Tensor>[] = [];

export function track(t: Tensor): void {
  scopes[scopes.length - 1]?.add(t);
}

/** All tensors reachable from a value: nested arrays and plain objects of tensors. */
export function tensorsIn(value: unknown, out: Tensor[] = []): Tensor[] {
  if (value && typeof value === 'object') {
    if (isTensor(value)) {
      out.push(value);
      if (value.trace) for (const p of value.trace.parts()) tensorsIn(p, out);
    } else if (Array.isArray(value)) {
      for (const v of value) tensorsIn(v, out);
    } else if (Object.getPrototypeOf(value) === Object.prototype) {
      for (const v of Object.values(value)) tensorsIn(v, out);
    }
  }
  return out;
}

function isTensor(v: object): v is Tensor {
  return 'storage' in v && 'trace' in v && 'shape' in v;
}

/** Runs fn and returns what it returned with the tensors it created; disposes them if it throws. */
export function collect<T>(fn: () => T): { result: T; created: Set<Tensor> } {
  const created = new Set<Tensor>();
  scopes.push(created);
  try {
    return { result: fn(), created };
  } catch (err) {
    for (const t of created) t.dispose();
    throw err;
  } finally {
    scopes.pop();
  }
}

/** Disposes the tensors of `created` not reachable from `kept`; the kept ones join the enclosing scope. */
export function disposeExcept(created: Set<Tensor>, kept: unknown): void {
  const keepSet = new Set(tensorsIn(kept));
  for (const t of created) if (!keepSet.has(t)) t.dispose();
  const parent = scopes[scopes.length - 1];
  if (parent) for (const t of keepSet) if (created.has(t)) parent.add(t);
}

/** Runs fn and disposes every tensor it created except those in its result. */
export function tidy<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new ArgumentError(`tidy: fn must be a function, got ${describe(fn)}`);
  const { result, created } = collect(fn);
  if (result instanceof Promise) {
    throw new ArgumentError('tidy(fn): fn must be synchronous (it returned a Promise); await outside tidy');
  }
  disposeExcept(created, result);
  return result;
}

/** Keeps a tensor alive past the enclosing tidy() (like tf.keep). */
export function keep<T extends Tensor>(t: T): T {
  const parts = tensorsIn(t);
  if (parts.length === 0) throw new ArgumentError(`keep: expects a Tensor (or a tree of tensors), got ${describe(t)}`);
  for (const part of parts) for (const s of scopes) s.delete(part);
  return t;
}
