// The browser bundle (dist/browser/index.js) in a real browser: Debian's headless Chromium loads a
// page from a local server; the page runs flowgrad and POSTs its result back (it also writes it into
// the page). `--dump-dom --virtual-time-budget` is not used: virtual time does not wait for the GPU
// process, so with WebGPU enabled the DOM was dumped before requestAdapter() had answered.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, CHROMIUM, WEBGPU_FLAGS } from './chromium.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>flowgrad</title></head>
<body><pre id="result">running</pre>
<script type="module">
const r = { hasNavigatorGpu: !!navigator.gpu };
try {
  const fg = await import('/dist/index.js');
  await fg.init({ backend: 'cpu' });
  const x = fg.tensor([1, -2, 3.5, 0.25]);
  r.cpu = {
    backend: fg.backend(),
    grad: await fg.grad((t) => fg.sum(fg.mul(t, t)))(x).array(),                 // 2x
    gradTanh: await fg.grad((t) => fg.sum(fg.tanh(t)))(fg.tensor([0, 0.5])).array(), // 1 - tanh²
  };
  try {
    await fg.init();
    const a = fg.tensor([[1, 2, 3], [4, 5, 6]]);
    const b = fg.tensor([[7, 8], [9, 10], [11, 12]]);
    r.webgpu = {
      backend: fg.backend(),
      matmul: await fg.matmul(a, b).array(),
      grad: await fg.grad((t) => fg.sum(fg.mul(t, t)))(fg.tensor([1, -2, 3.5, 0.25])).array(),
    };
    const info = fg.gpuRuntime().adapter?.info;
    if (info) r.webgpu.adapter = { vendor: info.vendor, architecture: info.architecture };
  } catch (e) {
    r.webgpuError = { name: e?.name, message: e?.message, isFlowgradError: e instanceof fg.FlowgradError };
  }
} catch (e) {
  r.error = String(e?.stack ?? e);
}
document.getElementById('result').textContent = JSON.stringify(r);
await fetch('/result', { method: 'POST', body: JSON.stringify(r) });
</script>
<script>
window.addEventListener('error', (e) => fetch('/result', { method: 'POST', body: JSON.stringify({ error: 'page error: ' + e.message }) }));
</script>
</body></html>`;

interface PageResult {
  hasNavigatorGpu: boolean;
  error?: string;
  cpu?: { backend: string; grad: number[]; gradTanh: number[] };
  webgpu?: { backend: string; matmul: number[][]; grad: number[]; adapter?: { vendor: string; architecture: string } };
  webgpuError?: { name: string; message: string; isFlowgradError: boolean };
}

let server: Server;
let origin = '';
let waiting: ((body: string) => void) | null = null;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: the browser test needs Debian's Chromium; run 'bash scripts/setup-browser.sh' (as root)`);
  }
  // The bundle of the current sources (the build replaces files atomically: safe beside npm pack).
  await promisify(execFile)(process.execPath, [join(repo, 'scripts/build.mjs')], { cwd: repo });
  server = createServer(async (req, res) => {
    if (req.method === 'POST' && req.url === '/result') {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (d: string) => (body += d));
      req.on('end', () => {
        res.end('ok');
        waiting?.(body);
      });
      return;
    }
    const file = req.url === '/' ? null : /^\/dist\/(index\.js(?:\.map)?)$/.exec(req.url ?? '')?.[1];
    if (req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
    } else if (file) {
      const body = await readFile(join(repo, 'dist/browser', file));
      res.writeHead(200, { 'content-type': file.endsWith('.js') ? 'text/javascript' : 'application/json' }).end(body);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const addr = server.address();
  origin = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
}, 60_000);

afterAll(async () => {
  await new Promise((ok) => (server ? server.close(ok) : ok(undefined)));
});

/** Loads the page in a fresh headless Chromium and returns what the page reported. */
async function runPage(extraFlags: string[]): Promise<PageResult> {
  const browser = await Browser.launch(extraFlags);
  try {
    const reported = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no result from the page within 60 s; chromium's stderr:\n${browser.stderr.slice(-3000)}`)), 60_000);
      waiting = (b) => {
        clearTimeout(timer);
        resolve(b);
      };
    });
    await browser.open(`${origin}/`);
    return JSON.parse(await reported) as PageResult;
  } finally {
    waiting = null;
    await browser.close();
  }
}

function expectCpuResult(r: PageResult) {
  expect(r.error).toBeUndefined();
  expect(r.cpu!.backend).toBe('cpu');
  expect(r.cpu!.grad).toEqual([2, -4, 7, 0.5]); // d/dx sum(x²) = 2x, exact in float64
  expect(r.cpu!.gradTanh[0]).toBe(1);
  expect(r.cpu!.gradTanh[1]).toBeCloseTo(1 - Math.tanh(0.5) ** 2, 14);
}

describe('browser bundle in headless Chromium', () => {
  it('runs on the cpu backend; without a WebGPU adapter fg.init() rejects with a DeviceError', async () => {
    const r = await runPage([]);
    expectCpuResult(r);
    // --disable-gpu: navigator.gpu is there but requestAdapter() answers null.
    expect(r.webgpu).toBeUndefined();
    expect(r.webgpuError).toMatchObject({ name: 'DeviceError', isFlowgradError: true });
    expect(r.webgpuError!.message).toMatch(/^WebGPU: /);
  });

  it('runs on WebGPU (SwiftShader adapter): matmul and a gradient', async () => {
    const r = await runPage(WEBGPU_FLAGS);
    expectCpuResult(r);
    expect(r.webgpuError).toBeUndefined();
    expect(r.webgpu!.backend).toBe('webgpu');
    expect(r.webgpu!.matmul).toEqual([[58, 64], [139, 154]]); // small integers: exact in float32
    expect(r.webgpu!.grad).toEqual([2, -4, 7, 0.5]);
  });
});
