// The study's index.html: a summary table, the L-table and the plots.
import type { StudyResults } from '../study.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function indexHtml(r: StudyResults, plots: { file: string; caption: string }[]): string {
  const models = r.models
    .map((m) => `<tr><td>${esc(m.name)}</td><td>${m.parameterCount}</td><td>${m.final.trainLoss.toFixed(4)}</td><td>${m.final.testLoss.toFixed(4)}</td><td>${(100 * m.final.testAccuracy).toFixed(1)}%</td><td>${m.seconds.toFixed(1)}</td></tr>`)
    .join('\n');
  const ltable = r.ltable
    .map((x) => `<tr><td>${x.L}</td><td>${x.loss.toFixed(5)}</td><td>${x.relDiff.toExponential(2)}</td><td>${x.backpropMs.toFixed(1)}</td><td>${x.adjointMs.toFixed(1)}</td></tr>`)
    .join('\n');
  const figs = plots.map((p) => `<figure><img src="${p.file}" alt="${esc(p.caption)}"><figcaption>${esc(p.caption)}</figcaption></figure>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>flowgrad study: ${esc(r.study)}</title>
<style>body{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:first-child{text-align:left}figure{display:inline-block;margin:8px;width:560px;vertical-align:top}figcaption{font-size:13px;color:#444}</style>
</head><body>
<h1>ResNet and Neural ODE on ${esc(r.data.name)}</h1>
<p>Backend ${esc(r.backend)}, seed ${r.seed}${r.quick ? ', quick mode' : ''}; ${r.data.train} training and ${r.data.test} test samples.</p>
<h2>Models</h2>
<table><tr><th>model</th><th>parameters</th><th>train loss</th><th>test loss</th><th>test accuracy</th><th>seconds</th></tr>
${models}</table>
<h2>L-table: backprop vs adjoint</h2>
<p>The trained Neural ODE solved with L RK4 steps; the gradient of the test loss by backpropagation through the steps and by the continuous adjoint.</p>
<table><tr><th>L</th><th>loss</th><th>‖g_bp − g_adj‖/‖g_bp‖</th><th>backprop ms</th><th>adjoint ms</th></tr>
${ltable}</table>
<h2>Plots</h2>
${figs}
<p>The numbers: <a href="results.json">results.json</a>.</p>
</body></html>
`;
}
