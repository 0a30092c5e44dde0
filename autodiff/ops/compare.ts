// Elementwise comparisons, broadcasting like NumPy: 1 where the relation holds, else 0 (floats,
// as every tensor here). They are piecewise constant, so their derivative is zero in both modes
// (as JAX and PyTorch, which give them none). With NaN, == and the orderings are false and != is
// true on the float64 backend (IEEE); WGSL leaves NaN comparisons to the driver.
import { defineBinary, defineUnary } from './elementwise.js';

const NONE = { inputs: false, output: false };
const compare = (name: string, wgsl: string, cpu: (a: number, b: number) => boolean) =>
  defineBinary({ name, wgsl: `select(0.0, 1.0, ${wgsl})`, cpu: (a, b) => (cpu(a, b) ? 1 : 0), partials: () => [0, 0], saves: NONE });

/** 1 where a = b, else 0. */
export const equal = compare('equal', 'a == b', (a, b) => a === b);
/** 1 where a ≠ b, else 0. */
export const notEqual = compare('notEqual', 'a != b', (a, b) => a !== b);
/** 1 where a > b, else 0. */
export const greater = compare('greater', 'a > b', (a, b) => a > b);
/** 1 where a ≥ b, else 0. */
export const greaterEqual = compare('greaterEqual', 'a >= b', (a, b) => a >= b);
/** 1 where a < b, else 0. */
export const less = compare('less', 'a < b', (a, b) => a < b);
/** 1 where a ≤ b, else 0. */
export const lessEqual = compare('lessEqual', 'a <= b', (a, b) => a <= b);

/**
 * 1 where x is finite, 0 where it is NaN or ±∞. From the bits, not from arithmetic: WGSL lets a
 * compiler assume that no NaN occurs, and x − x or x != x may fold to constants there.
 */
export const isFinite = defineUnary({
  name: 'isFinite',
  wgsl: 'select(0.0, 1.0, (bitcast<u32>(a) & 0x7f800000u) != 0x7f800000u)',
  cpu: (x) => (Number.isFinite(x) ? 1 : 0),
  deriv: () => 0,
  saves: NONE,
});
