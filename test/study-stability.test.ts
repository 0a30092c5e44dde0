import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectPlots, runStudy } from './run-study.js';

const root = mkdtempSync(join(tmpdir(), 'flowgrad-study-stability-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('flowgrad study --study stability', () => {
  it('--quick writes the rollouts, spectra of Ω and P, the surrogate table, conditioning and Lyapunov spectra', async () => {
    const dir = join(root, 'report');
    const r = await runStudy(['--study', 'stability', '--quick', '--backend', 'cpu', '--out', dir]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/κ = 0: ρ\(Ω\) = [\s\S]*κ = 10: ρ\(Ω\) = /);
    expect(r.out).toMatch(/Lorenz, T = 20: λ = /);
    expect(readdirSync(root).filter((f) => f.includes('partial'))).toEqual([]);

    const html = expectPlots(dir, ['ae-training.svg', 'conditioning.svg', 'lorenz-T.svg', 'omega-spectrum.svg', 'p-spectrum.svg', 'rollout-error.svg', 'rollout-norm.svg', 'rollout-trace.svg', 'spectra.svg']);
    expect(readFileSync(join(dir, 'omega-spectrum.svg'), 'utf8')).toMatch(/<ellipse /); // the unit circle

    const json = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    expect(json.study).toBe('stability');
    const ae = json.autoencoder;
    // the rollouts: 500 steps; the agnostic model leaves the unit circle and grows, the aware one does not
    expect(ae.agnostic.predictionNorm).toHaveLength(501);
    expect(ae.agnostic.omega.spectralRadius).toBeGreaterThan(1);
    expect(ae.aware.omega.spectralRadius).toBeLessThan(1);
    expect(html).toContain(ae.aware.omega.spectralRadius.toFixed(4));
    expect(ae.aware.omega.re).toHaveLength(ae.latent);
    expect(ae.aware.p).toHaveLength(ae.latent);
    // the tables
    expect(json.penalties.map((x: { penalty: string }) => x.penalty)).toEqual(['none', 'exact', 'surrogate', 'active']);
    expect(json.surrogate.exact).toHaveLength(6);
    expect(json.conditioning.map((c: { step: number }) => c.step)).toEqual([0, 10, 20]);
    for (const c of json.conditioning) expect(c.max).toBeGreaterThanOrEqual(c.median);
    const lorenz = json.spectra.rows[0];
    expect(lorenz.exponents).toHaveLength(3);
    expect(Math.abs(lorenz.sum - lorenz.expectedSum)).toBeLessThan(1e-3);
    expect(html).toContain(lorenz.sum.toFixed(5));
  }, 300_000);
});
