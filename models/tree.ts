import * as fg from '../index.js';

const isPlain = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype;

/** The tensors of a tree (nested arrays and plain objects) with their paths, e.g. "layers[0].W". */
export function leaves(tree: unknown): { path: string; key: string; tensor: fg.Tensor }[] {
  const out: { path: string; key: string; tensor: fg.Tensor }[] = [];
  const walk = (v: unknown, path: string, key: string): void => {
    if (v instanceof fg.Tensor) out.push({ path: path || '(root)', key, tensor: v });
    else if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`, key));
    else if (isPlain(v)) for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k, k);
  };
  walk(tree, '', '');
  return out;
}

/** The tree with every tensor replaced by f(tensor). */
export function mapTree<T>(tree: T, f: (t: fg.Tensor) => fg.Tensor): T {
  if (typeof f !== 'function') throw new fg.ArgumentError(`mapTree: f must be a function (tensor) => tensor, got ${typeof f}`);
  const build = (v: unknown): unknown => {
    if (v instanceof fg.Tensor) return f(v);
    if (Array.isArray(v)) return v.map(build);
    if (isPlain(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, build(x)]));
    return v;
  };
  return build(tree) as T;
}

/** The number of scalars in a tree of tensors: the trainable-parameter count. */
export function countParams(tree: unknown): number {
  return leaves(tree).reduce((n, l) => n + l.tensor.size, 0);
}

/** Disposes every tensor of a tree. */
export function disposeTree(tree: unknown): void {
  for (const l of leaves(tree)) l.tensor.dispose();
}
