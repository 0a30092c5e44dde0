import type { OdeMethod } from './types.js';

/**
 * An explicit Runge–Kutta method as data (its Butcher tableau): stage i is evaluated at
 * t + c[i]·h on y + h·Σⱼ a[i][j]·kⱼ, and the step is y + h·Σ b[i]·kᵢ.
 */
export interface Tableau {
  readonly name: OdeMethod;
  /** order of the global error */
  readonly order: number;
  readonly c: readonly number[];
  /** strictly lower triangular: a[i] has i entries */
  readonly a: readonly (readonly number[])[];
  readonly b: readonly number[];
  /** b − b̂ of an embedded pair: the local error estimate is h·Σ e[i]·kᵢ */
  readonly e?: readonly number[];
  /** first same as last: the last stage is f at the new state, so it is the next step's first */
  readonly fsal?: boolean;
}

const rk = (t: Tableau) => t;

export const TABLEAUS = {
  euler: rk({ name: 'euler', order: 1, c: [0], a: [[]], b: [1] }),
  midpoint: rk({ name: 'midpoint', order: 2, c: [0, 1 / 2], a: [[], [1 / 2]], b: [0, 1] }),
  heun: rk({ name: 'heun', order: 2, c: [0, 1], a: [[], [1]], b: [1 / 2, 1 / 2] }),
  rk4: rk({
    name: 'rk4', order: 4, c: [0, 1 / 2, 1 / 2, 1],
    a: [[], [1 / 2], [0, 1 / 2], [0, 0, 1]],
    b: [1 / 6, 1 / 3, 1 / 3, 1 / 6],
  }),
  rk38: rk({
    name: 'rk38', order: 4, c: [0, 1 / 3, 2 / 3, 1],
    a: [[], [1 / 3], [-1 / 3, 1], [1, -1, 1]],
    b: [1 / 8, 3 / 8, 3 / 8, 1 / 8],
  }),
  // Dormand–Prince 5(4): fifth-order solution, fourth-order embedded estimate (Hairer, Nørsett, Wanner)
  dopri5: rk({
    name: 'dopri5', order: 5, fsal: true,
    c: [0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1, 1],
    a: [
      [],
      [1 / 5],
      [3 / 40, 9 / 40],
      [44 / 45, -56 / 15, 32 / 9],
      [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
      [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
      [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84],
    ],
    b: [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0],
    e: [
      35 / 384 - 5179 / 57600, 0, 500 / 1113 - 7571 / 16695, 125 / 192 - 393 / 640,
      -2187 / 6784 + 92097 / 339200, 11 / 84 - 187 / 2100, -1 / 40,
    ],
  }),
} satisfies Partial<Record<OdeMethod, Tableau>>;

export type RkMethod = keyof typeof TABLEAUS;
