// Training progress: one line per epoch, on a terminal (the bar redrawn in place within the
// epoch, then left standing) as in plain output.
import { beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';

beforeAll(async () => {
  await fg.init({ backend: 'cpu' });
});

/** What a terminal shows: each line as it stands after its carriage returns and erases. */
const screen = (s: string) => s.split('\n').map((l) => l.split('\r\x1b[2K').at(-1)!).filter((l) => l !== '');

describe('progress', () => {
  it('leaves one line per epoch on a terminal and in plain output', async () => {
    for (const isTTY of [true, false]) {
      let out = '';
      await fg.models.train({ model: fg.models.mlp({ sizes: [1, 4, 1], seed: 1 }), data: fg.models.data.cubic({ n: 40, seed: 1 }), epochs: 3, batchSize: 6, logEvery: 2, progress: { isTTY, write: (s) => void (out += s) } });
      const lines = screen(out);
      expect(lines.map((l) => /^epoch (\d)\/3 /.exec(l)?.[1] ?? l.slice(0, 7)), String(isTTY)).toEqual(['1', '2', '3', 'trained']);
    }
  });
});
