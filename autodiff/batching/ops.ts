import type { Tensor } from '../../engine/tensor.js';
import { apply, opNamed, type OpDef } from '../op.js';
import { convB, inputGradB, weightGradB } from '../ops/conv.js';
import { reshape } from '../ops/shape.js';
import { setBatchRules, type BatchRule } from '../trace.js';
import { batchedComposite } from './composite.js';
import { allBatched, broadcastingRule, expandBatch, foldIntoFirst, leadingRule, loopRule, moveAxis, padAfterBatch, unfoldFirst, withAttrs } from './rules.js';

// The batching rule of each registered op that is not elementwise: keyed by the op's name (the
// op files stay as they are); an op may also carry its own as `batch` in its definition.
// Ops without either fall back to the loop over members (loopRule), explicitly.

interface ReduceAttrs {
  axis: number | null;
  keepDims: boolean;
}

/** sum, mean, max, min, argmax, argmin, norm: the axis moves one up; "all" becomes the axis after the batch. */
const reduceRule: BatchRule = (op, [x], batched, attrs: ReduceAttrs, size, outShape) => {
  const xb = batched[0] ? x! : expandBatch(x!, size);
  if (attrs.axis !== null) return apply(op, [xb], { axis: attrs.axis + 1, keepDims: attrs.keepDims });
  const y = apply(op, [reshape(xb, [size, xb.size / size])], { axis: 1, keepDims: false });
  return reshape(y, [size, ...outShape!]);
};

/** matmul: with b shared and a a stack of plain matrices, the batch folds into a's rows (one larger product). */
const matmulRule: BatchRule = (op, [a, b], batched, attrs: { transA?: boolean } | undefined, size, outShape) => {
  if (batched[0] && !batched[1] && a!.rank === 3 && b!.rank === 2 && !attrs?.transA) {
    const y = apply(op, [foldIntoFirst(a!), b!], attrs);
    return reshape(y, [size, ...outShape!]);
  }
  return broadcastingRule(op, [a!, b!], batched, attrs, size, outShape);
};

/** linear: as matmul; a batched bias (one per member) is added after the product, then the activation. */
const linearRule: BatchRule = (op, [x, w, b], batched, attrs: { activation: string }, size, outShape) => {
  if (!batched[2]) {
    if (batched[0] && !batched[1] && x!.rank === 3 && w!.rank === 2) return reshape(apply(op, [foldIntoFirst(x!), w!, b!], attrs), [size, ...outShape!]);
    return broadcastingRule(op, [x!, w!, b!], batched, attrs, size, outShape);
  }
  const z = apply(opNamed('add'), [matmulRule(opNamed('matmul'), [x!, w!], batched, undefined, size, outShape), padAfterBatch(b!, outShape!.length)], undefined);
  return attrs.activation === 'none' ? z : apply(opNamed(attrs.activation), [z], undefined);
};

/** mseLoss: the mean of squared differences over each member's elements. */
const mseRule: BatchRule = (_op, [p, t], batched, _attrs, size) => {
  const d = apply(opNamed('sub'), [p!, t!], undefined);
  const sq = apply(opNamed('square'), [batched[0] || batched[1] ? d : expandBatch(d, size)], undefined);
  return apply(opNamed('mean'), [reshape(sq, [size, sq.size / size])], { axis: 1, keepDims: false });
};

/** gather: shared indices gather along the axis after the batch; shared x gathers with batched indices, then the batch moves to the front. */
const gatherRule: BatchRule = (op, [x, idx], batched, { axis }: { axis: number }, size, outShape) => {
  if (!batched[1]) return apply(op, [x!, idx!], { axis: axis + 1 });
  if (!batched[0]) return moveAxis(apply(op, [x!, idx!], { axis }), axis, 0);
  return loopRule(op, [x!, idx!], batched, { axis }, size, outShape);
};

/** scatterAdd: shared indices scatter along the axis after the batch. */
const scatterRule: BatchRule = (op, [u, idx], batched, attrs: { axis: number; size: number }, size, outShape) => {
  if (!batched[1]) return apply(op, [u!, idx!], { ...attrs, axis: attrs.axis + 1 });
  return loopRule(op, [u!, idx!], batched, attrs, size, outShape);
};

/** concat and stack: every member's list joined along the axis after the batch. */
const axisListRule = withAttrs(({ axis }: { axis: number }) => ({ axis: axis + 1 }));

/** Convolutions: the helpers that already carry a batch on the image (folded into N) or on the kernel (grouped). */
const convRule = (fn: (a: Tensor, b: Tensor, attrs: any) => Tensor): BatchRule => (_op, [a, b], _batched, attrs) => fn(a!, b!, attrs);

