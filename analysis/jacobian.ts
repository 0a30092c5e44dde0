// Per-example Jacobians of a batched map in one forward-mode pass.
import * as fg from '../index.js';

/**
 * The Jacobian of each example of a batched map g: for x [B..., ...inner] and g acting on each
 * example independently (row-wise, as models do on a batch), J_b = ∂g(x)_b/∂x_b, shape
 * [B..., ...out, ...inner]. One jacfwd pass pushes size(inner) tangents: a shift u [...inner]
 * added to every example moves each output only through its own example.
 */
export function perExampleJacobian(g: (x: fg.Tensor) => fg.Tensor, x: fg.Tensor, innerRank: number): fg.Tensor {
  const inner = x.shape.slice(x.rank - innerRank);
  return fg.jacfwd((u: fg.Tensor) => g(fg.add(x, u)))(fg.zeros(inner));
}
