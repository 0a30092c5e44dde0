/**
 * Dense solves: 1000 systems A·X = B with A 16×16 (and n = 4…64), B one column, on WebGPU,
 * beside the float64 CPU reference in the same run and NumPy (numpy.linalg.solve, batched
 * LAPACK gesv) in a python3 subprocess spawned from here when numpy is installed; without
 * numpy the comparison is skipped and the row says so.
 */

import { spawnSync } from 'node:child_process';
import * as fg from '../index.js';
import { normalArray } from '../engine/random.js';
import { luFactor, luSolve } from '../solvers/linalg/reference/lu.js';
import { findPython } from './linalg.js';
import { measure, median, type Measurement } from './harness.js';
import type { BenchCase } from './kernels.js';

const BATCH = 1000;
const SIZES = process.env.FLOWGRAD_BENCH_SIZES ? process.env.FLOWGRAD_BENCH_SIZES.split(',').map(Number) : [4, 16, 32, 64];

const NUMPY_SCRIPT = `
import json, sys, time
import numpy as np
n, count, reps = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(1)
a = rng.standard_normal((count, n, n)); b = rng.standard_normal((count, n, 1))
np.linalg.solve(a, b)
times = []
for _ in range(reps):
    t0 = time.perf_counter(); np.linalg.solve(a, b); times.append((time.perf_counter() - t0) * 1000)
times.sort()
print(json.dumps({'ms': times[len(times) // 2], 'numpy': np.__version__}))
`;

function numpyMs(n: number, reps: number): number | null {
  const exe = findPython();
  if (!exe) return null;
  const r = spawnSync(exe, ['-c', NUMPY_SCRIPT, String(n), String(BATCH), String(reps)], { encoding: 'utf8' });
  return r.status === 0 ? (JSON.parse(r.stdout.trim()) as { ms: number }).ms : null;
}

function cpuMs(a: Float64Array, b: Float64Array, n: number, reps: number): number {
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    for (let m = 0; m < BATCH; m++) luSolve(luFactor(a.subarray(m * n * n, (m + 1) * n * n), n), b.subarray(m * n, (m + 1) * n), n, 1);
    times.push(performance.now() - t0);
  }
  return median(times);
}

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
        const cpu = cpuMs(av, bv, n, 3);
        const np = numpyMs(n, reps);
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
