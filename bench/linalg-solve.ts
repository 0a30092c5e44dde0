/**
 * Dense solves: 1000 systems A·X = B with A 16×16 (and n = 4…64), B one column, on WebGPU,
 * beside the float64 CPU reference in the same run and NumPy (numpy.linalg.solve, batched
 * LAPACK gesv) in a python3 subprocess spawned from here when numpy is installed; without
 * numpy the comparison is skipped and the row says so.
 */

import * as fg from '../index.js';
import { normalArray } from '../engine/random.js';
import { luFactor, luSolve } from '../solvers/linalg/reference/lu.js';
import { cpuMs, numpyMs } from './linalg.js';
import { measure, type Measurement } from './harness.js';
import type { BenchCase } from './kernels.js';

const BATCH = 1000;
const SIZES = process.env.FLOWGRAD_BENCH_SIZES ? process.env.FLOWGRAD_BENCH_SIZES.split(',').map(Number) : [4, 16, 32, 64];

export const linalgSolveBenches: BenchCase[] = [
  {
    name: 'linalg-solve',
    async run() {
      const out: Measurement[] = [];
      for (const n of SIZES) {
        const av = normalArray(BATCH * n * n, 700 + n).map((x, e) => x + (e % (n * n) % (n + 1) === 0 ? n ** 0.5 : 0));
        const bv = normalArray(BATCH * n, 800 + n);
        const a = fg.tensor(Float32Array.from(av), [BATCH, n, n]);
        const b = fg.tensor(Float32Array.from(bv), [BATCH, n, 1]);
        const reps = n >= 32 ? 5 : 7;
        const m = await measure(() => fg.linalg.solve(a, b), { reps, warmup: 1 });
        a.dispose();
        b.dispose();
        const cpu = cpuMs(3, () => {
          for (let m = 0; m < BATCH; m++) luSolve(luFactor(av.subarray(m * n * n, (m + 1) * n * n), n), bv.subarray(m * n, (m + 1) * n), n, 1);
        });
        const np = numpyMs('solve', n, BATCH, reps);
        const extra: Record<string, number> = { 'systems/s': (BATCH / m.wallMs) * 1000, 'ref f64 ms': cpu };
        if (np !== null) {
          extra['NumPy ms'] = np;
          extra['× NumPy time'] = m.wallMs / np;
        }
        out.push({
          name: 'linalg.solve',
          size: `${BATCH}×${n}×${n}`,
          ...m,
          flops: BATCH * ((2 / 3) * n ** 3 + 2 * n * n),
          extra,
          target: np === null ? 'NumPy comparison skipped: no python3 with numpy (tried python3, /usr/bin/python3)' : `NumPy (numpy.linalg.solve, same machine, same run): ${np.toFixed(2)} ms`,
        });
      }
      return out;
    },
  },
];
