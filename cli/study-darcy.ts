// `flowgrad study --study darcy`: the nonlocal kernel network on Darcy flow. 1-D: a global
// kernel trained on 48 fields, then carried over to twice the depth (--quick: a local kernel,
// L = 3 → 6 → 12), the error over resolutions against both baselines and the spectrum of the
// trained diffusion step I + τ·A; 2-D (unless --quick): trained on 29×29, tested on
// 29×29, 57×57 and 85×85.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as fg from '../index.js';
import { darcyHtml } from './report/html.js';
import { plot, type Series } from './report/svg.js';

const M = fg.models;

/** One training run of a stage: depth, steps, learning rate and the logged losses. */
interface Stage {
  L: number;
  steps: number;
  /** the learning rate, or the peak of a cosine schedule down to lr/30 */
  lr: number;
  cosine?: boolean;
  /** [cumulative step, loss] */
  losses: [number, number][];
  /** loss of the starting parameters at this depth, and after training */
  start: number;
  end: number;
}

interface Resolution {
  /** points per dimension */
  n: number;
  nodes: number;
  edgesPerNode: number;
  relL2: number;
}

/** what a problem trains: data sizes, network sizes, graph radius */
interface Setup {
  dim: 1 | 2;
  train: number;
  test: number;
  width: number;
  hidden: number;
  radius: number;
  /** u is multiplied by this for the loss */
  scale: number;
}

interface Problem extends Setup {
  stages: Stage[];
  /** relative L² test error on each grid, trained on the first */
  resolution: Resolution[];
  /** the same on the training grid with K_θ ≡ 0, and predicting the mean training solution */
  kernelOff: number;
  meanField: number;
  seconds: number;
}

export interface DarcyResults {
  study: 'darcy';
  backend: string;
  seed: number;
  quick: boolean;
  oneD: Problem;
  twoD: Problem | null;
  /** eigenvalues of the trained diffusion step I + τ·A (τ = 1/L) on one training-grid sample, n = N·d */
  spectrum: { L: number; tau: number; N: number; d: number; n: number; re: number[]; im: number[]; maxModulus: number; minRe: number; maxRe: number; maxAbsIm: number };
  seconds: number;
}

interface Config extends Setup {
  /** depth, steps and learning rate of each stage, each starting from the previous one's parameters */
  stages: { L: number; steps: number; lr: number; cosine?: boolean }[];
  logEvery: number;
}

const now = () => performance.now();

/** The test error of `predict` on the held-out fields of G. */
const testError = (c: Config, G: fg.models.data.DarcyGrid, predict: (x: fg.models.NknInput) => fg.Tensor) =>
  M.darcyTestError(G, { ...c, first: c.train, count: c.test }, predict);

/** Trains on the first grid through the stages and measures the test error on every grid. */
async function runProblem(c: Config, grids: fg.models.data.DarcyGrid[], seed: number) {
  const t0 = now();
  const tag = `${c.dim}-D`;
  const train = M.darcyBatch(grids[0]!, c, c.train, 0);
  const target = fg.tensor(Array.from(train.u, (v) => v * c.scale));
  const model = M.nkn({ dim: c.dim, width: c.width, hidden: c.hidden, seed });
  const loss = async (p: fg.models.NknParams, L: number) => fg.tidy(() => fg.mean(fg.square(fg.sub(model.apply(p, train.x, L), target)))).item();
  const stages: Stage[] = [];
  let params = model.params;
  let offset = 0;
  for (const s of c.stages) {
    const start = await loss(params, s.L);
    console.log(`${tag}: L = ${s.L}, ${s.steps} Adam steps (lr ${s.lr}) from loss ${start.toPrecision(3)}`);
    const r = await M.fitNkn(model, params, train.x, target, {
      layers: s.L, steps: s.steps, lr: s.cosine ? fg.optim.schedules.cosine({ lr: s.lr, steps: s.steps, minLr: s.lr / 30 }) : s.lr, logEvery: c.logEvery,
      onLog: (step, l) => console.log(`  step ${String(step).padStart(4)}  loss ${l.toExponential(3)}`),
    });
    if (params !== model.params) M.disposeTree(params);
    params = r.params;
    stages.push({ ...s, losses: r.losses.map((x) => [offset + x.step, x.loss]), start, end: await loss(params, s.L) });
    offset += s.steps;
  }
  const L = c.stages.at(-1)!.L;
  const resolution: Resolution[] = [];
  for (const G of grids) {
    const graph = M.radiusGraph(M.gridPoints(G.n, c.dim), c.dim, c.radius);
    const relL2 = await testError(c, G, (x) => model.apply(params, x, L));
    resolution.push({ n: G.n, nodes: graph.numNodes, edgesPerNode: graph.index.E / graph.numNodes, relL2 });
    console.log(`${tag}: ${c.dim === 1 ? `${G.n} points` : `${G.n}×${G.n}`}: relative L² test error ${relL2.toFixed(4)}`);
  }
  const off = M.withoutKernel(params);
  const kernelOff = await testError(c, grids[0]!, (x) => model.apply(off, x, L));
  const meanField = await M.meanSolutionError(grids[0]!, c.dim, c.train, c.test);
  console.log(`${tag}: training grid, kernel switched off (K_θ ≡ 0): ${kernelOff.toFixed(4)}; mean training solution: ${meanField.toFixed(4)}`);
  const problem: Problem = { dim: c.dim, train: c.train, test: c.test, width: c.width, hidden: c.hidden, radius: c.radius, scale: c.scale, stages, resolution, kernelOff, meanField, seconds: (now() - t0) / 1000 };
  return { problem, model, params, train };
}

