import { ArgumentError } from '../../engine/errors.js';
import { tidy } from '../../engine/scope.js';
import type { Tensor } from '../../engine/tensor.js';
import { add, div, mul, sqrt, square, sub } from '../../autodiff/ops/arith.js';
import { relu } from '../../autodiff/ops/activation.js';
import { sum } from '../../autodiff/ops/reduce.js';
import { leavesOf } from './tree.js';

/** ‖g‖ over all tensors of a tree together, as a scalar tensor (no readback). */
export function globalNorm(tree: unknown): Tensor {
  const { tensors } = leavesOf(tree, 'optim.globalNorm', 'the tree');
  return tidy(() => sqrt(tensors.map((g) => sum(square(g))).reduce((a, b) => add(a, b))));
}

/** min(1, maxNorm/‖g‖) as a scalar tensor: maxNorm / (maxNorm + relu(‖g‖ − maxNorm)), no branch, no readback. */
export function clipFactor(tensors: Tensor[], maxNorm: number): Tensor {
  return tidy(() => {
    const norm = sqrt(tensors.map((g) => sum(square(g))).reduce((a, b) => add(a, b)));
    return div(maxNorm, add(relu(sub(norm, maxNorm)), maxNorm));
  });
}

/**
 * The gradients scaled so that their global norm is at most maxNorm (unchanged when it is
 * already smaller), and the norm before clipping — both computed on the device.
 */
export function clipByGlobalNorm<T>(grads: T, maxNorm: number): { grads: T; norm: Tensor } {
  if (typeof maxNorm !== 'number' || !(maxNorm > 0) || !Number.isFinite(maxNorm)) {
    throw new ArgumentError(`optim.clipByGlobalNorm: maxNorm must be a positive number, got ${String(maxNorm)}`);
  }
  const leaves = leavesOf(grads, 'optim.clipByGlobalNorm', 'grads');
  return tidy(() => {
    const norm = sqrt(leaves.tensors.map((g) => sum(square(g))).reduce((a, b) => add(a, b)));
    const factor = div(maxNorm, add(relu(sub(norm, maxNorm)), maxNorm));
    return { grads: leaves.rebuild(leaves.tensors.map((g) => mul(g, factor))), norm };
  });
}
