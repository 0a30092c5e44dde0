// Every registered op, on every sample it declares, on both backends: vmap(op) over a batch
// equals the op applied to each member and stacked, with batched and shared inputs and batch
// axes other than 0. A new op is covered the moment it is registered.
import { beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';
import { apply, registeredOps, type OpDef, type OpSample } from '../autodiff/op.js';
import { loopedOps } from '../autodiff/batching/ops.js';
import type { Backend } from '../engine/backend.js';
import { fromValues } from '../engine/creation.js';
import { F32_EPS, initBoth, label, maxAbs, maxAbsDiff, sampleValues } from './helpers.js';

let cpu: Backend;
let gpu: Backend;
beforeAll(async () => ({ cpu, gpu } = await initBoth()));

const B = 3;
const ops = registeredOps();

// index-like inputs whose members may differ (a rotation keeps every value valid); other fixed
// inputs (graph structure) are the same for every member
const PER_MEMBER_VALUES = new Set(['gather', 'scatterAdd', 'oneHot', 'where']);

/** Member b's values of every input: random inputs drawn per member, fixed ones rotated or repeated. */
function memberValues(op: OpDef<any>, sample: OpSample<any>, seed: number, b: number): Float64Array[] {
  const vs = sampleValues(sample.shapes, sample.domain, seed + 17 * b, sample.values);
  return vs.map((v, k) => {
    if (!sample.values?.[k] || !PER_MEMBER_VALUES.has(op.name) || v.length === 0) return v;
    const s = b % v.length;
    return Float64Array.from({ length: v.length }, (_, i) => v[(i + s) % v.length]!);
  });
}

/** Which inputs are batched, and along which axis (of the batched tensor), in each pattern. */
function patterns(sample: OpSample<any>): (number | null)[][] {
  const n = sample.shapes.length;
  const all = sample.shapes.map(() => 0);
  const out: (number | null)[][] = [all];
  // the first input batched along its last axis, the others shared
  out.push(sample.shapes.map((s, i) => (i === 0 ? s.length : null)));
  if (n > 1) out.push(sample.shapes.map((s, i) => (i === 1 ? -1 : i === 0 ? null : 0)));
  return out;
}

/** The batched input: the members stacked along `axis` (negative counts from the end). */
function stacked(backend: Backend, members: Float64Array[], shape: number[], axis: number): fg.Tensor {
  const data = new Float64Array(members.length * members[0]!.length);
  members.forEach((m, b) => data.set(m, b * m.length));
  const t = fromValues(data, [members.length, ...shape], backend);
  const at = axis < 0 ? axis + shape.length + 1 : axis;
  const perm = [...shape.keys()].map((d) => d + 1);
  perm.splice(at, 0, 0);
  return fg.transpose(t, perm);
}

async function check(backend: Backend, op: OpDef<any>, sample: OpSample<any>, seed: number, axes: (number | null)[]) {
  const members = Array.from({ length: B }, (_, b) => memberValues(op, sample, seed, b));
  const args = sample.shapes.map((shape, k) =>
    axes[k] === null ? fromValues(members[0]![k]!, shape, backend) : stacked(backend, members.map((m) => m[k]!), shape, axes[k]!),
  );
  const got = fg.vmap((...xs: fg.Tensor[]) => apply(op, xs, sample.attrs), { inAxes: axes })(...args);
  const want = fg.stack(members.map((m) => apply(op, sample.shapes.map((shape, k) => fromValues(axes[k] === null ? members[0]![k]! : m[k]!, shape, backend)), sample.attrs)));
  expect(got.shape).toEqual(want.shape);
  const [g, w] = [await got.data(), await want.data()];
  const scale = Math.max(1, maxAbs(w));
  // cpu: the same float64 arithmetic up to the order of sums in a folded product; webgpu: float32
  // with a few ε per operation times the longest reduction, as in the op conformance suite
  const reduction = Math.max(1, ...sample.shapes.flat());
  const tol = backend === cpu ? 1e-12 * reduction * scale : 8 * F32_EPS * reduction * scale;
  expect(maxAbsDiff(g, w), `axes ${JSON.stringify(axes)}`).toBeLessThanOrEqual(tol);
}

describe('vmap conformance', () => {
  it('has a batching rule for every op (none falls back to the per-member loop as a whole)', () => {
    // the loop remains inside some rules, for cases listed in autodiff/batching/ops.ts
    // (per-member indices of gather/scatterAdd, NKN inputs that carry a batch of their own)
    expect(loopedOps(ops)).toEqual([]);
  });

  for (const op of ops) {
    for (const which of ['cpu', 'webgpu'] as const) {
      it(`${op.name} on ${which}: vmap equals the loop over members`, async () => {
        const backend = which === 'cpu' ? cpu : gpu;
        for (const [si, sample] of op.samples.entries()) {
          for (const axes of patterns(sample)) {
            await check(backend, op, sample, 500 + si, axes).catch((e: Error) => {
              throw new Error(`${label(op, sample)} axes ${JSON.stringify(axes)}: ${e.message}`);
            });
          }
        }
        // convolutions compile a pipeline per shape on a software WebGPU driver (seconds each)
      }, which === 'webgpu' && op.name.startsWith('conv') ? 480_000 : undefined);
    }
  }
});
