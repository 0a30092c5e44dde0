import { StateError } from '../engine/errors.js';
import type { Shape } from '../engine/shape.js';
import { Tensor, shareHandle, type Trace } from '../engine/tensor.js';
import type { MaybeTensor, OpDef } from './op.js';
import { fromValues } from '../engine/creation.js';
import { sameShape, sizeOf } from '../engine/shape.js';
import { apply, opNamed } from './op.js';

// trace.ts sits below the op files; it reaches the two shape ops it needs through the registry.
const reshape = (t: Tensor, shape: Shape) => apply(opNamed('reshape'), [t], { shape });
const broadcastTo = (t: Tensor, shape: Shape) => apply(opNamed('broadcastTo'), [t], { shape });

/**
 * Transforms nest as levels (JAX's design): each grad or jvp in progress owns a level, and a
 * tensor traced by it wraps a primal from a lower level. An op on traced inputs is handled by
 * the highest level among them, which computes the primal one level down and records a tape
 * node (reverse mode) or pushes a tangent (forward mode). Rules operate on lower-level values,
 * so they are differentiated by the outer levels: grad of grad and forward-over-reverse work.
 */
abstract class Level {
  active = true;
  constructor(readonly depth: number) {}
  abstract process(op: OpDef<any>, inputs: Tensor[], attrs: unknown, outShape: Shape | null): Tensor;
  /** primal of x one level down if x is traced at this level, else x itself */
  lower(x: Tensor): Tensor {
    return x.trace?.depth === this.depth ? x.trace.primal : x;
  }
}

const stack: Level[] = [];

function depthOf(t: Tensor): number {
  return t.trace?.depth ?? 0;
}

/** Runs op on inputs at the highest level among them. outShape is null for composite ops. */
export function applyAt(op: OpDef<any>, inputs: Tensor[], attrs: unknown, outShape: Shape | null): Tensor {
  let depth = 0;
  for (const x of inputs) depth = Math.max(depth, depthOf(x));
  if (depth === 0) {
    if (op.forward) return op.forward(inputs, attrs);
    const backend = inputs[0]?.backend;
    if (!backend) throw new StateError(`${op.name}: needs at least one tensor input`);
    const storage = backend.run(op, inputs.map((x) => x.storage!), inputs.map((x) => x.shape), attrs, outShape!);
    return new Tensor(backend, outShape!, storage, null);
  }
  const level = stack[depth - 1];
  if (!level || !level.active || level.depth !== depth) {
    throw new StateError(`${op.name}: a traced tensor was used after its transform (grad/jvp/vmap) returned; return it from the function instead of storing it`);
  }
  return level.process(op, inputs, attrs, outShape);
}

/** A handle that keeps x's storage alive for the tape, independent of tidy() and dispose(). */
function retain(x: Tensor): Tensor {
  return x.trace ? new Tensor(x.backend, x.shape, null, (x.trace as BaseTrace).retained(), false) : shareHandle(x);
}

function release(x: Tensor): void {
  if (x.trace) for (const p of x.trace.parts()) release(p);
  x.dispose();
}

abstract class BaseTrace implements Trace {
  constructor(readonly depth: number, readonly primal: Tensor) {}
  abstract parts(): Tensor[];
  abstract retained(): BaseTrace;
}

// ---------------------------------------------------------------- forward mode

export class JvpTrace extends BaseTrace {
  constructor(depth: number, primal: Tensor, readonly tangent: Tensor) {
    super(depth, primal);
  }
  parts() {
    return [this.primal, this.tangent];
  }
  retained() {
    return new JvpTrace(this.depth, retain(this.primal), retain(this.tangent));
  }
}

export class JvpLevel extends Level {
  process(op: OpDef<any>, inputs: Tensor[], attrs: unknown, shape: Shape | null): Tensor {
    if (op.forward) return op.forward(inputs, attrs); // forward mode goes through the composite
    const outShape = shape!;
    const primals = inputs.map((x) => this.lower(x));
    const tangents: MaybeTensor[] = inputs.map((x) => (x.trace?.depth === this.depth ? (x.trace as JvpTrace).tangent : null));
    op.nondiff?.forEach((i) => (tangents[i] = null));
    const out = applyAt(op, primals, attrs, outShape);
    let tangent = op.jvp(primals, out, tangents, attrs) ?? zerosOn(out, outShape);
    if (!sameShape(tangent.shape, outShape)) tangent = broadcastTo(tangent, outShape);
    return traced(out, new JvpTrace(this.depth, out, tangent));
  }
}

function zerosOn(like: Tensor, shape: Shape): Tensor {
  return fromValues(new Float64Array(sizeOf(shape)), shape, like.backend);
}

function traced(primal: Tensor, trace: BaseTrace): Tensor {
  return new Tensor(primal.backend, primal.shape, null, trace);
}

// ---------------------------------------------------------------- reverse mode

