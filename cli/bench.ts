import { writeFileSync } from 'node:fs';
import * as fg from '../index.js';
import { kernelBenches } from '../bench/kernels.js';
import type { Measurement } from '../bench/harness.js';
import { table } from './table.js';

function rate(m: Measurement, ms: number | null): string {
  if (ms === null) return '';
  if (m.flops) return `${(m.flops / ms / 1e6).toFixed(2)} GFLOP/s`;
  if (m.bytes) return `${(m.bytes / ms / 1e6).toFixed(2)} GB/s`;
  return '';
}

/** Runs the kernel microbenchmarks on WebGPU and prints a table (and JSON on request). */
export async function benchCommand(opts: { filter?: string; json?: string }): Promise<number> {
  await fg.init({ backend: 'webgpu' });
  const rt = fg.gpuRuntime();
  const info = rt.adapter.info;
  console.log(`adapter: ${[info.vendor, info.architecture, info.description].filter(Boolean).join(' / ')}; timestamp queries: ${rt.features.has('timestamp-query') ? 'yes' : 'no'}`);
  const cases = kernelBenches.filter((c) => !opts.filter || c.name.includes(opts.filter));
  const results: Measurement[] = [];
  for (const c of cases) {
    process.stderr.write(`running ${c.name}…\n`);
    results.push(...(await c.run()));
  }
  const rows = results.map((m) => [
    m.name,
    m.size,
    m.wallMs.toFixed(3),
    rate(m, m.wallMs),
    m.gpuMs === null ? '' : m.gpuMs.toFixed(3),
    rate(m, m.gpuMs),
    Object.entries(m.extra ?? {}).map(([k, v]) => `${v.toFixed(1)} ${k}`).join(' '),
  ]);
  console.log(table(['kernel', 'size', 'wall ms', 'wall rate', 'gpu ms', 'gpu rate', ''], rows));
  if (opts.json) writeFileSync(opts.json, JSON.stringify({ adapter: info.description, date: new Date().toISOString(), results }, null, 2));
  return 0;
}
