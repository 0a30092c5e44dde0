import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectPlots, runStudy } from './run-study.js';

const root = mkdtempSync(join(tmpdir(), 'flowgrad-study-darcy-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('flowgrad study --study darcy', () => {
  it('--quick writes the resolution table, loss curves, the spectrum plot and results.json', async () => {
    const dir = join(root, 'report');
    const r = await runStudy(['--study', 'darcy', '--quick', '--backend', 'cpu', '--out', dir]);
    expect(r.code, r.err).toBe(0);
    // progress lines: every stage and every grid
    expect(r.out).toMatch(/1-D: L = 3,[\s\S]*1-D: L = 6,[\s\S]*1-D: L = 12,/);
    expect(r.out).toMatch(/257 points: relative L² test error/);
    expect(readdirSync(root).filter((f) => f.includes('partial'))).toEqual([]);

    const html = expectPlots(dir, ['loss-1d.svg', 'resolution.svg', 'spectrum-zoom.svg', 'spectrum.svg']);

    const json = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    expect(json.study).toBe('darcy');
    expect(json.twoD).toBeNull(); // --quick runs the 1-D problem only
    const oneD = json.oneD;
    expect(oneD.stages.map((s: { L: number }) => s.L)).toEqual([3, 6, 12]);
    expect(oneD.resolution.map((x: { n: number }) => x.n)).toEqual([33, 65, 129, 257]);
    for (const x of oneD.resolution) expect(x.relL2).toBeGreaterThan(0);
    // the L = 3 stage learns; each deeper stage starts from the parameters before it, far below
    // an untrained start (the loss at step 0 of L = 3)
    const [s3, s6, s12] = oneD.stages;
    expect(s3.end).toBeLessThan(0.2 * s3.start);
    expect(s6.start).toBeLessThan(0.2 * s3.start);
    expect(s12.start).toBeLessThan(0.2 * s3.start);

    // the spectrum: one eigenvalue per row of the N·d × N·d diffusion step, finite, and the
    // index.html quotes its largest modulus
    const s = json.spectrum;
    expect(s.N).toBe(33);
    expect(s.n).toBe(s.N * s.d);
    expect(s.re).toHaveLength(s.n);
    expect(s.im).toHaveLength(s.n);
    expect([...s.re, ...s.im].every(Number.isFinite)).toBe(true);
    expect(s.maxModulus).toBeCloseTo(Math.max(...s.re.map((x: number, k: number) => Math.hypot(x, s.im[k]))), 12);
    expect(html).toContain(s.maxModulus.toFixed(4));
    // every eigenvalue is a dot in the scatter plot: one "M x y h0.01" move per point
    const spec = readFileSync(join(dir, 'spectrum.svg'), 'utf8');
    const dots = spec.match(/<path d="((?:M[-\d.]+ [-\d.]+h0\.01)+)"/);
    expect(dots).not.toBeNull();
    expect(dots![1]!.match(/M/g)).toHaveLength(s.n);
    expect(spec).toMatch(/<ellipse /); // the unit circle
  }, 120_000);
});
