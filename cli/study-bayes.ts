// `flowgrad study --study bayes`: a Bayesian Neural ODE (W(t; α) linear in depth) on
// y = x³ + noise, its posterior sampled by HMC with all chains as one batch and approximated by
// mean-field VI; posterior predictive bands, traces and convergence diagnostics of both.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as fg from '../index.js';
import { esc, figures, reportPage } from './report/html.js';
import { plot, type Series } from './report/svg.js';

const M = fg.models;
const now = () => performance.now();

/** Posterior predictive mean and 90% band of the output over a grid of x. */
export interface Band {
  x: number[];
  mean: number[];
  lower: number[];
  upper: number[];
}

export interface BayesResults {
  study: 'bayes';
  backend: string;
  seed: number;
  quick: boolean;
  data: { x: number[]; y: number[] };
  hmc: {
    chains: number;
    warmup: number;
    samples: number;
    /** leapfrog steps per iteration */
    steps: number;
    stepSize: number;
    acceptRate: number[];
    divergences: number[];
    /** per chain, per draw */
    logDensity: number[][];
    /** the first entry of two leaves, per chain, per draw */
    traces: { path: string; values: number[][] }[];
    /** per leaf: its entries, the largest split-R̂ and the smallest bulk ESS over them */
    diagnostics: { path: string; size: number; rhat: number; ess: number }[];
    /**
     * the same for what the weights compute, which their symmetries (hidden units swapped, signs
     * flipped) leave unchanged: the log density and the output at a few x
     */
    functionDiagnostics: { quantity: string; rhat: number; ess: number }[];
    predictive: Band;
    seconds: number;
  };
  vi: { elbo: number[]; predictive: Band; seconds: number };
  seconds: number;
}

const POINTS = 24;
const NOISE = 0.1;
const GRID = 60;
const LEVEL = 0.9;
/** draws from the fitted mean-field Gaussian for its predictive band */
const VI_DRAWS = 200;
/** split-R̂ below this: the chains agree (Vehtari et al. 2021) */
const RHAT_MIXED = 1.01;

const column = async (t: fg.Tensor) => Array.from(await t.data());
/** A [chains, draws, ...] tensor as nested arrays per chain: the first entry of each draw, or all of them. */
async function perChain(t: fg.Tensor): Promise<number[][]> {
  const [C, S] = t.shape as [number, number];
  const v = await t.data();
  const n = v.length / (C * S);
  return Array.from({ length: C }, (_, c) => Array.from({ length: S }, (_, s) => v[(c * S + s) * n]!));
}

async function bandOf(net: fg.models.NodeModel, draws: unknown, xGrid: fg.Tensor): Promise<Band> {
  const p = await fg.bayes.predictive(net, draws, xGrid, { level: LEVEL });
  const band = { x: await column(xGrid), mean: await column(p.mean), lower: await column(p.lower), upper: await column(p.upper) };
  for (const t of [p.mean, p.lower, p.upper]) t.dispose();
  return band;
}

/** Max split-R̂ and min bulk ESS over the entries of every leaf of the draws. */
async function diagnose(samples: unknown): Promise<BayesResults['hmc']['diagnostics']> {
  const out: BayesResults['hmc']['diagnostics'] = [];
  for (const { path, tensor } of M.leaves(samples)) {
    const [C, S] = tensor.shape as [number, number];
    const size = tensor.size / (C * S);
    const flat = fg.reshape(tensor, [C, S, size]);
    const rhat = (await fg.bayes.rhat(flat)) as number[];
    const ess = (await fg.bayes.ess(flat)) as number[];
    flat.dispose();
    out.push({ path, size, rhat: Math.max(...rhat), ess: Math.min(...ess) });
  }
  return out;
}

/** Inputs at which the output's R̂ and ESS are reported. */
const PROBES = [-1, -0.5, 0, 0.5, 1];

/** Split-R̂ and bulk ESS of the log density and of the network's output at PROBES, over the draws. */
async function diagnoseFunction(net: fg.models.NodeModel, samples: unknown, logDensity: fg.Tensor): Promise<BayesResults['hmc']['functionDiagnostics']> {
  const [C, S] = logDensity.shape as [number, number];
  const xq = fg.tensor(PROBES.map((v) => [v]));
  const outputs = fg.tidy(() => {
    const flat = M.leaves(samples).map((l) => fg.reshape(l.tensor, [C * S, ...l.tensor.shape.slice(2)]));
    const rebuild = (ls: fg.Tensor[]) => { let k = 0; return M.mapTree(samples, () => ls[k++]!); };
    const out = fg.vmap((...ls: fg.Tensor[]) => net.apply(rebuild(ls) as never, xq))(...flat) as fg.Tensor;
    return fg.reshape(out, [C, S, PROBES.length]);
  });
  const quantities = [{ name: 'log density', t: logDensity }, { name: `output at x = ${PROBES.join(', ')}`, t: outputs }];
  const out: BayesResults['hmc']['functionDiagnostics'] = [];
  for (const { name, t } of quantities) {
    const rhat = [(await fg.bayes.rhat(t)) as number | number[]].flat();
    const ess = [(await fg.bayes.ess(t)) as number | number[]].flat();
    out.push({ quantity: name, rhat: Math.max(...rhat), ess: Math.min(...ess) });
  }
  outputs.dispose();
  xq.dispose();
  return out;
}

