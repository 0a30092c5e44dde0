import { describe, expect, it } from 'vitest';
import { indexHtml } from '../cli/report/html.js';
import type { StudyResults } from '../cli/study.js';

describe('the main study report', () => {
  it('links to the stability study and says how to write it', () => {
    const r = { study: 'moons', backend: 'cpu', seed: 0, quick: true, data: { name: 'moons', train: 1, test: 1 }, models: [], ltable: [], layerStiffness: [] } as unknown as StudyResults;
    const html = indexHtml(r, []);
    expect(html).toContain('<a href="stability/index.html">stability study</a>');
    expect(html).toContain('flowgrad study --study stability --out');
  });

  it('links to the Bayesian study and says how to write it', () => {
    const r = { study: 'moons', backend: 'cpu', seed: 0, quick: true, data: { name: 'moons', train: 1, test: 1 }, models: [], ltable: [], layerStiffness: [] } as unknown as StudyResults;
    const html = indexHtml(r, []);
    expect(html).toContain('<a href="bayes/index.html">Bayesian study</a>');
    expect(html).toContain('flowgrad study --study bayes --out');
  });
});
