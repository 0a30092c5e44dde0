import { ArgumentError } from '../../engine/errors.js';
import type { Tensor } from '../../engine/tensor.js';
import { apply, type MaybeTensor, type OpDef } from '../op.js';
import { sum } from '../ops/reduce.js';
import type { BatchRule } from '../trace.js';
import { runBatched } from './run.js';

const unsupported = () => {
  throw new Error('a batched composite op has no kernel');
};

/**
 * A composite op (customVjp) on a batch: one composite whose forward is the member's forward
 * under vmap and whose reverse-mode rule is the member's rule under vmap, so that an outer
 * grad still uses the hand-written rule. Cotangents of shared inputs are summed over members.
 */
export const batchedComposite: BatchRule = (op, vals, batched, attrs, size) => {
  const n = vals.length;
  const member = (shape: readonly number[], b: boolean) => (b ? shape.slice(1) : shape);
  const def: OpDef<any> = {
    name: op.name,
    args: op.args,
    forward: (xs) => runBatched(size, (...ys) => op.forward!(ys, attrs), xs, batched),
    vjp: (xs, out, g, _a, shapes, outShape, needs) => {
      if (g.rank !== outShape.length) {
        throw new ArgumentError(`${op.name}: under vmap its reverse-mode rule takes one cotangent per member (got a batch of cotangents ${g.shape.slice(0, g.rank - outShape.length)}); use jacrev, which maps over them`);
      }
      const memberShapes = shapes.map((s, i) => member(s, batched[i]!));
      const rule = (...ys: Tensor[]) => op.vjp(ys.slice(0, n), ys[n]!, ys[n + 1]!, attrs, memberShapes, outShape.slice(1), needs);
      const cts: MaybeTensor[] = runBatched(size, rule, [...xs, out, g], [...batched, true, true]);
      return cts.map((c, i) => c && (batched[i] ? c : sum(c, 0)));
    },
    jvp: unsupported,
    shape: unsupported,
    cpu: unsupported,
    gpu: unsupported,
    samples: [],
  };
  return apply(def, vals, attrs);
};
