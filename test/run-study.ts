import { vi } from 'vitest';
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
