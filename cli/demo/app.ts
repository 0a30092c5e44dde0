// The demo page's script (bundled to dist/browser/demo.js; its import of the library stays an
// import of ./index.js, the browser bundle beside it). It trains a study in the page, with a
// live loss plot and a progress bar, and draws the same SVG plots as the study report.
// URL parameters: study=moons|spectra|darcy, backend=webgpu|cpu, size=tiny|full, autorun=1, bench=1.
import * as fg from '../../index.js';
import { esc, plot, type Series } from '../report/svg.js';

const M = fg.models;
type Size = 'tiny' | 'full';
interface Ui {
  progress(fraction: number, label: string): void;
  /** redraws the live loss plot: training (and validation) curves per model */
  loss(curves: Curve[]): void;
}
interface Curve { name: string; train: [number, number][]; val: [number, number][] }
interface StudyOutput { tables: string; plots: string[] }

const $ = (id: string) => document.getElementById(id)!;
/** lets the page repaint (the CPU backend never yields on its own) */
const repaint = () => new Promise<void>((ok) => setTimeout(ok, 0));
const table = (head: string[], rows: (string | number)[][]) =>
  `<table><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(String(c))}</td>`).join('')}</tr>`).join('')}</table>`;

export function lossPlot(curves: Curve[], title = 'Loss (live)'): string {
  const series: Series[] = curves.flatMap((c, i) => {
    const color = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e'][i % 4]!;
    return [{ name: `${c.name} train`, points: c.train, color }, ...(c.val.length ? [{ name: `${c.name} val`, points: c.val, color, kind: 'dots' as const }] : [])];
  });
  return plot({ title, xlabel: 'step', ylabel: 'loss', logY: true, series });
}

/** Trains a model with train(), feeding the live plot after every epoch. */
async function trainLive<P>(model: fg.models.Model<P>, data: { train: fg.models.Dataset; val?: fg.models.Dataset }, epochs: number, curve: Curve, ui: Ui, curves: Curve[], at: (epoch: number) => number) {
  curves.push(curve);
  return M.train({
    model, data, epochs, batchSize: 32, seed: 0, logEvery: 2,
    optimizer: (p) => fg.optim.adam(p, { lr: 0.02 }),
    onEpoch: async (r, h) => {
      curve.train = h.steps.map((s) => [s.step, s.loss]);
      curve.val = h.epochs.filter((e) => e.valLoss !== undefined).map((e) => [e.step, e.valLoss!]);
      ui.loss(curves);
      ui.progress(at(r.epoch), `${curve.name}: epoch ${r.epoch}/${epochs}, loss ${r.trainLoss.toPrecision(3)}`);
      await repaint();
    },
  });
}

