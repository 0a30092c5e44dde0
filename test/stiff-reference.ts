/**
 * Independent float64 references for the stiff tests: Dormand–Prince 5(4) on plain number
 * arrays (no tensors, no flowgrad), run at a very tight tolerance. On a stiff problem its steps
 * are held at the stability limit, millions of them, which plain arithmetic affords.
 */

export type Rhs = (t: number, y: number[]) => number[];

const C = [0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1, 1];
const A = [
  [],
  [1 / 5],
  [3 / 40, 9 / 40],
  [44 / 45, -56 / 15, 32 / 9],
  [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
  [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
  [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84],
];
const E = [71 / 57600, 0, -71 / 16695, 71 / 1920, -17253 / 339200, 22 / 525, -1 / 40];

/** y at each time in ts (increasing), with its step count. */
export function dopri5Reference(f: Rhs, y0: number[], ts: number[], rtol: number, atol: number): { ys: number[][]; steps: number } {
  const n = y0.length;
  let y = y0.slice();
  let t = ts[0]!;
  let h = 1e-8;
  let k1 = f(t, y);
  let steps = 0;
  const ys = [y.slice()];
  for (let i = 1; i < ts.length; i++) {
    while (t < ts[i]!) {
      const hh = Math.min(h, ts[i]! - t);
      const ks = [k1];
      let yn: number[] = y;
      for (let s = 1; s < 7; s++) {
        yn = y.map((v, j) => v + hh * A[s]!.reduce((acc, a, r) => acc + a * ks[r]![j]!, 0));
        ks.push(f(t + C[s]! * hh, yn));
      }
      let err = 0;
      for (let j = 0; j < n; j++) {
        const e = hh * E.reduce((acc, w, r) => acc + w * ks[r]![j]!, 0);
        const sc = atol + rtol * Math.max(Math.abs(y[j]!), Math.abs(yn[j]!));
        err += (e / sc) ** 2;
      }
      err = Math.sqrt(err / n);
      if (err <= 1) {
        t = hh === ts[i]! - t ? ts[i]! : t + hh;
        y = yn;
        k1 = ks[6]!;
        steps++;
      }
      h = hh * Math.min(5, Math.max(0.2, 0.9 * err ** -0.2));
    }
    ys.push(y.slice());
  }
  return { ys, steps };
}

/** Robertson's chemical kinetics (Hairer–Wanner II, §IV.1). */
export const robertson: Rhs = (_t, [a, b, c]) => [-0.04 * a! + 1e4 * b! * c!, 0.04 * a! - 1e4 * b! * c! - 3e7 * b! * b!, 3e7 * b! * b!];

/** Van der Pol, y₁′ = y₂, y₂′ = μ((1 − y₁²)y₂ − y₁)... in the form y₂′ = μ(1 − y₁²)y₂ − y₁. */
export const vanDerPol = (mu: number): Rhs => (_t, [x, v]) => [v!, mu * (1 - x! * x!) * v! - x!];
