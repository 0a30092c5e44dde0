// Options objects: every public function that takes one checks it here, so that a misspelled
// key or a value of the wrong kind is an ArgumentError naming the function, never ignored.
import { ArgumentError } from './errors.js';

/** Every key of an options type, each exactly once: the compiler checks the list against the type. */
export type OptionKeys<T> = { readonly [K in keyof Required<T>]: true };

/** The known keys of an options type, written as `optionKeys<Opts>({ a: true, b: true })`. */
export const optionKeys = <T>(keys: OptionKeys<T>): readonly string[] => Object.freeze(Object.keys(keys));

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype;
}

/** How a value looks in an error message: short, and never "[object Object]". */
export function describe(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (typeof v === 'function') return 'a function';
  if (Array.isArray(v)) return v.length <= 8 ? `[${v.map(describe).join(', ')}]` : `an array of length ${v.length}`;
  const shape = (v as { shape?: unknown }).shape;
  if (Array.isArray(shape) && v.constructor?.name === 'Tensor') return `a Tensor of shape [${shape.join(', ')}]`;
  return isPlainObject(v) ? 'an object' : `a ${v.constructor?.name ?? typeof v}`;
}

/**
 * Checks that opts is absent or a plain object whose keys are all known, and returns it ({} when
 * absent). The error names the function, the unknown keys and the known ones.
 */
export function checkOptions<T extends object>(who: string, opts: T | undefined, known: readonly string[]): Partial<T> {
  if (opts === undefined) return {};
  if (!isPlainObject(opts)) throw new ArgumentError(`${who}: options must be a plain object { ${known.join(', ')} }, got ${describe(opts)}`);
  const bad = Object.keys(opts).filter((k) => !known.includes(k));
  if (bad.length) {
    throw new ArgumentError(`${who}: unknown option${bad.length > 1 ? 's' : ''} ${bad.join(', ')}${hint(bad[0]!, known)}; known: ${known.join(', ') || '(none)'}`);
  }
  return opts;
}

/** " (did you mean stride?)" when a known key is one or two edits away. */
function hint(bad: string, known: readonly string[]): string {
  let best = '';
  let bestD = 3;
  for (const k of known) {
    const d = editDistance(bad.toLowerCase(), k.toLowerCase());
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best ? ` (did you mean ${best}?)` : '';
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

// Value checks of single options; each returns the value, or undefined when it is absent.

export function positiveInt(who: string, name: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new ArgumentError(`${who}: ${name} must be a positive integer, got ${describe(v)}`);
  return v;
}

export function nonNegativeInt(who: string, name: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new ArgumentError(`${who}: ${name} must be a non-negative integer, got ${describe(v)}`);
  return v;
}

/** A finite number, optionally with a condition (`ok`) described by `expected`. */
export function finiteNumber(who: string, name: string, v: unknown, ok: (x: number) => boolean = () => true, expected = 'a finite number'): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) throw new ArgumentError(`${who}: ${name} must be ${expected}, got ${describe(v)}`);
  return v;
}

export function oneOf<C extends string>(who: string, name: string, v: unknown, choices: readonly C[]): C | undefined {
  if (v === undefined) return undefined;
  if (!choices.includes(v as C)) throw new ArgumentError(`${who}: ${name} must be one of ${choices.join(', ')}; got ${describe(v)}`);
  return v as C;
}

export function boolean(who: string, name: string, v: unknown): boolean | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw new ArgumentError(`${who}: ${name} must be true or false, got ${describe(v)}`);
  return v;
}

/** A seed: a finite integer (any sign; random streams hash it). */
export function seedOf(who: string, v: unknown, name = 'seed'): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new ArgumentError(`${who}: ${name} must be an integer, got ${describe(v)}`);
  return v;
}
