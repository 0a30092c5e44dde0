// Training with the exact stiffness penalty, its particle kernel map surrogate and the active
// reference: each penalty lowers what it measures against the unpenalized run.
import { beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';
import { penaltyTable } from '../cli/stability/penalties.js';

beforeAll(async () => {
  await fg.init({ backend: 'cpu' });
});

describe('stiffness penalties in training: exact, surrogate, active reference', () => {
  it('a ResNet on two moons: both stiffness penalties cut max|λ| − min|λ| several-fold, the active one cuts max|λ| − r; the data still fits', async () => {
    const rows = await penaltyTable({ steps: 40, seed: 0 });
    const by = Object.fromEntries(rows.map((r) => [r.penalty, r]));
    expect(rows.map((r) => r.penalty)).toEqual(['none', 'exact', 'surrogate', 'active']);
    // measured at 40 steps: none 0.99 → exact 0.04, surrogate 0.13 (its gradient is a noisy
    // smoothed one), so a factor 3 leaves room for both
    expect(by.exact!.stiffness).toBeLessThan(by.none!.stiffness / 3);
    expect(by.surrogate!.stiffness).toBeLessThan(by.none!.stiffness / 3);
    expect(by.active!.activeStiffness).toBeLessThan(by.none!.activeStiffness);
    // the penalties cost little data loss at these κ (the unpenalized one is ≈ 0.2 after 40 steps)
    for (const r of rows) {
      expect(r.dataLoss, r.penalty).toBeLessThan(1.5 * by.none!.dataLoss);
      expect(r.msPerStep).toBeGreaterThan(0);
    }
  }, 120_000);
});