/** VI's draws θ = μ + σ·ε as a tree of leaves [1, draws, ...], the shape predictive takes from mcmc. */
function viDraws<P>(q: fg.bayes.ViResult<P>, seed: number): P {
  const std = M.leaves(q.std).map((l) => l.tensor);
  let k = 0;
  return M.mapTree(q.mean, (mu: fg.Tensor) => {
    const eps = fg.randn([1, VI_DRAWS, ...mu.shape], { seed: seed + 100 + k });
    return fg.add(mu, fg.mul(std[k++]!, eps));
  });
}

const meanWidth = (b: Band) => b.upper.reduce((s, u, i) => s + u - b.lower[i]!, 0) / b.upper.length;

export async function runBayes(o: { quick: boolean; seed: number }, backend: string): Promise<BayesResults> {
  const t0 = now();
  const net = M.node({ width: 6, inputSize: 1, outputSize: 1, basis: { kind: 'linear' }, steps: 4, gain: 0.5, seed: o.seed });
  const xs = Array.from({ length: POINTS }, (_, i) => -1 + (2 * i) / (POINTS - 1));
  const x = fg.tensor(xs.map((v) => [v]));
  const y = fg.add(fg.mul(fg.mul(x, x), x), fg.mul(fg.randn([POINTS, 1], { seed: o.seed + 1 }), NOISE));
  const logDensity = fg.bayes.logPosterior(net, { x, y }, { noise: NOISE, priorScale: 1 });
  const xGrid = fg.tensor(Array.from({ length: GRID }, (_, i) => [-1.2 + (2.4 * i) / (GRID - 1)]));
  console.log(`flowgrad study: Bayesian Neural ODE (${net.parameterCount} parameters) on y = x³ + noise (${POINTS} points) on ${backend}${o.quick ? ' (quick)' : ''}`);

  // HMC: the chains start from the seeded weights, jittered so that R̂ can see whether they mix
  const chains = o.quick ? 4 : 8;
  const [warmup, samples, steps] = o.quick ? [20, 20, 4] : [120, 120, 8];
  let k = 0;
  const init = M.mapTree(net.params, (p: fg.Tensor) => fg.add(fg.broadcastTo(p, [chains, ...p.shape]), fg.mul(fg.randn([chains, ...p.shape], { seed: o.seed + 10 + k++ }), 0.05)));
  console.log(`\nHMC: ${chains} chains, ${warmup} warm-up + ${samples} draws, ${steps} leapfrog steps`);
  const th = now();
  const r = await fg.bayes.mcmc(logDensity, init, { method: 'hmc', warmup, samples, steps, seed: o.seed });
  const leaves = M.leaves(r.samples);
  const traced = [leaves[0]!, leaves.at(-1)!];
  const hmc = {
    chains, warmup, samples, steps, stepSize: r.stepSize, acceptRate: r.acceptRate, divergences: r.divergences,
    logDensity: await perChain(r.logDensity),
    traces: await Promise.all(traced.map(async (l) => ({ path: `${l.path}[0]`, values: await perChain(l.tensor) }))),
    diagnostics: await diagnose(r.samples),
    functionDiagnostics: await diagnoseFunction(net, r.samples, r.logDensity),
    predictive: await bandOf(net, r.samples, xGrid),
    seconds: (now() - th) / 1000,
  };
  M.disposeTree(r.samples);
  M.disposeTree(init);
  r.logDensity.dispose();
  const accept = hmc.acceptRate.reduce((s, a) => s + a, 0) / chains;
  console.log(`HMC: acceptance ${accept.toFixed(3)}, ${hmc.divergences.reduce((s, d) => s + d, 0)} divergences, step size ${hmc.stepSize.toPrecision(3)}; max R̂ ${Math.max(...hmc.diagnostics.map((d) => d.rhat)).toFixed(3)}, min ESS ${Math.min(...hmc.diagnostics.map((d) => d.ess)).toFixed(0)}; of the log density and outputs: max R̂ ${Math.max(...hmc.functionDiagnostics.map((d) => d.rhat)).toFixed(3)}, min ESS ${Math.min(...hmc.functionDiagnostics.map((d) => d.ess)).toFixed(0)} (${hmc.seconds.toFixed(1)} s)`);

  const viSteps = o.quick ? 40 : 600;
  console.log(`\nVI: mean-field Gaussian, ${viSteps} Adam steps, 8 draws per ELBO estimate`);
  const tv = now();
  const q = await fg.bayes.vi(logDensity, net.params, { steps: viSteps, samples: 8, lr: 0.02, seed: o.seed });
  const draws = viDraws(q, o.seed);
  const vi = { elbo: q.elbo, predictive: await bandOf(net, draws, xGrid), seconds: (now() - tv) / 1000 };
  for (const t of [draws, q.mean, q.std]) M.disposeTree(t);
  console.log(`VI: ELBO ${vi.elbo[0]!.toFixed(1)} → ${vi.elbo.at(-1)!.toFixed(1)} (${vi.seconds.toFixed(1)} s)`);
  console.log(`\nmean width of the ${100 * LEVEL}% predictive band: HMC ${meanWidth(hmc.predictive).toFixed(3)}, VI ${meanWidth(vi.predictive).toFixed(3)}`);
  return { study: 'bayes', backend, seed: o.seed, quick: o.quick, data: { x: xs, y: await column(y) }, hmc, vi, seconds: (now() - t0) / 1000 };
}

