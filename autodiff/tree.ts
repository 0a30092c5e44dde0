import { Tensor } from '../engine/tensor.js';
import { isPlainObject } from '../engine/options.js';

/** A value made of tensors: a tensor, or nested arrays / plain objects of trees. */
export type Tree = Tensor | readonly Tree[] | { readonly [k: string]: Tree } | number | null | undefined;

/** The tensors of a tree in a fixed order, and a function that rebuilds the tree from new leaves. */
export function flatten(tree: unknown): { leaves: Tensor[]; rebuild: (leaves: Tensor[]) => any } {
  const leaves: Tensor[] = [];
  const walk = (v: unknown): unknown => {
    if (v instanceof Tensor) {
      leaves.push(v);
      return null;
    }
    if (Array.isArray(v)) v.forEach(walk);
    else if (isPlainObject(v)) Object.values(v).forEach(walk);
    return null;
  };
  walk(tree);
  const rebuild = (newLeaves: Tensor[]) => {
    let k = 0;
    const build = (v: unknown): unknown => {
      if (v instanceof Tensor) return newLeaves[k++];
      if (Array.isArray(v)) return v.map(build);
      if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([key, x]) => [key, build(x)]));
      return v;
    };
    return build(tree);
  };
  return { leaves, rebuild };
}

export { isPlainObject };