/** ResNet vs Neural ODE on two moons, then the L-table: backprop vs adjoint gradients over L. */
async function moons(size: Size, ui: Ui): Promise<StudyOutput> {
  const tiny = size === 'tiny';
  const ds = M.data.moons({ n: tiny ? 120 : 400, seed: 0, noise: 0.1 });
  const { train, val, test } = M.data.split(ds, { seed: 0 });
  const resnet = M.resnet({ width: 4, layers: 8, inputSize: 2, outputSize: 2, seed: 0 });
  const node = M.node({ width: 4, inputSize: 2, outputSize: 2, basis: { kind: 'piecewiseLinear', intervals: 2 }, method: 'rk4', steps: 4, seed: 0 });
  const epochs = tiny ? 3 : 30;
  const curves: Curve[] = [];
  const rows: (string | number)[][] = [];
  const plots: string[] = [];
  const trained: unknown[] = [];
  const models = [resnet, node] as fg.models.Model<any>[];
  for (const [i, model] of models.entries()) {
    const r = await trainLive(model, { train, val }, epochs, { name: model.name.split(' ')[0]!, train: [], val: [] }, ui, curves, (e) => 0.8 * (i + e / epochs) / models.length);
    const t = await M.evaluate(model, r.params, test);
    rows.push([model.name, model.parameterCount, r.history.epochs.at(-1)!.trainLoss.toFixed(4), t.loss.toFixed(4), `${(100 * t.accuracy!).toFixed(1)}%`]);
    plots.push(regions(model, r.params, ds, test));
    trained.push(r.params);
    if (i === 0) keepTrained(model, r.params, test, t);
  }
  // the L-table on the trained NODE
  const bx = fg.tensor(test.x, [test.n, 2]);
  const by = fg.tensor(M.data.oneHot(test.y, 2), [test.n, 2]);
  const flat = async (g: unknown) => (await Promise.all(fg.tree.leaves(g).map((l) => l.toArray()))).flat();
  const Ls = tiny ? [2, 4] : [2, 4, 8, 16];
  const lrows: (string | number)[][] = [];
  const pts: [number, number][] = [];
  for (const [k, L] of Ls.entries()) {
    ui.progress(0.8 + (0.2 * k) / Ls.length, `L-table: L = ${L}`);
    await repaint();
    const g = async (grad: 'backprop' | 'adjoint') => {
      const m = node.withSolver({ steps: L, grad });
      const t0 = performance.now();
      const v = await flat(fg.grad((p: unknown) => M.softmaxCrossEntropy(m.apply(p as never, bx), by))(trained[1]));
      return { v, ms: performance.now() - t0 };
    };
    const b = await g('backprop');
    const a = await g('adjoint');
    const rel = Math.hypot(...b.v.map((x, i) => x - a.v[i]!)) / Math.hypot(...b.v);
    lrows.push([L, rel.toExponential(2), b.ms.toFixed(1), a.ms.toFixed(1)]);
    pts.push([L, rel]);
  }
  plots.unshift(lossPlot(curves, 'Training and validation loss'));
  plots.push(plot({ title: 'Backprop vs adjoint gradient over L', xlabel: 'L (RK4 steps)', ylabel: '‖g_bp − g_adj‖ / ‖g_bp‖', logX: true, logY: true, series: [{ name: 'relative difference', points: pts }, { name: '', points: pts, kind: 'dots' }] }));
  return {
    tables: `<h3>Models</h3>${table(['model', 'parameters', 'train loss', 'test loss', 'test accuracy'], rows)}<h3>L-table</h3>${table(['L', '‖g_bp − g_adj‖/‖g_bp‖', 'backprop ms', 'adjoint ms'], lrows)}`,
    plots,
  };
}

/** Decision regions of a classifier on a grid over the data, with the test points. */
function regions(model: fg.models.Model<any>, params: unknown, ds: fg.models.Dataset, test: fg.models.Dataset): string {
  const cols = 24;
  const rows = 18;
  const xs = Array.from({ length: ds.n }, (_, i) => ds.x[2 * i]!);
  const ys = Array.from({ length: ds.n }, (_, i) => ds.x[2 * i + 1]!);
  const g = { x0: Math.min(...xs) - 0.3, y0: Math.min(...ys) - 0.3, dx: (Math.max(...xs) - Math.min(...xs) + 0.6) / cols, dy: (Math.max(...ys) - Math.min(...ys) + 0.6) / rows, cols, rows };
  const X = new Float64Array(cols * rows * 2);
  for (let r = 0; r < rows; r++) for (let k = 0; k < cols; k++) X.set([g.x0 + (k + 0.5) * g.dx, g.y0 + (r + 0.5) * g.dy], 2 * (r * cols + k));
  const pts = (lab: number): [number, number][] => Array.from({ length: test.n }, (_, i) => i).filter((i) => test.y[i] === lab).map((i) => [test.x[2 * i]!, test.x[2 * i + 1]!]);
  const p = fg.softmax(model.apply(params, fg.tensor(X, [cols * rows, 2])), -1);
  return pendingSvg(p, (v) => plot({
    title: `Decision regions: ${model.name.split(' ')[0]}`, xlabel: 'x₁', ylabel: 'x₂', cells: { ...g, values: Array.from({ length: cols * rows }, (_, i) => v[2 * i + 1]!) },
    series: [{ name: 'class 0', points: pts(0), kind: 'dots', color: '#1f4fb4' }, { name: 'class 1', points: pts(1), kind: 'dots', color: '#c62828' }],
  }));
}

/** SVGs whose data is still on the device: a placeholder id, filled in by resolvePending(). */
const pending = new Map<string, Promise<string>>();
function pendingSvg(t: fg.Tensor, draw: (v: Float64Array) => string): string {
  const id = `pending-${pending.size}`;
  pending.set(id, t.toFloat64().then(draw));
  return `<div id="${id}"></div>`;
}
async function resolvePending(): Promise<void> {
  for (const [id, svg] of pending) {
    const el = document.getElementById(id);
    if (el) el.outerHTML = await svg;
  }
  pending.clear();
}

