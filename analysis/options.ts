// Option checks shared by the analyses: unknown keys, positive finite numbers, integers.
import * as fg from '../index.js';

/** Throws an ArgumentError naming `who` when opts has a key outside `known` (catches typos such as { dT: … }). */
export function checkKeys(who: string, opts: object | undefined, known: readonly string[]): void {
  if (opts === undefined) return;
  if (opts === null || typeof opts !== 'object') throw new fg.ArgumentError(`${who}: options must be an object, got ${opts === null ? 'null' : typeof opts}`);
  const bad = Object.keys(opts).filter((k) => !known.includes(k));
  if (bad.length) throw new fg.ArgumentError(`${who}: unknown option${bad.length > 1 ? 's' : ''} ${bad.map((k) => JSON.stringify(k)).join(', ')}; known: ${known.join(', ')}`);
}

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
