import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectPlots, runStudy } from './run-study.js';

const root = mkdtempSync(join(tmpdir(), 'flowgrad-study-stochastic-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('flowgrad study --study stochastic', () => {
  it('--quick fits the neural SDE, trains the stiff NODE with both solvers and writes the plots and results.json', async () => {
    const dir = join(root, 'report');
    const r = await runStudy(['--study', 'stochastic', '--quick', '--backend', 'cpu', '--out', dir]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/neural SDE: step 0, moment loss/);
    expect(r.out).toMatch(/stiff NODE \(rosenbrock23\): step 0/);
    expectPlots(dir, ['sde-loss.svg', 'sde-moments.svg', 'sde-paths.svg', 'stiff-loss.svg', 'stiff-steps.svg']);
    const json = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    expect(json.study).toBe('stochastic');
    const sde = json.sde;
    expect(sde.losses).toHaveLength(15);
    // 15 Adam steps (quick mode, 32 fresh paths each): the moment loss falls by a quarter or more
    expect(Math.min(...sde.losses)).toBeLessThan(0.75 * sde.losses[0]);
    expect(sde.model.mean).toHaveLength(sde.ts.length);
    // the data's spread starts at the observation noise and grows with the Brownian forcing
    expect(sde.data.std.at(-1)).toBeGreaterThan(sde.data.std[0]);
    const [ros, dop] = json.stiff.runs;
    expect(ros.method).toBe('rosenbrock23');
    expect(dop.method).toBe('dopri5');
    expect(ros.losses.length).toBeGreaterThan(0);
    expect(ros.losses.at(-1)).toBeLessThan(ros.losses[0]);
    expect(ros.steps.every((n: number) => n > 0)).toBe(true);
  }, 300_000);
});
