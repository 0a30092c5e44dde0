// `flowgrad study --study stochastic`: a neural SDE (drift and diffusion MLPs) fitted to noisy
// paths of a stochastic oscillator, and a stiff linear Neural ODE trained with rosenbrock23
// beside dopri5, whose steps grow with the learned stiffness until it reaches its step budget.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as fg from '../index.js';
import { esc, figures, reportPage } from './report/html.js';
import { plot, type Series } from './report/svg.js';

const M = fg.models;
const now = () => performance.now();

interface NodeRun {
  method: string;
  losses: number[];
  steps: number[];
  stalled: string | null;
  eigenvalues: number[];
}

export interface StochasticResults {
  study: 'stochastic';
  backend: string;
  seed: number;
  quick: boolean;
  sde: {
    ts: number[];
    losses: number[];
    /** per time: data mean and std of x, and the fitted model's */
    data: { mean: number[]; std: number[] };
    model: { mean: number[]; std: number[] };
    /** a few sample paths of x: data, then model */
    dataPaths: number[][];
    modelPaths: number[][];
    seconds: number;
  };
  stiff: { ts: number[]; trueEigenvalues: number[]; runs: NodeRun[]; seconds: number };
  seconds: number;
}

/** Column c of [T, P, 2] as per-time arrays over paths. */
async function column(x: fg.Tensor, c: number): Promise<number[][]> {
  const [T, P] = x.shape as [number, number, number];
  const v = await x.data();
  return Array.from({ length: T }, (_, t) => Array.from({ length: P }, (_, p) => v[(t * P + p) * 2 + c]!));
}
const avg = (x: number[]) => x.reduce((s, v) => s + v, 0) / x.length;
const sd = (x: number[]) => Math.sqrt(avg(x.map((v) => (v - avg(x)) ** 2)));

async function runSde(o: { quick: boolean; seed: number }) {
  const t0 = now();
  const ts = Array.from({ length: o.quick ? 9 : 17 }, (_, k) => (k * 4) / (o.quick ? 8 : 16));
  const data = M.stochasticOscillator({ paths: o.quick ? 64 : 256, ts, seed: o.seed + 5 });
  const model = M.neuralSde({ dim: 2, hidden: o.quick ? 8 : 16, seed: o.seed });
  const steps = o.quick ? 15 : 150;
  const fit = await M.fitNeuralSde(model, data, ts, {
    steps, lr: 2e-2, paths: o.quick ? 32 : 128, dt: 0.05, seed: o.seed,
    onStep: (s, l) => (s % Math.max(1, Math.floor(steps / 5)) === 0 || s === steps - 1) && console.log(`neural SDE: step ${s}, moment loss ${l.toExponential(3)}`),
  });
  const sample = M.sampleNeuralSde(model, fit.params, [1, 0], ts, { paths: o.quick ? 64 : 256, dt: 0.05, seed: o.seed + 99 });
  const [dx, mx] = [await column(data, 0), await column(sample, 0)];
  return {
    ts,
    losses: fit.losses,
    data: { mean: dx.map(avg), std: dx.map(sd) },
    model: { mean: mx.map(avg), std: mx.map(sd) },
    dataPaths: [0, 1, 2, 3].map((p) => dx.map((row) => row[p]!)),
    modelPaths: [0, 1, 2, 3].map((p) => mx.map((row) => row[p]!)),
    seconds: (now() - t0) / 1000,
  };
}

async function runStiff(o: { quick: boolean; seed: number }) {
  const t0 = now();
  // y′ = y·A with eigenvalues −1 and −2000: a fast mode that dies in ~1/2000 and a slow one
  const A = [[-1, 0], [2, -2000]];
  const ts = [0, 0.0005, 0.001, 0.003, 0.01, 0.1, 0.3, 1];
  const y0 = fg.tensor([[1, 1], [-1, 2], [0.5, -1.5]]);
  const a = fg.tensor(A);
  const data = fg.odeint((_t, y) => fg.matmul(y, a), y0, ts, { method: 'rosenbrock23', grid: await fg.odeintGrid((_t, y) => fg.matmul(y, a), y0, ts, { method: 'rosenbrock23', rtol: 1e-8, atol: 1e-10 }) });
  const steps = o.quick ? 12 : 100;
  const runs: NodeRun[] = [];
  for (const method of ['rosenbrock23', 'dopri5'] as const) {
    const fit = await M.fitLinearNode(data, ts, {
      method, steps, lr: 0.1, rtol: 1e-3, atol: 1e-6, maxSteps: 400, seed: o.seed + 3,
      onStep: (s, l, n) => (s % Math.max(1, Math.floor(steps / 6)) === 0) && console.log(`stiff NODE (${method}): step ${s}, loss ${l.toExponential(3)}, ${n} solver steps`),
    });
    if (fit.stalled) console.log(`stiff NODE (${method}): stopped at ${fit.stalled.split(';')[0]}`);
    const { re } = fg.linalg.eigvals(fit.W);
    runs.push({ method, losses: fit.losses, steps: fit.steps, stalled: fit.stalled, eigenvalues: Array.from(await re.data()) });
  }
  return { ts, trueEigenvalues: [-2000, -1], runs, seconds: (now() - t0) / 1000 };
}

export async function runStochastic(o: { quick: boolean; seed: number }, backend: string): Promise<StochasticResults> {
  const t0 = now();
  const sde = await runSde(o);
  const stiff = await runStiff(o);
  return { study: 'stochastic', backend, seed: o.seed, quick: o.quick, sde, stiff, seconds: (now() - t0) / 1000 };
}

