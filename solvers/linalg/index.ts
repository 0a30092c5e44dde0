// fg.linalg: batched eigenvalues, eigenvectors, SVD and the discrete Lyapunov equation, with
// derivatives. Importing this module registers the ops (eigvals, eig, eigh, svdvals, svd,
// solveDiscreteLyapunov) for the conformance suite.
export { eig, eigh, eigvals, eigvalsAbs, solveDiscreteLyapunov, spectralRadius, stiffness, svd, svdvals, type ComplexTensor, type EigResult, type EigOptions, type EighOptions, type IterationOptions } from './api.js';
export { cholesky, inv, lu, slogdet, solve, solveTriangular, type SolveTriangularOptions } from './dense-api.js';
