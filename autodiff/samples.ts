import { normalArray, uniformArray } from '../engine/random.js';
import type { OpDef, OpSample } from './op.js';

/** Seeded inputs in an op sample's domain, rounded to float32 so both backends see the same numbers. */
export function sampleValues(shapes: number[][], domain: OpSample<unknown>['domain'], seed: number): Float64Array[] {
  return shapes.map((shape, k) => {
    const n = shape.reduce((a, b) => a * b, 1);
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
