import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as fg from '../index.js';
import { indexHtml } from './report/html.js';
import { plot, type Series } from './report/svg.js';
import { runBayes, writeBayesReport } from './study-bayes.js';
import { runDarcy, writeDarcyReport } from './study-darcy.js';
import { runStochastic, writeStochasticReport } from './study-stochastic.js';
import { runStability, writeStabilityReport } from './study-stability.js';

const M = fg.models;

export const STUDY_HELP = `flowgrad study [--study moons|darcy|stochastic|stability|bayes] [--backend webgpu|cpu] [--out DIR] [--quick] [--seed N]
      runs a study on generated data and writes DIR/index.html with SVG plots and
      DIR/results.json (default DIR: out)
      --study    moons (default): a ResNet and a Neural ODE on two moons, backprop and adjoint
                 gradients over the number of steps L;
                 darcy: a nonlocal kernel network on 1-D and 2-D Darcy flow, trained shallow to
                 deep, its error over grid resolutions and the spectrum of its diffusion step;
                 stochastic: a neural SDE fitted to noisy oscillator paths, and a stiff linear
                 Neural ODE trained with rosenbrock23 beside dopri5 (steps per solve);
                 stability: the Lyapunov-stable autoencoder, the kernel stiffness surrogate,
                 Jacobian condition numbers over training and Lyapunov spectra;
                 bayes: a Bayesian Neural ODE on y = x³ + noise, HMC chains as one batch against
                 mean-field VI: predictive bands, traces, R̂ and ESS
      --backend  webgpu (default; falls back to cpu with a note when there is no adapter) or cpu
      --out      output directory; the report's files are moved in only once all are written
      --quick    a few seconds: fewer epochs and a shorter L-table (moons), 1-D only (darcy),
                 short chains (bayes)
      --seed     seed of data, initial weights and shuffles (default 0)
`;

class UsageError extends Error {}

interface StudyOptions {
  study: 'moons' | 'darcy' | 'stochastic' | 'stability' | 'bayes';
  backend?: fg.BackendName;
  out: string;
  quick: boolean;
  seed: number;
}

