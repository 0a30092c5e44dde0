import { collect, disposeExcept } from '../../engine/scope.js';
import type { Tensor } from '../../engine/tensor.js';
import { BatchLevel, popLevel, pushLevel } from '../trace.js';
import { flatten } from '../tree.js';

/**
 * Runs fn on a batch of `size` members: args[i] with batched[i] carry the batch axis in front
 * (each member sees its slice), the others are shared. Returns fn's result (a tree) with the
 * batch axis in front of every tensor; results that do not depend on the member are broadcast.
 */
export function runBatched(size: number, fn: (...xs: Tensor[]) => unknown, args: Tensor[], batched: readonly boolean[]): any {
  return batchedCall(
    size,
    (level) => fn(...args.map((x, i) => (batched[i] ? level.wrap(x) : x))),
    (level, out) => {
      const { leaves, rebuild } = flatten(out);
      return rebuild(leaves.map((o) => level.unwrap(o)));
    },
  );
}

/**
 * The core of runBatched and vmap: runs body on a new batching level, then `place` turns its
 * traced result into values one level down. Intermediates not in the placed result are freed.
 */
export function batchedCall<T>(size: number, body: (level: BatchLevel) => unknown, place: (level: BatchLevel, out: unknown) => T): T {
  const level = pushLevel((d) => new BatchLevel(d, size));
  let out: unknown;
  let created: Set<Tensor>;
  try {
    ({ result: out, created } = collect(() => body(level)));
  } finally {
    popLevel(level);
  }
  try {
    const placed = place(level, out);
    // traced tensors hold no storage: left undisposed, one that escapes says so when used
    for (const t of created) if (t.trace?.depth === level.depth) created.delete(t);
    disposeExcept(created, placed);
    return placed;
  } catch (err) {
    for (const t of created) t.dispose();
    throw err;
  }
}
