import { writeFileSync } from 'node:fs';
import * as fg from '../index.js';
import { kernelBenches, type BenchCase } from '../bench/kernels.js';
import { odeBenches } from '../bench/ode.js';
import { trainBenches } from '../bench/train.js';
import { nodeTrainBenches } from '../bench/node-train.js';
import { convBenches } from '../bench/conv.js';
import { nknBenches } from '../bench/nkn.js';
import { linalgBenches } from '../bench/linalg.js';
import { linalgSolveBenches } from '../bench/linalg-solve.js';
import { vmapBenches } from '../bench/vmap.js';
import { bayesBenches } from '../bench/bayes.js';
import { jitBenches } from '../bench/jit.js';
import { loadTfjs } from '../bench/tfjs.js';
import type { Measurement } from '../bench/harness.js';
import { table } from './table.js';

const allBenches: BenchCase[] = [...kernelBenches, ...convBenches, ...odeBenches, ...trainBenches, ...nodeTrainBenches, ...linalgBenches, ...nknBenches, ...linalgSolveBenches, ...vmapBenches, ...bayesBenches, ...jitBenches];

function rate(m: Measurement, ms: number | null | undefined): string {
  if (!ms) return '';
  if (m.flops) return `${(m.flops / ms / 1e6).toFixed(2)} GFLOP/s`;
  if (m.bytes) return `${(m.bytes / ms / 1e6).toFixed(2)} GB/s`;
  return '';
}

const ms = (v: number | null | undefined) => (v ? v.toFixed(3) : '');

/** One line on stderr that rewrites itself on a terminal. */
function progress(text: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K${text}`);
  else process.stderr.write(`${text}\n`);
}

/**
 * Runs the microbenchmarks on WebGPU, TensorFlow.js's WebGPU backend on the same adapter beside
 * them where it is installed, and prints a table, the targets against what was measured, and
 * JSON on request. It measures; it asserts nothing (the exit code does not depend on targets).
 */
export async function benchCommand(opts: { filter?: string; json?: string }): Promise<number> {
  fg.checkOptions('bench', opts, ['filter', 'json']);
  await fg.init({ backend: 'webgpu' });
  const rt = fg.gpuRuntime();
  const info = rt.adapter.info;
  const adapter = [info.vendor, info.architecture, info.description].filter(Boolean).join(' / ');
  const cases = allBenches.filter((c) => !opts.filter || c.name.includes(opts.filter));
  if (cases.length === 0) {
    process.stderr.write(`flowgrad bench: no benchmark matches '${opts.filter}'; there are: ${allBenches.map((c) => c.name).join(', ')}\n`);
    return 2;
  }
  progress('loading TensorFlow.js (webgpu backend)…');
  const tfjs = await loadTfjs();
  const tfjsLine = tfjs.tf ? `TensorFlow.js ${tfjs.version} (webgpu backend, same adapter)` : tfjs.reason;
  progress('');
  console.log(`adapter: ${adapter}; timestamp queries: ${rt.features.has('timestamp-query') ? 'yes' : 'no'}; subgroups: ${rt.features.has('subgroups') ? 'yes' : 'no'}`);
  console.log(`comparing with: ${tfjsLine}`);
  const results: Measurement[] = [];
  const t0 = performance.now();
  for (const [i, c] of cases.entries()) {
    progress(`[${i + 1}/${cases.length}] ${c.name}… (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    results.push(...(await c.run({ tf: tfjs.tf })));
  }
  progress('');
  const rows = results.map((m) => [
    m.name,
    m.size,
    ms(m.wallMs),
    rate(m, m.wallMs),
    ms(m.gpuMs),
    rate(m, m.gpuMs),
    ms(m.tfjsMs),
    m.tfjsMs ? `${(m.tfjsMs / m.wallMs).toFixed(2)}×` : '',
    ms(m.cpuMs),
    Object.entries(m.extra ?? {}).map(([k, v]) => `${v.toFixed(1)} ${k}`).join(' '),
  ]);
  console.log(table(['kernel', 'size', 'wall ms', 'wall rate', 'gpu ms', 'gpu rate', 'tfjs ms', 'vs tfjs', 'cpu f64 ms', ''], rows));
  console.log('\nwall: median of ≥ 5 runs after warm-up, readback included (tfjs measured the same way); gpu: timestamp queries;');
  console.log('vs tfjs: tfjs wall time / flowgrad wall time (> 1: flowgrad faster); cpu f64: the float64 reference backend.');
  const targets = results.filter((m) => m.goals?.length || m.target);
  if (targets.length) {
    console.log('\ntargets (target: measured):');
    for (const m of targets) {
      const checked = (m.goals ?? []).map((g) => `${g.target}: ${g.measured} ${g.met ? 'met' : 'NOT met'}`);
      if (m.target) checked.push(`${m.target} (stated, not checked here)`);
      console.log(`  ${m.name} ${m.size} — ${checked.join('; ')}`);
    }
  }
  if (opts.json) {
    const report = {
      adapter,
      date: new Date().toISOString(),
      tfjs: tfjs.tf ? { version: tfjs.version } : { unavailable: tfjs.reason },
      results: results.map((m) => ({
        ...m,
        wallRate: rate(m, m.wallMs) || null,
        gpuRate: rate(m, m.gpuMs) || null,
        vsTfjs: m.tfjsMs ? m.tfjsMs / m.wallMs : null,
      })),
    };
    writeFileSync(opts.json, JSON.stringify(report, null, 2));
    console.log(`\nwrote ${opts.json}`);
  }
  return 0;
}
