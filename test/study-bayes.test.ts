import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectPlots, runStudy } from './run-study.js';

const root = mkdtempSync(join(tmpdir(), 'flowgrad-study-bayes-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** ys at x, linearly interpolated between the grid points xs (increasing). */
function interpolate(xs: number[], ys: number[], x: number): number {
  const i = Math.min(xs.length - 2, Math.max(0, xs.findIndex((v) => v > x) - 1));
  const w = (x - xs[i]!) / (xs[i + 1]! - xs[i]!);
  return ys[i]! + w * (ys[i + 1]! - ys[i]!);
}

describe('flowgrad study --study bayes', () => {
  it('--quick samples the Bayesian NODE by HMC, fits VI and writes the plots and results.json', async () => {
    const dir = join(root, 'report');
    const r = await runStudy(['--study', 'bayes', '--quick', '--backend', 'cpu', '--out', dir]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/HMC: 4 chains, 20 warm-up \+ 20 draws, 4 leapfrog steps/);
    expect(r.out).toMatch(/HMC: acceptance [\d.]+, \d+ divergences/);
    expect(r.out).toMatch(/VI: ELBO /);
    const html = expectPlots(dir, ['elbo.svg', 'logdensity.svg', 'predictive-hmc.svg', 'predictive-vi.svg', 'traces.svg']);
    expect(html).toMatch(/<th>max split-R̂<\/th>/);
    const json = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    expect(json.study).toBe('bayes');
    const h = json.hmc;
    expect(h.chains).toBe(4);
    expect(h.logDensity).toHaveLength(4);
    expect(h.logDensity.every((c: number[]) => c.length === 20)).toBe(true);
    expect(h.traces).toHaveLength(2);
    expect(h.traces[0].path).not.toBe(h.traces[1].path);
    // one row per leaf of the Neural ODE: W and b in depth, the readout's W and b (91 entries)
    expect(h.diagnostics.map((d: { size: number }) => d.size).reduce((a: number, b: number) => a + b, 0)).toBe(91);
    expect(h.functionDiagnostics.map((d: { quantity: string }) => d.quantity)).toEqual(['log density', 'output at x = -1, -0.5, 0, 0.5, 1']);
    for (const d of h.functionDiagnostics) expect(Number.isFinite(d.rhat) && d.rhat >= 0.99 && d.ess > 0, d.quantity).toBe(true);
    for (const d of h.diagnostics) {
      expect(Number.isFinite(d.rhat) && d.rhat >= 0.99, d.path).toBe(true);
      expect(d.ess, d.path).toBeGreaterThan(0);
    }
    expect(h.acceptRate.every((a: number) => a > 0 && a <= 1)).toBe(true);
    for (const band of [h.predictive, json.vi.predictive]) {
      expect(band.x).toHaveLength(60);
      band.mean.forEach((m: number, i: number) => {
        expect(band.lower[i]).toBeLessThanOrEqual(m);
        expect(m).toBeLessThanOrEqual(band.upper[i]);
      });
    }
    // 20 draws per chain after 20 warm-up iterations are far from converged, and the 90% band
    // holds the model's spread only (not the noise of y): half the points inside is what a
    // short run reliably gives, and a band that missed the data altogether would fail
    const { x, y } = json.data;
    const p = h.predictive;
    const inside = x.filter((v: number, i: number) => interpolate(p.x, p.lower, v) <= y[i] && y[i] <= interpolate(p.x, p.upper, v)).length;
    expect(inside).toBeGreaterThanOrEqual(0.5 * x.length);
    const elbo = json.vi.elbo;
    expect(elbo).toHaveLength(40);
    expect(elbo.at(-1)).toBeGreaterThan(elbo[0]);
  }, 120_000);
});
