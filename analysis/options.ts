// Argument checks shared by the analyses: positive finite numbers, integers, tensors (option keys: fg.checkOptions).
import * as fg from '../index.js';

export function positive(who: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new fg.ArgumentError(`${who}: ${name} must be a finite positive number, got ${String(v)}`);
  return v;
}

export function positiveInt(who: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new fg.ArgumentError(`${who}: ${name} must be a positive integer, got ${String(v)}`);
  return v;
}

export function tensorArg(who: string, name: string, v: unknown, minRank = 0): fg.Tensor {
  if (!(v instanceof fg.Tensor)) throw new fg.ArgumentError(`${who}: ${name} must be a Tensor, got ${v === null ? 'null' : typeof v}`);
  if (v.rank < minRank) throw new fg.ShapeError(`${who}: ${name} has shape [${v.shape.join(', ')}], expected rank ≥ ${minRank}`);
  return v;
}
