import { writeFileSync } from 'node:fs';
import * as fg from '../index.js';
import { gradcheckRegistry } from '../autodiff/check-ops.js';
import { table } from './table.js';

/** Prints the gradcheck of every registered op; exits non-zero if any fails. */
export async function gradcheckCommand(opts: { backend: fg.BackendName; json?: string }): Promise<number> {
  fg.checkOptions('gradcheck command', opts, ['backend', 'json']);
  await fg.init({ backend: opts.backend });
  const started = performance.now();
  const results = await gradcheckRegistry(opts.backend, (r) => {
    if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${r.sample}`);
  });
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
  const rows = results.map(({ sample, report }) => {
    const worst = report.inputs.reduce((a, b) => (b.maxAbsError > a.maxAbsError ? b : a));
    const kinks = report.inputs.reduce((n, i) => n + i.kinks, 0);
    return [sample, worst.maxAbsError.toExponential(2), worst.maxRelError.toExponential(2), worst.atol.toExponential(1), kinks, report.pass ? 'pass' : 'FAIL'];
  });
  console.log(table(['op and sample', 'max abs err', 'max rel err', 'atol', 'kinks', ''], rows));
  const ops = new Set(results.map((r) => r.op));
  const failed = results.filter((r) => !r.report.pass);
  const worstAbs = Math.max(...results.flatMap((r) => r.report.inputs.map((i) => i.maxAbsError)));
  const dtype = results[0]?.report.dtype;
  console.log(`\n${ops.size} ops, ${results.length} samples on ${opts.backend} (${dtype}): ${results.length - failed.length} pass, ${failed.length} fail; worst abs error ${worstAbs.toExponential(2)}; ${((performance.now() - started) / 1000).toFixed(1)} s`);
  console.log(results[0]?.report.method ?? '');
  if (opts.json) writeFileSync(opts.json, JSON.stringify(results, null, 2));
  return failed.length ? 1 : 0;
}
