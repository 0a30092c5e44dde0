import { add, mul } from '../../autodiff/ops/arith.js';
import { ShapeError, fmtShape } from '../../engine/errors.js';
import type { Tensor } from '../../engine/tensor.js';
import type { Arena } from './arena.js';
import type { Stepper } from './rk.js';

/**
 * Leapfrog / velocity Verlet for a separable Hamiltonian H(q, p) = T(p) + V(q).
 *
 * The state's last axis holds positions then momenta: y[..., :n] = q, y[..., n:] = p (so a
 * batch of systems is [B, 2n]). f(t, y) returns dy/dt in the same layout: [∂H/∂p, −∂H/∂q].
 * Separability is what the scheme relies on: the q-half of f may depend on p only and the
 * p-half on q only (it is not checked). One step, each half picked out by a 0/1 mask, which
 * is exact in floating point:
 *   p ← p + (h/2)·F(q);  q ← q + h·G(p);  p ← p + (h/2)·F(q)
 * with G the q-half and F the p-half of f. The last kick's F(q) is the next step's first
 * (carried), so a step costs two evaluations of f. The map is symplectic and time-reversible:
 * stepping back with −h retraces the path to round-off.
 */
export function leapfrogStepper(arena: Arena, y0: Tensor, label: string): Stepper {
  const width = y0.shape[y0.rank - 1];
  if (y0.rank === 0 || width! % 2 !== 0) {
    throw new ShapeError(`${label}: y0 ${fmtShape(y0.shape)} must have an even last dimension: y[..., :n] holds the positions q and y[..., n:] the momenta p`);
  }
  const n = width! / 2;
  const q = arena.constant(Array.from({ length: 2 * n }, (_, i) => (i < n ? 1 : 0)), [2 * n]);
  const p = arena.constant(Array.from({ length: 2 * n }, (_, i) => (i < n ? 0 : 1)), [2 * n]);
  return {
    step(arena, dyn, t, h, [y], carry) {
      const kick = (at: number, s: Tensor) => mul(dyn(at, [s])[0]!, p);
      const half = arena.scalar(h / 2);
      const f0 = carry?.[0] ?? kick(t, y!);
      const yHalf = add(y!, mul(f0, half));
      const yDrift = add(yHalf, mul(mul(dyn(t + h / 2, [yHalf])[0]!, q), arena.scalar(h)));
      const f1 = kick(t + h, yDrift);
      return { y: [add(yDrift, mul(f1, half))], carry: [f1] };
    },
  };
}
