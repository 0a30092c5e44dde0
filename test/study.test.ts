import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runStudy } from './run-study.js';

const root = mkdtempSync(join(tmpdir(), 'flowgrad-study-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Every number in a JSON tree. */
function numbers(v: unknown, acc: number[] = []): number[] {
  if (typeof v === 'number') acc.push(v);
  else if (Array.isArray(v)) v.forEach((x) => numbers(x, acc));
  else if (v && typeof v === 'object') Object.values(v).forEach((x) => numbers(x, acc));
  return acc;
}

describe('flowgrad study', () => {
  it('--quick runs end to end and writes index.html, SVG plots and finite JSON', async () => {
    const dir = join(root, 'report');
    // other files already in the directory are left alone
    mkdirSync(dir);
    writeFileSync(join(dir, 'keep.txt'), 'mine');
    const r = await runStudy(['--quick', '--backend', 'cpu', '--out', dir]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/L-table/);
    const files = readdirSync(dir);
    expect(readFileSync(join(dir, 'keep.txt'), 'utf8')).toBe('mine');
    const svgs = files.filter((f) => f.endsWith('.svg'));
    expect(files).toContain('index.html');
    expect(files).toContain('results.json');
    expect(svgs.length).toBeGreaterThanOrEqual(6);
    const html = readFileSync(join(dir, 'index.html'), 'utf8');
    for (const f of svgs) {
      expect(html).toContain(`src="${f}"`);
      const svg = readFileSync(join(dir, f), 'utf8');
      // a root <svg> with a width and a height, a closing tag, and non-empty paths
      const open = svg.match(/^<svg [^>]*>/);
      expect(open, f).not.toBeNull();
      expect(open![0]).toMatch(/ width="\d+"/);
      expect(open![0]).toMatch(/ height="\d+"/);
      expect(svg.trimEnd().endsWith('</svg>'), f).toBe(true);
      const paths = [...svg.matchAll(/<path d="([^"]*)"/g)].map((m) => m[1]!);
      expect(paths.length, f).toBeGreaterThan(0);
      expect(paths.every((d) => /^M[-\d.]/.test(d) && !/NaN|Infinity/.test(d)), f).toBe(true);
    }
    const json = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    const nums = numbers(json);
    expect(nums.length).toBeGreaterThan(100);
    expect(nums.every(Number.isFinite)).toBe(true);
    expect(json.models.map((m: { name: string }) => m.name.split(' ')[0])).toEqual(['resnet', 'node', 'resnet+stiffness']);
    // per-layer stiffness of both ResNets, before and after, in both measures (8 layers)
    const rows = json.layerStiffness as { model: string; kappa: number; before: Record<string, number[]>; after: Record<string, number[]>; trainDataLoss: number }[];
    expect(rows.map((x) => x.kappa > 0)).toEqual([false, true]);
    for (const x of rows) for (const k of ['eigen', 'singular']) for (const v of [x.before[k]!, x.after[k]!]) expect(v.length).toBe(8);
    // the same start: equal per-layer numbers before training
    expect(rows[1]!.before).toEqual(rows[0]!.before);
    expect(html).toMatch(/Stiffness of each layer[\s\S]*<th>after, κ = [\d.]+<\/th>/);
    // the penalty works: a lower final mean stiffness than the unpenalized run's, in the table and
    // in the recording over training (quick mode, 24 steps: 0.86 vs 0.38 on the cpu backend)
    const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
    expect(mean(rows[1]!.after.eigen)).toBeLessThan(mean(rows[0]!.after.eigen) / 1.5);
    expect(mean(json.models[2].stiffness.at(-1).perLayer)).toBeLessThan(mean(json.models[0].stiffness.at(-1).perLayer));
    // validation beside training, stiffness at the start and after every epoch (quick: 8 epochs),
    // and one progress line per epoch on the console
    for (const m of json.models) {
      expect(m.valLosses.length).toBe(8);
      expect(m.stiffness.map((x: { step: number }) => x.step)).toEqual([0, ...m.valLosses.map((v: [number, number]) => v[0])]);
    }
    expect(r.err.split('\n').filter((l) => /^epoch \d+\/8 /.test(l)).length).toBe(3 * 8);
    expect(readFileSync(join(dir, 'loss.svg'), 'utf8')).toMatch(/resnet val/);
    // training helps: the last logged loss is below the first for both models
    for (const m of json.models) expect(m.losses.at(-1)[1]).toBeLessThan(m.losses[0][1]);
    // the adjoint approaches backprop as the solve converges (RK4: about 2⁴ per doubling of L)
    const d = json.ltable.map((x: { relDiff: number }) => x.relDiff);
    expect(d[d.length - 1]).toBeLessThan(d[0] / 16);
  }, 120_000);

  it('a bad option gives a clear error', async () => {
    const a = await runStudy(['--frobnicate']);
    expect(a.code).toBe(2);
    expect(a.err).toMatch(/flowgrad study: Unknown option '--frobnicate'/);
    expect(a.err).toMatch(/--out/);
    const b = await runStudy(['--backend', 'tpu']);
    expect(b.err).toMatch(/--backend must be webgpu or cpu, got 'tpu'/);
    const c = await runStudy(['--study', 'spirals']);
    expect(c.err).toMatch(/unknown study 'spirals'; available: moons/);
    const h = await runStudy(['--help']);
    expect(h.code).toBe(0);
    expect(h.out).toMatch(/--study[\s\S]*--backend[\s\S]*--out/);
  });

  it('an output directory that cannot be written gives a clear error and leaves nothing behind', async () => {
    const file = join(root, 'a-file');
    writeFileSync(file, 'x');
    const r = await runStudy(['--quick', '--backend', 'cpu', '--out', join(file, 'report')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/cannot write the report to .*a-file\/report/);
    const r2 = await runStudy(['--quick', '--backend', 'cpu', '--out', file]);
    expect(r2.err).toMatch(/exists and is not a directory/);
    expect(readFileSync(file, 'utf8')).toBe('x');
    // no staging directory or partial report was left in the parent
    expect(readdirSync(root).filter((f) => f.includes('partial'))).toEqual([]);
    expect(existsSync(join(file, 'report'))).toBe(false);
  });
});