/** The band as lower and upper lines and the mean, with the data as dots. */
function bandSeries(b: Band, data: BayesResults['data'], color: string): Series[] {
  const at = (ys: number[]): [number, number][] => ys.map((v, i) => [b.x[i]!, v]);
  return [
    { name: `${100 * LEVEL}% band`, points: at(b.lower), color, dash: true },
    { name: '', points: at(b.upper), color, dash: true },
    { name: 'mean', points: at(b.mean), color },
    { name: 'data', points: data.x.map((v, i) => [v, data.y[i]!]), kind: 'dots', color: '#333' },
  ];
}

/** Writes the SVG plots and index.html into dir; returns the plot files. */
export function writeBayesReport(dir: string, r: BayesResults): string[] {
  const h = r.hmc;
  // both predictive plots on the same axes, so that the band widths compare by eye
  const ys = [h.predictive, r.vi.predictive].flatMap((b) => [...b.lower, ...b.upper]).concat(r.data.y);
  const [lo, hi] = [Math.min(...ys), Math.max(...ys)];
  const limits = { x: [-1.25, 1.25] as [number, number], y: [lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo)] as [number, number] };
  const draw = (values: number[]): [number, number][] => values.map((v, s) => [s, v]);
  const traceColors = ['#1f77b4', '#d62728'];
  const svgs = [
    { file: 'predictive-hmc.svg', caption: `HMC posterior predictive: mean and ${100 * LEVEL}% band of the network's output over ${h.chains} chains × ${h.samples} draws, with the data.`, svg: plot({ title: 'Posterior predictive: HMC', xlabel: 'x', ylabel: 'y', limits, series: bandSeries(h.predictive, r.data, '#1f77b4') }) },
    { file: 'predictive-vi.svg', caption: `Mean-field VI posterior predictive: mean and ${100 * LEVEL}% band over ${VI_DRAWS} draws from the fitted Gaussian, with the data (same axes as HMC's).`, svg: plot({ title: 'Posterior predictive: mean-field VI', xlabel: 'x', ylabel: 'y', limits, series: bandSeries(r.vi.predictive, r.data, '#d62728') }) },
    { file: 'logdensity.svg', caption: 'Log posterior density of every kept HMC draw, one line per chain: chains that mix overlap.', svg: plot({ title: 'Log density per chain', xlabel: 'draw', ylabel: 'log p(θ | data)', series: h.logDensity.map((c, i) => ({ name: `chain ${i}`, points: draw(c) })) }) },
    {
      file: 'traces.svg', caption: `Traces of two parameters (${h.traces.map((t) => t.path).join(' and ')}), one line per chain.`,
      svg: plot({ title: 'Parameter traces', xlabel: 'draw', ylabel: 'value', series: h.traces.flatMap((t, j) => t.values.map((c, i) => ({ name: i === 0 ? t.path : '', points: draw(c), color: traceColors[j % 2] }))) }),
    },
    { file: 'elbo.svg', caption: 'ELBO of mean-field VI at every Adam step (a lower bound of the log evidence, estimated from 8 antithetic draws).', svg: plot({ title: 'VI: ELBO', xlabel: 'Adam step', ylabel: 'ELBO', series: [{ name: 'ELBO', points: r.vi.elbo.map((e, s) => [s, e]) }] }) },
  ];
  for (const x of svgs) writeFileSync(join(dir, x.file), x.svg);
  const rows = h.diagnostics.map((d) => `<tr><td>${esc(d.path)}</td><td>${d.size}</td><td>${d.rhat.toFixed(3)}</td><td>${d.ess.toFixed(0)}</td></tr>`).join('\n');
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  const [wh, wv] = [meanWidth(h.predictive), meanWidth(r.vi.predictive)];
  const maxRhat = Math.max(...h.diagnostics.map((d) => d.rhat));
  const mixed = maxRhat < RHAT_MIXED;
  const widths = `${wv.toFixed(3)} against HMC's ${wh.toFixed(3)} on average over the grid`;
  const compare = wv < wh
    ? `VI's band is narrower (${widths}), as mean-field VI typically is: a product of independent Gaussians cannot follow the correlations between weights and underestimates the posterior's spread.`
    : `VI's band is not narrower here (${widths}), though mean-field VI, which ignores the correlations between weights, usually underestimates the posterior's spread${mixed ? '.' : ': the HMC chains have not mixed, and draws from the parts of the posterior they visited understate its spread.'}`;
  const fmax = Math.max(...h.functionDiagnostics.map((d) => d.rhat));
  const functionMixed = fmax < RHAT_MIXED;
  const mixing = mixed
    ? `Every R̂ is below ${RHAT_MIXED}: the chains agree.`
    : functionMixed
      ? `The weights' R̂ is above ${RHAT_MIXED}, but the log density's and the outputs' are below it (${fmax.toFixed(3)}): the chains sit in different places of weight space that compute the same function — a network's weights are not identified (hidden units can be swapped and signs flipped) — and agree on what the posterior says about the data.`
      : `R̂ above ${RHAT_MIXED}, for the weights and for what they compute (log density and outputs: ${fmax.toFixed(3)}), means the chains have not mixed in ${h.warmup + h.samples} iterations: the spread between them is larger than the spread within each, so the draws describe the parts of the posterior they visited, not all of it (a network's weight posterior has many modes; longer runs are needed).`;
  writeFileSync(join(dir, 'index.html'), reportPage('flowgrad study: bayes', `<h1>Bayesian Neural ODE: HMC and mean-field VI</h1>
<p>Backend ${esc(r.backend)}, seed ${r.seed}${r.quick ? ', quick mode' : ''}; ${r.seconds.toFixed(1)} s.</p>
<p>A Neural ODE with W(t; α) linear in depth (width 6, RK4 × 4) fitted to ${r.data.x.length} points of y = x³ + ${NOISE}·N(0, 1) on [−1, 1]: Gaussian likelihood with known noise ${NOISE}, Gaussian prior of scale 1 on every weight.</p>
<h2>HMC</h2>
<p>${h.chains} chains as one batch, ${h.warmup} warm-up iterations (step size and diagonal metric adapted) and ${h.samples} kept draws each, ${h.steps} leapfrog steps of size ${h.stepSize.toPrecision(3)} (jittered ±20 %); ${h.seconds.toFixed(1)} s.</p>
<p>Max R̂ ${maxRhat.toFixed(3)}, min bulk ESS ${Math.min(...h.diagnostics.map((d) => d.ess)).toFixed(0)}, acceptance ${mean(h.acceptRate).toFixed(3)} (per chain ${h.acceptRate.map((a) => a.toFixed(2)).join(', ')}), ${h.divergences.reduce((s, d) => s + d, 0)} divergences. ${mixing}</p>
<table><tr><th>parameter</th><th>entries</th><th>max split-R̂</th><th>min bulk ESS</th></tr>
${rows}</table>
<table><tr><th>what the weights compute</th><th>max split-R̂</th><th>min bulk ESS</th></tr>
${h.functionDiagnostics.map((d) => `<tr><td>${esc(d.quantity)}</td><td>${d.rhat.toFixed(3)}</td><td>${d.ess.toFixed(0)}</td></tr>`).join('\n')}</table>
<h2>Mean-field VI</h2>
<p>${r.vi.elbo.length} Adam steps, ELBO ${r.vi.elbo[0]!.toFixed(1)} → ${r.vi.elbo.at(-1)!.toFixed(1)}; ${r.vi.seconds.toFixed(1)} s.</p>
<h2>HMC against VI</h2>
<p>${compare}</p>
<h2>Plots</h2>
${figures(svgs)}
<p>The numbers: <a href="results.json">results.json</a>.</p>
`));
  return svgs.map((x) => x.file);
}
