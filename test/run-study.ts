import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, vi } from 'vitest';
import { studyCommand } from '../cli/study.js';

/** Runs `flowgrad study` in this process, capturing what it writes. */
export async function runStudy(args: string[]) {
  let out = '';
  let err = '';
  const so = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const se = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  const log = vi.spyOn(console, 'log').mockImplementation((...a) => void (out += `${a.join(' ')}\n`));
  try {
    const code = await studyCommand(args);
    return { code, out, err };
  } finally {
    so.mockRestore();
    se.mockRestore();
    log.mockRestore();
  }
}

/**
 * The report's plots are exactly `names`, each referenced by index.html and well formed: a root
 * <svg> with a size, a closing tag, and paths that start with a move and hold finite numbers.
 * Returns index.html.
 */
export function expectPlots(dir: string, names: string[]): string {
  const svgs = readdirSync(dir).filter((f) => f.endsWith('.svg')).sort();
  expect(svgs).toEqual([...names].sort());
  const html = readFileSync(join(dir, 'index.html'), 'utf8');
  for (const f of svgs) {
    expect(html).toContain(`src="${f}"`);
    const svg = readFileSync(join(dir, f), 'utf8');
    expect(svg, f).toMatch(/^<svg [^>]* width="\d+" height="\d+"/);
    expect(svg.trimEnd().endsWith('</svg>'), f).toBe(true);
    const paths = [...svg.matchAll(/<path d="([^"]*)"/g)].map((m) => m[1]!);
    expect(paths.length, f).toBeGreaterThan(0);
    expect(paths.every((d) => /^M[-\d.]/.test(d) && !/NaN|Infinity/.test(d)), f).toBe(true);
  }
  return html;
}
