// Builds the package: Node and browser bundles with esbuild, then .d.ts files with tsc.
//   dist/node/index.js    ESM for Node 20 ('webgpu' stays an import of the installed package)
//   dist/node/cli.js      the `flowgrad` bin (bundles the library)
//   dist/browser/index.js ESM for browsers ('webgpu', Dawn's Node bindings, replaced by a stub;
//                         node:* imports, reached only in Node (file paths in fg.io), left as they are)
//   dist/browser/demo.js  the demo page's script (cli/demo/app.ts) for `flowgrad serve`; it imports ./index.js
//   dist/types/           declarations (tsconfig.build.json: index.ts and what it imports)
// Every file is replaced atomically (write, then rename) and stale files are removed afterwards,
// so a test or server reading dist/ while a build runs (npm pack runs one) never sees it half-written.
import { build } from 'esbuild';
import { execFile } from 'node:child_process';
import { chmod, mkdir, readdir, readFile, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const t0 = performance.now();

// In a browser, engine/webgpu/device.ts never calls import('webgpu') (it uses navigator.gpu);
// the stub keeps the bundle self-contained, so browser bundlers need not resolve Dawn's bindings.
const stubWebgpu = {
  name: 'stub-webgpu',
  setup(b) {
    b.onResolve({ filter: /^webgpu$/ }, () => ({ path: 'webgpu', namespace: 'flowgrad-stub' }));
    b.onLoad({ filter: /.*/, namespace: 'flowgrad-stub' }, () => ({
      loader: 'js',
      contents:
        'export const globals = {};\n' +
        "export function create() { throw new Error(\"the 'webgpu' package is Node-only; in a browser flowgrad uses navigator.gpu\"); }\n",
    }));
  },
};

// The demo script imports the library as the browser bundle beside it, not a second copy.
const libraryBesideIt = {
  name: 'library-beside-it',
  setup(b) {
    b.onResolve({ filter: /\/index\.js$/ }, (args) => (join(args.resolveDir, args.path) === join(root, 'index.js') ? { path: './index.js', external: true } : undefined));
  },
};

const common = { absWorkingDir: root, bundle: true, format: 'esm', sourcemap: true, write: false, logLevel: 'warning', legalComments: 'none' };
const node = { ...common, platform: 'node', target: 'node20', external: ['webgpu'] };
const cliSource = await readFile(join(root, 'cli/main.ts'), 'utf8');

// Declarations go to a private staging folder first, then into dist/types like the bundles.
const staging = join(dist, `.types-${process.pid}`);
const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin/tsc');
const types = (async () => {
  // tsc emits declarations despite type errors (exit code 2, like a missing file): the build goes on
  // with a warning when index.d.ts came out (`npm run typecheck` is the type check), fails otherwise.
  const { code, output } = await promisify(execFile)(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', staging], { cwd: root }).then(
    () => ({ code: 0, output: '' }),
    (err) => ({ code: err.code, output: `${err.stdout || ''}${err.stderr || err.message}` }),
  );
  const emitted = await walk(staging);
  if (code !== 0 && !emitted.includes('index.d.ts')) throw new Error(`tsc (declarations) failed:\n${output}`);
  if (code !== 0) {
    const errors = output.split('\n').filter((l) => /error TS\d+/.test(l));
    console.warn(`flowgrad: warning: declarations emitted with ${errors.length} type error(s), first: ${errors[0] ?? output.trim().split('\n')[0]}`);
  }
  // WebGPU's global types (GPUDevice, ...) in them come from the consumer's lib "dom" (TypeScript 7's
  // has them; a reference to @webgpu/types would clash with it when skipLibCheck is off).
  return Promise.all(emitted.map(async (rel) => ({ path: join(dist, 'types', rel), contents: await readFile(join(staging, rel)) })));
})();

// allSettled: tsc must be done with the staging folder before it is removed, even when esbuild fails.
const results = await Promise.allSettled([
  build({ ...node, entryPoints: ['index.ts'], outfile: 'dist/node/index.js' }),
  // esbuild keeps an entry point's own hashbang; add one only when cli/main.ts has none.
  build({ ...node, entryPoints: ['cli/main.ts'], outfile: 'dist/node/cli.js', banner: cliSource.startsWith('#!') ? {} : { js: '#!/usr/bin/env node' } }),
  build({ ...common, entryPoints: ['index.ts'], outfile: 'dist/browser/index.js', platform: 'browser', target: 'es2022', plugins: [stubWebgpu], external: ['node:*'] }),
  build({ ...common, entryPoints: ['cli/demo/app.ts'], outfile: 'dist/browser/demo.js', platform: 'browser', target: 'es2022', plugins: [libraryBesideIt] }),
  types,
]);
await rm(staging, { recursive: true, force: true });
const failed = results.filter((r) => r.status === 'rejected');
if (failed.length) {
  // esbuild has already printed its errors (logLevel 'warning'); tsc's are in the message.
  for (const { reason } of failed) if (!reason.errors) console.error(reason.message);
  console.error('flowgrad: build failed; dist/ left as it was');
  process.exit(1);
}
const outputs = [...results.slice(0, 4).flatMap((r) => r.value.outputFiles), ...results[4].value];

const written = new Set();
for (const f of outputs) {
  const tmp = join(dirname(f.path), `.tmp-${process.pid}-${written.size}`);
  await mkdir(dirname(f.path), { recursive: true });
  await writeFile(tmp, f.contents);
  if (f.path.endsWith('cli.js')) await chmod(tmp, 0o755);
  await rename(tmp, f.path);
  written.add(f.path);
}
// Remove what an earlier build left and this one did not write (skipping other builds' temporaries).
for (const rel of await walk(dist)) {
  const p = join(dist, rel);
  const pid = /(?:^|\/)\.(?:tmp|types)-(\d+)/.exec(rel)?.[1];
  if (!written.has(p) && !(pid && alive(Number(pid)))) await rm(p, { force: true });
}
const dirs = (await readdir(dist, { recursive: true, withFileTypes: true })).filter((e) => e.isDirectory());
for (const d of dirs.map((e) => join(e.parentPath ?? e.path, e.name)).sort().reverse()) await rmdir(d).catch(() => {});

console.log(`flowgrad: built ${relative(process.cwd(), dist) || 'dist'}/{node,browser,types} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

async function walk(dir) {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath ?? e.path, e.name)));
}
