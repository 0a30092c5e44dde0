import { ArgumentError, ShapeError, fmtShape } from '../../engine/errors.js';
import { Tensor } from '../../engine/tensor.js';
import { isPlainObject } from '../../autodiff/tree.js';

/** The tensors of a parameter tree with their paths ("layers[1].W"), and a rebuild from new leaves. */
export interface Leaves {
  tensors: Tensor[];
  paths: string[];
  rebuild(leaves: Tensor[]): any;
}

export function leavesOf(tree: unknown, who: string, what: string): Leaves {
  const tensors: Tensor[] = [];
  const paths: string[] = [];
  const walk = (v: unknown, path: string): void => {
    if (v instanceof Tensor) {
      tensors.push(v);
      paths.push(path || '(root)');
    } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`));
    else if (isPlainObject(v)) for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k);
  };
  walk(tree, '');
  if (tensors.length === 0) throw new ArgumentError(`${who}: ${what} holds no tensor (expected a tensor or nested arrays / plain objects of tensors)`);
  const rebuild = (leaves: Tensor[]) => {
    let k = 0;
    const build = (v: unknown): unknown => {
      if (v instanceof Tensor) return leaves[k++];
      if (Array.isArray(v)) return v.map(build);
      if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([key, x]) => [key, build(x)]));
      return v;
    };
    return build(tree);
  };
  return { tensors, paths, rebuild };
}

/** Checks that `other` has the tensors of `ref` at the same paths with the same shapes. */
export function matchLeaves(ref: { paths: string[]; shapes: (readonly number[])[] }, other: Leaves, who: string, what: string, pure = false): void {
  if (other.tensors.length !== ref.paths.length || other.paths.some((p, i) => p !== ref.paths[i])) {
    throw new ShapeError(`${who}: ${what} has tensors at ${list(other.paths)}, expected ${list(ref.paths)} (the parameter tree the optimizer was made for)`);
  }
  other.tensors.forEach((t, i) => {
    if (t.shape.join() !== ref.shapes[i]!.join()) {
      throw new ShapeError(`${who}: ${what} ${other.paths[i]} has shape ${fmtShape(t.shape)}, expected ${fmtShape(ref.shapes[i]!)}`);
    }
    t.assertAlive(`${who}: ${what} ${other.paths[i]}`);
    if (t.trace && !pure) throw new ArgumentError(`${who}: ${what} ${other.paths[i]} is traced by a transform (grad/jvp); step the optimizer outside the function being differentiated`);
  });
}

const list = (paths: string[]) => (paths.length > 6 ? `${paths.slice(0, 6).join(', ')}, … (${paths.length})` : paths.join(', ') || 'none');