/** Eigenvalues of I + τ·A for the trained layer's diffusion operator A on the first training sample. */
async function spectrum(model: fg.models.NknModel, params: fg.models.NknParams, c: Config, G: fg.models.data.DarcyGrid, L: number): Promise<DarcyResults['spectrum']> {
  const one = M.darcyBatch(G, c, 1, 0);
  const tau = 1 / L;
  const step = await M.diffusionMatrix(model.kernels(params, one.x), one.x.graph, { tau });
  const n = Math.round(Math.sqrt(step.length));
  const { re, im } = fg.linalg.eigvals(fg.tensor(step, [n, n]));
  const r = Array.from(await re.data());
  const i = Array.from(await im.data());
  const stats = {
    maxModulus: Math.max(...r.map((x, k) => Math.hypot(x, i[k]!))),
    minRe: Math.min(...r),
    maxRe: Math.max(...r),
    maxAbsIm: Math.max(...i.map(Math.abs)),
  };
  console.log(`spectrum of I + τ·A (${n} × ${n}, τ = 1/${L}): |λ| ≤ ${stats.maxModulus.toFixed(4)}, Re λ ∈ [${stats.minRe.toFixed(4)}, ${stats.maxRe.toFixed(4)}], |Im λ| ≤ ${stats.maxAbsIm.toFixed(4)}`);
  return { L, tau, N: one.x.graph.numNodes, d: n / one.x.graph.numNodes, n, re: r, im: i, ...stats };
}

export async function runDarcy(o: { quick: boolean; seed: number }, backend: fg.BackendName): Promise<DarcyResults> {
  const q = o.quick;
  const t0 = now();
  console.log(`flowgrad study: nonlocal kernel network on Darcy flow on ${backend}${q ? ' (quick)' : ''}`);
  // 1-D: a = exp(smooth random field), f = 1, u is O(0.1): scaled by 10 for the loss. u(x)
  // depends on a over the whole interval, so the kernel couples all pairs (radius 2 ≥ the
  // diameter), trained on 48 fields as in test/nkn-nonlocal.test.ts, then fine-tuned at twice the
  // depth. --quick keeps the small local network of test/nkn-train.test.ts (radius 3/32: 3
  // neighbours a side at 33 points, 24 at 257), which does not beat the mean solution.
  const c1: Config = q
    ? {
      dim: 1, train: 4, test: 2, width: 4, hidden: 8, radius: 3 / 32, scale: 10, logEvery: 20,
      stages: [{ L: 3, steps: 60, lr: 1e-2 }, { L: 6, steps: 10, lr: 3e-3 }, { L: 12, steps: 5, lr: 3e-3 }],
    }
    : {
      dim: 1, train: 48, test: 16, width: 4, hidden: 16, radius: 2, scale: 10, logEvery: 50,
      stages: [{ L: 4, steps: 350, lr: 2e-2, cosine: true }, { L: 8, steps: 40, lr: 1e-3 }],
    };
  const grids1 = M.data.darcy1d({ samples: c1.train + c1.test, seed: o.seed + 11, resolutions: [33, 65, 129, 257] });
  const one = await runProblem(c1, grids1, o.seed + 2);
  const spec = await spectrum(one.model, one.params, c1, grids1[0]!, c1.stages.at(-1)!.L);

  let twoD: Problem | null = null;
  if (!q) {
    // 2-D: u is O(0.05), scaled by 20; radius h = 1/28 at 29×29: the 4 nearest neighbours,
    // 12 at 57×57 and 28 at 85×85 (the same physical disk)
    const c2: Config = { dim: 2, train: 4, test: 3, width: 3, hidden: 8, radius: 1 / 28, scale: 20, logEvery: 20, stages: [{ L: 3, steps: 160, lr: 2e-2 }] };
    const grids2 = M.data.darcy2d({ samples: c2.train + c2.test, seed: o.seed + 3, resolutions: [29, 57, 85] });
    twoD = (await runProblem(c2, grids2, o.seed + 2)).problem;
  }
  return { study: 'darcy', backend, seed: o.seed, quick: q, oneD: one.problem, twoD, spectrum: spec, seconds: (now() - t0) / 1000 };
}

