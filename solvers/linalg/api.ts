import { checkTensor } from '../../engine/args.js';
/**
 * The public face of the linear-algebra ops (fg.linalg): the registry ops return one packed
 * tensor each; these functions check their arguments and split the packed results.
 */

import { ArgumentError } from '../../engine/errors.js';
import { boolean, checkOptions, optionKeys } from '../../engine/options.js';
import { Tensor } from '../../engine/tensor.js';
import { add, div, mul, sqrt, square, sub } from '../../autodiff/ops/arith.js';
import { relu } from '../../autodiff/ops/activation.js';
import { mm } from '../../autodiff/ops/matmul.js';
import { sum } from '../../autodiff/ops/reduce.js';
import { stopGradient } from '../../autodiff/ops/special.js';
import { fromValues } from '../../engine/creation.js';
import { identity } from './reference/index.js';
import { tieMask } from './guards.js';
import { mT, reshape } from '../../autodiff/ops/shape.js';
import { slice } from '../../autodiff/ops/slice.js';
import { checkMatrix } from './checks.js';
import { cpart, rows, unpackC, type Cx } from './complex.js';
import { eigPacked, eigvalsPacked } from './eig.js';
import { eighPacked } from './eigh.js';
import { lyapunov } from './lyapunov.js';
import { svdPacked, svdvalsPacked } from './svd.js';

export type ComplexTensor = Cx;

/** For the functions without options: a second argument is a mistake (often a misplaced options object). */
function noMore(op: string, extra: readonly unknown[], why: string): void {
  if (extra.length && !(extra.length === 1 && extra[0] === undefined)) throw new ArgumentError(`${op}: takes no options (${why}); got ${extra.length} extra argument(s)`);
}
const JACOBI = 'the Jacobi iteration runs a fixed number of sweeps';

/**
 * Eigenvalues of real square matrices A [..., n, n]: { re, im }, each [..., n], sorted by
 * descending modulus |λ|, then real part, then imaginary part (a conjugate pair is adjacent,
 * positive imaginary part first). A simple eigenvalue is differentiable whatever the rest of the
 * spectrum does; a repeated (non-defective) one for cotangents equal over its copies (their sum,
 * the trace of its spectral projector); cotangents that tell the copies apart are a
 * NumericalError naming them.
 */
export function eigvals(A: Tensor, opts: IterationOptions = {}): Cx {
  return eigvalsOf('eigvals', A, opts);
}

function eigvalsPackedOf(op: string, A: Tensor, opts: IterationOptions): Tensor {
  checkMatrix(op, 'A', checkTensor(op, 'A', A).shape, true);
  return eigvalsPacked(A, iterationCap(op, checkOptions(op, opts, ITERATION_KEYS)));
}

const eigvalsOf = (op: string, A: Tensor, opts: IterationOptions): Cx => unpackC(eigvalsPackedOf(op, A, opts));

export interface IterationOptions {
  /**
   * Francis QR steps allowed per eigenvalue (pair) before giving up, default 30·max(n, 10).
   * A matrix that does not converge gets NaN results and an error naming it (on WebGPU thrown
   * by the next read).
   */
  maxIterations?: number;
}

const ITERATION_KEYS = optionKeys<IterationOptions>({ maxIterations: true });
export interface EigOptions extends IterationOptions {
  /** also the left eigenvectors */
  left?: boolean;
}
const EIG_KEYS = optionKeys<EigOptions>({ left: true, maxIterations: true });
export interface EighOptions {
  /** false: read only the lower triangle, as LAPACK does (default true) */
  symmetrize?: boolean;
}
const EIGH_KEYS = optionKeys<EighOptions>({ symmetrize: true });

function iterationCap(op: string, { maxIterations }: IterationOptions): number | undefined {
  if (maxIterations !== undefined && !(Number.isInteger(maxIterations) && maxIterations >= 1)) {
    throw new ArgumentError(`${op}: maxIterations must be a positive integer, got ${JSON.stringify(maxIterations) ?? String(maxIterations)}`);
  }
  return maxIterations;
}

export interface EigResult extends Cx {
  /** right eigenvectors: column j of vectors.re + i·vectors.im belongs to eigenvalue j */
  vectors: Cx;
  /** left eigenvectors (uᴴA = λuᴴ), with { left: true } */
  left?: Cx;
}

