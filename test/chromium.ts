// Headless Chromium driven through the DevTools protocol over a pipe (--remote-debugging-pipe:
// NUL-terminated JSON messages, Chromium reading fd 3 and writing fd 4), and a PNG decoder for
// its screenshots. No dependency; the protocol's real clock (no virtual time, which does not
// wait for the GPU process).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { inflateSync } from 'node:zlib';

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const BASE_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--hide-scrollbars'];
/** WebGPU on SwiftShader (a CPU Vulkan shipped with Chromium); --disable-gpu stays for the rest */
export const WEBGPU_FLAGS = ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader'];

interface Pending { resolve(v: any): void; reject(e: Error): void; method: string }

export class Browser {
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private buffer = '';
  /** page exceptions and console errors, for failure messages */
  readonly log: string[] = [];
  stderr = '';

  private constructor(private child: ChildProcess, private base: string, private out: Writable, input: Readable) {
    input.setEncoding('utf8');
    input.on('data', (d: string) => {
      this.buffer += d;
      for (let i = this.buffer.indexOf('\0'); i >= 0; i = this.buffer.indexOf('\0')) {
        this.receive(JSON.parse(this.buffer.slice(0, i)));
        this.buffer = this.buffer.slice(i + 1);
      }
    });
    child.on('exit', (code) => {
      for (const p of this.pending.values()) p.reject(new Error(`chromium exited (${code}) during ${p.method}; stderr:\n${this.stderr.slice(-2000)}`));
      this.pending.clear();
    });
  }

  static async launch(flags: string[]): Promise<Browser> {
    const base = await mkdtemp(join(tmpdir(), 'flowgrad-chromium-'));
    await mkdir(join(base, 'tmp'));
    // its own process group, so that the GPU and renderer processes go with it
    const child = spawn(CHROMIUM, [...BASE_FLAGS, ...flags, '--remote-debugging-pipe', `--user-data-dir=${join(base, 'profile')}`, '--window-size=1300,1800', 'about:blank'], {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'],
      env: { ...process.env, TMPDIR: join(base, 'tmp') },
      detached: true,
    });
    const b = new Browser(child, base, child.stdio[3] as Writable, child.stdio[4] as Readable);
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (b.stderr += d));
    await new Promise<void>((ok, fail) => {
      child.once('spawn', ok);
      child.once('error', fail);
    });
    return b;
  }

  private receive(msg: { id?: number; result?: unknown; error?: { message: string }; method?: string; params?: any }) {
    if (msg.id !== undefined) {
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      if (msg.error) p?.reject(new Error(`${p.method}: ${msg.error.message}`));
      else p?.resolve(msg.result);
    } else if (msg.method === 'Runtime.exceptionThrown') {
      this.log.push(`exception: ${msg.params.exceptionDetails?.exception?.description ?? msg.params.exceptionDetails?.text}`);
    } else if (msg.method === 'Runtime.consoleAPICalled' && ['error', 'warning'].includes(msg.params.type)) {
      this.log.push(`console.${msg.params.type}: ${msg.params.args.map((a: { value?: unknown; description?: string }) => a.value ?? a.description).join(' ')}`);
    }
  }

  send<T = any>(method: string, params: object = {}, sessionId?: string): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      this.out.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
    });
  }

  /** Opens a page at url; returns a handle whose calls go to its session. */
  async open(url: string) {
    const { targetId } = await this.send('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await this.send('Target.attachToTarget', { targetId, flatten: true });
    const call = <T = any>(method: string, params: object = {}) => this.send<T>(method, params, sessionId);
    await call('Runtime.enable');
    await call('Page.enable');
    await call('Page.navigate', { url });
    return {
      call,
      /** the value of a page expression (awaited when it is a promise) */
      evaluate: async <T = unknown>(expression: string): Promise<T> => {
        const r = await call('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true });
        if (r.exceptionDetails) throw new Error(`page: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
        return r.result.value as T;
      },
    };
  }

  async close(): Promise<void> {
    const c = this.child;
    if (c.pid && c.exitCode === null && c.signalCode === null) {
      const exited = new Promise((ok) => c.once('exit', ok));
      try {
        process.kill(-c.pid, 'SIGKILL');
      } catch {
        c.kill('SIGKILL');
      }
      await exited;
    }
    await rm(this.base, { recursive: true, force: true, maxRetries: 3 });
  }
}

/** Decodes an 8-bit RGB or RGBA PNG (what Chromium's screenshots are) to RGBA pixels. */
export function decodePng(png: Buffer): { width: number; height: number; rgba: Uint8Array } {
  if (png.readUInt32BE(0) !== 0x89504e47) throw new Error('not a PNG');
  let at = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (at < png.length) {
    const len = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const [depth, color, , , interlace] = [data[8], data[9], data[10], data[11], data[12]];
      if (depth !== 8 || (color !== 2 && color !== 6) || interlace !== 0) throw new Error(`unsupported PNG: depth ${depth}, color type ${color}, interlace ${interlace}`);
      channels = color === 6 ? 4 : 3;
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    at += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const cur = new Uint8Array(stride);
  let prev = new Uint8Array(stride);
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? cur[i - channels]! : 0;
      const b = prev[i]!;
      const c = i >= channels ? prev[i - channels]! : 0;
      const p = a + b - c;
      const pa = Math.abs(p - a);
      const pb = Math.abs(p - b);
      const pc = Math.abs(p - c);
      const pred = filter === 0 ? 0 : filter === 1 ? a : filter === 2 ? b : filter === 3 ? (a + b) >> 1 : pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      cur[i] = (line[i]! + pred) & 0xff;
    }
    for (let x = 0; x < width; x++) {
      for (let k = 0; k < 3; k++) rgba[(y * width + x) * 4 + k] = cur[x * channels + k]!;
      rgba[(y * width + x) * 4 + 3] = channels === 4 ? cur[x * channels + 3]! : 255;
    }
    prev = Uint8Array.from(cur);
  }
  return { width, height, rgba };
}

/** Pixels of strong color (max − min channel above 80): plotted data, not white, gray axes or black text. */
export function colorfulPixels(img: { rgba: Uint8Array }): number {
  let n = 0;
  for (let i = 0; i < img.rgba.length; i += 4) {
    const r = img.rgba[i]!;
    const g = img.rgba[i + 1]!;
    const b = img.rgba[i + 2]!;
    if (Math.max(r, g, b) - Math.min(r, g, b) > 80) n++;
  }
  return n;
}
