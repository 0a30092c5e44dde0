// `flowgrad serve`: the demo page on http://127.0.0.1:PORT/. Browsers load ES modules only over
// http(s) (a page opened from file:// may not import its module scripts), so the page, its script
// and the browser bundle are served from here, on the loopback address only.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEMO_PAGE } from './demo/page.js';

export const SERVE_HELP = `flowgrad serve [--port 8080]
      serves the demo page on http://127.0.0.1:PORT/ (loopback only; --port 0 picks a free port):
      pick a study, train it in the browser on WebGPU (or the CPU backend where the browser has
      none) with a live loss plot, see the report's plots and a benchmark table
`;

/** The files the page loads, from the browser bundle's folder. */
const FILES: Record<string, string> = {
  '/index.js': 'text/javascript', '/index.js.map': 'application/json',
  '/demo.js': 'text/javascript', '/demo.js.map': 'application/json',
};

/** dist/browser/: beside dist/node/cli.js when installed, or under dist/ of a source checkout. */
export function browserDir(): string {
  for (const rel of ['../browser/', '../dist/browser/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(`${dir}demo.js`) && existsSync(`${dir}index.js`)) return dir;
  }
  throw new Error("flowgrad serve: the browser bundle (dist/browser/index.js, demo.js) is missing; run 'npm run build'");
}

/** Starts the server on 127.0.0.1; resolves once it listens, with its URL. */
export async function startServer(opts: { port?: number; dir?: string } = {}): Promise<{ server: Server; url: string }> {
  const dir = opts.dir ?? browserDir();
  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, { allow: 'GET, HEAD' }).end();
    if (path === '/' || path === '/index.html') return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(DEMO_PAGE);
    const type = FILES[path];
    if (!type) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    try {
      res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(await readFile(dir + path.slice(1)));
    } catch {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`cannot read ${path}`);
    }
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port ?? 8080, '127.0.0.1', () => ok());
  });
  const addr = server.address();
  return { server, url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : opts.port}/` };
}

export async function serveCommand(args: string[]): Promise<number> {
  let port = 8080;
  try {
    const { values } = parseArgs({ args, options: { port: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false });
    if (values.help) {
      process.stdout.write(`usage:\n  ${SERVE_HELP}`);
      return 0;
    }
    if (values.port !== undefined) {
      port = Number(values.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be an integer in 0…65535, got '${values.port}'`);
    }
  } catch (e) {
    process.stderr.write(`flowgrad serve: ${(e as Error).message}\n\nusage:\n  ${SERVE_HELP}`);
    return 2;
  }
  const { server, url } = await startServer({ port }).catch((e: NodeJS.ErrnoException) => {
    throw new Error(e.code === 'EADDRINUSE' ? `port ${port} is in use; pick another with --port` : e.message);
  });
  process.stdout.write(`flowgrad serve: the demo page is at ${url} (Ctrl-C to stop)\n`);
  await new Promise<void>((ok) => {
    const stop = () => server.close(() => ok());
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}
