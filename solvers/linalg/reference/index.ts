/**
 * Float64 CPU reference implementations of dense linear algebra for small real
 * matrices (row-major Float64Array, one matrix per call). For a batch stored
 * back to back, loop with `forEachMatrix` and pass `matrixIndex` so that errors
 * name the offending matrix:
 *
 *   forEachMatrix(batch, count, n * n, (m, i) => eigvals(m, n, { matrixIndex: i }))
 */

export { assertFinite, assertShape, forEachMatrix, identity } from './checks.js';
export { balance, hessenberg, householderReflector } from './hessenberg.js';
export type { BalanceResult, HessenbergResult, Reflector } from './hessenberg.js';
export { francisSchur, schurEigenvalues, standardize2x2 } from './francis.js';
export type { SchurOptions, SchurResult, Standardized2x2 } from './francis.js';
export { eig, eigvals } from './eig.js';
export type { ComplexMatrix, EigOptions, EigResult, Eigenvalues } from './eig.js';
export { eigh, eigvalsh } from './eigh.js';
export type { EighOptions, EighResult } from './eigh.js';
export { svd, svdvals } from './svd.js';
export type { SvdOptions, SvdResult } from './svd.js';
export {
  KRONECKER_MAX_N,
  solveDiscreteLyapunov,
  solveDiscreteLyapunovDoubling,
  solveDiscreteLyapunovKronecker,
} from './lyapunov.js';
export type { LyapunovMethod, LyapunovOptions } from './lyapunov.js';
