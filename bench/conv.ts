import * as fg from '../index.js';
import { gflops, goal, measure, measureTfjs, type BenchContext, type Goal, type Measurement } from './harness.js';
import type { BenchCase } from './kernels.js';
import { tfjsConvPasses, type TfConvPass } from './conv-tfjs.js';

/** The benchmark's convolutions: batch 8, 32×32, 3×3, padding 1; 16→32 and 32→32 channels. */
export interface ConvConfig {
  n: number;
  c: number;
  o: number;
  size: number;
  k: number;
  pad: number;
}

export const CONV_CONFIGS: ConvConfig[] = [
  { n: 8, c: 16, o: 32, size: 32, k: 3, pad: 1 },
  { n: 8, c: 32, o: 32, size: 32, k: 3, pad: 1 },
];

export type ConvPass = 'forward' | 'input grad' | 'weight grad';

const describe = (c: ConvConfig) => `${c.n}×${c.c}×${c.size}×${c.size} → ${c.o}, ${c.k}×${c.k} pad ${c.pad}`;

/** 2 × multiply-adds of one pass; the forward pass and each gradient cost the same */
const flopsOf = (c: ConvConfig) => 2 * c.n * c.o * c.size * c.size * c.c * c.k * c.k;

/** flowgrad's passes of one configuration (each gradient as its own op), on tensors made once. */
function ourPasses(c: ConvConfig): { passes: Record<TfConvPass, () => fg.Tensor>; dispose(): void } {
  const x = fg.randn([c.n, c.c, c.size, c.size], { seed: 1 });
  const w = fg.randn([c.o, c.c, c.k, c.k], { seed: 2 });
  const g = fg.randn([c.n, c.o, c.size, c.size], { seed: 3 });
  const padding = c.pad;
  return {
    passes: {
      forward: () => fg.conv2d(x, w, { padding }),
      'input grad': () => fg.conv2dInputGrad(g, w, { padding, inputSize: [c.size, c.size] }),
      'weight grad': () => fg.conv2dWeightGrad(x, g, { padding, kernelSize: [c.k, c.k] }),
      // both gradients are recorded; reading the first waits for both (one queue)
      'forward + backward': () => {
        const [, pull] = fg.vjp((a: fg.Tensor, b: fg.Tensor) => fg.conv2d(a, b, { padding }), x, w);
        const [gx] = pull(g) as fg.Tensor[];
        pull.dispose();
        return gx!;
      },
    },
    dispose: () => [x, w, g].forEach((t) => t.dispose()),
  };
}

const times = (v: number) => `${v.toFixed(2)}×`;

/**
 * conv2d forward, input gradient and weight gradient (layout passes included), side by side with
 * tfjs-webgpu when it is loaded. Targets: forward ≥ 1.5× tfjs's speed; each gradient within
 * 2× of flowgrad's forward time.
 */
export const convBenches: BenchCase[] = [
  {
    name: 'conv2d',
    async run(ctx: BenchContext) {
      const out: Measurement[] = [];
      for (const c of CONV_CONFIGS) {
        const ours = ourPasses(c);
        const theirs = ctx.tf ? tfjsConvPasses(ctx.tf, c) : null;
        let forwardMs = 0;
        for (const pass of ['forward', 'input grad', 'weight grad', 'forward + backward'] as const) {
          const flops = (pass === 'forward + backward' ? 3 : 1) * flopsOf(c);
          const m: Measurement = { name: `conv2d ${pass}`, size: describe(c), flops, ...(await measure(ours.passes[pass])) };
          if (theirs && ctx.tf) m.tfjsMs = await measureTfjs(ctx.tf, theirs.passes[pass]);
          if (pass === 'forward') forwardMs = m.wallMs;
          const speedup = m.tfjsMs ? m.tfjsMs / m.wallMs : null;
          const checks: (Goal | null)[] =
            pass === 'forward'
              ? [goal('≥ 1.5× tfjs-webgpu (wall)', speedup, 1.5, 'atLeast', times)]
              : pass === 'forward + backward'
                ? [goal('≥ 1× tfjs-webgpu (wall)', speedup, 1, 'atLeast', times)]
                : [goal('≤ 2× conv2d forward time (wall)', m.wallMs / forwardMs, 2, 'atMost', times)];
          m.goals = checks.filter((g): g is Goal => g !== null);
          m.extra = { 'GFLOP/s wall': gflops(flops, m.wallMs) };
          out.push(m);
        }
        ours.dispose();
        theirs?.dispose();
      }
      return out;
    },
  },
];
