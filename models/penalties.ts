import * as fg from '../index.js';
import { leaves } from './tree.js';

/** Which leaves a penalty covers: by default every tensor except biases (keys 'b' and 'bias'). */
export type LeafFilter = (path: string, t: fg.Tensor) => boolean;
const notBias: LeafFilter = (path) => !/(^|\.)(b|bias)(\[\d+\])*$/.test(path);

function terms(tree: unknown, filter: LeafFilter, who: string): fg.Tensor[] {
  const ls = leaves(tree).filter((l) => filter(l.path, l.tensor));
  if (ls.length === 0) throw new fg.ArgumentError(`${who}: the tree holds no tensor the filter selects (biases are left out by default)`);
  return ls.map((l) => l.tensor);
}

const L1_KEYS = fg.optionKeys<NonNullable<Parameters<typeof l1>[1]>>({ filter: true });

/** Σ|w| over the selected tensors of a tree (a scalar tensor, differentiable; sign(0) = 0 at 0). */
export function l1(tree: unknown, opts: { filter?: LeafFilter } = {}): fg.Tensor {
  opts = fg.checkOptions('l1', opts, L1_KEYS) as typeof opts;
  return terms(tree, opts.filter ?? notBias, 'l1').map((w) => fg.sum(fg.abs(w))).reduce((a, b) => fg.add(a, b));
}

const L2_KEYS = fg.optionKeys<NonNullable<Parameters<typeof l2>[1]>>({ filter: true });

/** Σw² over the selected tensors of a tree (multiply by λ/2 for the usual weight-decay term). */
export function l2(tree: unknown, opts: { filter?: LeafFilter } = {}): fg.Tensor {
  opts = fg.checkOptions('l2', opts, L2_KEYS) as typeof opts;
  return terms(tree, opts.filter ?? notBias, 'l2').map((w) => fg.sum(fg.square(w))).reduce((a, b) => fg.add(a, b));
}
