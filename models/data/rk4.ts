import { checkFunction, checkNumbers } from '../model.js';
/** Classical RK4 in float64 on the host: the states at t = 0, dt, …, steps·dt of dy/dt = f(t, y). */
export function rk4(f: (t: number, y: number[]) => number[], y0: number[], dt: number, steps: number, substeps = 1): number[][] {
  checkFunction('rk4', 'f', f);
  checkNumbers('rk4', 'y0', y0);
  const h = dt / substeps;
  const out = [y0.slice()];
  let y = y0.slice();
  let t = 0;
  const axpy = (a: number[], s: number, b: number[]) => a.map((v, i) => v + s * b[i]!);
  for (let k = 0; k < steps; k++) {
    for (let s = 0; s < substeps; s++) {
      const k1 = f(t, y);
      const k2 = f(t + h / 2, axpy(y, h / 2, k1));
      const k3 = f(t + h / 2, axpy(y, h / 2, k2));
      const k4 = f(t + h, axpy(y, h, k3));
      y = y.map((v, i) => v + (h / 6) * (k1[i]! + 2 * k2[i]! + 2 * k3[i]! + k4[i]!));
      t += h;
    }
    out.push(y.slice());
  }
  return out;
}
