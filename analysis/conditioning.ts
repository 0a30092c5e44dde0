// Singular values and condition number of a network's input–output Jacobian, per example.
import * as fg from '../index.js';
import { perExampleJacobian } from './jacobian.js';
import { tensorArg } from './options.js';

export interface Conditioning {
  /** the per-example Jacobians ∂fn(x)_b/∂x_b flattened to [B, M, D] (M outputs, D inputs per example) */
  jacobian: fg.Tensor;
  /** σ₁ ≥ … ≥ σ_k of each Jacobian, k = min(M, D): [B, k] */
  singularValues: fg.Tensor;
  /** σ₁/σ_k of each Jacobian: [B] (Infinity where σ_k = 0) */
  condition: fg.Tensor;
}

/**
 * The input–output Jacobian of fn at each example of x [B, ...] and its conditioning. fn maps a
 * batch to a batch, [B, ...] → [B, ...], each example independently (a ResNet, a Neural ODE, any
 * model's apply); the Jacobians of all B examples come from one forward-mode pass of D tangents
 * (D = inputs per example), the singular values from one batched SVD.
 */
export function jacobianConditioning(fn: (x: fg.Tensor) => fg.Tensor, x: fg.Tensor): Conditioning {
  const who = 'jacobianConditioning';
  if (typeof fn !== 'function') throw new fg.ArgumentError(`${who}: fn must be a function x => fn(x) on a batch`);
  tensorArg(who, 'x', x, 2);
  const [B, ...inner] = x.shape as [number, ...number[]];
  const D = inner.reduce((a, b) => a * b, 1);
  if (B === 0 || D === 0) throw new fg.ShapeError(`${who}: x has shape [${x.shape.join(', ')}]: expected a batch of examples [B, ...] with B ≥ 1 and at least one input each`);
  const checked = (u: fg.Tensor) => {
    const y = fn(u);
    if (!(y instanceof fg.Tensor) || y.rank < 1 || y.shape[0] !== B) {
      throw new fg.ShapeError(`${who}: fn must map the batch [${x.shape.join(', ')}] to outputs [${B}, ...], got ${y instanceof fg.Tensor ? `[${y.shape.join(', ')}]` : typeof y}`);
    }
    return y;
  };
  const J = perExampleJacobian(checked, fg.stopGradient(x), inner.length); // [B, ...out, ...inner]
  const M = J.size / (B * D);
  if (M === 0) throw new fg.ShapeError(`${who}: fn's outputs hold no values per example`);
  const jacobian = fg.reshape(J, [B, M, D]);
  const singularValues = fg.linalg.svdvals(jacobian);
  const k = Math.min(M, D);
  const first = fg.reshape(fg.slice(singularValues, [0], [1], [-1]), [B]);
  const last = fg.reshape(fg.slice(singularValues, [k - 1], [k], [-1]), [B]);
  return { jacobian, singularValues, condition: fg.div(first, last) };
}
