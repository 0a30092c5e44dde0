/**
 * The discrete Lyapunov (Stein) equation Aᵀ P A − P = −Q as a registry op,
 * `solveDiscreteLyapunov`: A, Q [..., n, n] (batch dimensions broadcast) → P.
 *
 * Method (kernel and reference alike), decided from the eigenvalues of A: a pair with λᵢλⱼ = 1
 * (to rounding) makes the equation singular (a NumericalError naming them); ρ(A) < 1, any n:
 * Smith's squared doubling of P = Σₖ (Aᵀ)ᵏ Q Aᵏ with iterative refinement of the residual;
 * ρ(A) ≥ 1: the Kronecker system for n ≤ 16, else a NumericalError.
 *
 * Derivatives: dP solves the same equation with −Q replaced by −(dQ + dAᵀPA + AᵀP dA); the VJP
 * solves the adjoint equation A M Aᵀ − M = −P̄ (i.e. the op on (Aᵀ, P̄)), and then Q̄ = M,
 * Ā = P A Mᵀ + Pᵀ A M. Both use the op itself, so they differentiate again.
 */

import { ShapeError, fmtShape } from '../../engine/errors.js';
import { broadcastShapes, broadcastStrides, sizeOf, type Shape } from '../../engine/shape.js';
import type { Tensor } from '../../engine/tensor.js';
import { KRONECKER_MAX_N, MAX_DOUBLINGS, launchLyapunov } from '../../kernels/linalg/lyapunov.js';
import { launchEig } from '../../kernels/linalg/eig.js';
import { decodeSimpleKey } from '../../kernels/linalg/guards.js';
import { describeMatrix } from '../../kernels/linalg/status.js';
import { statusBuffer } from '../../kernels/linalg/status.js';
import { apply, defineOp, type MaybeTensor, type OpDef } from '../../autodiff/op.js';
import { add } from '../../autodiff/ops/arith.js';
import { addMaybe } from '../../autodiff/ops/elementwise.js';
import { mm } from '../../autodiff/ops/matmul.js';
import { mT, unbroadcast } from '../../autodiff/ops/shape.js';
import { solveDiscreteLyapunov as refLyapunov } from './reference/index.js';
import { assertFiniteMatrix, checkMatrix, runReference } from './checks.js';
import { lyapunovSamples } from './samples.js';

function lyapunovShape([a, q]: Shape[]): Shape {
  checkMatrix('solveDiscreteLyapunov', 'A', a!, true);
  checkMatrix('solveDiscreteLyapunov', 'Q', q!, true);
  const n = a![a!.length - 1]!;
  if (q![q!.length - 1] !== n) {
    throw new ShapeError(`solveDiscreteLyapunov: A ${fmtShape(a!)} and Q ${fmtShape(q!)} must hold matrices of one size, got ${n}×${n} and ${q!.at(-1)}×${q!.at(-1)}`);
  }
  const batch = broadcastShapes('solveDiscreteLyapunov', [a!.slice(0, -2), q!.slice(0, -2)], ['A (batch dims)', 'Q (batch dims)']);
  return [...batch, n, n];
}

