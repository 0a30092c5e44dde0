import { ArgumentError, ShapeError, fmtShape } from '../engine/errors.js';
import { Tensor } from '../engine/tensor.js';
import './batching/ops.js';
import { moveAxis } from './batching/rules.js';
import { batchedCall } from './batching/run.js';
import { checkOptions, describe, isPlainObject, optionKeys } from '../engine/options.js';
import { flatten } from './tree.js';

/** A batch axis, null (not mapped), or a tree of them matching (a prefix of) a value's tree. */
export type AxisSpec = number | null | readonly AxisSpec[] | { readonly [k: string]: AxisSpec };

export interface VmapOptions {
  /** per argument (an array with one entry per argument) or for all: the mapped axis (default 0) */
  inAxes?: AxisSpec;
  /** for the outputs: where the batch axis goes (default 0); null: not mapped */
  outAxes?: AxisSpec;
}

interface Leaf {
  x: Tensor;
  axis: number | null;
  where: string;
}

/**
 * The axis of every tensor of `value`, by a spec that is a number/null (for the whole subtree)
 * or a tree of the same structure as value, in the order flatten() visits the tensors.
 */
function leavesWithAxes(spec: AxisSpec | undefined, value: unknown, where: string, specName: string, out: Leaf[] = []): Leaf[] {
  if (spec === undefined || spec === null || typeof spec === 'number') {
    for (const x of flatten(value).leaves) out.push({ x, axis: spec ?? null, where });
    return out;
  }
  const mismatch = (what: string) =>
    new ArgumentError(`vmap: ${specName} ${JSON.stringify(spec)} does not match ${where}: ${what}`);
  if (Array.isArray(spec)) {
    if (!Array.isArray(value)) throw mismatch(`an array of ${spec.length} was given for ${describe(value)}`);
    if (value.length !== spec.length) throw mismatch(`${spec.length} entries for an array of ${value.length}`);
    value.forEach((v, i) => leavesWithAxes(spec[i], v, `${where}[${i}]`, specName, out));
    return out;
  }
  if (isPlainObject(spec)) {
    if (!isPlainObject(value)) throw mismatch(`an object was given for ${describe(value)}`);
    const keys = Object.keys(value);
    const extra = Object.keys(spec).filter((k) => !keys.includes(k));
    if (extra.length) throw mismatch(`it has no key ${extra.map((k) => JSON.stringify(k)).join(', ')}`);
    for (const k of keys) leavesWithAxes((spec as Record<string, AxisSpec>)[k], value[k], `${where}.${k}`, specName, out);
    return out;
  }
  throw new ArgumentError(`vmap: ${specName} must hold numbers, null, arrays or objects, got ${JSON.stringify(spec)} for ${where}`);
}

function normAxis(axis: number, rank: number, what: string, specName: string): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new ShapeError(`vmap: ${specName} ${axis} is out of range for ${what} (valid: ${-rank} … ${rank - 1})`);
  }
  return axis < 0 ? axis + rank : axis;
}

/**
 * vmap(f, { inAxes, outAxes }): f mapped over a batch axis of its arguments, as one computation
 * (JAX's semantics). Each op runs once on the whole batch through its batching rule, so the
 * results are ordinary tensors and vmap composes with grad, jvp, jacfwd, jacrev and itself in
 * any order. Tensors f uses from outside (not arguments) are shared by every member.
 *
 * - inAxes: a number (every tensor argument mapped along that axis), null (not mapped), or an
 *   array with one entry per argument, each a number, null or a tree matching the argument.
 * - outAxes: the same for f's result; the batch axis is inserted there (default 0). An output
 *   that does not depend on the mapped inputs is broadcast, unless its outAxes is null.
 * Negative axes count from the end. All mapped axes must have one size.
 */
const VMAP_KEYS = optionKeys<VmapOptions>({ inAxes: true, outAxes: true });

export function vmap(f: (...args: any[]) => any, opts: VmapOptions = {}) {
  if (typeof f !== 'function') throw new ArgumentError(`vmap: f must be a function, got ${typeof f}`);
  checkOptions('vmap', opts, VMAP_KEYS);
  const inAxes = opts.inAxes === undefined ? 0 : opts.inAxes;
  const outAxes = opts.outAxes === undefined ? 0 : opts.outAxes;
  return (...args: any[]): any => {
    if (isPlainObject(inAxes)) throw new ArgumentError('vmap: inAxes must be a number, null or an array with one entry per argument (wrap a tree spec in an array)');
    if (Array.isArray(inAxes) && inAxes.length !== args.length) {
      throw new ArgumentError(`vmap: inAxes has ${inAxes.length} entries but f was called with ${args.length} argument(s)`);
    }
    const perArg = args.map((a, i) => leavesWithAxes(Array.isArray(inAxes) ? inAxes[i] : inAxes, a, `argument ${i}`, 'inAxes'));
    const mapped = perArg.flat().filter((l) => l.axis !== null);
    for (const l of perArg.flat()) l.x.assertAlive(`vmap: ${l.where}`);
    for (const l of mapped) l.axis = normAxis(l.axis!, l.x.rank, `${l.where} of shape ${fmtShape(l.x.shape)}`, 'inAxes');
    if (mapped.length === 0) throw new ArgumentError(`vmap: no argument is mapped (inAxes ${JSON.stringify(inAxes)}); give at least one tensor a batch axis`);
    const size = mapped[0]!.x.shape[mapped[0]!.axis!]!;
    if (mapped.some((l) => l.x.shape[l.axis!] !== size)) {
      const sizes = mapped.map((l) => `${l.where} ${fmtShape(l.x.shape)} axis ${l.axis}: ${l.x.shape[l.axis!]}`).join('; ');
      throw new ShapeError(`vmap: the mapped axes have different sizes: ${sizes}`);
    }
    const moved: Tensor[] = [];
    let results: Tensor[] = [];
    try {
      return batchedCall(
        size,
        (level) => {
          const wrapped = args.map((a, i) => {
            const { rebuild } = flatten(a);
            return rebuild(perArg[i]!.map((l) => {
              if (l.axis === null) return l.x;
              const front = moveAxis(l.x, l.axis, 0);
              if (front !== l.x) moved.push(front);
              return level.wrap(front);
            }));
          });
          return f(...wrapped);
        },
        (level, out) => {
          const leaves = leavesWithAxes(outAxes, out, 'the output', 'outAxes');
          const placed = leaves.map(({ x, axis, where }) => {
            const traced = x.trace?.depth === level.depth;
            if (axis === null) {
              if (traced) throw new ArgumentError(`vmap: ${where} ${fmtShape(x.shape)} differs between members but its outAxes is null`);
              return x;
            }
            const at = normAxis(axis, x.rank + 1, `${where} of shape ${fmtShape(x.shape)} (with the batch axis)`, 'outAxes');
            return moveAxis(level.unwrap(x), 0, at);
          });
          results = placed;
          return flatten(out).rebuild(placed);
        },
      );
    } finally {
      for (const t of moved) if (!results.includes(t)) t.dispose();
    }
  };
}
