import { normalArray, uniformArray } from '../engine/random.js';
import type { OpDef, OpSample } from './op.js';

/**
 * Seeded inputs in an op sample's domain, rounded to float32 so both backends see the same
 * numbers; inputs with `fixed` values (indices, labels) take those instead.
 */
export function sampleValues(shapes: number[][], domain: OpSample<unknown>['domain'], seed: number, fixed?: OpSample<unknown>['values']): Float64Array[] {
  return shapes.map((shape, k) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const given = fixed?.[k];
    if (given) {
      if (given.length !== n) throw new Error(`sample values for input ${k} have length ${given.length}, shape [${shape.join(', ')}] needs ${n}`);
      return Float64Array.from(given, Math.fround);
    }
    const s = seed * 31 + k;
    let v: Float64Array;
    if (domain === 'positive') v = uniformArray(n, s, 0.5, 2);
    else if (domain === 'awayFromZero') {
      const sign = uniformArray(n, s + 7);
      v = uniformArray(n, s, 0.3, 2).map((x, i) => (sign[i]! < 0.5 ? -x : x));
    } else v = normalArray(n, s);
    return v.map(Math.fround);
  });
}

/** A short description of an op sample: `matmul [3,5] [5,2]`. */
export const sampleLabel = (op: OpDef<any>, s: OpSample<any>) =>
  `${op.name} ${s.shapes.map((x) => `[${x.join(',')}]`).join(' ')}${s.attrs ? ' ' + JSON.stringify(s.attrs) : ''}`;
