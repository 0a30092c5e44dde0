import { ShapeError, fmtShape } from '../../engine/errors.js';
import { sameShape } from '../../engine/shape.js';
import { runBatched } from '../batching/run.js';
import { apply, defineOp, opNamed, type OpDef, type OpSample } from '../op.js';
import { fusedOp, fusedProgram, type FusedProgram } from './fused.js';

/**
 * An op whose kernel can run an epilogue (a product, a reduction), with an elementwise chain
 * applied to each of its values before they are stored. Inputs: the op's own, then the
 * chain's other inputs.
 */
export interface FusedEpilogueAttrs {
  base: OpDef<any>;
  baseAttrs: unknown;
  /** the chain; its input `at` is the product */
  chain: FusedProgram;
  at: number;
  toJSON(): string;
}

export function fusedEpilogueAttrs(base: OpDef<any>, baseAttrs: unknown, chain: FusedProgram, at: number): FusedEpilogueAttrs {
  return { base, baseAttrs, chain, at, toJSON: () => `${base.name} then ${JSON.stringify(chain)} at ${at}` };
}

/** How many of the op's inputs are the base op's own. */
export const arity = (a: FusedEpilogueAttrs) => a.base.args.length;

/** The chain's inputs from the op's: the product spliced in at `at`. */
export function chainInputs<T>(a: FusedEpilogueAttrs, product: T, rest: T[]): T[] {
  return [...rest.slice(0, a.at), product, ...rest.slice(a.at)];
}

/**
 * What jit makes of a product or reduction whose only consumer is an elementwise chain of its
 * shape (an activation's backward, an optimizer's update of a weight or a bias): one kernel.
 * Its reference and its derivatives are those of the op followed by the chain.
 */
export const fusedEpilogueOp: OpDef<FusedEpilogueAttrs> = defineOp<FusedEpilogueAttrs>({
  name: 'fusedEpilogue',
  args: Array.from({ length: 16 }, (_, k) => `x${k}`),
  shape: (shapes, a) => {
    const n = arity(a);
    const product = a.base.shape(shapes.slice(0, n), a.baseAttrs);
    const out = fusedOp.shape(chainInputs(a, product, shapes.slice(n)), a.chain);
    if (!sameShape(out, product)) throw new ShapeError(`fusedEpilogue: the chain's output ${fmtShape(out)} must have the product's shape ${fmtShape(product)}`);
    return out;
  },
  cpu: (xs, shapes, a, outShape) => {
    const n = arity(a);
    const product = a.base.cpu(xs.slice(0, n), shapes.slice(0, n), a.baseAttrs, outShape);
    return fusedOp.cpu(chainInputs(a, product, xs.slice(n)), chainInputs(a, outShape, shapes.slice(n)), a.chain, outShape);
  },
  gpu: (rt, xs, out, a) => {
    const n = arity(a);
    a.base.gpuEpilogue!(rt, xs.slice(0, n), out, a.baseAttrs, { fn: a.chain.fn, at: a.at, inputs: xs.slice(n) });
  },
  vjp: (xs, y, g, a, shapes, outShape) => {
    const n = arity(a);
    const product = apply(a.base, xs.slice(0, n), a.baseAttrs);
    const chainIns = chainInputs(a, product, xs.slice(n));
    const cts = fusedOp.vjp(chainIns, y, g, a.chain, chainInputs(a, outShape, shapes.slice(n)), outShape);
    const ctProduct = cts[a.at];
    const base = ctProduct ? a.base.vjp(xs.slice(0, n), product, ctProduct, a.baseAttrs, shapes.slice(0, n), outShape) : new Array(n).fill(null);
    return [...base, ...cts.filter((_, k) => k !== a.at)];
  },
  jvp: (xs, y, ts, a) => {
    const n = arity(a);
    const product = apply(a.base, xs.slice(0, n), a.baseAttrs);
    const dp = ts.slice(0, n).some((t) => t) ? a.base.jvp(xs.slice(0, n), product, ts.slice(0, n), a.baseAttrs) : null;
    return fusedOp.jvp(chainInputs(a, product, xs.slice(n)), y, chainInputs(a, dp, ts.slice(n)), a.chain);
  },
  // a batch runs the product and the chain, each by its own batching rule
  batch: (_op, inputs, batched, a, size) =>
    runBatched(size, (...xs) => {
      const n = arity(a);
      return apply(fusedOp, chainInputs(a, apply(a.base, xs.slice(0, n), a.baseAttrs), xs.slice(n)), a.chain);
    }, inputs, batched),
  get samples(): OpSample<FusedEpilogueAttrs>[] {
    const op = opNamed;
    return [
      // tanh's backward after a product with a transposed operand: (g·wᵀ)·tanh′(z)
      { shapes: [[5, 3], [4, 3], [5, 4]], attrs: fusedEpilogueAttrs(op('matmul'), { transB: true }, fusedProgram(2, [{ op: op('tanhBackward'), attrs: undefined, args: [0, 1] }]), 0) },
      // a weight's update after its gradient: w − 0.1·(xᵀ·g), the product the chain's second input
      { shapes: [[6, 3], [6, 4], [3, 4]], attrs: fusedEpilogueAttrs(op('matmul'), { transA: true }, fusedProgram(2, [{ op: op('mul'), attrs: undefined, args: [1, 2] }, { op: op('sub'), attrs: undefined, args: [0, 3] }], [0.1]), 1) },
      // a linear layer, then a residual and a row broadcast: relu(x·w + b) + r·s
      { shapes: [[7, 5], [5, 9], [9], [7, 9], [9]], attrs: fusedEpilogueAttrs(op('linear'), { activation: 'relu' }, fusedProgram(3, [{ op: op('mul'), attrs: undefined, args: [1, 2] }, { op: op('add'), attrs: undefined, args: [0, 3] }]), 0), domain: 'awayFromZero' },
      // a bias's update after its gradient: b − 0.1·Σ_rows g
      { shapes: [[6, 4], [4]], attrs: fusedEpilogueAttrs(op('sum'), { axis: 0, keepDims: false }, fusedProgram(2, [{ op: op('mul'), attrs: undefined, args: [1, 2] }, { op: op('sub'), attrs: undefined, args: [0, 3] }], [0.1]), 1) },
      // a mean of every value, then its square
      { shapes: [[3, 5]], attrs: fusedEpilogueAttrs(op('mean'), { axis: null, keepDims: false }, fusedProgram(1, [{ op: op('square'), attrs: undefined, args: [0] }]), 0) },
      // batched product (broadcast batch) with a scalar: 2·(a @ b) + c
      { shapes: [[2, 3, 4], [4, 5], []], attrs: fusedEpilogueAttrs(op('matmul'), {}, fusedProgram(2, [{ op: op('mul'), attrs: undefined, args: [0, 2] }, { op: op('add'), attrs: undefined, args: [3, 1] }], [2]), 0) },
    ];
  },
});
