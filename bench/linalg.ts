/**
 * Batched linear algebra: matrices per second for eigvals, eig, eigh and svdvals on 1000
 * matrices of n = 4…64, on WebGPU, side by side with the float64 CPU reference in the same run
 * and NumPy's LAPACK (batched numpy.linalg.*) in a python3 subprocess when numpy is installed.
 * Target (eigvals of 1000 × 16×16): ≤ 100 ms and within 2× of NumPy.
 */

import { spawnSync } from 'node:child_process';
import * as fg from '../index.js';
import { normalArray } from '../engine/random.js';
import { eig as refEig, eigh as refEigh, eigvals as refEigvals, forEachMatrix, svdvals as refSvdvals } from '../solvers/linalg/reference/index.js';
import { measure, median, type Measurement } from './harness.js';
import type { BenchCase } from './kernels.js';

const BATCH = 1000;
/** n of the matrices; FLOWGRAD_BENCH_SIZES=16,32 picks some */
const SIZES = process.env.FLOWGRAD_BENCH_SIZES ? process.env.FLOWGRAD_BENCH_SIZES.split(',').map(Number) : [4, 8, 16, 32, 64];

type Kind = 'eigvals' | 'eig' | 'eigh' | 'svdvals';

const gpuRun: Record<Kind, (a: fg.Tensor) => fg.Tensor> = {
  eigvals: (a) => fg.linalg.eigvals(a).re,
  eig: (a) => fg.linalg.eig(a).vectors.re,
  eigh: (a) => fg.linalg.eigh(a, { symmetrize: false }).vectors,
  svdvals: (a) => fg.linalg.svdvals(a),
};

const cpuRun: Record<Kind, (m: Float64Array, n: number) => unknown> = {
  eigvals: (m, n) => refEigvals(m, n),
  eig: (m, n) => refEig(m, n),
  eigh: (m, n) => refEigh(m, n),
  svdvals: (m, n) => refSvdvals(m, n, n),
};

/** NumPy's call for each kind, on a (count, n, n) array `a` (and right-hand sides b, (count, n, 1)). */
const numpyCall: Record<Kind | 'solve', string> = {
  solve: 'np.linalg.solve(a, b)',
  eigvals: 'np.linalg.eigvals(a)',
  eig: 'np.linalg.eig(a)',
  eigh: 'np.linalg.eigh(a)',
  svdvals: 'np.linalg.svd(a, compute_uv=False)',
};

const NUMPY_SCRIPT = `
import json, sys, time
import numpy as np
kind, n, count, reps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rng = np.random.default_rng(1)
a = rng.standard_normal((count, n, n)); b = rng.standard_normal((count, n, 1))
call = {${Object.entries(numpyCall).map(([k, c]) => `'${k}': lambda a, b: ${c}`).join(', ')}}[kind]
call(a, b)
times = []
for _ in range(reps):
    t0 = time.perf_counter(); call(a, b); times.append((time.perf_counter() - t0) * 1000)
times.sort()
print(json.dumps({'ms': times[len(times) // 2], 'numpy': np.__version__}))
`;

let python: string | null | undefined;

/** A python3 with numpy, or null (tries python3, then /usr/bin/python3). */
export function findPython(): string | null {
  if (python !== undefined) return python;
  python = null;
  for (const exe of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(exe, ['-c', 'import numpy'], { encoding: 'utf8' });
    if (r.status === 0) return (python = exe);
  }
  return python;
}

/** NumPy's median time (ms) for the batch, or null without numpy. */
export function numpyMs(kind: Kind | 'solve', n: number, count: number, reps: number): number | null {
  const exe = findPython();
  if (!exe) return null;
  const r = spawnSync(exe, ['-c', NUMPY_SCRIPT, kind, String(n), String(count), String(reps)], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  return (JSON.parse(r.stdout.trim()) as { ms: number }).ms;
}

/** Median wall time (ms) of run(), a float64 reference on the host, over a few runs. */
export function cpuMs(reps: number, run: () => void): number {
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    run();
    times.push(performance.now() - t0);
  }
  return median(times);
}

function linalgCase(kind: Kind): BenchCase {
  return {
    name: `linalg-${kind}`,
    async run() {
      const out: Measurement[] = [];
      for (const n of SIZES) {
        const values = normalArray(BATCH * n * n, 100 + n);
        if (kind === 'eigh') {
          for (let b = 0; b < BATCH; b++) {
            for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) values[b * n * n + j * n + i] = values[b * n * n + i * n + j]!;
          }
        }
        const a = fg.tensor(Float32Array.from(values), [BATCH, n, n]);
        const reps = n >= 32 ? 3 : 7;
        const m = await measure(() => gpuRun[kind](a), { reps, warmup: 1 });
        a.dispose();
        // the float64 reference on as many matrices as take a second or two, reported per matrix
        const cpuCount = Math.min(BATCH, Math.max(20, Math.round(4e6 / n ** 3)));
        const cpu = (cpuMs(n >= 32 ? 1 : 3, () => forEachMatrix(values.subarray(0, cpuCount * n * n), cpuCount, n * n, (m) => cpuRun[kind](m, n))) * BATCH) / cpuCount;
        const np = numpyMs(kind, n, BATCH, n >= 32 ? 3 : 7);
        const extra: Record<string, number> = { 'matrices/s': (BATCH / m.wallMs) * 1000, 'ref f64 matrices/s': (BATCH / cpu) * 1000 };
        if (np !== null) {
          extra['NumPy matrices/s'] = (BATCH / np) * 1000;
          extra['× NumPy time'] = m.wallMs / np;
        }
        const target = kind === 'eigvals' && n === 16 ? `≤ 100 ms and ≤ 2× NumPy: ${m.wallMs <= 100 && (np === null || m.wallMs <= 2 * np) ? 'met' : 'missed'}` : undefined;
        out.push({ name: `linalg.${kind}`, size: `${BATCH}×${n}×${n}`, ...m, extra, ...(target ? { target } : {}) });
      }
      return out;
    },
  };
}

/** The cases, in the BenchCase shape of bench/kernels.ts (append them to its list to run). */
export const linalgBenches: BenchCase[] = (['eigvals', 'eig', 'eigh', 'svdvals'] as const).map(linalgCase);
