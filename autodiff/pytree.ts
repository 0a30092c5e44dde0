// fg.tree: utilities over trees (a tensor, or nested arrays and plain objects of trees; other
// values — numbers, strings, null — ride along unchanged). Leaves come in a fixed order: arrays by
// index, objects by key order. Paths name leaves as in safetensors files: 'layers.0.W'.
import { ArgumentError, ShapeError, fmtShape } from '../engine/errors.js';
import { Tensor } from '../engine/tensor.js';
import { isPlainObject } from './tree.js';

/** The structure of a tree without its tensors: what unflatten needs to rebuild it. */
export interface TreeDef {
  /** number of tensors the tree holds */
  readonly leaves: number;
  /** the leaves' paths, in order */
  readonly paths: readonly string[];
  readonly rebuild: (leaves: readonly Tensor[]) => unknown;
}

const join = (path: string, key: string | number) => (path ? `${path}.${key}` : String(key));

function walk(v: unknown, path: string, visit: (t: Tensor, path: string) => unknown): unknown {
  if (v instanceof Tensor) return visit(v, path);
  if (Array.isArray(v)) return v.map((x, i) => walk(x, join(path, i), visit));
  if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, join(path, k), visit)]));
  return v;
}

/** The tree with every tensor t replaced by f(t, path); the structure and other values are kept. */
export function map<T>(tree: T, f: (t: Tensor, path: string) => Tensor): T {
  if (typeof f !== 'function') throw new ArgumentError('tree.map: f must be a function (tensor, path) => tensor');
  return walk(tree, '', f) as T;
}

/** The tensors of a tree, in order. */
export function leaves(tree: unknown): Tensor[] {
  const out: Tensor[] = [];
  walk(tree, '', (t) => out.push(t));
  return out;
}

/** The tensors of a tree with their paths ('layers.0.W'; '' for a tree that is one tensor). */
export function leavesWithPaths(tree: unknown): { path: string; tensor: Tensor }[] {
  const out: { path: string; tensor: Tensor }[] = [];
  walk(tree, '', (tensor, path) => out.push({ path, tensor }));
  return out;
}

/** [the tensors of a tree in order, its structure]: unflatten(def, leaves) rebuilds it. */
export function flatten(tree: unknown): [Tensor[], TreeDef] {
  const found = leavesWithPaths(tree);
  const def: TreeDef = {
    leaves: found.length,
    paths: found.map((l) => l.path),
    rebuild: (ls) => {
      let k = 0;
      return walk(tree, '', () => ls[k++]);
    },
  };
  return [found.map((l) => l.tensor), def];
}

/** The tree of `def` with these tensors in its leaves' places. */
export function unflatten<T = any>(def: TreeDef, leaves: readonly Tensor[]): T {
  if (!def || typeof def.rebuild !== 'function') throw new ArgumentError('tree.unflatten: def must come from tree.flatten');
  if (!Array.isArray(leaves) || leaves.length !== def.leaves) {
    throw new ArgumentError(`tree.unflatten: the tree has ${def.leaves} leaves, got ${Array.isArray(leaves) ? leaves.length : typeof leaves}`);
  }
  leaves.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new ArgumentError(`tree.unflatten: leaf ${i} (${def.paths[i] || 'the root'}) is not a Tensor`);
  });
  return def.rebuild(leaves) as T;
}

/**
 * One tree from several of the same structure: each leaf is f of the leaves at that place, e.g.
 * zipWith([params, grads], (p, g) => fg.sub(p, fg.mul(g, 0.1))). The structure (keys, lengths)
 * and the shapes must match; other values come from the first tree.
 */
export function zipWith<T>(trees: readonly [T, ...T[]], f: (...leaves: Tensor[]) => Tensor): T {
  if (!Array.isArray(trees) || trees.length === 0) throw new ArgumentError('tree.zipWith: trees must be a non-empty array of trees');
  if (typeof f !== 'function') throw new ArgumentError('tree.zipWith: f must be a function (...tensors) => tensor');
  const [first, ...rest] = trees;
  const structure = (v: unknown): string => (v instanceof Tensor ? 'a tensor' : Array.isArray(v) ? `an array of ${v.length}` : isPlainObject(v) ? `an object with keys ${Object.keys(v).join(', ') || '(none)'}` : `the value ${String(v)}`);
  const go = (vs: unknown[], path: string): unknown => {
    const [v] = vs;
    const where = path || 'the root';
    for (const [k, o] of vs.entries()) {
      const same = v instanceof Tensor ? o instanceof Tensor
        : Array.isArray(v) ? Array.isArray(o) && o.length === v.length
        : isPlainObject(v) ? isPlainObject(o) && Object.keys(o).join('\u0000') === Object.keys(v).join('\u0000')
        : !(o instanceof Tensor) && !Array.isArray(o) && !isPlainObject(o);
      if (!same) throw new ArgumentError(`tree.zipWith: tree ${k} has ${structure(o)} at ${where}, tree 0 has ${structure(v)}`);
      if (v instanceof Tensor && (o as Tensor).shape.join() !== v.shape.join()) {
        throw new ShapeError(`tree.zipWith: tree ${k} has shape ${fmtShape((o as Tensor).shape)} at ${where}, tree 0 has ${fmtShape(v.shape)}`);
      }
    }
    if (v instanceof Tensor) return f(...(vs as Tensor[]));
    if (Array.isArray(v)) return v.map((_, i) => go(vs.map((o) => (o as unknown[])[i]), join(path, i)));
    if (isPlainObject(v)) return Object.fromEntries(Object.keys(v).map((key) => [key, go(vs.map((o) => (o as Record<string, unknown>)[key]), join(path, key))]));
    return v;
  };
  return go([first, ...rest], '') as T;
}