/**
 * Eigenvalues (ordered as eigvals) and right eigenvectors, and left ones with { left: true }.
 * Each eigenvector has unit 2-norm and its largest-magnitude entry real and positive; a
 * conjugate pair of eigenvalues has conjugate vectors.
 */
export function eig(A: Tensor, opts: EigOptions = {}): EigResult {
  const a = checkTensor('eig', 'A', A);
  checkOptions('eig', opts, EIG_KEYS);
  checkMatrix('eig', 'A', a.shape, true);
  const left = boolean('eig', 'left', opts.left) ?? false;
  const packed = eigPacked(a, left, iterationCap('eig', opts));
  const n = packed.shape[packed.rank - 2]!;
  const values = cpart(packed, 0, 1);
  const squeeze = (t: Tensor) => reshape(t, t.shape.slice(0, -2).concat(n));
  const out: EigResult = { re: squeeze(values.re), im: squeeze(values.im), vectors: cpart(packed, 1, 1 + n) };
  if (left) out.left = cpart(packed, 1 + n, 1 + 2 * n);
  return out;
}

/**
 * Symmetric eigendecomposition: { values [..., n] ascending, vectors [..., n, n] orthonormal
 * columns }. A is symmetrized as (A + Aᵀ)/2 first (so its gradient is symmetric); with
 * { symmetrize: false } only the lower triangle is read, as LAPACK does. Functions of the values
 * alone, and of a repeated eigenvalue's eigenspace, are differentiable at ties (V diag(ḡ) Vᵀ);
 * eigenvector cotangents that depend on the basis within a repeated eigenspace are a
 * NumericalError naming the indices.
 */
export function eigh(A: Tensor, opts: EighOptions = {}): { values: Tensor; vectors: Tensor } {
  const a = checkTensor('eigh', 'A', A);
  boolean('eigh', 'symmetrize', checkOptions('eigh', opts, EIGH_KEYS).symmetrize);
  checkMatrix('eigh', 'A', a.shape, true);
  const input = opts.symmetrize === false ? a : mul(add(a, mT(a)), 0.5);
  const packed = eighPacked(input);
  const n = packed.shape[packed.rank - 1]!;
  const first = rows(packed, 0, 1);
  return { values: reshape(first, first.shape.slice(0, -2).concat(n)), vectors: rows(packed, 1, n + 1) };
}

/**
 * Thin SVD A = U diag(s) Vᵀ of A [..., m, n]: u [..., m, k], s [..., k] descending, v [..., n, k].
 * Functions of s alone are differentiable at any A (U diag(s̄) Vᵀ); singular-vector cotangents
 * that depend on the basis of a repeated singular subspace, or touch a zero singular value's
 * vectors, are a NumericalError naming the indices.
 */
export function svd(A: Tensor, ...extra: never[]): { u: Tensor; s: Tensor; v: Tensor } {
  const a = checkTensor('svd', 'A', A);
  noMore('svd', extra, JACOBI);
  checkMatrix('svd', 'A', a.shape, false);
  const packed = svdPacked(a);
  const [m, n] = a.shape.slice(-2) as [number, number];
  const k = packed.shape[packed.rank - 1]!;
  const first = rows(packed, 0, 1);
  return { u: rows(packed, 1, 1 + m), s: reshape(first, first.shape.slice(0, -2).concat(k)), v: rows(packed, 1 + m, 1 + m + n) };
}

/** Singular values [..., min(m, n)], descending; differentiable at any A (gradient U diag(s̄) Vᵀ, no gap needed). */
export function svdvals(A: Tensor, ...extra: never[]): Tensor {
  noMore('svdvals', extra, JACOBI);
  return svdvalsPacked(checkTensor('svdvals', 'A', A));
}

/**
 * P with Aᵀ P A − P = −Q (batch dimensions broadcast). Decided from the eigenvalues of A: a pair
 * with λᵢλⱼ = 1 (to rounding) has no unique solution (a NumericalError naming them); spectral
 * radius ρ(A) < 1, any n: Smith's squared doubling with iterative refinement, accurate to a few
 * hundred ε relative to ‖A‖²‖P‖ + ‖Q‖ also for A far from normal; ρ(A) ≥ 1: a direct
 * (Kronecker) solve for n ≤ 16.
 */
