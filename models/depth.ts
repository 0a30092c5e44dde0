import * as fg from '../index.js';
import { initValues, type Initializer, checkInitializer } from './init.js';
import { checkInt, checkReal, checkBasis, checkTensor, checkNumbers } from './model.js';
import { subSeed } from './random.js';

/**
 * Weights parameterized in depth: W(t; α) = Σ_k φ_k(t)·α_k on t ∈ [0, T], with coefficients α
 * stored as one tensor [K, ...shape]. One interface for every basis:
 * - constant: K = 1, φ₀ = 1 (the same weights at every depth);
 * - linear: W(t) = β + α·t, K = 2, φ = (1, t);
 * - piecewiseConstant on `intervals` equal intervals: φ_k the indicator of [kT/K, (k+1)T/K)
 *   (the last interval closed); with K = L it is the ordinary ResNet, one matrix per layer;
 * - piecewiseLinear: hat functions at the `intervals + 1` nodes kT/K (continuous in t);
 * - legendre of some degree: φ_k(t) = P_k(2t/T − 1), k = 0 … degree.
 */
export type DepthBasisSpec =
  | { kind: 'constant' }
  | { kind: 'linear' }
  | { kind: 'piecewiseConstant'; intervals: number }
  | { kind: 'piecewiseLinear'; intervals: number }
  | { kind: 'legendre'; degree: number };

export interface DepthBasis {
  readonly spec: DepthBasisSpec;
  readonly T: number;
  /** number of coefficient slices */
  readonly size: number;
  /** φ_k(t) for k < size */
  values(t: number): Float64Array;
  /** local bases give each coefficient its own draw; global ones start constant in t */
  readonly local: boolean;
}

const BASIS_KEYS: Record<string, readonly string[]> = {
  constant: ['kind'], linear: ['kind'], piecewiseConstant: ['kind', 'intervals'], piecewiseLinear: ['kind', 'intervals'], legendre: ['kind', 'degree'],
};

export function depthBasis(spec: DepthBasisSpec, T = 1): DepthBasis {
  const who = 'depthBasis';
  checkReal(who, 'T', T, (x) => x > 0, 'a positive number');
  const inRange = (t: number) => {
    if (!(t >= -1e-12 * T && t <= T * (1 + 1e-12))) throw new fg.ArgumentError(`${who}: t = ${t} is outside [0, ${T}]`);
    return Math.min(Math.max(t, 0), T);
  };
  if (spec && typeof spec === 'object' && BASIS_KEYS[spec.kind]) fg.checkOptions(`${who} (${spec.kind})`, spec, BASIS_KEYS[spec.kind]!);
  switch (spec?.kind) {
    case 'constant':
      return { spec, T, size: 1, local: false, values: (t) => (inRange(t), Float64Array.of(1)) };
    case 'linear':
      return { spec, T, size: 2, local: false, values: (t) => Float64Array.of(1, inRange(t)) };
    case 'piecewiseConstant': {
      const K = checkInt(who, 'intervals', spec.intervals);
      return {
        spec, T, size: K, local: true,
        values: (t) => {
          const v = new Float64Array(K);
          // the interval [kT/K, (k+1)T/K) holding t; nudged by a few ulps so that t = nT/L lands
          // in interval n even when nT/L rounds just below the boundary
          v[Math.min(K - 1, Math.floor((inRange(t) / T) * K * (1 + 4e-16) + 4e-16))] = 1;
          return v;
        },
      };
    }
    case 'piecewiseLinear': {
      const K = checkInt(who, 'intervals', spec.intervals);
      return {
        spec, T, size: K + 1, local: true,
        values: (t) => {
          const v = new Float64Array(K + 1);
          const s = (inRange(t) / T) * K;
          const k = Math.min(K - 1, Math.floor(s));
          const w = s - k;
          v[k] = 1 - w;
          v[k + 1] = w;
          return v;
        },
      };
    }
    case 'legendre': {
      const p = checkInt(who, 'degree', spec.degree, 0);
      return {
        spec, T, size: p + 1, local: false,
        values: (t) => {
          const x = (2 * inRange(t)) / T - 1;
          const v = new Float64Array(p + 1);
          v[0] = 1;
          if (p >= 1) v[1] = x;
          // Bonnet's recursion: (k+1)P_{k+1} = (2k+1)x·P_k − k·P_{k−1}
          for (let k = 1; k < p; k++) v[k + 1] = ((2 * k + 1) * x * v[k]! - k * v[k - 1]!) / (k + 1);
          return v;
        },
      };
    }
    default:
      throw new fg.ArgumentError(`${who}: unknown basis ${JSON.stringify(spec)}; use { kind: 'constant' | 'linear' | 'piecewiseConstant' | 'piecewiseLinear' | 'legendre', … }`);
  }
}

/**
 * Coefficients [K, ...shape] for a parameter of `shape`: a local basis draws each slice on its
 * own, a global one puts one draw in the constant term (W(t) is the same at every t at first).
 */