/** float64 reference per broadcast batch element. */
function cpuLyapunov(a: Float64Array, q: Float64Array, as: Shape, qs: Shape, outShape: Shape): Float64Array {
  const n = outShape[outShape.length - 1]!;
  const batch = outShape.slice(0, -2);
  const aStr = broadcastStrides(as.slice(0, -2), batch);
  const qStr = broadcastStrides(qs.slice(0, -2), batch);
  const count = sizeOf(batch);
  const out = new Float64Array(count * n * n);
  if (out.length === 0) return out;
  const idx = new Array<number>(batch.length).fill(0);
  for (let b = 0; b < count; b++) {
    let ao = 0;
    let qo = 0;
    idx.forEach((c, d) => ((ao += c * aStr[d]!), (qo += c * qStr[d]!)));
    const am = a.subarray(ao * n * n, (ao + 1) * n * n);
    const qm = q.subarray(qo * n * n, (qo + 1) * n * n);
    assertFiniteMatrix('solveDiscreteLyapunov', 'A', as, am, ao);
    assertFiniteMatrix('solveDiscreteLyapunov', 'Q', qs, qm, qo);
    out.set(runReference('solveDiscreteLyapunov', 'A', outShape, b, () => refLyapunov(am, qm, n, { matrixIndex: b })), b * n * n);
    for (let d = idx.length - 1; d >= 0; d--) {
      if (++idx[d]! < batch[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}

const lyapunovOp: OpDef = defineOp({
  name: 'solveDiscreteLyapunov',
  args: ['A', 'Q'],
  broadcasting: true,
  saves: { inputs: true, output: true },
  shape: lyapunovShape,
  cpu: ([a, q], [as, qs], _attrs, outShape) => cpuLyapunov(a!, q!, as!, qs!, outShape),
  gpu: (rt, [a, q], out) => {
    const n = a!.shape[a!.shape.length - 1]!;
    const ctx = { op: 'solveDiscreteLyapunov', arg: 'A', shape: out.shape };
    // the eigenvalues of A decide singularity and method
    const lamShape = [...a!.shape.slice(0, -1), 2];
    const lam = { buffer: rt.createBuffer(a!.size * 2 * 4 / n), shape: lamShape, size: (a!.size * 2) / n };
    launchEig(rt, a!, lam, statusBuffer(rt, { ...ctx, shape: a!.shape, iteration: 'the Francis QR iteration (for the eigenvalues of A)' }), 'values');
    launchLyapunov(rt, a!, q!, lam, out, statusBuffer(rt, {
      ...ctx,
      iteration: `the doubling iteration (${MAX_DOUBLINGS} doublings; for n > ${KRONECKER_MAX_N} it needs spectral radius ρ(A) < 1)`,
      singularMessage: (key) => {
        const { b, i, j } = decodeSimpleKey(key, n);
        return `solveDiscreteLyapunov: ${describeMatrix(b, out.shape)} of A ${fmtShape(out.shape)}: the equation is singular: eigenvalues ${i} and ${j} of A ` +
          '(in the order of eigvals) have λᵢ·λⱼ = 1 (to rounding), so the solution is not unique (or does not exist)';
      },
    }));
    rt.pool.release(lam.buffer);
  },
  vjp: ([a, _q], p, g, _attrs, [as, qs], outShape) => {
    const batch = g.rank - outShape.length;
    const m = lyapunov(mT(a!), g); // A M Aᵀ − M = −Ḡ
    const ga = add(mm(mm(p, a!, false, false), m, false, true), mm(mm(p, a!, true, false), m, false, false));
    return [unbroadcast(ga, as!, batch), unbroadcast(m, qs!, batch)];
  },
  jvp: ([a, _q], p, [da, dq]) => {
    let rhs: MaybeTensor = dq;
    if (da) rhs = addMaybe(rhs, add(mm(da, mm(p, a!, false, false), true, false), mm(mm(a!, p, true, false), da, false, false)));
    return rhs && lyapunov(a!, rhs);
  },
  samples: lyapunovSamples.map((s) => ({ ...s, attrs: undefined })),
  rejects: [
    { shapes: [[3, 3], [2, 2]], attrs: undefined, message: /solveDiscreteLyapunov: A \[3, 3\] and Q \[2, 2\] must hold matrices of one size/ },
    { shapes: [[2, 3], [2, 2]], attrs: undefined, message: /solveDiscreteLyapunov: A must be square in its last two dimensions, got A \[2, 3\]/ },
    { shapes: [[2, 2, 2], [3, 2, 2]], attrs: undefined, message: /solveDiscreteLyapunov: shapes do not broadcast: A \(batch dims\) \[2\], Q \(batch dims\) \[3\]/ },
  ],
});

/** P with Aᵀ P A − P = −Q, batched (broadcast). */
export const lyapunov = (a: Tensor, q: Tensor) => apply(lyapunovOp, [a, q], undefined);