/**
 * Pooling and its adjoints: the batch folds into N of every input (the inputs of maxPool2dSelect
 * and maxPool2dGrad may have extra leading axes of their own: then the batch goes next to N).
 */
const poolRule: BatchRule = (op, inputs, batched, attrs, size, outShape) => {
  const xs = allBatched(inputs, batched, size);
  if (xs.every((x) => x.rank === 5)) return unfoldFirst(apply(op, xs.map(foldIntoFirst), attrs), size);
  const folded = xs.map((x) => {
    const n = x.rank - 4; // position of N with the batch moved next to it
    const moved = moveAxis(x, 0, n - 1);
    return reshape(moved, [...moved.shape.slice(0, n - 1), size * moved.shape[n]!, ...moved.shape.slice(n + 1)]);
  });
  const y = apply(op, folded, attrs);
  const n = outShape!.length - 4;
  const split = reshape(y, [...y.shape.slice(0, n), size, y.shape[n]! / size, ...y.shape.slice(n + 1)]);
  return moveAxis(split, n, 0);
};

/**
 * The NKN ops take one optional leading batch dimension on their two feature/kernel inputs
 * (base ranks given): a vmap over members uses it when the graph indices are shared and no
 * input has a batch of its own already; otherwise the loop.
 */
const ownBatchRule = (bases: [number, number]): BatchRule => (op, inputs, batched, attrs, size, outShape) => {
  const indexBatched = batched.slice(2).some((b) => b);
  const hasOwn = bases.some((base, i) => inputs[i]!.rank - (batched[i] ? 1 : 0) > base);
  if (indexBatched || hasOwn) return loopRule(op, inputs, batched, attrs, size, outShape);
  return apply(op, inputs, attrs);
};

const elementwise = broadcastingRule;

const RULES: Record<string, BatchRule> = {
  sum: reduceRule, mean: reduceRule, max: reduceRule, min: reduceRule, argmax: reduceRule, argmin: reduceRule, norm: reduceRule,
  reshape: withAttrs(({ shape }: { shape: number[] }, size) => ({ shape: [size, ...shape] })),
  transpose: withAttrs(({ perm }: { perm: number[] }) => ({ perm: [0, ...perm.map((p) => p + 1)] })),
  broadcastTo: (op, [x], _b, { shape }: { shape: number[] }, size) => apply(op, [padAfterBatch(x!, shape.length)], { shape: [size, ...shape] }),
  slice: withAttrs(({ begin, end }: { begin: number[]; end: number[] }, size) => ({ begin: [0, ...begin], end: [size, ...end] })),
  pad: withAttrs(({ widths, value }: { widths: [number, number][]; value: number }) => ({ widths: [[0, 0] as [number, number], ...widths], value })),
  concat: axisListRule,
  stack: axisListRule,
  gather: gatherRule,
  scatterAdd: scatterRule,
  oneHot: withAttrs((attrs: { axis: number }) => ({ ...attrs, axis: attrs.axis + 1 })),
  matmul: matmulRule,
  linear: linearRule,
  mseLoss: mseRule,
  stopGradient: leadingRule,
  lincomb: leadingRule,
  conv2d: convRule(convB),
  conv2dInputGrad: convRule(inputGradB),
  conv2dWeightGrad: convRule(weightGradB),
  // linear algebra is batched over leading dimensions already (solvers/linalg and its guards)
  eig: leadingRule, eigvals: leadingRule, eigh: leadingRule, svd: leadingRule, svdvals: leadingRule, columnArgmax: leadingRule, simpleGuard: leadingRule,
  lu: leadingRule, slogdet: leadingRule, cholesky: leadingRule,
  nknEdge: ownBatchRule([2, 3]), nknEdgeGradH: ownBatchRule([2, 3]), nknEdgeGradK: ownBatchRule([2, 2]),
  nknApply: ownBatchRule([2, 2]), nknOuter: ownBatchRule([2, 2]),
  maxPool2d: poolRule, maxPool2dSelect: poolRule, maxPool2dGrad: poolRule, avgPool2d: poolRule, avgPool2dGrad: poolRule,
};

/** The rule vmap uses for op: its own, the table's, the elementwise one, else the loop. */
export function batchRuleFor(op: OpDef<any>): BatchRule {
  if (op.forward) return batchedComposite;
  return op.batch ?? RULES[op.name] ?? (op.broadcasting ? elementwise : loopRule);
}

/** Names of the registered ops batched by the loop over members (the conformance suite lists them). */
export function loopedOps(ops: OpDef<any>[]): string[] {
  return ops.filter((op) => batchRuleFor(op) === loopRule).map((op) => op.name);
}

setBatchRules(batchRuleFor);
