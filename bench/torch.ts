// PyTorch on the same CPU as a peer figure for the benches: runs bench/torch/peer.py with the
// system Python (Debian's python3-torch; a python3 on PATH may be another interpreter without it).
// Optional: every failure (no Python, no torch, no script, a timeout) gives null, silently.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export type TorchWorkload = 'mlp-sgd' | 'rk4-forward' | 'node-train-backprop' | 'add-chain';

const PYTHON = '/usr/bin/python3';

/** stdout of the system Python on `args`, or null on any failure */
function python(args: string[], timeout: number): Promise<string | null> {
  return new Promise((resolve) => {
    try {
      execFile(PYTHON, args, { timeout, maxBuffer: 1 << 20 }, (err, stdout) => resolve(err ? null : String(stdout)));
    } catch {
      resolve(null);
    }
  });
}

/** torch's version, or null without /usr/bin/python3 or torch */
export async function torchAvailable(): Promise<string | null> {
  if (!existsSync(PYTHON)) return null;
  const out = await python(['-c', 'import torch; print(torch.__version__)'], 30_000);
  return out?.trim() || null;
}

/** PyTorch's median ms per run of a workload (see peer.py), or null when it cannot run. */
export async function torchPeer(workload: TorchWorkload): Promise<{ ms: number; version: string; threads: number } | null> {
  // the benches run from the dist/node/cli.js bundle, so the script is found from the
  // repository root (the working directory), not from this module's location
  const script = join(process.cwd(), 'bench', 'torch', 'peer.py');
  if (!existsSync(PYTHON) || !existsSync(script)) return null;
  const out = await python([script, workload], 120_000);
  if (!out) return null;
  try {
    const r = JSON.parse(out.trim().split('\n').pop()!) as { ms?: unknown; torch?: unknown; threads?: unknown };
    if (typeof r.ms !== 'number' || !Number.isFinite(r.ms)) return null;
    return { ms: r.ms, version: String(r.torch), threads: Number(r.threads) };
  } catch {
    return null;
  }
}