/** Eigenvalues of a ResNet's layer weights in the complex plane, before and after training. */
async function spectra(size: Size, ui: Ui): Promise<StudyOutput> {
  const tiny = size === 'tiny';
  const ds = M.data.moons({ n: tiny ? 120 : 400, seed: 1, noise: 0.1 });
  const parts = M.data.split(ds, { seed: 1 });
  const model = M.resnet({ width: 4, layers: 8, inputSize: 2, outputSize: 2, seed: 1 });
  const eig = async (p: unknown) => {
    const { re, im } = fg.linalg.eigvals(M.layerStack(model, p as never));
    const [r, i] = [await re.toArray(), await im.toArray()];
    return r.map((x, k) => [x, i[k]!] as [number, number]);
  };
  const before = await eig(model.params);
  const curves: Curve[] = [];
  const epochs = tiny ? 3 : 30;
  const stiff: [number, number][] = [];
  const mean = async (p: unknown) => (await fg.linalg.stiffness(M.layerStack(model, p as never)).toArray()).reduce((a, b, _, all) => a + b / all.length, 0);
  stiff.push([0, await mean(model.params)]);
  const r = await trainLive(model, { train: parts.train, val: parts.val }, epochs, { name: 'resnet', train: [], val: [] }, ui, curves, (e) => e / epochs);
  stiff.push([r.history.epochs.at(-1)!.step, await mean(r.params)]);
  keepTrained(model, r.params, parts.test, await M.evaluate(model, r.params, parts.test));
  const after = await eig(r.params);
  const ring = (name: string, pts: [number, number][], title: string) => plot({ title, xlabel: 'Re λ', ylabel: 'Im λ', equal: true, unitCircle: true, series: [{ name, points: pts, kind: 'dots' }] });
  return {
    tables: `<h3>Stiffness max|λ| − min|λ| (mean over layers)</h3>${table(['step', 'stiffness'], stiff.map(([s, v]) => [s, v.toFixed(4)]))}`,
    plots: [lossPlot(curves, 'Training and validation loss'), ring(`${before.length} eigenvalues`, before, 'Spectra of W_n: initial'), ring(`${after.length} eigenvalues`, after, 'Spectra of W_n: trained')],
  };
}

/** A nonlocal kernel network trained on the coarsest 1-D Darcy grid, tested on finer ones. */
async function darcy(size: Size, ui: Ui): Promise<StudyOutput> {
  const tiny = size === 'tiny';
  const c = { dim: 1 as const, train: 4, test: 2, width: 4, hidden: 8, radius: 3 / 32, scale: 10 };
  const grids = M.data.darcy1d({ samples: c.train + c.test, seed: 11, resolutions: tiny ? [33, 65] : [33, 65, 129, 257] });
  const batch = M.darcyBatch(grids[0]!, c, c.train, 0);
  const target = fg.tensor(Array.from(batch.u, (v) => v * c.scale));
  const model = M.nkn({ dim: 1, width: c.width, hidden: c.hidden, seed: 2 });
  const steps = tiny ? 20 : 200;
  const chunk = 10;
  const curve: Curve = { name: 'nkn', train: [], val: [] };
  let params = model.params;
  for (let s = 0; s < steps; s += chunk) {
    const r = await M.fitNkn(model, params, batch.x, target, { layers: 3, steps: chunk, lr: 1e-2, logEvery: 5 });
    curve.train.push(...r.losses.map((x) => [s + x.step, x.loss] as [number, number]));
    params = r.params;
    ui.loss([curve]);
    ui.progress((0.8 * (s + chunk)) / steps, `nkn: step ${s + chunk}/${steps}`);
    await repaint();
  }
  const rows: (string | number)[][] = [];
  const pts: [number, number][] = [];
  for (const G of grids) {
    const e = await M.darcyTestError(G, { ...c, first: c.train, count: c.test }, (x) => model.apply(params, x, 3));
    rows.push([G.n, e.toFixed(4)]);
    pts.push([G.n, e]);
  }
  return {
    tables: `<h3>Resolution: trained on ${grids[0]!.n} points</h3>${table(['points', 'relative L² test error'], rows)}`,
    plots: [lossPlot([curve], 'Training loss'), plot({ title: 'Resolution independence', xlabel: 'points', ylabel: 'relative L² test error', logX: true, series: [{ name: '1-D', points: pts }, { name: '', points: pts, kind: 'dots' }] })],
  };
}