/** Writes the SVG plots and index.html into dir; returns the plot files. */
export function writeDarcyReport(dir: string, r: DarcyResults): string[] {
  const lossPlot = (p: Problem) => plot({
    title: `${p.dim}-D Darcy: training loss`, xlabel: 'Adam step (all stages)', ylabel: `MSE of ${p.scale}·u`, logY: true,
    series: p.stages.map((s) => ({ name: `L = ${s.L}`, points: s.losses })),
  });
  const res = (p: Problem, color: string): Series[] => [
    { name: `${p.dim}-D (trained at ${p.resolution[0]!.n}${p.dim === 2 ? '²' : ''})`, points: p.resolution.map((x) => [x.n, x.relL2]), color },
    { name: '', points: p.resolution.map((x) => [x.n, x.relL2]), kind: 'dots', color },
  ];
  const s = r.spectrum;
  const eig: [number, number][] = s.re.map((x, k) => [x, s.im[k]!]);
  // the zoom: the cluster and the point 1 (where the unit circle crosses the real axis)
  const padRe = Math.max(0.25 * (Math.max(s.maxRe, 1) - Math.min(s.minRe, 1)), 1e-3);
  const padIm = Math.max(1.25 * s.maxAbsIm, 1e-3);
  const svgs: { file: string; caption: string; svg: string }[] = [
    {
      file: 'loss-1d.svg', caption: `1-D: training loss of the stages L = ${r.oneD.stages.map((x) => x.L).join(' → ')}, each starting from the previous stage's parameters.`,
      svg: lossPlot(r.oneD),
    },
    ...(r.twoD ? [{ file: 'loss-2d.svg', caption: `2-D: training loss at L = ${r.twoD.stages[0]!.L} on ${r.twoD.train} fields on the 29×29 grid.`, svg: lossPlot(r.twoD) }] : []),
    {
      file: 'resolution.svg', caption: 'Relative L² test error over the grid (points per dimension), each network trained on the coarsest grid only.',
      svg: plot({ title: 'Resolution independence', xlabel: 'points per dimension', ylabel: 'relative L² test error', logX: true, series: [...res(r.oneD, '#1f77b4'), ...(r.twoD ? res(r.twoD, '#d62728') : [])] }),
    },
    {
      file: 'spectrum.svg', caption: `Eigenvalues of the trained diffusion step I + τ·A (τ = 1/${s.L}, ${s.n} × ${s.n}: ${s.N} nodes × d = ${s.d}) in the complex plane; the dashed circle is |λ| = 1.`,
      svg: plot({ title: 'Spectrum of I + τ·A', xlabel: 'Re λ', ylabel: 'Im λ', equal: true, unitCircle: true, series: [{ name: `${s.n} eigenvalues`, points: eig, kind: 'dots', size: 4 }] }),
    },
    {
      file: 'spectrum-zoom.svg', caption: `The same eigenvalues near 1, with the unit circle (dashed): |λ| ≤ ${s.maxModulus.toFixed(4)}.`,
      svg: plot({
        title: 'Spectrum of I + τ·A (zoom)', xlabel: 'Re λ', ylabel: 'Im λ', equal: true, unitCircle: true,
        limits: { x: [Math.min(s.minRe, 1) - padRe, Math.max(s.maxRe, 1) + padRe], y: [-padIm, padIm] },
        series: [{ name: `${s.n} eigenvalues`, points: eig, kind: 'dots', size: 3 }],
      }),
    },
  ];
  for (const x of svgs) writeFileSync(join(dir, x.file), x.svg);
  writeFileSync(join(dir, 'index.html'), darcyHtml(r, svgs));
  return svgs.map((x) => x.file);
}
