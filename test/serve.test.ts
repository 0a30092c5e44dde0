// `flowgrad serve` and its demo page in Debian's headless Chromium, driven through the DevTools
// protocol in real time: a short training run on WebGPU (SwiftShader) and on the CPU fallback,
// the live loss plot checked in a screenshot's pixels, and the page's benchmark table.
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { Server } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';
import { startServer } from '../cli/serve.js';
import { Browser, CHROMIUM, WEBGPU_FLAGS, colorfulPixels, decodePng } from './chromium.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
let server: Server;
let url = '';

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: run 'bash scripts/setup-browser.sh' (as root)`);
  await promisify(execFile)(process.execPath, [join(repo, 'scripts/build.mjs')], { cwd: repo });
  ({ server, url } = await startServer({ port: 0, dir: join(repo, 'dist/browser/') }));
}, 120_000);

afterAll(async () => {
  await new Promise((ok) => (server ? server.close(ok) : ok(undefined)));
});

interface Demo {
  state: string; backend: string; note: string; error?: string; bench?: (string | number)[][];
  trained?: { model: string; testLoss: number; accuracy: number };
  loaded?: { file: string; tensors?: number; testLoss?: number; accuracy?: number; error?: string };
}

// the page's moons study in tiny size: its ResNet and its test set (cli/demo/app.ts)
const pageModel = () => fg.models.resnet({ width: 4, layers: 8, inputSize: 2, outputSize: 2, seed: 0 });
const pageTest = () => fg.models.data.split(fg.models.data.moons({ n: 120, seed: 0, noise: 0.1 }), { seed: 0 }).test;

type Page = Awaited<ReturnType<Browser['open']>>;

/** Opens the page, waits (real time, bounded) until its run is done, and reads what it shows; `then` goes on with the page. */
async function trainInPage(flags: string[], query: string, then?: (page: Page, browser: Browser) => Promise<void>) {
  const browser = await Browser.launch(flags);
  try {
    const page = await browser.open(`${url}?${query}`);
    const deadline = Date.now() + 150_000;
    let demo: Demo | null = null;
    while (Date.now() < deadline) {
      demo = await page.evaluate<Demo | null>('window.flowgradDemo ? JSON.parse(JSON.stringify(window.flowgradDemo)) : null').catch(() => null);
      if (demo && (demo.state === 'done' || demo.state === 'error')) break;
      await new Promise((ok) => setTimeout(ok, 250));
    }
    if (demo?.state !== 'done') throw new Error(`the page did not finish (state ${demo?.state}; ${demo?.error ?? ''})\n${browser.log.join('\n')}\n${browser.stderr.slice(-1500)}`);
    const rect = await page.evaluate<{ x: number; y: number; width: number; height: number }>("(() => { const r = document.querySelector('#loss svg').getBoundingClientRect(); return { x: r.x + scrollX, y: r.y + scrollY, width: r.width, height: r.height }; })()");
    const shot = await page.call<{ data: string }>('Page.captureScreenshot', { format: 'png', clip: { ...rect, scale: 1 }, captureBeyondViewport: true });
    const dom = await page.evaluate<{ note: string; noteVisible: boolean; benchRows: string[][]; ltableRows: number; plots: number; progress: number }>(`({
      note: document.getElementById('note').textContent,
      noteVisible: !document.getElementById('note').hidden,
      benchRows: [...document.querySelectorAll('#bench tr')].slice(1).map((tr) => [...tr.children].map((td) => td.textContent)),
      ltableRows: document.querySelectorAll('#tables table')[1]?.querySelectorAll('tr').length ?? 0,
      plots: document.querySelectorAll('#plots svg').length,
      progress: document.getElementById('progress').value,
    })`);
    await then?.(page, browser);
    return { demo, png: decodePng(Buffer.from(shot.data, 'base64')), rect, dom };
  } finally {
    await browser.close();
  }
}

function expectTrained(r: Awaited<ReturnType<typeof trainInPage>>, backend: string) {
  expect(r.demo.backend).toBe(backend);
  expect(r.dom.progress).toBe(1);
  // the screenshot is of the live loss plot (560×380 CSS px): its curves are drawn in color, and
  // a curve across the plot is well over 600 pixels (the legend's swatches are about 150)
  expect([r.png.width, r.png.height]).toEqual([Math.round(r.rect.width), Math.round(r.rect.height)]);
  expect(colorfulPixels(r.png)).toBeGreaterThan(600);
  // the report's plots: training/validation loss, two decision-region maps, the L-table
  expect(r.dom.plots).toBe(4);
  expect(r.dom.ltableRows).toBe(3); // header + L = 2, 4
  // the benchmark table: three kernels, each timed on this backend
  expect(r.dom.benchRows.map((row) => row[0])).toEqual([expect.stringMatching(/^matmul 64×64$/), 'add 16384', 'tanh 16384']);
  for (const row of r.dom.benchRows) {
    expect(row[1]).toBe(backend);
    expect(Number(row[2])).toBeGreaterThan(0);
    expect(Number(row[3])).toBeGreaterThan(0); // three significant digits: never rounded to 0, even on a loaded machine
  }
}

describe('flowgrad serve: the demo page in headless Chromium', () => {
  it('trains on WebGPU (SwiftShader): live loss plot, report plots, benchmark table', async () => {
    const r = await trainInPage(WEBGPU_FLAGS, 'study=moons&size=tiny&autorun=1&bench=1');
    expectTrained(r, 'webgpu');
    expect(r.dom.noteVisible).toBe(false);
  }, 200_000);

  it('without a WebGPU adapter it says so on the page and trains on the CPU backend; weights download, open in Node and load back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flowgrad-download-'));
    let roundTrip: { trained: Demo['trained']; loaded: Demo['loaded']; inNode: { loss: number; accuracy?: number }; paths: string[] } | null = null;
    try {
      const r = await trainInPage([], 'study=moons&size=tiny&autorun=1&bench=1', async (page, browser) => {
        await browser.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: dir });
        await page.evaluate("document.getElementById('save').click()");
        const file = join(dir, 'resnet.safetensors');
        const until = Date.now() + 20_000;
        while (!existsSync(file) && Date.now() < until) await new Promise((ok) => setTimeout(ok, 100));
        // in Node: the same model, split and evaluation as the page's (float64 on both: the same accuracy)
        await fg.init({ backend: 'cpu' });
        const params = await fg.io.loadSafetensors(file);
        const inNode = await fg.models.evaluate(pageModel(), params, pageTest());
        // and back into the page through its file input
        const { root } = await page.call('DOM.getDocument');
        const { nodeId } = await page.call('DOM.querySelector', { nodeId: root.nodeId, selector: '#load' });
        await page.call('DOM.setFileInputFiles', { nodeId, files: [file] });
        let d: Demo | null = null;
        for (let i = 0; i < 100 && !d?.loaded; i++) {
          await new Promise((ok) => setTimeout(ok, 100));
          d = await page.evaluate<Demo>('JSON.parse(JSON.stringify(window.flowgradDemo))');
        }
        roundTrip = { trained: d!.trained, loaded: d!.loaded, inNode, paths: fg.tree.leavesWithPaths(params).map((l) => l.path) };
      });
      expectTrained(r, 'cpu');
      expect(r.dom.noteVisible).toBe(true);
      expect(r.dom.note).toMatch(/^No WebGPU adapter .*running on the CPU backend/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const rt = roundTrip!;
    expect(rt.paths).toEqual(fg.tree.leavesWithPaths(pageModel().params).map((l) => l.path));
    // the trained model's test loss, bit for bit: in Node from the downloaded file, and in the page from the uploaded one
    expect(rt.inNode).toEqual({ loss: rt.trained!.testLoss, accuracy: rt.trained!.accuracy });
    expect(rt.loaded).toEqual({ file: 'resnet.safetensors', tensors: rt.paths.length, testLoss: rt.trained!.testLoss, accuracy: rt.trained!.accuracy });
    const untrained = pageModel();
    expect(rt.trained!.testLoss).not.toBe((await fg.models.evaluate(untrained, untrained.params, pageTest())).loss); // training changed it
  }, 200_000);
});

describe('flowgrad serve: the command', () => {
  it('listens on 127.0.0.1 only, serves the page and its scripts, nothing else, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [join(repo, 'dist/node/cli.js'), 'serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const line = await new Promise<string>((ok, fail) => {
        const timer = setTimeout(() => fail(new Error('no URL printed within 20 s')), 20_000);
        let out = '';
        child.stdout!.setEncoding('utf8').on('data', (d: string) => {
          out += d;
          if (out.includes('\n')) (clearTimeout(timer), ok(out));
        });
        child.once('exit', (code) => fail(new Error(`serve exited (${code})`)));
      });
      const base = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(line)![1]!;
      const page = await fetch(base);
      expect(page.status).toBe(200);
      expect(await page.text()).toMatch(/<script type="module" src="\/demo.js">/);
      for (const f of ['demo.js', 'index.js']) {
        const r = await fetch(base + f);
        expect(r.status).toBe(200);
        expect(r.headers.get('content-type')).toBe('text/javascript');
      }
      for (const p of ['package.json', '../package.json', '%2e%2e/package.json', 'node/cli.js']) expect((await fetch(base + p)).status).toBe(404);
      expect((await fetch(base, { method: 'POST' })).status).toBe(405);
      expect(server.address()).toMatchObject({ address: '127.0.0.1' });
      const code = new Promise((ok) => child.once('exit', ok));
      child.kill('SIGTERM');
      expect(await code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('rejects a bad port', async () => {
    const r = await promisify(execFile)(process.execPath, [join(repo, 'dist/node/cli.js'), 'serve', '--port', 'x']).catch((e) => e);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--port must be an integer in 0…65535, got 'x'/);
  });
});