const STUDIES = { moons, spectra, darcy };

/** The last trained classifier: its weights download as safetensors and a file of them loads back. */
let trainedModel: { model: fg.models.Model<any>; params: unknown; test: fg.models.Dataset } | null = null;
function keepTrained(model: fg.models.Model<any>, params: unknown, test: fg.models.Dataset, r: { loss: number; accuracy?: number }) {
  trainedModel = { model, params, test };
  demo.trained = { model: model.name, testLoss: r.loss, accuracy: r.accuracy! };
  ($('save') as HTMLButtonElement).disabled = false;
  ($('load') as HTMLInputElement).disabled = false;
}

async function saveWeights() {
  if (!trainedModel) return;
  const bytes = await fg.io.saveSafetensors(trainedModel.params, undefined, { metadata: { model: trainedModel.model.name } });
  fg.io.downloadBytes(bytes, `${trainedModel.model.name.split(' ')[0]}.safetensors`);
}

/** Loads weights from a file (e.g. one downloaded here, or written by fg.io.saveSafetensors in Node) into the trained model. */
async function loadWeights(file: File) {
  if (!trainedModel) return;
  try {
    const params = await fg.io.loadSafetensors(file);
    const r = await M.evaluate(trainedModel.model, params, trainedModel.test);
    demo.loaded = { file: file.name, tensors: fg.tree.leaves(params).length, testLoss: r.loss, accuracy: r.accuracy! };
    $('loaded').textContent = `loaded ${demo.loaded.tensors} tensors from ${file.name}: test accuracy ${(100 * r.accuracy!).toFixed(1)}%`;
  } catch (e) {
    demo.loaded = { file: file.name, error: (e as Error).message };
    $('loaded').textContent = `cannot load ${file.name}: ${(e as Error).message}`;
  }
}

/** The page's own benchmark: a few kernels on the current backend, timed with one read at the end. */
async function bench(size: Size): Promise<(string | number)[][]> {
  const n = size === 'tiny' ? 64 : 256;
  const len = size === 'tiny' ? 1 << 14 : 1 << 20;
  const cases: { name: string; run: () => fg.Tensor; work: number; unit: 'GFLOP/s' | 'GB/s' }[] = [];
  const a = fg.randn([n, n], { seed: 1 });
  const b = fg.randn([n, n], { seed: 2 });
  const x = fg.randn([len], { seed: 3 });
  cases.push({ name: `matmul ${n}×${n}`, run: () => fg.matmul(a, b), work: 2 * n ** 3, unit: 'GFLOP/s' });
  cases.push({ name: `add ${len}`, run: () => fg.add(x, x), work: 3 * len * (fg.backend() === 'cpu' ? 8 : 4), unit: 'GB/s' });
  cases.push({ name: `tanh ${len}`, run: () => fg.tanh(x), work: 2 * len * (fg.backend() === 'cpu' ? 8 : 4), unit: 'GB/s' });
  // waits for all recorded work by reading one number (the queue runs in order), so the copy of
  // a whole result to the page is not timed as the kernel's work
  const settle = async (t: fg.Tensor) => {
    const one = fg.slice(fg.reshape(t, [t.size]), [0], [1]);
    await one.toArray();
    one.dispose();
  };
  const rows: (string | number)[][] = [];
  for (const c of cases) {
    await c.run().toArray(); // warm the pipeline
    // rounds of calls, each ended by one read, until 20 ms have passed (browsers coarsen the clock to 0.1 ms)
    let reps = 0;
    const t0 = performance.now();
    let last: fg.Tensor | null = null;
    while (reps < 5 || performance.now() - t0 < 20) {
      for (let i = 0; i < 5; i++, reps++) {
        last?.dispose();
        last = c.run();
      }
      await settle(last!);
    }
    const ms = (performance.now() - t0) / reps;
    rows.push([c.name, fg.backend(), ms.toPrecision(3), (c.work / (ms * 1e6)).toPrecision(3), c.unit]);
    last!.dispose();
  }
  return rows;
}

