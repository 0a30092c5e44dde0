#!/usr/bin/env node
// flowgrad command line.
import { parseArgs } from 'node:util';
import * as fg from '../index.js';
import { gradcheckCommand } from './gradcheck.js';
import { benchCommand } from './bench.js';
import { studyCommand, STUDY_HELP } from './study.js';
import { serveCommand, SERVE_HELP } from './serve.js';

const HELP = `flowgrad — a WebGPU compute engine with automatic differentiation

usage:
  ${STUDY_HELP.trimEnd()}
  flowgrad gradcheck [--backend cpu|webgpu] [--json FILE]
      gradient of every registered op against central differences, as a table
  flowgrad bench [--filter NAME] [--json FILE]
      kernel microbenchmarks on WebGPU: time, GFLOP/s or GB/s, per-dispatch cost
  ${SERVE_HELP.trimEnd()}
  flowgrad help
`;

async function main(): Promise<number> {
  const [cmd = 'help', ...rest] = process.argv.slice(2);
  // the study parses its own options
  if (cmd === 'study') return studyCommand(rest);
  if (cmd === 'serve') return serveCommand(rest);
  const { values } = parseArgs({
    args: rest,
    options: { backend: { type: 'string' }, json: { type: 'string' }, filter: { type: 'string' } },
    allowPositionals: true,
  });
  switch (cmd) {
    case 'gradcheck':
      return gradcheckCommand({ backend: (values.backend ?? 'cpu') as fg.BackendName, json: values.json });
    case 'bench':
      return benchCommand({ filter: values.filter, json: values.json });
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(HELP);
      return 0;
    default:
      process.stderr.write(`flowgrad: unknown command '${cmd}'\n\n${HELP}`);
      return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`flowgrad: ${err instanceof fg.FlowgradError ? err.message : (err as Error).stack}\n`);
    process.exit(1);
  },
);
