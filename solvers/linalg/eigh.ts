/**
 * Symmetric eigendecomposition as a registry op: `eigh`, A [..., n, n] → [..., n + 1, n]:
 * row 0 the eigenvalues (ascending), rows 1…n the orthonormal eigenvectors as columns (largest
 * entry of each positive). Only the lower triangle of A is read (LAPACK's UPLO = 'L'), so A
 * stands for S = tril(A) + tril(A, −1)ᵀ; fg.linalg.eigh symmetrizes its input first.
 *
 * Derivatives: with P = Vᵀ dS V, dλ = diag(P), dV = V (F∘P), F[i][j] = 1/(λⱼ − λᵢ) off the
 * diagonal; the VJP is the adjoint, S̄ = V (diag(ḡλ) + F∘(Vᵀ ḡV)) Vᵀ, folded onto the lower
 * triangle. Tied eigenvalues need no gap: F is 0 between them (a function of the eigenvalues
 * alone gets V diag(ḡλ) Vᵀ, of a repeated one's eigenspace the derivative of its projector).
 * Only an eigenvector cotangent that depends on the basis within a repeated eigenspace, i.e.
 * whose X = Vᵀ ḡV is not symmetric between tied i, j, has no derivative: a NumericalError naming
 * i and j. Forward mode cannot see how the tangent is used: it returns dV of the basis that does
 * not rotate within a repeated eigenspace (exact for functions of the eigenspace).
 */

import { fromValues } from '../../engine/creation.js';
import type { Shape } from '../../engine/shape.js';
import type { Tensor } from '../../engine/tensor.js';
import { EIGH_MAX_SWEEPS, launchEigh } from '../../kernels/linalg/eigh.js';
import { statusBuffer } from '../../kernels/linalg/status.js';
import { apply, defineOp, type OpDef } from '../../autodiff/op.js';
import { add, div, mul, sub } from '../../autodiff/ops/arith.js';
import { concat } from '../../autodiff/ops/concat.js';
import { mm } from '../../autodiff/ops/matmul.js';
import { mT, reshape } from '../../autodiff/ops/shape.js';
import { eigh as refEigh, forEachMatrix, identity } from './reference/index.js';
import { assertFiniteMatrix, checkMatrix, matrixCount, runReference } from './checks.js';
import { asCol, asRow, diagEmbed, diagOf, rows } from './complex.js';
import { couplingGuard, tieMask } from './guards.js';
import { eighSamples } from './samples.js';

function cpuEigh(a: Float64Array, shape: Shape): Float64Array {
  const n = shape[shape.length - 1]!;
  const out = new Float64Array(matrixCount(shape) * (n + 1) * n);
  if (out.length === 0) return out;
  forEachMatrix(a, matrixCount(shape), n * n, (m, b) => {
    // the lower triangle, mirrored: the upper one is never read (nor checked)
    const s = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) s[i * n + j] = s[j * n + i] = m[i * n + j]!;
    assertFiniteMatrix('eigh', 'A', shape, s, b);
    const { values, vectors } = runReference('eigh', 'A', shape, b, () => refEigh(s, n, { matrixIndex: b }));
    out.set(values, b * (n + 1) * n);
    out.set(vectors, b * (n + 1) * n + n);
  });
  return out;
}

const eighOp: OpDef = defineOp({
  name: 'eigh',
  args: ['A'],
  saves: { inputs: false, output: true },
  shape: ([a]) => {
    checkMatrix('eigh', 'A', a!, true);
    const n = a![a!.length - 1]!;
    return [...a!.slice(0, -2), n + 1, n];
  },
  cpu: ([a], [s]) => cpuEigh(a!, s!),
  gpu: (rt, [a], out) => launchEigh(rt, a!, out, statusBuffer(rt, { op: 'eigh', arg: 'A', shape: a!.shape, iteration: `the Jacobi iteration (at most ${EIGH_MAX_SWEEPS} sweeps)` })),
  vjp: (_a, y, g) => [eighVjp(y, g)],
  jvp: (_a, y, [da]) => da && eighJvp(y, da),
  samples: eighSamples.map((s) => ({ ...s, attrs: undefined })),
  rejects: [
    { shapes: [[2, 3]], attrs: undefined, message: /eigh: A must be square in its last two dimensions, got A \[2, 3\]/ },
    { shapes: [[]], attrs: undefined, message: /eigh: A must be a matrix or a batch of matrices \(rank ≥ 2\), got A \[\]/ },
  ],
});

/** A (lower triangle read) → [..., n + 1, n]. */
export const eighPacked = (a: Tensor) => apply(eighOp, [a], undefined);

interface SymParts {
  lam: Tensor;
  v: Tensor;
  eye: Tensor;
  /** strictly lower triangle mask */
  lower: Tensor;
  f: Tensor;
  /** 1 between tied eigenvalues */
  tied: Tensor;
  argShape: Shape;
}

function parts(y: Tensor): SymParts {
  const n = y.shape[y.rank - 1]!;
  const first = rows(y, 0, 1);
  const lam = reshape(first, first.shape.slice(0, -2).concat(n));
  const eye = fromValues(identity(n), [n, n], y.backend);
  const lowerValues = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) lowerValues[i * n + j] = 1;
  // F[i][j] = 1/(λⱼ − λᵢ) off the diagonal and between untied values (the identity and the
  // tie mask keep the denominator away from 0)
  const tied = tieMask(y, 'sym');
  const f = div(sub(sub(1, eye), tied), add(add(sub(asRow(lam), asCol(lam)), eye), tied));
  return {
    lam,
    v: rows(y, 1, n + 1),
    eye,
    lower: fromValues(lowerValues, [n, n], y.backend),
    f,
    tied,
    argShape: [...y.shape.slice(0, -2), n, n],
  };
}

function eighJvp(y: Tensor, da: Tensor): Tensor {
  const p = parts(y);
  // dS = tril(dA) + tril(dA, −1)ᵀ
  const dl = mul(da, p.lower);
  const ds = add(add(mul(da, p.eye), dl), mT(dl));
  const pm = mm(mm(p.v, ds, true, false), p.v, false, false);
  const dlam = diagOf(pm, p.eye);
  const dv = mm(p.v, mul(p.f, pm), false, false);
  return concat([asRow(dlam), dv], -2);
}

function eighVjp(y: Tensor, g: Tensor): Tensor {
  const p = parts(y);
  const n = p.v.shape[p.v.rank - 1]!;
  const g0 = rows(g, 0, 1);
  const glam = reshape(g0, g0.shape.slice(0, -2).concat(n));
  const x = mm(p.v, rows(g, 1, n + 1), true, false);
  // only the antisymmetric part of X reaches S̄ (it is symmetrized): between tied values it must vanish
  const guard = couplingGuard(mul(p.tied, sub(x, mT(x))), x, { kind: 'sym', coupling: 'vectors', op: 'eigh', arg: 'A', argShape: p.argShape });
  const inner = add(diagEmbed(glam, p.eye), mul(p.f, x));
  const gs = mm(mm(p.v, inner, false, false), p.v, false, true);
  // adjoint of dA ↦ tril(dA) + tril(dA, −1)ᵀ
  return mul(add(mul(gs, add(p.lower, p.eye)), mul(mT(gs), p.lower)), guard);
}
