import { collect, disposeExcept } from '../engine/scope.js';
import type { Tensor } from '../engine/tensor.js';
import { add } from './ops/arith.js';
import { reshape } from './ops/shape.js';
import { TapeLevel, type TapeTrace } from './trace.js';

/**
 * Walks a tape level backwards from traced outputs with their cotangents (seeds) and returns
 * the cotangent of each leaf (null where none flows). Nodes are visited newest first, which is
 * a reverse topological order; each node's saved values are freed once its vjp has run, and
 * each intermediate cotangent once nothing holds it any more (a vjp may pass one tensor on to
 * several inputs, or pass its own cotangent through).
 */
export function backward(level: TapeLevel, outputs: Tensor[], seeds: Tensor[], leafCount: number, keepTape = false): (Tensor | null)[] {
  const nodeCts = new Map<number, Tensor>();
  const leafCts: (Tensor | null)[] = new Array(leafCount).fill(null);
  // cotangents created here, with how many places (node slots, leaf slots) hold each
  const holders = new Map<Tensor, number>();
  const hold = (t: Tensor) => holders.has(t) && holders.set(t, holders.get(t)! + 1);
  const drop = (t: Tensor) => {
    const n = holders.get(t);
    if (n === undefined) return; // a seed: not ours
    if (n <= 1) (holders.delete(t), t.dispose());
    else holders.set(t, n - 1);
  };

  const accumulate = (trace: TapeTrace, g: Tensor) => {
    const prev = trace.node ? nodeCts.get(trace.node.id) : leafCts[trace.leaf];
    let next = g;
    hold(g);
    if (prev) {
      next = add(prev, g);
      holders.set(next, 1);
      drop(prev);
      drop(g);
    }
    if (trace.node) nodeCts.set(trace.node.id, next);
    else leafCts[trace.leaf] = next;
  };

  outputs.forEach((out, i) => {
    if (out.trace?.depth === level.depth) accumulate(out.trace as TapeTrace, seeds[i]!);
  });

  for (let n = level.nodes.length - 1; n >= 0; n--) {
    const node = level.nodes[n]!;
    const g = nodeCts.get(node.id);
    if (g) {
      nodeCts.delete(node.id);
      // the rule's own intermediates (partials, constants) are freed as soon as it returns
      const { result: grads, created } = collect(() => node.op.vjp(node.inputs as Tensor[], node.out!, g, node.attrs, node.inShapes, node.outShape, node.parents.map((p) => p !== null)));
      disposeExcept(created, grads);
      const fresh = grads.filter((gi): gi is Tensor => !!gi && gi !== g && !holders.has(gi) && !seeds.includes(gi));
      for (const gi of fresh) holders.set(gi, 0);
      grads.forEach((gi, i) => {
        const parent = node.parents[i];
        if (gi && parent) accumulate(parent, gi);
      });
      for (const gi of fresh) if (holders.get(gi) === 0) (holders.delete(gi), gi.dispose());
      drop(g);
    }
    if (!keepTape) TapeLevel.free(node);
  }
  return distinct(leafCts, seeds);
}

/**
 * The results with a handle of their own wherever one is a foreign tensor (the caller's
 * cotangent or input, passed through by a rule such as add's or pow(x, 1)'s) or repeats an
 * earlier result (x + y hands g to both): disposing one result then frees nothing else. The new
 * handle shares the storage (tensors are immutable), so nothing is copied.
 */
export function distinct<T extends Tensor | null>(results: T[], foreign: Iterable<Tensor>): T[] {
  const seen = new Set<Tensor>(foreign);
  return results.map((t) => {
    if (!t) return t;
    if (!seen.has(t)) return seen.add(t), t;
    return reshape(t, t.shape) as T;
  });
}
