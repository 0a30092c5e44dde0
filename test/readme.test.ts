// The code examples of the README and of docs/ run as written (against this checkout, as 'flowgrad').
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const pages = ['README.md', ...readdirSync('docs').filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
const blocks = pages.flatMap((page) =>
  [...readFileSync(page, 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)]
    .map((m, i) => ({ page, i, code: m[1]! }))
    .filter(({ code }) => code.includes("from 'flowgrad'")));

describe('README examples', () => {
  it('has a runnable example on the front page', () => {
    expect(blocks.some((b) => b.page === 'README.md')).toBe(true);
  });

  blocks.forEach(({ page, i, code }) => {
    it(`${page} example ${i + 1} runs`, async () => {
      mkdirSync(resolve('node_modules/.cache'), { recursive: true });
      const dir = mkdtempSync(resolve('node_modules/.cache/flowgrad-readme-'));
      const src = join(dir, 'example.ts');
      writeFileSync(src, `${code}\nconsole.log('EXAMPLE OK');\nprocess.exit(0);\n`);
      await build({
        entryPoints: [src], bundle: true, platform: 'node', format: 'esm', outfile: join(dir, 'example.mjs'),
        external: ['webgpu'], alias: { flowgrad: resolve('index.ts') }, logLevel: 'silent',
      });
      const out = execFileSync(process.execPath, [join(dir, 'example.mjs')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      expect(out).toContain('EXAMPLE OK');
    });
  });
});
