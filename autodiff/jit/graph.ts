import type { Backend } from '../../engine/backend.js';
import { StateError, fmtShape } from '../../engine/errors.js';
import type { Shape } from '../../engine/shape.js';
import { Tensor, shareHandle, type Trace } from '../../engine/tensor.js';
import { scalarValues, type OpDef } from '../op.js';
import { Level } from '../trace.js';

/** Where a value of a traced graph comes from. */
export type Source =
  | { kind: 'input'; index: number }
  | { kind: 'const'; tensor: Tensor; scalar?: number }
  | { kind: 'op'; op: OpDef<any>; attrs: unknown; args: number[] }
  /** work with no result that must still run, in order (a solver's finiteness check) */
  | { kind: 'effect'; run: (values: Tensor[]) => void; args: number[] };

export interface Value {
  shape: Shape;
  src: Source;
}

/** A traced function: values in recording (topological) order (inputs among them), and which are outputs. */
export interface Graph {
  backend: Backend;
  values: Value[];
  outputs: number[];
}

export const READ_MESSAGE =
  'jit: the value of a traced tensor cannot be read while the jitted function is traced (data(), item(), or an if on a tensor); ' +
  'do that outside the jitted function, or pass the value as a number argument (numbers are static: each new value traces again)';

/** the key of the numbers among a graph's constants */
const NUMBERS = {};

/** A tensor being traced by jit: the id of its value in the graph, and no numbers. */
export class JitTrace implements Trace {
  readonly abstract = true;
  constructor(readonly level: JitLevel, readonly id: number) {}
  get depth(): number {
    return this.level.depth;
  }
  get primal(): Tensor {
    throw new StateError(READ_MESSAGE);
  }
  parts(): Tensor[] {
    return [];
  }
  /** the tape keeps traced values by handle; a graph value needs no keeping */
  retained(): JitTrace {
    return this;
  }
}

/**
 * The tracing level of jit: every op on its tensors is recorded into the graph instead of run.
 * Composite ops record the ops they are made of; tensors from outside (captured by f, or numbers
 * turned into scalars) become constants, held for as long as the graph lives.
 */
export class JitLevel extends Level {
  readonly values: Value[] = [];
  /** constants by storage and shape (handles of one storage are one value; a reshape is another) */
  private consts = new Map<object, Map<string, number>>();
  backend: Backend | null = null;

  process(op: OpDef<any>, inputs: Tensor[], attrs: unknown, shape: Shape | null): Tensor {
    if (op.forward) return op.forward(inputs, attrs);
    const args = inputs.map((x, i) => this.idOf(x, `${op.name}: argument ${op.args[i] ?? i} ${fmtShape(x.shape)}`));
    const id = this.values.push({ shape: shape!, src: { kind: 'op', op, attrs, args } }) - 1;
    return this.tracer(inputs[0]!.backend, shape!, id);
  }

  tracer(backend: Backend, shape: Shape, id: number): Tensor {
    return new Tensor(backend, shape, null, new JitTrace(this, id));
  }

  input(backend: Backend, shape: Shape, index: number): Tensor {
    return this.tracer(backend, shape, this.values.push({ shape, src: { kind: 'input', index } }) - 1);
  }

  /** The graph value of x: its own if traced here, else a constant (x's numbers as they are now). */
  idOf(x: Tensor, what: string): number {
    if (x.trace?.depth === this.depth) return (x.trace as JitTrace).id;
    if (x.trace) {
      throw new StateError(`${what} is traced by an outer transform (grad, jvp or vmap around the jitted function) but is not an argument of it; pass it to the jitted function as an argument`);
    }
    // a number given to an op is known by its value: equal numbers are one value
    const scalar = scalarValues.get(x.storage!);
    // others by storage and shape: the tape keeps its own handles of a captured tensor, and a
    // reshape shares its storage with another shape
    const key = scalar === undefined ? x.storage! : NUMBERS;
    const sub = scalar === undefined ? x.shape.join(',') : Object.is(scalar, -0) ? '-0' : `${scalar}`;
    let byShape = this.consts.get(key);
    if (!byShape) this.consts.set(key, (byShape = new Map()));
    let id = byShape.get(sub);
    if (id === undefined) {
      id = this.values.push({ shape: x.shape, src: { kind: 'const', tensor: shareHandle(x), scalar } }) - 1;
      byShape.set(sub, id);
    }
    return id;
  }

}

/** x without the transforms above a jit trace: the jit tracer underneath, if any. */
function underneath(x: Tensor): Tensor {
  let t = x;
  while (t.trace && !t.trace.abstract) t = t.trace.primal;
  return t;
}

/**
 * Runs `run` on the values of xs now, or, while jit traces them, records it to run on every
 * call of the plan (with the values of that call). For work that has no result but must happen,
 * like a solver's check that its states stay finite.
 */
export function withValues(xs: Tensor[], run: (values: Tensor[]) => void): void {
  const bases = xs.map(underneath);
  const traced = bases.find((b) => b.trace);
  if (!traced) return run(bases);
  const level = (traced.trace as JitTrace).level;
  const args = bases.map((b) => level.idOf(b, 'jit: a value checked by a solver'));
  level.values.push({ shape: [], src: { kind: 'effect', run, args } });
}
