// R̂, ESS and MCSE on fixed draws against reference values computed independently: a numpy/scipy
// restatement of ArviZ's definitions (arviz/stats/diagnostics.py: _rhat_rank, _ess_bulk, _ess_tail,
// _ess_mean, _mcse_mean; scipy.stats.rankdata for the ranks, scipy.special.ndtri for Φ⁻¹, FFT
// autocovariances), run with Python 3 / numpy 2.4.6 / scipy 1.17.1 on the draws generated below.
import { beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';

beforeAll(async () => {
  await fg.init({ backend: 'cpu' });
});

/**
 * [4, 200, 2] draws from a MINSTD generator (exact integer arithmetic in JS and Python):
 * parameter 0 an AR(1) chain (φ = 0.7) whose mean shifts by 0.05 per chain, parameter 1
 * heavy-tailed (a cubed uniform) whose scale grows by 50% per chain.
 */
function fixedDraws(chains = 4, n = 200): number[][][] {
  let s = 12345;
  const next = () => (s = (48271 * s) % 2147483647) / 2147483647;
  return Array.from({ length: chains }, (_, c) => {
    let x = 0;
    return Array.from({ length: n }, () => {
      x = 0.7 * x + (next() - 0.5) + 0.05 * c;
      const v = next();
      const w = v - 0.5; // w·w·w, not w ** 3: pow may differ by an ulp between JS and C, and ties would differ
      return [x, 10 * (w * w * w) * (1 + 0.5 * c)];
    });
  });
}

// [rhat, bulk ESS, tail ESS, mean ESS, MCSE of the mean] per parameter, from the script above
const REFERENCE = [
  [1.1392916588850788, 23.85977927784912, 109.4154402135982, 23.73739275343228, 0.09392970483872447],
  [1.034034531998066, 742.3306631625012, 570.0935661787896, 726.5764617931294, 0.03365657662215361],
];

describe('bayes diagnostics', () => {
  it('rhat, ess (bulk, tail, mean) and mcse match the reference values', async () => {
    const d = fixedDraws();
    const rhat = fg.bayes.rhat(d) as number[];
    const bulk = fg.bayes.ess(d) as number[];
    const tail = fg.bayes.ess(d, { kind: 'tail' }) as number[];
    const essMean = fg.bayes.ess(d, { kind: 'mean' }) as number[];
    const mcse = fg.bayes.mcse(d) as number[];
    for (let j = 0; j < 2; j++) {
      const got = [rhat[j]!, bulk[j]!, tail[j]!, essMean[j]!, mcse[j]!];
      got.forEach((v, k) => expect(v).toBeCloseTo(REFERENCE[j]![k]!, 9));
    }
  });

  it('takes a Tensor (a Promise) and a single parameter [chains, draws] (a number)', async () => {
    const d = fixedDraws();
    const t = fg.tensor(d);
    expect(await fg.bayes.rhat(t)).toEqual(fg.bayes.rhat(d));
    const one = d.map((c) => c.map((v) => v[1]!));
    expect(fg.bayes.ess(one)).toBeCloseTo(REFERENCE[1]![1]!, 9);
  });

  it('the normal quantile is accurate (against values of Φ⁻¹ from scipy.special.ndtri)', () => {
    expect(fg.bayes.normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 14);
    expect(fg.bayes.normalQuantile(1e-10)).toBeCloseTo(-6.361340902404056, 12);
    expect(fg.bayes.normalQuantile(0.3)).toBeCloseTo(-0.5244005127080407, 14);
  });

  it('rejects bad input by name', () => {
    expect(() => fg.bayes.rhat([[1, 2, 3]])).toThrow(/bayes.rhat: x needs at least 1 chain and 4 draws/);
    expect(() => fg.bayes.ess([1, 2, 3] as never)).toThrow(/bayes.ess: x must be \[chains, draws, \.\.\.\]/);
    expect(() => fg.bayes.ess([[1, 2, 3, 4, NaN]])).toThrow(/bayes.ess: x holds a non-finite value/);
    expect(() => fg.bayes.ess([[1, 2, 3, 4]], { kind: 'x' as never })).toThrow(/bayes.ess: kind must be/);
    expect(() => fg.bayes.ess([[1, 2, 3, 4]], { method: 1 } as never)).toThrow(/bayes.ess: unknown option method.*; known: kind/);
  });
});
