import type { Backend, Kernel } from '../engine/backend.js';
import type { GpuArg, GpuRuntime } from '../engine/webgpu/runtime.js';
import type { Epilogue } from '../kernels/epilogue.js';
import { currentBackend } from '../engine/context.js';
import { fromValues } from '../engine/creation.js';
import { ArgumentError, ShapeError, StateError, fmtShape } from '../engine/errors.js';
import type { Shape } from '../engine/shape.js';
import { Tensor } from '../engine/tensor.js';
import { applyAt, type BatchRule } from './trace.js';

export type MaybeTensor = Tensor | null;

/**
 * Everything about one differentiable op: kernels (WebGPU and float64 reference), shape rule
 * with validation, and derivative rules written with ops (so they are differentiable again).
 *
 * Cotangents may carry ONE extra leading batch dimension (vjp's pullback takes a batch of
 * cotangents); rules must keep it in front. jacfwd and jacrev batch with vmap instead, which
 * calls the rules once per op with each member's shapes (see `batch`).
 */
export interface OpDef<A = undefined> extends Kernel<A> {
  readonly name: string;
  /** names of the tensor arguments, for error messages */
  readonly args: readonly string[];
  /** output shape; throws a ShapeError naming op, argument and shapes on bad input */
  shape(shapes: Shape[], attrs: A): Shape;
  /**
   * Cotangents of the inputs given the cotangent g of the output (null: none flows).
   * `inputs`/`out` hold tensors only where `saves` keeps them; `shapes` are the input shapes.
   * g has the output's shape, after `g.rank − outShape.length` leading batch dimensions.
   * `needs` (when given) says which cotangents are used; a rule may return null for the others.
   */
  vjp(inputs: Tensor[], out: Tensor, g: Tensor, attrs: A, shapes: Shape[], outShape: Shape, needs?: readonly boolean[]): MaybeTensor[];
  /** tangent of the output given tangents of the inputs (null: zero) */
  jvp(inputs: Tensor[], out: Tensor, tangents: MaybeTensor[], attrs: A): MaybeTensor;
  /**
   * Inputs broadcast against each other to the output's rank (elementwise ops, matmul's batch
   * dimensions): batched tangents of lower-rank inputs are padded to that rank before jvp.
   */
  readonly broadcasting?: boolean;
  /** inputs with no derivative (indices, labels) */
  readonly nondiff?: readonly number[];
  /** which values the tape keeps for vjp; unneeded ones are freed early */
  readonly saves?: { inputs: boolean; output: boolean };
  /** sample inputs for the conformance suite */
  readonly samples: readonly OpSample<A>[];
  /**
   * A composite op: computed by running other ops (not a kernel), with its own vjp rule
   * (customVjp). Forward mode differentiates through `forward` itself.
   */
  forward?(inputs: Tensor[], attrs: A): Tensor;
  /**
   * The op on a batch (vmap), where the generic rules (elementwise broadcasting, or the ones
   * in autodiff/batching/ops.ts) do not fit.
   */
  readonly batch?: BatchRule;
  /**
   * An elementwise map as one WGSL expression of its inputs a, b, c, … (read broadcast to the
   * output's shape) and of attribute values p0, p1, … (`params`); `expr` gives it for given
   * attributes where they set the number of inputs. jit fuses chains of such ops into one
   * generated kernel.
   */
  readonly elementwise?: { readonly wgsl?: string; expr?(attrs: A): string; params?(attrs: A): number[] };
  /**
   * The gpu face with an elementwise chain applied to each output value before it is stored:
   * kernels that can (products, reductions) let jit fuse their consumer into them.
   */
  gpuEpilogue?(rt: GpuRuntime, inputs: GpuArg[], out: GpuArg, attrs: A, epilogue: Epilogue): void;
  /** bad inputs the op must reject, with what its error must say (conformance suite) */
  readonly rejects?: readonly { shapes: number[][]; attrs: A; message: RegExp }[];
}

export interface OpSample<A> {
  shapes: number[][];
  attrs: A;
  /** input domain for random samples: real line, positive numbers, or away from kinks */
  domain?: 'real' | 'positive' | 'awayFromZero';
  /** fixed values for some inputs (indices, labels, conditions), by input position; others are random */
  values?: readonly (readonly number[] | undefined)[];
  /**
   * The op's derivative is zero by definition (stopGradient): the suite checks that instead of
   * finite differences.
   */
  zeroDerivative?: boolean;
}

const registry = new Map<string, OpDef<any>>();

export function defineOp<A = undefined>(def: OpDef<A>): OpDef<A> {
  if (registry.has(def.name)) throw new Error(`op ${def.name} is defined twice`);
  registry.set(def.name, def);
  return def;
}

export function opNamed(name: string): OpDef<any> {
  const op = registry.get(name);
  if (!op) throw new Error(`op ${name} is not registered`);
  return op;
}

/** Every registered op, for the conformance suite and `flowgrad gradcheck`. */
export function registeredOps(): OpDef<any>[] {
  return [...registry.values()];
}

export type TensorOrNumber = Tensor | number;

/** The number behind each scalar made by scalarTensor (jit bakes them into its kernels). */
export const scalarValues = new WeakMap<object, number>();

/** A scalar tensor of v that remembers v, so that jit can write it into a kernel. */
export function scalarTensor(v: number, backend: Backend): Tensor {
  const t = fromValues([v], [], backend);
  scalarValues.set(t.storage!, v);
  return t;
}

/** Runs an op on tensors (numbers become scalars on the tensors' backend). */
export function apply<A>(op: OpDef<A>, args: TensorOrNumber[], attrs: A): Tensor {
  const first = args.find((a): a is Tensor => a instanceof Tensor);
  const backend = first?.backend ?? currentBackend();
  const inputs = args.map((a, i) => {
    if (a instanceof Tensor) {
      a.assertAlive(`${op.name}: argument ${op.args[i] ?? i}`);
      if (a.backend !== backend) {
        throw new StateError(`${op.name}: argument ${op.args[i] ?? i} is on the ${a.backend.name} backend but ${op.args[0]} is on ${backend.name}; move tensors to one backend first`);
      }
      return a;
    }
    if (typeof a !== 'number') {
      throw new ArgumentError(`${op.name}: argument ${op.args[i] ?? i} must be a Tensor or a number, got ${a === null ? 'null' : typeof a}`);
    }
    return scalarTensor(a, backend);
  });
  const outShape = op.forward ? null : op.shape(inputs.map((t) => t.shape), attrs);
  return applyAt(op, inputs, attrs, outShape);
}

/** Error helper: `op: argument x has shape [..], expected …`. */
export function shapeError(op: string, what: string): ShapeError {
  return new ShapeError(`${op}: ${what}`);
}

export const describeArgs = (op: OpDef<any>, shapes: Shape[]) => shapes.map((s, i) => `${op.args[i] ?? i} ${fmtShape(s)}`).join(', ');
