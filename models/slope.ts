import { checkNumbers } from './model.js';
// Least-squares slopes, for convergence orders and growth rates.

/** Least-squares slope of y against x, over the points where both are finite (NaN with fewer than two). */
export function lineSlope(x: number[], y: number[]): number {
  checkNumbers('lineSlope', 'x', x, 2);
  checkNumbers('lineSlope', 'y', y, 2);
  const pts = x.map((v, i) => [v, y[i]!] as const).filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b));
  if (pts.length < 2) return NaN;
  const mx = pts.reduce((a, [v]) => a + v, 0) / pts.length;
  const my = pts.reduce((a, [, v]) => a + v, 0) / pts.length;
  const sxy = pts.reduce((a, [u, v]) => a + (u - mx) * (v - my), 0);
  const sxx = pts.reduce((a, [u]) => a + (u - mx) ** 2, 0);
  return sxy / sxx;
}

/** Least-squares slope of log(e) against log(s), over the points with e > 0. */
export function logSlope(s: number[], e: number[]): number {
  checkNumbers('logSlope', 's', s, 2);
  checkNumbers('logSlope', 'e', e, 2);
  return lineSlope(Array.from(s, Math.log), Array.from(e, Math.log));
}