/** Writes the SVG plots and index.html into dir; returns the plot files. */
export function writeStochasticReport(dir: string, r: StochasticResults): string[] {
  const s = r.sde;
  const at = (ys: number[]): [number, number][] => ys.map((y, k) => [s.ts[k]!, y]);
  const band = (m: number[], d: number[], sign: number) => m.map((v, k) => v + sign * d[k]!);
  const paths: Series[] = [
    ...s.dataPaths.map((p, i) => ({ name: i === 0 ? 'data' : '', points: at(p), color: '#1f77b4' })),
    ...s.modelPaths.map((p, i) => ({ name: i === 0 ? 'neural SDE' : '', points: at(p), color: '#d62728' })),
  ];
  const moments: Series[] = [
    { name: 'data mean', points: at(s.data.mean), color: '#1f77b4' },
    { name: 'data ± std', points: at(band(s.data.mean, s.data.std, 1)), color: '#9ecae1' },
    { name: '', points: at(band(s.data.mean, s.data.std, -1)), color: '#9ecae1' },
    { name: 'model mean', points: at(s.model.mean), color: '#d62728' },
    { name: 'model ± std', points: at(band(s.model.mean, s.model.std, 1)), color: '#fc9272' },
    { name: '', points: at(band(s.model.mean, s.model.std, -1)), color: '#fc9272' },
  ];
  const svgs = [
    { file: 'sde-paths.svg', caption: 'Sample paths of the position x: noisy data of the stochastic oscillator (blue) and the fitted neural SDE (red).', svg: plot({ title: 'Sample paths', xlabel: 't', ylabel: 'x', series: paths }) },
    { file: 'sde-moments.svg', caption: 'Mean ± one standard deviation of x over paths: data against the fitted neural SDE.', svg: plot({ title: 'Mean ± band', xlabel: 't', ylabel: 'x', series: moments }) },
    { file: 'sde-loss.svg', caption: 'Moment-matching loss of the neural SDE (fresh Brownian paths every step).', svg: plot({ title: 'Neural SDE training', xlabel: 'Adam step', ylabel: 'loss', logY: true, series: [{ name: 'loss', points: s.losses.map((l, k) => [k, l]) }] }) },
    {
      file: 'stiff-steps.svg', caption: `Solver steps per training step of the stiff linear NODE (true eigenvalues ${r.stiff.trueEigenvalues.join(', ')}): dopri5 is held at its stability limit as the learned dynamics turn stiff.`,
      svg: plot({ title: 'Steps per solve', xlabel: 'training step', ylabel: 'accepted solver steps', logY: true, series: r.stiff.runs.map((x) => ({ name: x.method, points: x.steps.map((n, k) => [k, n] as [number, number]) })) }),
    },
    {
      file: 'stiff-loss.svg', caption: 'Training loss of the stiff linear NODE with each solver.',
      svg: plot({ title: 'Stiff NODE training', xlabel: 'training step', ylabel: 'MSE', logY: true, series: r.stiff.runs.map((x) => ({ name: x.method, points: x.losses.map((l, k) => [k, l] as [number, number]) })) }),
    },
  ];
  for (const x of svgs) writeFileSync(join(dir, x.file), x.svg);
  const rows = r.stiff.runs.map((x) => `<tr><td>${x.method}</td><td>${x.losses.length}</td><td>${x.losses.at(-1)?.toExponential(3) ?? ''}</td><td>${x.steps[0] ?? ''}</td><td>${x.steps.at(-1) ?? ''}</td><td>${x.eigenvalues.map((e) => e.toFixed(2)).join(', ')}</td><td>${x.stalled ? esc(x.stalled.split(';')[0]!) : ''}</td></tr>`).join('\n');
  const figs = figures(svgs);
  writeFileSync(join(dir, 'index.html'), reportPage('flowgrad study: stochastic', `<h1>Stiff and stochastic dynamics</h1>
<p>Backend ${esc(r.backend)}, seed ${r.seed}${r.quick ? ', quick mode' : ''}; ${r.seconds.toFixed(1)} s.</p>
<h2>Neural SDE on a stochastic oscillator</h2>
<p>dx = v dt, dv = (−4x − 0.3v) dt + 0.4 dW, observed with noise at ${s.ts.length} times; fitted by matching mean and standard deviation over paths (Euler–Maruyama, dt = 0.05, backprop). Final loss ${s.losses.at(-1)!.toExponential(3)} (from ${s.losses[0]!.toExponential(3)}); ${s.seconds.toFixed(1)} s.</p>
<h2>Stiff linear Neural ODE</h2>
<p>dy/dt = y·W fitted to trajectories of y·A (eigenvalues −1 and −2000) from three starts, Adam, backprop through the solver's steps; both solvers at rtol 1e-3 with a budget of 400 attempted steps per solve; ${r.stiff.seconds.toFixed(1)} s.</p>
<table><tr><th>solver</th><th>training steps</th><th>final loss</th><th>solver steps (first)</th><th>solver steps (last)</th><th>learned eigenvalues</th><th>stopped</th></tr>
${rows}</table>
<h2>Plots</h2>
${figs}
<p>The numbers: <a href="results.json">results.json</a>.</p>
`));
  return svgs.map((x) => x.file);
}