export interface TapeNode {
  readonly id: number;
  readonly op: OpDef<any>;
  readonly attrs: unknown;
  /** retained primal inputs (null where the op's vjp does not need them) */
  inputs: MaybeTensor[];
  /** retained primal output, or null */
  out: MaybeTensor;
  readonly inShapes: Shape[];
  readonly outShape: Shape;
  /** the node (or leaf) each input came from, null for inputs not traced at this level */
  readonly parents: (TapeTrace | null)[];
}

export class TapeTrace extends BaseTrace {
  constructor(depth: number, primal: Tensor, readonly node: TapeNode | null, readonly leaf: number) {
    super(depth, primal);
  }
  parts() {
    return [this.primal];
  }
  retained() {
    return new TapeTrace(this.depth, retain(this.primal), this.node, this.leaf);
  }
}

let nodeIds = 0;

export class TapeLevel extends Level {
  readonly nodes: TapeNode[] = [];

  process(op: OpDef<any>, inputs: Tensor[], attrs: unknown, shape: Shape | null): Tensor {
    const primals = inputs.map((x) => this.lower(x));
    const out = applyAt(op, primals, attrs, shape);
    const outShape = shape ?? out.shape;
    const parents = inputs.map((x) => (x.trace?.depth === this.depth ? (x.trace as TapeTrace) : null));
    op.nondiff?.forEach((i) => (parents[i] = null));
    if (parents.every((p) => p === null)) return out;
    const saves = op.saves ?? { inputs: true, output: true };
    const node: TapeNode = {
      id: nodeIds++,
      op,
      attrs,
      inputs: primals.map((p) => (saves.inputs ? retain(p) : null)),
      out: saves.output ? retain(out) : null,
      inShapes: primals.map((p) => p.shape),
      outShape,
      parents,
    };
    this.nodes.push(node);
    return traced(out, new TapeTrace(this.depth, out, node, -1));
  }

  leaf(x: Tensor, index: number): Tensor {
    return traced(x, new TapeTrace(this.depth, x, null, index));
  }

  /** Frees what a node kept for its vjp. */
  static free(node: TapeNode): void {
    for (const x of node.inputs) if (x) release(x);
    if (node.out) release(node.out);
    node.inputs = [];
    node.out = null;
  }
}

// ---------------------------------------------------------------- batching (vmap)

/** A traced value of a vmap: `primal` holds every member, with the batch axis in front. */
export class BatchTrace extends BaseTrace {
  parts() {
    return [this.primal];
  }
  retained() {
    return new BatchTrace(this.depth, retain(this.primal));
  }
}

/**
 * Computes op on a batch, one level down: batched inputs carry the batch axis in front, the
 * others are shared by every member. Returns the output with the batch axis in front.
 * `outShape` is the shape of one member's output (null for composite ops).
 */
export type BatchRule = (op: OpDef<any>, inputs: Tensor[], batched: readonly boolean[], attrs: any, size: number, outShape: Shape | null) => Tensor;

let batchRuleOf: ((op: OpDef<any>) => BatchRule) | null = null;

/** Installed by autodiff/batching (which uses ops, so trace.ts cannot import it). */
export function setBatchRules(lookup: (op: OpDef<any>) => BatchRule): void {
  batchRuleOf = lookup;
}

export class BatchLevel extends Level {
  constructor(depth: number, readonly size: number) {
    super(depth);
  }

  process(op: OpDef<any>, inputs: Tensor[], attrs: unknown, shape: Shape | null): Tensor {
    const vals = inputs.map((x) => this.lower(x));
    const batched = inputs.map((x) => x.trace?.depth === this.depth);
    const out = batchRuleOf!(op)(op, vals, batched, attrs, this.size, shape);
    return this.wrap(out);
  }

  /** A tensor of this level standing for `value` (batch axis in front), one member's shape. */
  wrap(value: Tensor): Tensor {
    return new Tensor(value.backend, value.shape.slice(1), null, new BatchTrace(this.depth, value));
  }

  /** x with the batch axis in front, one level down (unbatched values are broadcast). */
  unwrap(x: Tensor): Tensor {
    if (x.trace?.depth === this.depth) return x.trace.primal;
    return broadcastTo(reshape(x, [1, ...x.shape]), [this.size, ...x.shape]);
  }
}

// ---------------------------------------------------------------- level lifecycle

export function pushLevel<L extends Level>(make: (depth: number) => L): L {
  const level = make(stack.length + 1);
  stack.push(level);
  return level;
}

export function popLevel(level: Level): void {
  if (stack[stack.length - 1] !== level) throw new StateError('transform levels popped out of order');
  stack.pop();
  level.active = false;
}

/** The value of t at level `depth`'s input, i.e. with that level's tracing removed. */
export function primalAt(t: Tensor, depth: number): Tensor {
  return t.trace?.depth === depth ? t.trace.primal : t;
}

export { Level };
