// The published package, as a user gets it: `npm pack` (which runs the build through `prepack`),
// install of the tarball into a fresh project, then the library, its bin and its types used from there.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = join(repo, 'node_modules/.bin/tsc');
const run = promisify(execFile);

// npm run from `npm test` exports npm_package_*, npm_lifecycle_* and npm_config_local_prefix;
// the npm commands below must see the temp project, not this repo.
const env = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !/^npm_(package_|lifecycle_|config_local_prefix$)/i.test(k)),
);

async function sh(cmd: string, args: string[], cwd: string): Promise<string> {
  try {
    const { stdout } = await run(cmd, args, { cwd, env, maxBuffer: 64 << 20 });
    return stdout;
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

let tmp = '';
let project = '';
let packed: { filename: string; files: { path: string; mode: number }[] };
let installLog = '';

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'flowgrad-pack-'));
  project = join(tmp, 'project');
  // The build's own line comes first on stdout; npm's JSON report follows it.
  const out = await sh('npm', ['pack', '--json', '--pack-destination', tmp], repo);
  packed = JSON.parse(out.slice(out.search(/^\[/m)))[0];
  await sh('mkdir', ['-p', project], tmp);
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  // --prefer-offline: webgpu (Dawn, ~130 MB unpacked) comes from npm's cache once it has been fetched.
  const install = await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(tmp, packed.filename)], { cwd: project, env, maxBuffer: 64 << 20 });
  installLog = `${install.stdout}\n${install.stderr}`;
}, 240_000);

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('npm package', () => {
  it('the tarball holds the bundles, the bin and the declarations, and no sources', async () => {
    const paths = packed.files.map((f) => f.path);
    for (const p of ['dist/node/index.js', 'dist/node/cli.js', 'dist/browser/index.js', 'dist/types/index.d.ts', 'package.json']) {
      expect(paths).toContain(p);
    }
    expect(paths.filter((p) => p.endsWith('.ts') && !p.endsWith('.d.ts'))).toEqual([]);
    expect(paths.filter((p) => p.startsWith('test/'))).toEqual([]);
    expect(await readdir(join(project, 'node_modules'))).toContain('webgpu');
  });

  it('has no install-time script of its own: installing it runs and warns about nothing of flowgrad', async () => {
    const pkg = JSON.parse(await readFile(join(project, 'node_modules/flowgrad/package.json'), 'utf8'));
    // prepare would run on every install from a folder or git, and npm warns about it (install-scripts)
    for (const s of ['preinstall', 'install', 'postinstall', 'prepare']) expect(pkg.scripts?.[s], s).toBeUndefined();
    expect(installLog).not.toMatch(/flowgrad@[^\n]*\((pre|post)?(install|prepare)/);
  });

  it('imports from another project and computes a gradient on the cpu backend', async () => {
    const script = `
      import * as fg from 'flowgrad';
      await fg.init({ backend: 'cpu' });
      const x = fg.tensor([1, -2, 3.5, 0.25]);
      const g = fg.grad((t) => fg.sum(fg.mul(t, t)))(x);
      // f(W) = sum(W v), W 2x3, v 3x1: df/dW[i][j] = v[j]
      const W = fg.tensor([[1, 2, 3], [4, 5, 6]]);
      const v = fg.tensor([[0.5], [-1], [2]]);
      const [value, gW] = fg.valueAndGrad((w) => fg.sum(fg.matmul(w, v)))(W);
      console.log(JSON.stringify({
        resolved: import.meta.resolve('flowgrad'),
        backend: fg.backend(),
        g: await g.array(),
        value: await value.item(),
        gW: await gW.array(),
      }));
    `;
    await writeFile(join(project, 'consumer.mjs'), script);
    const out = await sh(process.execPath, ['consumer.mjs'], project);
    const r = JSON.parse(out.trim().split('\n').at(-1)!);
    expect(r.resolved).toMatch(/node_modules\/flowgrad\/dist\/node\/index\.js$/);
    expect(r.backend).toBe('cpu');
    expect(r.g).toEqual([2, -4, 7, 0.5]); // d/dx sum(x²) = 2x, exact in float64
    expect(r.value).toBeCloseTo(1 * 0.5 - 2 + 6 + 4 * 0.5 - 5 + 12, 12);
    expect(r.gW).toEqual([[0.5, -1, 2], [0.5, -1, 2]]);
  });

  it('`npx flowgrad` runs the installed bin', async () => {
    const out = await sh('npx', ['--no', 'flowgrad', 'help'], project);
    expect(out).toMatch(/flowgrad/);
  });

  it('a strict TypeScript consumer type-checks against dist/types', async () => {
    await writeFile(
      join(project, 'consumer.ts'),
      `import * as fg from 'flowgrad';

export async function gradOfSquares(values: number[]): Promise<number[]> {
  const name: fg.BackendName = await fg.init({ backend: 'cpu' });
  const x: fg.Tensor = fg.tensor(values);
  const g: fg.Tensor = fg.grad((t: fg.Tensor) => t.mul(t).sum())(x); // methods added by module augmentation
  const err: typeof fg.FlowgradError = fg.DeviceError;
  void name, err;
  return Array.from(await g.data());
}

// @ts-expect-error init takes an options object, not a backend name
void fg.init('cpu');
`,
    );
    const base = { strict: true, noEmit: true, target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', types: [] };
    // Full check of the declarations: their WebGPU types (GPUDevice, ...) come from TypeScript's lib "dom".
    const configs = {
      'tsconfig.dom.json': { ...base, lib: ['es2022', 'dom'], skipLibCheck: false },
      // A Node project without "dom": what it uses must still be typed.
      'tsconfig.node.json': { ...base, lib: ['es2022'], skipLibCheck: true },
    };
    for (const [file, compilerOptions] of Object.entries(configs)) {
      await writeFile(join(project, file), JSON.stringify({ compilerOptions, files: ['consumer.ts'] }));
      await sh(tsc, ['-p', file], project);
    }
  });
});
