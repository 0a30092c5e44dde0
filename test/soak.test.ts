// Long WebGPU training loops that never read back (bench/soak.ts) stay flat: the process's
// resident memory and fg.memory()'s live buffers. Each loop runs in a child process, so that
// a native crash fails the test instead of killing the test runner.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SoakPoint } from '../bench/soak.js';

let script = '';

beforeAll(async () => {
  // inside node_modules so that the bundle resolves 'webgpu' from this package
  mkdirSync(resolve('node_modules/.cache'), { recursive: true });
  const dir = mkdtempSync(resolve('node_modules/.cache/flowgrad-soak-'));
  script = join(dir, 'soak.mjs');
  await build({ entryPoints: [resolve('bench/soak.ts')], bundle: true, platform: 'node', format: 'esm', outfile: script, external: ['webgpu'], logLevel: 'silent' });
});

/** The loop's checkpoints and the final drain time; rejects (with the exit signal) if it crashed. */
async function runSoak(loop: 'odeint' | 'mlp', steps: number, every: number, sync = false): Promise<{ points: SoakPoint[]; drainMs: number }> {
  const { stdout } = await promisify(execFile)(process.execPath, [script, loop, String(steps), String(every), ...(sync ? ['sync'] : [])], { encoding: 'utf8', maxBuffer: 1 << 24, timeout: 280_000 });
  const lines = stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  console.log(`soak ${loop}: ${lines.map((l) => JSON.stringify(l)).join(' ')}`);
  return { points: lines.filter((l) => 'step' in l), drainMs: lines.find((l) => 'drainMs' in l).drainMs };
}

const at = (points: SoakPoint[], step: number) => points.find((p) => p.step === step)!;

describe('WebGPU loops without reads: memory stays flat', () => {
  it('an MLP training loop: 3000 steps end within 10 MB of step 1000', async () => {
    const { points, drainMs } = await runSoak('mlp', 3000, 500);
    expect(points.map((p) => p.step)).toEqual([500, 1000, 1500, 2000, 2500, 3000]);
    // the parameters, the data and the model's constants: the same buffers at every checkpoint
    expect(new Set(points.map((p) => p.buffers)).size).toBe(1);
    // Before the pacing the device fell behind by ~3 ms a step and the queued work grew RSS by
    // ~15 MB per 1000 steps (33 MB from step 1000 to 3000); after it, 2 MB from 1000 to 10 000
    // on a quiet machine, up to 8 MB from 1000 to 3000 with another soak on the same 2 cores
    // (a loop that never reads is paced by an assumed device speed, and a starved software
    // driver runs slower). 10 MB leaves room for that and the allocator's own growth.
    expect(at(points, 3000).rssMB - at(points, 1000).rssMB).toBeLessThan(10);
    // the work still queued at the end (a read waits for it): the pacing keeps ~2048 dispatches,
    // well under a second; without it, seconds that grow with the steps
    expect(drainMs).toBeLessThan(4000);
  }, 300_000);

  it('an odeint (rk4, backprop) training loop with no await at all: no crash, flat buffers and RSS', async () => {
    const { points, drainMs } = await runSoak('odeint', 300, 50, true);
    expect(points.map((p) => p.step)).toEqual([50, 100, 150, 200, 250, 300]);
    expect(new Set(points.map((p) => p.buffers)).size).toBe(1);
    // Before: a new bind group per dispatch (~500 a step) that Dawn frees only once the event
    // loop turns: ~3.5 MB a step, then a segfault after step 100. After: ~30 MB from step 150
    // to 300 (what Dawn's bindings release only when the loop yields); 60 MB leaves room for
    // the allocator, against ~500 MB (and a crash) before.
    expect(at(points, 300).rssMB - at(points, 150).rssMB).toBeLessThan(60);
    expect(drainMs).toBeLessThan(4000);
  }, 300_000);
});