/** Chooses the backend: WebGPU where the browser has it, else the CPU with a visible note. */
async function pickBackend(want: string | null): Promise<{ backend: fg.BackendName; note: string }> {
  if (want === 'cpu') return { backend: await fg.init({ backend: 'cpu' }), note: 'CPU backend (float64), as asked in the URL.' };
  if (!('gpu' in navigator)) {
    return { backend: await fg.init({ backend: 'cpu' }), note: 'navigator.gpu is missing in this browser: running on the CPU backend (float64) instead of WebGPU.' };
  }
  try {
    return { backend: await fg.init(), note: '' };
  } catch (e) {
    if (want === 'webgpu') throw e;
    return { backend: await fg.init({ backend: 'cpu' }), note: `No WebGPU adapter (${(e as Error).message.split('\n')[0]}): running on the CPU backend (float64).` };
  }
}

interface DemoState {
  state: 'idle' | 'running' | 'done' | 'error';
  backend?: fg.BackendName;
  note?: string;
  error?: string;
  bench?: (string | number)[][];
  seconds?: number;
  /** the last trained classifier's test loss and accuracy */
  trained?: { model: string; testLoss: number; accuracy: number };
  /** the same for weights loaded from a file */
  loaded?: { file: string; tensors?: number; testLoss?: number; accuracy?: number; error?: string };
}
const demo: DemoState = { state: 'idle' };
(window as unknown as { flowgradDemo: DemoState }).flowgradDemo = demo;

function setState(s: DemoState['state']) {
  demo.state = s;
  document.body.dataset.state = s;
}

async function run(study: keyof typeof STUDIES, size: Size, withBench: boolean) {
  setState('running');
  ($('run') as HTMLButtonElement).disabled = true;
  $('error').textContent = '';
  $('plots').innerHTML = '';
  $('tables').innerHTML = '';
  const bar = $('progress') as HTMLProgressElement;
  const ui: Ui = {
    progress: (f, label) => {
      bar.value = f;
      $('status').textContent = label;
    },
    loss: (curves) => {
      $('loss').innerHTML = lossPlot(curves);
    },
  };
  const t0 = performance.now();
  try {
    const out = await STUDIES[study](size, ui);
    $('tables').innerHTML = out.tables;
    $('plots').innerHTML = out.plots.join('\n');
    await resolvePending();
    ui.progress(1, `done in ${((performance.now() - t0) / 1000).toFixed(1)} s on ${demo.backend}`);
    if (withBench) await runBench(size);
    demo.seconds = (performance.now() - t0) / 1000;
    setState('done');
  } catch (e) {
    demo.error = String((e as Error)?.stack ?? e);
    $('error').textContent = `error: ${(e as Error)?.message ?? e}`;
    setState('error');
  } finally {
    ($('run') as HTMLButtonElement).disabled = false;
  }
}

async function runBench(size: Size) {
  $('bench').innerHTML = '<p>running…</p>';
  await repaint();
  demo.bench = await bench(size);
  $('bench').innerHTML = table(['benchmark', 'backend', 'ms per call', 'rate', 'unit'], demo.bench);
}

async function main() {
  const q = new URLSearchParams(location.search);
  const picked = await pickBackend(q.get('backend'));
  demo.backend = picked.backend;
  demo.note = picked.note;
  $('backend').textContent = picked.backend === 'webgpu' ? 'WebGPU (float32)' : 'CPU (float64)';
  if (picked.note) {
    $('note').textContent = picked.note;
    $('note').hidden = false;
  }
  const select = $('study') as HTMLSelectElement;
  const sizeSel = $('size') as HTMLSelectElement;
  const study = q.get('study');
  if (study && study in STUDIES) select.value = study;
  if (q.get('size') === 'tiny' || q.get('size') === 'full') sizeSel.value = q.get('size')!;
  $('run').addEventListener('click', () => void run(select.value as keyof typeof STUDIES, sizeSel.value as Size, false));
  $('bench-run').addEventListener('click', () => void runBench(sizeSel.value as Size));
  $('save').addEventListener('click', () => void saveWeights());
  $('load').addEventListener('change', (e) => {
    const f = (e.target as HTMLInputElement).files?.[0];
    if (f) void loadWeights(f);
  });
  setState('idle');
  if (q.get('autorun') === '1') await run(select.value as keyof typeof STUDIES, sizeSel.value as Size, q.get('bench') === '1');
}

main().catch((e) => {
  demo.error = String((e as Error)?.stack ?? e);
  $('error').textContent = `error: ${(e as Error)?.message ?? e}`;
  setState('error');
});