export function depthCoefficients(basis: DepthBasis, shape: number[], init: Initializer, seed: number, gain = 1): fg.Tensor {
  checkBasis('depthCoefficients', basis);
  checkNumbers('depthCoefficients', 'shape', shape);
  checkInitializer('depthCoefficients', init);
  checkInt('depthCoefficients', 'seed', seed, -Number.MAX_SAFE_INTEGER);
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float64Array(basis.size * n);
  const slices = basis.local ? basis.size : 1;
  for (let k = 0; k < slices; k++) out.set(initValues(init, shape, subSeed(seed, k), gain), k * n);
  return fg.tensor(out, [basis.size, ...shape]);
}

/** W(t) = Σ_k φ_k(t)·coeffs[k]: a slice for a one-hot φ, a weighted sum otherwise (differentiable in coeffs). */
export function evalDepth(basis: DepthBasis, coeffs: fg.Tensor, t: number): fg.Tensor {
  checkBasis('evalDepth', basis);
  checkTensor('evalDepth', 'coeffs', coeffs);
  checkReal('evalDepth', 't', t, (v) => v >= -1e-12 * basis.T && v <= basis.T * (1 + 1e-12), `in [0, ${basis.T}] (the depth interval of the basis)`);
  if (coeffs.rank < 1 || coeffs.shape[0] !== basis.size) {
    throw new fg.ShapeError(`evalDepth: coefficients have shape [${coeffs.shape.join(', ')}], expected [${basis.size}, …] for the ${basis.spec.kind} basis with ${basis.size} functions`);
  }
  const shape = coeffs.shape.slice(1);
  const phi = basis.values(t);
  const nz: number[] = [];
  phi.forEach((v, k) => v !== 0 && nz.push(k));
  const take = (k: number) => fg.reshape(fg.slice(coeffs, [k], [k + 1]), shape);
  if (nz.length === 1 && phi[nz[0]!] === 1) return take(nz[0]!);
  if (nz.length <= 2) return nz.map((k) => fg.mul(take(k), phi[k]!)).reduce((a, b) => fg.add(a, b));
  const n = shape.reduce((a, b) => a * b, 1);
  return fg.reshape(fg.matmul(fg.tensor(phi, [1, basis.size]), fg.reshape(coeffs, [basis.size, n])), shape);
}

/**
 * A finer basis representing the same W(t), and the matrix R [K', K] that maps old coefficients
 * to new ones (coeffs' = R·coeffs, exact): piecewise bases split every interval into `factor`,
 * Legendre raises the degree by `factor`.
 */
export function refineBasis(basis: DepthBasis, factor = 2): { basis: DepthBasis; matrix: Float64Array } {
  checkBasis('refineBasis', basis);
  checkInt('refineBasis', 'factor', factor);
  const s = basis.spec;
  let fine: DepthBasis;
  let nodes: number[];
  if (s.kind === 'piecewiseConstant') {
    fine = depthBasis({ kind: 'piecewiseConstant', intervals: s.intervals * factor }, basis.T);
    nodes = Array.from({ length: fine.size }, (_, j) => ((j + 0.5) * basis.T) / fine.size); // midpoints
  } else if (s.kind === 'piecewiseLinear') {
    fine = depthBasis({ kind: 'piecewiseLinear', intervals: s.intervals * factor }, basis.T);
    nodes = Array.from({ length: fine.size }, (_, j) => (j * basis.T) / (fine.size - 1)); // the new nodes
  } else if (s.kind === 'legendre') {
    fine = depthBasis({ kind: 'legendre', degree: s.degree + factor }, basis.T);
    const R = new Float64Array(fine.size * basis.size);
    for (let k = 0; k < basis.size; k++) R[k * basis.size + k] = 1; // higher terms start at zero
    return { basis: fine, matrix: R };
  } else {
    throw new fg.ArgumentError(`refineBasis: the ${s.kind} basis has no finer version; use piecewiseConstant, piecewiseLinear or legendre`);
  }
  // nodal bases: the new coefficient j is the old W at the new node j
  const R = new Float64Array(fine.size * basis.size);
  nodes.forEach((t, j) => R.set(basis.values(t), j * basis.size));
  return { basis: fine, matrix: R };
}

/** New coefficients on the refined basis (on the device, no readback). */
export function refineCoefficients(basis: DepthBasis, coeffs: fg.Tensor, factor = 2): { basis: DepthBasis; coeffs: fg.Tensor } {
  checkBasis('refineCoefficients', basis);
  checkTensor('refineCoefficients', 'coeffs', coeffs);
  checkInt('refineCoefficients', 'factor', factor);
  const { basis: fine, matrix } = refineBasis(basis, factor);
  const shape = coeffs.shape.slice(1);
  const n = shape.reduce((a, b) => a * b, 1);
  const c = fg.reshape(fg.matmul(fg.tensor(matrix, [fine.size, basis.size]), fg.reshape(coeffs, [basis.size, n])), [fine.size, ...shape]);
  return { basis: fine, coeffs: c };
}
