import * as fg from '../index.js';
import { checkReal, checkTensor } from './model.js';

/**
 * Weight structure the research uses: θ = β(W + Wᵀ) + (1 − β)(W − Wᵀ) − γI ("mixed"); β = 0
 * gives the antisymmetric W − Wᵀ − γI, whose eigenvalues are −γ ± i·ω (stable, non-dissipative
 * for γ = 0).
 */
export type WeightConstraint = { kind: 'none' } | { kind: 'antisymmetric'; gamma?: number } | { kind: 'mixed'; beta: number; gamma?: number };

const CONSTRAINT_KEYS: Record<string, readonly string[]> = { none: ['kind'], antisymmetric: ['kind', 'gamma'], mixed: ['kind', 'beta', 'gamma'] };

export function checkConstraint(who: string, c: WeightConstraint | undefined): WeightConstraint {
  if (c === undefined) return { kind: 'none' };
  if (!c || typeof c !== 'object' || !CONSTRAINT_KEYS[c.kind]) {
    throw new fg.ArgumentError(`${who}: unknown constraint ${JSON.stringify(c)}; use { kind: 'none' | 'antisymmetric' | 'mixed', beta?, gamma? }`);
  }
  fg.checkOptions(`${who}: constraint (${c.kind})`, c, CONSTRAINT_KEYS[c.kind]!);
  if (c.kind === 'none') return c;
  if (c.kind === 'antisymmetric') {
    checkReal(who, 'constraint gamma', c.gamma ?? 0);
    return c;
  }
  if (c.kind === 'mixed') {
    checkReal(who, 'constraint beta', c.beta, (x) => x >= 0 && x <= 1, 'in [0, 1]');
    checkReal(who, 'constraint gamma', c.gamma ?? 0);
    return c;
  }
  throw new fg.ArgumentError(`${who}: unknown constraint ${JSON.stringify(c)}; use { kind: 'none' | 'antisymmetric' | 'mixed', beta?, gamma? }`);
}

/** The constrained square matrix for a free one ([n, n]). */
export function constrain(W: fg.Tensor, c: WeightConstraint): fg.Tensor {
  checkTensor('constrain', 'W', W);
  c = checkConstraint('constrain', c);
  if (c.kind === 'none') return W;
  const n = W.shape[0]!;
  if (W.rank !== 2 || W.shape[1] !== n) throw new fg.ShapeError(`constrain: the ${c.kind} parameterization needs a square matrix, got [${W.shape.join(', ')}]`);
  const Wt = fg.transpose(W);
  const beta = c.kind === 'mixed' ? c.beta : 0;
  let theta = beta === 0 ? fg.sub(W, Wt) : fg.add(fg.mul(fg.add(W, Wt), beta), fg.mul(fg.sub(W, Wt), 1 - beta));
  const gamma = c.gamma ?? 0;
  if (gamma !== 0) theta = fg.sub(theta, fg.mul(fg.eye(n), gamma));
  return theta;
}
