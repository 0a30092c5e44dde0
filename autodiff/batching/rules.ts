import type { Tensor } from '../../engine/tensor.js';
import { apply, type OpDef } from '../op.js';
import { stack } from '../ops/concat.js';
import { broadcastTo, reshape, transpose } from '../ops/shape.js';
import { sliceAxis } from '../ops/slice.js';
import type { BatchRule } from '../trace.js';

// Helpers for batching rules. Every rule sees the values one level down: batched inputs carry
// the batch axis in front, the others are one member's value shared by all.

/** [B, ...s] → [B, 1, …, 1, ...s] with `rank` dimensions after B (right-aligned broadcasting). */
export function padAfterBatch(x: Tensor, rank: number): Tensor {
  const inner = x.rank - 1;
  if (inner >= rank) return x;
  return reshape(x, [x.shape[0]!, ...new Array<number>(rank - inner).fill(1), ...x.shape.slice(1)]);
}

/** One member's value given to every member: [...s] → [B, ...s] (a copy). */
export function expandBatch(x: Tensor, size: number): Tensor {
  return broadcastTo(reshape(x, [1, ...x.shape]), [size, ...x.shape]);
}

/** Every input with the batch axis in front, shared ones copied to each member. */
export function allBatched(inputs: Tensor[], batched: readonly boolean[], size: number): Tensor[] {
  return inputs.map((x, i) => (batched[i] ? x : expandBatch(x, size)));
}

/** Moves axis `from` of x to position `to`. */
export function moveAxis(x: Tensor, from: number, to: number): Tensor {
  if (from === to) return x;
  const perm = x.shape.map((_, d) => d).filter((d) => d !== from);
  perm.splice(to, 0, from);
  return transpose(x, perm);
}

/** [B, N, ...] → [B·N, ...]: the batch folded into the op's own leading (sample) dimension. */
export function foldIntoFirst(x: Tensor): Tensor {
  return reshape(x, [x.shape[0]! * x.shape[1]!, ...x.shape.slice(2)]);
}

/** [B·N, ...] → [B, N, ...]. */
export function unfoldFirst(y: Tensor, size: number): Tensor {
  return reshape(y, [size, y.shape[0]! / size, ...y.shape.slice(1)]);
}

// ---------------------------------------------------------------- generic rules

/**
 * Elementwise and other broadcasting ops (inputs aligned from the right): batched inputs get
 * ones after the batch axis up to the output's rank, shared ones broadcast as they are.
 */
export const broadcastingRule: BatchRule = (op, inputs, batched, attrs, _size, outShape) => {
  const rank = outShape!.length;
  return apply(op, inputs.map((x, i) => (batched[i] ? padAfterBatch(x, rank) : x)), attrs);
};

/** Ops batched over leading dimensions already (one input, or inputs of one shape): applied as they are. */
export const leadingRule: BatchRule = (op, inputs, batched, attrs, size) => apply(op, allBatched(inputs, batched, size), attrs);

/** Ops over [N, ...] samples (convolution, pooling): the batch folds into N, attributes unchanged. */
export const foldRule: BatchRule = (op, inputs, batched, attrs, size) =>
  unfoldFirst(apply(op, allBatched(inputs, batched, size).map(foldIntoFirst), attrs), size);

/**
 * The correct but slow path, for ops with no loop-free rule: the op once per member, results
 * stacked. Used only where `loopOps` (see ops.ts) says so.
 */
export const loopRule: BatchRule = (op, inputs, batched, attrs, size) => {
  const outs: Tensor[] = [];
  for (let b = 0; b < size; b++) {
    const member = inputs.map((x, i) => (batched[i] ? reshape(sliceAxis(x, 0, b, b + 1), x.shape.slice(1)) : x));
    outs.push(apply(op, member, attrs));
  }
  return stack(outs, 0);
};

/** A rule that applies `op` to the same inputs with attributes for the batched layout. */
export const withAttrs = <A>(change: (attrs: A, size: number) => A): BatchRule => (op: OpDef<any>, inputs, batched, attrs, size) =>
  apply(op, allBatched(inputs, batched, size), change(attrs, size));
