import type { Tensor } from '../engine/tensor.js';
import { add } from './ops/arith.js';
import { TapeLevel, type TapeTrace } from './trace.js';

/**
 * Walks a tape level backwards from traced outputs with their cotangents (seeds) and returns
 * the cotangent of each leaf (null where none flows). Nodes are visited newest first, which is
 * a reverse topological order; each node's saved values are freed once its vjp has run, and
 * each intermediate cotangent once it has been passed on.
 */
export function backward(level: TapeLevel, outputs: Tensor[], seeds: Tensor[], leafCount: number, keepTape = false): (Tensor | null)[] {
  const nodeCts = new Map<number, Tensor>();
  const leafCts: (Tensor | null)[] = new Array(leafCount).fill(null);
  const owned = new Set<Tensor>(); // cotangents created here, safe to dispose

  const accumulate = (trace: TapeTrace, g: Tensor) => {
    const prev = trace.node ? nodeCts.get(trace.node.id) : leafCts[trace.leaf];
    let next = g;
    if (prev) {
      next = add(prev, g);
      owned.add(next);
      for (const t of [prev, g]) if (owned.has(t)) (t.dispose(), owned.delete(t));
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
      const grads = node.op.vjp(node.inputs as Tensor[], node.out!, g, node.attrs, node.inShapes, node.outShape);
      grads.forEach((gi, i) => {
        const parent = node.parents[i];
        if (!gi || !parent) return;
        if (gi !== g) owned.add(gi);
        accumulate(parent, gi);
      });
      if (owned.has(g) && !grads.includes(g)) (g.dispose(), owned.delete(g));
    }
    if (!keepTape) TapeLevel.free(node);
  }
  return leafCts;
}