function parse(args: string[]): StudyOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: { study: { type: 'string' }, backend: { type: 'string' }, out: { type: 'string' }, quick: { type: 'boolean' }, seed: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: false,
      strict: true,
    }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (values.help) throw new UsageError('');
  const study = values.study ?? 'moons';
  if (study !== 'moons' && study !== 'darcy' && study !== 'stochastic' && study !== 'stability' && study !== 'bayes') throw new UsageError(`unknown study '${study}'; available: moons, darcy, stochastic, stability, bayes`);
  const backend = values.backend;
  if (backend !== undefined && backend !== 'webgpu' && backend !== 'cpu') throw new UsageError(`--backend must be webgpu or cpu, got '${backend}'`);
  const seed = values.seed === undefined ? 0 : Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed must be a non-negative integer, got '${values.seed}'`);
  return { study, backend, out: values.out ?? 'out', quick: !!values.quick, seed };
}

/** Reserves a staging directory beside DIR: fails before any work when DIR's parent cannot be written. */
function stage(out: string): string {
  const target = resolve(out);
  try {
    const st = statSync(target, { throwIfNoEntry: false });
    if (st && !st.isDirectory()) throw new Error(`${target} exists and is not a directory`);
    return mkdtempSync(join(dirname(target), `.${basename(target)}.partial-`));
  } catch (e) {
    throw new UsageError(`cannot write the report to ${target}: ${(e as Error).message}`);
  }
}

const now = () => performance.now();

/** The command: parses options, runs the study, writes the report atomically (all or nothing). */
/** Runs the chosen study and writes its report into dir: [its results, the files written]. */
async function runStudy(o: StudyOptions, backend: fg.BackendName, dir: string): Promise<readonly [{ seconds?: number }, string[]]> {
  switch (o.study) {
    case 'darcy': return runDarcy(o, backend).then((r) => [r, writeDarcyReport(dir, r)] as const);
    case 'stochastic': return runStochastic(o, backend).then((r) => [r, writeStochasticReport(dir, r)] as const);
    case 'stability': return runStability(o, backend).then((r) => [r, writeStabilityReport(dir, r)] as const);
    case 'bayes': return runBayes(o, backend).then((r) => [r, writeBayesReport(dir, r)] as const);
    default: return runMoons(o, backend).then((r) => [r, writeReport(dir, r)] as const);
  }
}

export async function studyCommand(args: string[]): Promise<number> {
  let o: StudyOptions;
  try {
    o = parse(args);
  } catch (e) {
    const msg = (e as Error).message;
    if (msg) process.stderr.write(`flowgrad study: ${msg}\n\n`);
    (msg ? process.stderr : process.stdout).write(`usage:\n  ${STUDY_HELP}`);
    return msg ? 2 : 0;
  }
  let dir: string;
  try {
    dir = stage(o.out);
  } catch (e) {
    process.stderr.write(`flowgrad study: ${(e as Error).message}\n`);
    return 2;
  }
  try {
    const started = now();
    const backend = await initBackend(o.backend);
    const [results, files] = await runStudy(o, backend, dir);
    results.seconds = (now() - started) / 1000;
    writeFileSync(join(dir, 'results.json'), JSON.stringify(results, null, 2));
    const target = resolve(o.out);
    // move the finished files in one by one (other files in the directory are left alone)
    mkdirSync(target, { recursive: true });
    for (const f of readdirSync(dir)) renameSync(join(dir, f), join(target, f));
    rmSync(dir, { recursive: true, force: true });
    console.log(`\nwrote ${target}/index.html (${files.length} SVG plots, results.json) in ${results.seconds.toFixed(1)} s`);
    return 0;
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

async function initBackend(want?: fg.BackendName): Promise<fg.BackendName> {
  if (want === 'cpu') return fg.init({ backend: 'cpu' });
  try {
    return await fg.init({ backend: 'webgpu' });
  } catch (e) {
    if (want === 'webgpu') throw e;
    console.log(`note: no WebGPU adapter (${(e as Error).message.split('\n')[0]}); running on the CPU backend`);
    return fg.init({ backend: 'cpu' });
  }
}

interface Trained {
  name: string;
  parameterCount: number;
  losses: [number, number][];
  /** validation loss (without the penalty) after every epoch, at its last step */
  valLosses: [number, number][];
  final: { trainLoss: number; testLoss: number; testAccuracy: number };
  /** stiffness max|λ| − min|λ| of each layer's W at the start and after every epoch */
  stiffness: { step: number; perLayer: number[] }[];
  eigenvalues: { layer: number; re: number[]; im: number[] }[];
  regions: number[];
  seconds: number;
}

export interface StudyResults {
  study: string;
  backend: string;
  seed: number;
  quick: boolean;
  data: { name: string; train: number; test: number };
  models: Trained[];
  grid: { x0: number; y0: number; dx: number; dy: number; cols: number; rows: number };
  points: { x: number[]; label: number[] };
  trajectories: [number, number][][];
  ltable: { L: number; relDiff: number; backpropMs: number; adjointMs: number; loss: number }[];
  /** per-layer stiffness of the ResNets' W_n at the start and the end of training, in both measures */
  layerStiffness: LayerStiffnessRow[];
  seconds: number;
}

export interface LayerStiffnessRow {
  model: string;
  /** weight of the penalty κ·Σ_n (max|λ| − min|λ|)(W_n) added to the training loss (0: none) */
  kappa: number;
  before: { eigen: number[]; singular: number[] };
  after: { eigen: number[]; singular: number[] };
  /** cross-entropy on the training set at the end, without the penalty */
  trainDataLoss: number;
}

/** Weights of each layer as a stack [L, d, d]: the ResNet's W_n, the NODE's W(t) at its step times. */
const layerStack = M.layerStack;

/** κ of the stiffness-penalized ResNet: cuts its stiffness by an order of magnitude at 100 % test accuracy. */
const STIFFNESS_KAPPA = 0.003;

async function runMoons(o: StudyOptions, backend: fg.BackendName): Promise<StudyResults> {
  const ds = M.data.moons({ n: o.quick ? 160 : 400, seed: o.seed, noise: 0.1 });
  const parts = M.data.split(ds, { seed: o.seed });
  const { train: tr, test: te } = parts;
  console.log(`flowgrad study: two moons (${tr.n} train, ${te.n} test) on ${backend}${o.quick ? ' (quick)' : ''}`);
  const width = 4;
  const L = 8;
  const resnet = M.resnet({ width, layers: L, inputSize: 2, outputSize: 2, seed: o.seed });
  const node = M.node({ width, inputSize: 2, outputSize: 2, basis: { kind: 'piecewiseLinear', intervals: 2 }, method: 'rk4', steps: 4, seed: o.seed });
  const epochs = o.quick ? 8 : 32;

  // grid for the decision regions, over the data's range
  const xs = ds.x;
  const lo = [Infinity, Infinity];
  const hi = [-Infinity, -Infinity];
  for (let i = 0; i < ds.n; i++) for (let j = 0; j < 2; j++) { lo[j] = Math.min(lo[j]!, xs[2 * i + j]!); hi[j] = Math.max(hi[j]!, xs[2 * i + j]!); }
  const cols = o.quick ? 24 : 48;
  const rows = o.quick ? 18 : 36;
  const grid = { x0: lo[0]! - 0.3, y0: lo[1]! - 0.3, dx: (hi[0]! - lo[0]! + 0.6) / cols, dy: (hi[1]! - lo[1]! + 0.6) / rows, cols, rows };
  const gridX = new Float64Array(cols * rows * 2);
  for (let r = 0; r < rows; r++) for (let k = 0; k < cols; k++) {
    gridX[2 * (r * cols + k)] = grid.x0 + (k + 0.5) * grid.dx;
    gridX[2 * (r * cols + k) + 1] = grid.y0 + (r + 0.5) * grid.dy;
  }

  const models: Trained[] = [];
  const finalParams: any[] = [];
  const layerRows: LayerStiffnessRow[] = [];
  // the third run: the same ResNet from the same start, with the stiffness penalty in its loss
  for (const [model, kappa] of [[resnet, 0], [node, 0], [resnet, STIFFNESS_KAPPA]] as const) {
    const name = kappa ? `${model.name.replace(/^resnet/, 'resnet+stiffness')} κ=${kappa}` : model.name;
    const penalty = kappa ? (p: any) => fg.mul(M.stiffnessPenalty(layerStack(model, p)), kappa) : undefined;
    console.log(`\n${name}: ${model.parameterCount} parameters`);
    const t0 = now();
    let params: any = model.params;
    const before = 'layerWeights' in model ? await M.layerStiffness(layerStack(model, params)) : null;
    const losses: [number, number][] = [];
    const valLosses: [number, number][] = [];
    const stiffness: Trained['stiffness'] = [];
    const stiff = async (step: number, p: any) => stiffness.push({ step, perLayer: Array.from(await fg.linalg.stiffness(layerStack(model, p)).data()) });
    await stiff(0, params);
    // one run; the stiffness of every layer is measured after every epoch
    const r = await M.train({
      model: model as fg.models.Model<any>, params, data: { train: tr, val: parts.val }, epochs, batchSize: 32, seed: o.seed,
      optimizer: (p) => fg.optim.adam(p, { lr: 0.02 }), logEvery: 5, progress: true, penalty,
      onEpoch: (rec, _h, p) => stiff(rec.step, p),
    });
    for (const s of r.history.steps) losses.push([s.step, s.loss]);
    for (const e of r.history.epochs) valLosses.push([e.step, e.valLoss!]);
    const last = r.history.epochs.at(-1)?.trainLoss ?? NaN;
    params = r.params;
    const test = await M.evaluate(model as fg.models.Model<any>, params, te);
    const ev = await fg.linalg.eigvals(layerStack(model, params));
    const re = Array.from(await ev.re.data());
    const im = Array.from(await ev.im.data());
    const eigenvalues = Array.from({ length: re.length / width }, (_, n) => ({ layer: n, re: re.slice(n * width, (n + 1) * width), im: im.slice(n * width, (n + 1) * width) }));
    const probs = await fg.softmax(model.apply(params, fg.tensor(gridX, [cols * rows, 2])), -1).data();
    const regions = Array.from({ length: cols * rows }, (_, i) => probs[2 * i + 1]!);
    const seconds = (now() - t0) / 1000;
    console.log(`${name}: train loss ${last.toFixed(4)}, test loss ${test.loss.toFixed(4)}, test accuracy ${(100 * (test.accuracy ?? NaN)).toFixed(1)}% (${seconds.toFixed(1)} s)`);
    if (before) {
      const after = await M.layerStiffness(layerStack(model, params));
      const trainDataLoss = (await M.evaluate(model as fg.models.Model<any>, params, tr)).loss;
      const mean = (a: number[]) => (a.reduce((s, x) => s + x, 0) / a.length).toFixed(3);
      console.log(`${name}: mean stiffness max|λ| − min|λ| ${mean(before.eigen)} → ${mean(after.eigen)}, σ₁ − σ_d ${mean(before.singular)} → ${mean(after.singular)}; training data loss ${trainDataLoss.toFixed(4)}`);
      layerRows.push({ model: name, kappa, before, after, trainDataLoss });
    }
    models.push({ name, parameterCount: model.parameterCount, losses, valLosses, final: { trainLoss: last, testLoss: test.loss, testAccuracy: test.accuracy ?? NaN }, stiffness, eigenvalues, regions, seconds });
    finalParams.push(params);
  }

  // trajectories of the trained NODE in the first two state coordinates
  const nodeParams = finalParams[1];
  const nt = 17;
  const pick = Array.from({ length: Math.min(24, te.n) }, (_, i) => i);
  const px = fg.tensor(Float64Array.from(pick.flatMap((i) => [te.x[2 * i]!, te.x[2 * i + 1]!])), [pick.length, 2]);
  const traj = await node.trajectory(nodeParams, px, { times: Array.from({ length: nt }, (_, k) => (k * node.T) / (nt - 1)), steps: 16 }).data();
  const trajectories = pick.map((_, i) => Array.from({ length: nt }, (_, k) => [traj[(k * pick.length + i) * width]!, traj[(k * pick.length + i) * width + 1]!] as [number, number]));

  // the L-table: the trained NODE at L RK4 steps, loss gradient by backprop and by the adjoint
  console.log('\nL-table: gradient of the test loss, backprop vs adjoint (RK4, L steps)');
  const bx = fg.tensor(te.x, [te.n, 2]);
  const by = fg.tensor(M.data.oneHot(te.y, 2), [te.n, 2]);
  const ltable: StudyResults['ltable'] = [];
  const flat = async (g: any) => {
    const parts = await Promise.all(M.leaves(g).map((l) => l.tensor.data()));
    return parts.flatMap((p) => Array.from(p));
  };
  for (const Ls of o.quick ? [2, 4, 8] : [2, 4, 8, 16, 32]) {
    const timed = async (grad: 'backprop' | 'adjoint') => {
      const m = node.withSolver({ steps: Ls, grad });
      const f = (p: any) => M.softmaxCrossEntropy(m.apply(p, bx), by);
      await flat(fg.grad(f)(nodeParams)); // warm the pipelines
      const t = now();
      const [loss, g] = fg.valueAndGrad(f)(nodeParams) as [fg.Tensor, unknown];
      const v = await flat(g);
      return { ms: now() - t, v, loss: (await loss.data())[0]! };
    };
    const b = await timed('backprop');
    const a = await timed('adjoint');
    const diff = Math.sqrt(b.v.reduce((s, x, i) => s + (x - a.v[i]!) ** 2, 0)) / Math.sqrt(b.v.reduce((s, x) => s + x * x, 0));
    ltable.push({ L: Ls, relDiff: diff, backpropMs: b.ms, adjointMs: a.ms, loss: b.loss });
    console.log(`  L = ${String(Ls).padStart(2)}  ‖g_bp − g_adj‖/‖g_bp‖ = ${diff.toExponential(2)}  backprop ${b.ms.toFixed(1)} ms  adjoint ${a.ms.toFixed(1)} ms`);
  }
  return {
    study: 'moons', backend, seed: o.seed, quick: o.quick,
    data: { name: ds.name, train: tr.n, test: te.n },
    models, grid, points: { x: Array.from(te.x), label: Array.from(te.y) }, trajectories, ltable, layerStiffness: layerRows, seconds: 0,
  };
}

function writeReport(dir: string, r: StudyResults): string[] {
  const pts = (lab: number) => r.points.label.flatMap((l, i) => (l === lab ? [[r.points.x[2 * i]!, r.points.x[2 * i + 1]!] as [number, number]] : []));
  const dataSeries: Series[] = [
    { name: 'class 0', points: pts(0), kind: 'dots', color: '#1f4fb4' },
    { name: 'class 1', points: pts(1), kind: 'dots', color: '#c62828' },
  ];
  const svgs: { file: string; caption: string; svg: string }[] = [
    {
      file: 'loss.svg', caption: 'Training loss (solid; softmax cross-entropy, for the stiffness-penalized ResNet plus κ·Σ_n S(W_n)) of each model, read back every 5 steps, and the validation loss after every epoch (dashed, without the penalty).',
      svg: plot({
        title: 'Training and validation loss', xlabel: 'step', ylabel: 'loss', logY: true,
        series: r.models.flatMap((m, i) => {
          const color = ['#1f77b4', '#d62728', '#2ca02c'][i % 3]!;
          const name = m.name.split(' ')[0]!;
          return [{ name: `${name} train`, points: m.losses, color }, { name: `${name} val`, points: m.valLosses, color, dash: true }];
        }),
      }),
    },
    ...r.models.map((m, i) => ({
      file: `regions-${i}.svg`, caption: `Decision regions of the ${m.name} (probability of class 1) with the test points.`,
      svg: plot({ title: `Decision regions: ${m.name.split(' ')[0]}`, xlabel: 'x₁', ylabel: 'x₂', cells: { ...r.grid, values: m.regions }, series: dataSeries }),
    })),
    {
      file: 'trajectories.svg', caption: 'Trajectories of test points under the trained Neural ODE (first two of four state coordinates) from t = 0 to T; the dots mark x(T).',
      svg: plot({
        title: 'NODE trajectories x(t)', xlabel: 'x₁(t)', ylabel: 'x₂(t)', equal: true,
        series: r.trajectories.flatMap((t, i) => {
          const c = r.points.label[i] ? '#c62828' : '#1f4fb4';
          return [{ name: '', points: t, color: c }, { name: '', points: [t.at(-1)!], kind: 'dots' as const, color: c }];
        }),
      }),
    },
    {
      file: 'ltable.svg', caption: 'The L-table: relative difference between the backprop gradient (exact for the L-step solve) and the continuous adjoint; it falls as the solve converges.',
      svg: plot({ title: 'Backprop vs adjoint gradient over L', xlabel: 'L (RK4 steps)', ylabel: '‖g_bp − g_adj‖ / ‖g_bp‖', logX: true, logY: true, series: [{ name: 'relative difference', points: r.ltable.map((x) => [x.L, x.relDiff]) }, { name: '', points: r.ltable.map((x) => [x.L, x.relDiff]), kind: 'dots' }] }),
    },
    {
      file: 'ltable-time.svg', caption: 'Time of one value-and-gradient evaluation on the test set.',
      svg: plot({ title: 'Gradient time over L', xlabel: 'L (RK4 steps)', ylabel: 'ms', logX: true, series: [{ name: 'backprop', points: r.ltable.map((x) => [x.L, x.backpropMs]) }, { name: 'adjoint', points: r.ltable.map((x) => [x.L, x.adjointMs]) }] }),
    },
    ...r.models.map((m, i) => ({
      file: `eigenvalues-${i}.svg`, caption: `Eigenvalues of the trained weights W of every layer (${m.name}) in the complex plane; the dashed circle is |λ| = 1.`,
      svg: plot({ title: `Spectra of W: ${m.name.split(' ')[0]}`, xlabel: 'Re λ', ylabel: 'Im λ', equal: true, unitCircle: true, series: m.eigenvalues.map((e) => ({ name: m.eigenvalues.length <= 8 ? `layer ${e.layer}` : '', points: e.re.map((x, k) => [x, e.im[k]!] as [number, number]), kind: 'dots' as const })) }),
    })),
    {
      file: 'stiffness.svg', caption: 'Stiffness max|λ| − min|λ| of the weights, the mean over layers, at the start and after every epoch; resnet+stiffness is the ResNet trained with the penalty κ·Σ_n S(W_n).',
      svg: plot({ title: 'Stiffness over training', xlabel: 'step', ylabel: 'mean max|λ| − min|λ|', series: r.models.map((m) => ({ name: m.name.split(' ')[0]!, points: m.stiffness.map((s) => [s.step, s.perLayer.reduce((a, b) => a + b, 0) / s.perLayer.length] as [number, number]) })) }),
    },
  ];
  for (const s of svgs) writeFileSync(join(dir, s.file), s.svg);
  writeFileSync(join(dir, 'index.html'), indexHtml(r, svgs));
  return svgs.map((s) => s.file);
}