export function solveDiscreteLyapunov(A: Tensor, Q: Tensor, ...extra: never[]): Tensor {
  noMore('solveDiscreteLyapunov', extra, 'the solver is chosen by the size n');
  return lyapunov(checkTensor('solveDiscreteLyapunov', 'A', A), checkTensor('solveDiscreteLyapunov', 'Q', Q));
}

/** |λ| [..., n], in the order of eigvals (descending). */
export function eigvalsAbs(A: Tensor, opts: IterationOptions = {}): Tensor {
  return modulus(eigvalsOf('eigvalsAbs', A, opts));
}

const modulus = ({ re, im }: Cx) => sqrt(add(square(re), square(im)));

/**
 * |λ| at each asked extremum of the moduli, differentiable with a subgradient where moduli tie: as the
 * max/min reductions, the first position (in eigvals' order) among the moduli tied with the
 * extremum (within 4√ε of the largest modulus) — 0 for the max; and, should that eigenvalue be
 * repeated as a complex number, the derivative of the modulus of its cluster's mean (which
 * exists where the single copies have none). Where nothing ties this is |λ₀| (|λₙ₋₁|) with its
 * derivative; the value is always exactly that modulus.
 */
function extremeModuli(packed: Tensor, which: readonly ('max' | 'min')[]): Tensor[] {
  const { re, im } = unpackC(packed);
  const n = re.shape[re.rank - 1]!;
  const mod = modulus({ re, im });
  const eye = fromValues(identity(n), [n, n], packed.backend);
  const asRows = (t: Tensor) => reshape(t, [...t.shape.slice(0, -1), 1, t.shape[t.rank - 1]!]);
  // copies of one eigenvalue (a cluster of equal λ), shared by both extrema
  const copies = add(tieMask(reshape(packed, [...packed.shape.slice(0, -2), 1, n, 2]), 'eig'), eye);
  return which.map((w) => {
    // the first position among the moduli tied with the extremum (max: always 0)
    let first: Tensor;
    if (w === 'max') first = rows(eye, 0, 1);
    else {
      const tiedWithMin = rows(add(tieMask(asRows(mod), 'sym'), eye), n - 1, n);
      const before = fromValues(Float64Array.from({ length: n * n }, (_, e) => (Math.floor(e / n) < e % n ? 1 : 0)), [n, n], packed.backend);
      first = mul(tiedWithMin, relu(sub(1, mm(tiedWithMin, before, false, false))));
    }
    // spread over that eigenvalue's copies, equally
    const spread = mm(first, copies, false, false);
    const weights = reshape(div(spread, sum(spread, -1, true)), [...spread.shape.slice(0, -2), n]);
    const meanMod = modulus({ re: sum(mul(weights, re), -1), im: sum(mul(weights, im), -1) });
    const exact = sum(mul(reshape(first, [...first.shape.slice(0, -2), n]), mod), -1);
    return add(meanMod, stopGradient(sub(exact, meanMod)));
  });
}

/**
 * Spectral radius max|λ| [...], differentiable (batched): where moduli tie, the subgradient of
 * the first position in eigvals' order (see extremeModuli).
 */
export function spectralRadius(A: Tensor, opts: IterationOptions = {}): Tensor {
  return extremeModuli(eigvalsPackedOf('spectralRadius', A, opts), ['max'])[0]!;
}

/**
 * Stiffness max|λ| − min|λ| [...], differentiable (batched; |λ| has a kink at 0, so min|λ| > 0).
 * Where moduli tie, the subgradient of the first positions of the max and of the min in
 * eigvals' order (see extremeModuli): where all moduli are equal (an orthogonal A) both are
 * eigenvalue 0 and the gradient is 0, the subgradient of this nonnegative function at its minimum.
 */
export function stiffness(A: Tensor, opts: IterationOptions = {}): Tensor {
  const [hi, lo] = extremeModuli(eigvalsPackedOf('stiffness', A, opts), ['max', 'min']);
  return sub(hi!, lo!);
}
