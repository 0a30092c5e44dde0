// The study's index.html: a summary table, the L-table and the plots.
import type { StudyResults } from '../study.js';
import type { DarcyResults } from '../study-darcy.js';
import { esc } from './svg.js';

export { esc };

/** The plots of a report as figures, each an SVG file with its caption. */
export const figures = (plots: { file: string; caption: string }[]) =>
  plots.map((p) => `<figure><img src="${p.file}" alt="${esc(p.caption)}"><figcaption>${esc(p.caption)}</figcaption></figure>`).join('\n');

/** A report page: its title, the style every study's report shares, and the body. */
export const reportPage = (title: string, body: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:first-child{text-align:left}figure{display:inline-block;margin:8px;width:560px;vertical-align:top}figcaption{font-size:13px;color:#444}</style>
</head><body>
${body}</body></html>
`;

/** The Darcy study's index.html: the stages, the resolution tables, the spectrum and the plots. */
export function darcyHtml(r: DarcyResults, plots: { file: string; caption: string }[]): string {
  const problems = [r.oneD, ...(r.twoD ? [r.twoD] : [])];
  const grid = (dim: number, n: number) => (dim === 1 ? `${n}` : `${n}×${n}`);
  const stages = problems
    .flatMap((p) => p.stages.map((s) => `<tr><td>${p.dim}-D, L = ${s.L}</td><td>${s.steps}</td><td>${s.lr}</td><td>${s.start.toExponential(3)}</td><td>${s.end.toExponential(3)}</td></tr>`))
    .join('\n');
  const resolution = problems
    .map((p) => `<h3>${p.dim}-D: trained on ${grid(p.dim, p.resolution[0]!.n)} (${p.train} fields), ${p.test} test fields</h3>
<table><tr><th>grid</th><th>nodes</th><th>edges per node</th><th>relative L² test error</th></tr>
${p.resolution.map((x) => `<tr><td>${grid(p.dim, x.n)}</td><td>${x.nodes}</td><td>${x.edgesPerNode.toFixed(1)}</td><td>${x.relL2.toFixed(4)}</td></tr>`).join('\n')}
<tr><td>${grid(p.dim, p.resolution[0]!.n)}, K_θ ≡ 0</td><td></td><td></td><td>${p.kernelOff.toFixed(4)}</td></tr>
<tr><td>mean training solution</td><td></td><td></td><td>${p.meanField.toFixed(4)}</td></tr></table>
<p>Width d = ${p.width}, hidden ${p.hidden}, radius ${p.radius.toFixed(4)}, loss on ${p.scale}·u; ${p.seconds.toFixed(1)} s.</p>`)
    .join('\n');
  const s = r.spectrum;
  const figs = figures(plots);
  return reportPage('flowgrad study: darcy', `<h1>Nonlocal kernel network on Darcy flow</h1>
<p>Backend ${esc(r.backend)}, seed ${r.seed}${r.quick ? ', quick mode (1-D only)' : ''}; ${r.seconds.toFixed(1)} s.</p>
<h2>Shallow to deep</h2>
<p>Each stage starts from the previous stage's parameters (the layers share their weights and are time steps of size τ = 1/L); the loss is the mean squared error of the scaled solution on the training fields.</p>
<table><tr><th>stage</th><th>steps</th><th>lr</th><th>start loss</th><th>end loss</th></tr>
${stages}</table>
<h2>Resolution independence</h2>
<p>Each network is trained on the coarsest grid only and tested on held-out fields on every grid (the same fields, solved again on the finer grids). The K_θ ≡ 0 row is the same network without its nonlocal diffusion; the last row predicts every field by the mean of the training solutions.</p>
${resolution}
<h2>Stability: spectrum of the diffusion step</h2>
<p>I + τ·A with A the trained layer's linear diffusion operator (${s.n} × ${s.n}, rows normalised by the neighbour count), τ = 1/${s.L}: |λ| ≤ ${s.maxModulus.toFixed(4)}, Re λ ∈ [${s.minRe.toFixed(4)}, ${s.maxRe.toFixed(4)}], |Im λ| ≤ ${s.maxAbsIm.toFixed(4)}.</p>
<h2>Plots</h2>
${figs}
<p>The numbers: <a href="results.json">results.json</a>.</p>
`);
}

export function indexHtml(r: StudyResults, plots: { file: string; caption: string }[]): string {
  const models = r.models
    .map((m) => `<tr><td>${esc(m.name)}</td><td>${m.parameterCount}</td><td>${m.final.trainLoss.toFixed(4)}</td><td>${m.final.testLoss.toFixed(4)}</td><td>${(100 * m.final.testAccuracy).toFixed(1)}%</td><td>${m.seconds.toFixed(1)}</td></tr>`)
    .join('\n');
  const ltable = r.ltable
    .map((x) => `<tr><td>${x.L}</td><td>${x.loss.toFixed(5)}</td><td>${x.relDiff.toExponential(2)}</td><td>${x.backpropMs.toFixed(1)}</td><td>${x.adjointMs.toFixed(1)}</td></tr>`)
    .join('\n');
  const stiffness = layerStiffnessTable(r);
  const figs = figures(plots);
  return reportPage(`flowgrad study: ${r.study}`, `<h1>ResNet and Neural ODE on ${esc(r.data.name)}</h1>
<p>Backend ${esc(r.backend)}, seed ${r.seed}${r.quick ? ', quick mode' : ''}; ${r.data.train} training and ${r.data.test} test samples.</p>
<h2>Models</h2>
<table><tr><th>model</th><th>parameters</th><th>train loss</th><th>test loss</th><th>test accuracy</th><th>seconds</th></tr>
${models}</table>
<h2>L-table: backprop vs adjoint</h2>
<p>The trained Neural ODE solved with L RK4 steps; the gradient of the test loss by backpropagation through the steps and by the continuous adjoint.</p>
<table><tr><th>L</th><th>loss</th><th>‖g_bp − g_adj‖/‖g_bp‖</th><th>backprop ms</th><th>adjoint ms</th></tr>
${ltable}</table>
<h2>Stiffness of each layer, without and with the penalty</h2>
<p>S(W) = max|λ| − min|λ| of each layer's weights and the cheaper proxy σ₁ − σ_d (singular values), at the start and the end of training, for the ResNet and the same ResNet trained from the same weights with κ·Σ_n S(W_n) added to its loss. The last rows: the mean over layers, and the cross-entropy on the training set at the end (without the penalty).</p>
${stiffness}
<h2>Plots</h2>
${figs}
<p>The numbers: <a href="results.json">results.json</a>.</p>
<p>Further: the <a href="stability/index.html">stability study</a> (Lyapunov-stable autoencoder, kernel stiffness surrogate, Jacobian conditioning, Lyapunov spectra), written into this directory by <code>flowgrad study --study stability --out &lt;this directory&gt;/stability</code>.</p>
<p>Bayesian Neural ODE: the <a href="bayes/index.html">Bayesian study</a> (HMC chains as one batch against mean-field VI on y = x³ + noise: predictive bands, traces, R̂ and ESS), written by <code>npm start</code>, or by <code>flowgrad study --study bayes --out &lt;this directory&gt;/bayes</code>.</p>
`);
}

/** Per-layer stiffness at the start (shared: both runs start from the same weights) and after each run. */
function layerStiffnessTable(r: StudyResults): string {
  const runs = r.layerStiffness ?? [];
  if (runs.length === 0) return '<p>No ResNet runs.</p>';
  const measures = [['eigen', 'max|λ| − min|λ|'], ['singular', 'σ₁ − σ_d']] as const;
  const label = (x: StudyResults['layerStiffness'][number]) => (x.kappa ? `κ = ${x.kappa}` : 'no penalty');
  const head1 = measures.map(([, m]) => `<th colspan="${1 + runs.length}">${esc(m)}</th>`).join('');
  const head2 = measures.map(() => `<th>start</th>${runs.map((x) => `<th>after, ${esc(label(x))}</th>`).join('')}`).join('');
  const cells = (f: (v: number[]) => string) => measures.map(([k]) => `<td>${f(runs[0]!.before[k])}</td>${runs.map((x) => `<td>${f(x.after[k])}</td>`).join('')}`).join('');
  const rows = Array.from({ length: runs[0]!.before.eigen.length }, (_, n) => `<tr><td>${n}</td>${cells((v) => v[n]!.toFixed(3))}</tr>`);
  rows.push(`<tr><td>mean</td>${cells((v) => (v.reduce((a, b) => a + b, 0) / v.length).toFixed(3))}</tr>`);
  const loss = `<td>—</td>${runs.map((x) => `<td>${x.trainDataLoss.toExponential(2)}</td>`).join('')}`;
  rows.push(`<tr><td>training data loss</td>${loss}${loss}</tr>`);
  return `<table><tr><th rowspan="2">layer</th>${head1}</tr><tr>${head2}</tr>\n${rows.join('\n')}</table>`;
}
