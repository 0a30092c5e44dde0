// Device problems are reported, never swallowed: no adapter, and a lost device.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import * as fg from '../index.js';

describe('device errors', () => {
  it('no adapter: init() rejects with a DeviceError that says what to install', async () => {
    // A real process whose Vulkan loader finds no driver, so Dawn finds no adapter.
    // inside node_modules so that the bundle resolves 'webgpu' from this package
    mkdirSync(resolve('node_modules/.cache'), { recursive: true });
    const dir = mkdtempSync(resolve('node_modules/.cache/flowgrad-noadapter-'));
    const script = join(dir, 'probe.ts');
    writeFileSync(script, `import * as fg from ${JSON.stringify(resolve('index.ts'))};
try { await fg.init(); console.log('NO ERROR'); }
catch (e) { console.log(JSON.stringify({ name: e.name, isFlowgrad: e instanceof fg.FlowgradError, message: e.message })); }
process.exit(0);`);
    await build({ entryPoints: [script], bundle: true, platform: 'node', format: 'esm', outfile: join(dir, 'probe.mjs'), external: ['webgpu'], logLevel: 'silent' });
    const out = execFileSync(process.execPath, [join(dir, 'probe.mjs')], {
      env: { ...process.env, VK_ICD_FILENAMES: '/nonexistent.json', VK_DRIVER_FILES: '/nonexistent.json' },
      encoding: 'utf8',
      cwd: resolve('.'),
    });
    const line = out.trim().split('\n').pop()!;
    const res = JSON.parse(line);
    expect(res.name).toBe('DeviceError');
    expect(res.isFlowgrad).toBe(true);
    expect(res.message).toMatch(/no adapter found/);
    expect(res.message).toMatch(/scripts\/setup-webgpu\.sh/);
    expect(res.message).toMatch(/backend: 'cpu'/);
  });

  it('a lost device is reported on the next use', async () => {
    await fg.init({ backend: 'webgpu' });
    const x = fg.ones([4]);
    expect(await fg.sum(x).item()).toBe(4);
    fg.gpuRuntime().device.destroy();
    await new Promise((r) => setTimeout(r, 50));
    let err: unknown;
    try {
      await fg.sum(fg.mul(x, 2)).item();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(fg.DeviceError);
    expect((err as Error).message).toMatch(/the device was lost .*call fg\.init\(\) again/);
  });
});
