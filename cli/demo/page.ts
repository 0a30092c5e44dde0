// The demo page served by `flowgrad serve`: controls, a progress bar, the live loss plot, the
// study's tables and plots, and a benchmark table. Its script is dist/browser/demo.js.
export const DEMO_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>flowgrad demo</title>
<style>
body{font-family:sans-serif;max-width:1200px;margin:1.5em auto;padding:0 1em;background:#fff}
table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child{text-align:left}
#note{background:#fff3cd;border:1px solid #e0c060;padding:6px 10px}
#error{color:#b00020;white-space:pre-wrap}
progress{width:420px;vertical-align:middle}
#loss,#plots>*{display:inline-block;vertical-align:top;margin:4px}
</style></head>
<body data-state="loading">
<h1>flowgrad demo</h1>
<p>Backend: <b id="backend">starting…</b></p>
<p id="note" hidden></p>
<p>
  <label>Study <select id="study">
    <option value="moons">ResNet vs Neural ODE on two moons, with the L-table</option>
    <option value="spectra">Eigenvalue spectra of a ResNet in the complex plane</option>
    <option value="darcy">Nonlocal kernel network: resolution on 1-D Darcy flow</option>
  </select></label>
  <label>Size <select id="size"><option value="tiny">tiny (seconds)</option><option value="full" selected>full</option></select></label>
  <button id="run">Train</button>
  <button id="bench-run">Benchmark</button>
</p>
<p><progress id="progress" max="1" value="0"></progress> <span id="status"></span></p>
<p id="error"></p>
<p><button id="save" disabled>Download weights (.safetensors)</button>
  <label>Load weights <input type="file" id="load" accept=".safetensors" disabled></label> <span id="loaded"></span></p>
<div id="loss"></div>
<div id="tables"></div>
<div id="plots"></div>
<h2>Benchmark</h2>
<div id="bench"><p>Press Benchmark to time a few kernels on this backend.</p></div>
<script type="module" src="/demo.js"></script>
</body></html>
`;
