/**
 * The public face of the linear-algebra ops (fg.linalg): the registry ops return one packed
 * tensor each; these functions check their arguments and split the packed results.
 */

import { ArgumentError } from '../../engine/errors.js';
import { boolean, checkOptions, optionKeys } from '../../engine/options.js';
import { Tensor } from '../../engine/tensor.js';
import { add, mul, sqrt, square, sub } from '../../autodiff/ops/arith.js';
import { mT, reshape } from '../../autodiff/ops/shape.js';
import { slice } from '../../autodiff/ops/slice.js';
import { checkMatrix } from './checks.js';
import { cpart, rows, unpackC, type Cx } from './complex.js';
import { eigPacked, eigvalsPacked } from './eig.js';
import { eighPacked } from './eigh.js';
import { lyapunov } from './lyapunov.js';
import { svdPacked, svdvalsPacked } from './svd.js';

export type ComplexTensor = Cx;

function tensorArg(op: string, name: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) throw new ArgumentError(`${op}: ${name} must be a Tensor, got ${x === null ? 'null' : typeof x}`);
  return x;
}

/** For the functions without options: a second argument is a mistake (often a misplaced options object). */
function noMore(op: string, extra: readonly unknown[], why: string): void {
  if (extra.length && !(extra.length === 1 && extra[0] === undefined)) throw new ArgumentError(`${op}: takes no options (${why}); got ${extra.length} extra argument(s)`);
}
const JACOBI = 'the Jacobi iteration runs a fixed number of sweeps';

/**
 * Eigenvalues of real square matrices A [..., n, n]: { re, im }, each [..., n], sorted by
 * descending modulus |λ|, then real part, then imaginary part (a conjugate pair is adjacent,
 * positive imaginary part first). Differentiable where the eigenvalues are simple.
 */
export function eigvals(A: Tensor, opts: IterationOptions = {}): Cx {
  return eigvalsOf('eigvals', A, opts);
}

function eigvalsOf(op: string, A: Tensor, opts: IterationOptions): Cx {
  checkMatrix(op, 'A', tensorArg(op, 'A', A).shape, true);
  return unpackC(eigvalsPacked(A, iterationCap(op, checkOptions(op, opts, ITERATION_KEYS))));
}

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
  const a = tensorArg('eig', 'A', A);
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
 * { symmetrize: false } only the lower triangle is read, as LAPACK does.
 */
export function eigh(A: Tensor, opts: EighOptions = {}): { values: Tensor; vectors: Tensor } {
  const a = tensorArg('eigh', 'A', A);
  boolean('eigh', 'symmetrize', checkOptions('eigh', opts, EIGH_KEYS).symmetrize);
  checkMatrix('eigh', 'A', a.shape, true);
  const input = opts.symmetrize === false ? a : mul(add(a, mT(a)), 0.5);
  const packed = eighPacked(input);
  const n = packed.shape[packed.rank - 1]!;
  const first = rows(packed, 0, 1);
  return { values: reshape(first, first.shape.slice(0, -2).concat(n)), vectors: rows(packed, 1, n + 1) };
}

/** Thin SVD A = U diag(s) Vᵀ of A [..., m, n]: u [..., m, k], s [..., k] descending, v [..., n, k]. */
export function svd(A: Tensor, ...extra: never[]): { u: Tensor; s: Tensor; v: Tensor } {
  const a = tensorArg('svd', 'A', A);
  noMore('svd', extra, JACOBI);
  checkMatrix('svd', 'A', a.shape, false);
  const packed = svdPacked(a);
  const [m, n] = a.shape.slice(-2) as [number, number];
  const k = packed.shape[packed.rank - 1]!;
  const first = rows(packed, 0, 1);
  return { u: rows(packed, 1, 1 + m), s: reshape(first, first.shape.slice(0, -2).concat(k)), v: rows(packed, 1 + m, 1 + m + n) };
}

/** Singular values [..., min(m, n)], descending. */
export function svdvals(A: Tensor, ...extra: never[]): Tensor {
  noMore('svdvals', extra, JACOBI);
  return svdvalsPacked(tensorArg('svdvals', 'A', A));
}

/**
 * P with Aᵀ P A − P = −Q (batch dimensions broadcast). n ≤ 16: a direct (Kronecker) solve, for
 * any A without eigenvalues λᵢλⱼ = 1; n > 16: the doubling iteration, for spectral radius < 1.
 */
export function solveDiscreteLyapunov(A: Tensor, Q: Tensor, ...extra: never[]): Tensor {
  noMore('solveDiscreteLyapunov', extra, 'the solver is chosen by the size n');
  return lyapunov(tensorArg('solveDiscreteLyapunov', 'A', A), tensorArg('solveDiscreteLyapunov', 'Q', Q));
}

/** |λ| [..., n], in the order of eigvals (descending). */
export function eigvalsAbs(A: Tensor, opts: IterationOptions = {}): Tensor {
  return modulus(eigvalsOf('eigvalsAbs', A, opts));
}

const modulus = ({ re, im }: Cx) => sqrt(add(square(re), square(im)));

/** Spectral radius max|λ| [...], differentiable (batched). */
export function spectralRadius(A: Tensor, opts: IterationOptions = {}): Tensor {
  const m = modulus(eigvalsOf('spectralRadius', A, opts));
  const s = slice(m, [0], [1], [-1]);
  return reshape(s, s.shape.slice(0, -1));
}

/**
 * Stiffness max|λ| − min|λ| [...], differentiable (batched). Its derivative needs min|λ| > 0
 * (|λ| has a kink at 0) besides simple eigenvalues.
 */
export function stiffness(A: Tensor, opts: IterationOptions = {}): Tensor {
  const m = modulus(eigvalsOf('stiffness', A, opts));
  const n = m.shape[m.rank - 1]!;
  const hi = slice(m, [0], [1], [-1]);
  const lo = slice(m, [n - 1], [n], [-1]);
  return reshape(sub(hi, lo), hi.shape.slice(0, -1));
}
