// Random numbers from keys: a key is a tensor [..., 2] (a 32-bit seed as two 16-bit halves), and
// every op draws from it on the device with the host's counter-based generator. Keys are values,
// so they batch: under vmap a batched key gives each member its own stream (JAX's design), and
// one key split into n gives n independent ones. The float64 reference draws exactly what
// fg.randn / fg.rand draw with that seed.
import { fromValues } from '../../engine/creation.js';
import { ArgumentError, ShapeError, fmtShape } from '../../engine/errors.js';
import { normalArray, splitSeed, uniformArray } from '../../engine/random.js';
import { sizeOf, type Shape } from '../../engine/shape.js';
import type { Tensor } from '../../engine/tensor.js';
import { launchRandom, launchSplitKey, type RandomKind } from '../../kernels/random.js';
import { leadingRule } from '../batching/rules.js';
import { apply, defineOp, type OpDef } from '../op.js';

const NONE = { inputs: false, output: false };

/** The seed of each key of a [..., 2] array of halves. */
function seeds(key: Float64Array): number[] {
  return Array.from({ length: key.length / 2 }, (_, k) => key[2 * k]! * 65536 + key[2 * k + 1]!);
}

function keyShape(op: string, key: Shape): Shape {
  if (key.length === 0 || key[key.length - 1] !== 2) throw new ShapeError(`${op}: key must have shape [..., 2] (a key from fg.randomKey or fg.splitKey), got key ${fmtShape(key)}`);
  return key.slice(0, -1);
}

function checkShape(op: string, shape: unknown): number[] {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) throw new ArgumentError(`${op}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  return shape;
}

interface DrawAttrs {
  shape: number[];
}

const drawOp = (name: string, kind: RandomKind, host: (n: number, seed: number) => Float64Array): OpDef<DrawAttrs> =>
  defineOp<DrawAttrs>({
    name,
    args: ['key'],
    nondiff: [0],
    saves: NONE,
    shape: ([key], { shape }) => [...keyShape(name, key!), ...checkShape(name, shape)],
    cpu: ([key], _s, { shape }) => {
      const per = sizeOf(shape);
      const out = new Float64Array(seeds(key!).length * per);
      seeds(key!).forEach((seed, k) => out.set(host(per, seed), k * per));
      return out;
    },
    gpu: (rt, [key], out, { shape }) => launchRandom(rt, kind, key!, out, sizeOf(shape)),
    vjp: () => [null],
    jvp: () => null,
    batch: leadingRule,
    samples: [
      { shapes: [[2]], attrs: { shape: [3, 5] }, values: [[1, 2]] },
      { shapes: [[3, 2]], attrs: { shape: [7] }, values: [[0, 1, 7, 9, 65535, 3]] },
      { shapes: [[2]], attrs: { shape: [] }, values: [[4660, 22136]] },
    ],
    rejects: [{ shapes: [[3]], attrs: { shape: [2] }, message: new RegExp(`${name}: key must have shape \\[\\.\\.\\., 2\\]`) }],
  });

const normalOp = drawOp('randomNormal', 'normal', (n, seed) => normalArray(n, seed));
const uniformOp = drawOp('randomUniform', 'uniform', (n, seed) => uniformArray(n, seed));

const splitOp: OpDef<{ n: number }> = defineOp<{ n: number }>({
  name: 'splitKey',
  args: ['key'],
  nondiff: [0],
  saves: NONE,
  shape: ([key], { n }) => {
    if (!Number.isInteger(n) || n < 0) throw new ArgumentError(`splitKey: n must be a non-negative integer, got ${String(n)}`);
    return [...keyShape('splitKey', key!), n, 2];
  },
  cpu: ([key], _s, { n }) => {
    const out: number[] = [];
    for (const seed of seeds(key!)) {
      for (let j = 0; j < n; j++) {
        const child = splitSeed(seed, j);
        out.push(child >>> 16, child & 0xffff);
      }
    }
    return Float64Array.from(out);
  },
  gpu: (rt, [key], out, { n }) => launchSplitKey(rt, key!, out, n),
  vjp: () => [null],
  jvp: () => null,
  batch: leadingRule,
  samples: [
    { shapes: [[2]], attrs: { n: 4 }, values: [[1, 2]] },
    { shapes: [[2, 2]], attrs: { n: 3 }, values: [[0, 0, 65535, 65535]] },
  ],
  rejects: [{ shapes: [[2, 3]], attrs: { n: 2 }, message: /splitKey: key must have shape \[\.\.\., 2\]/ }],
});

/** A key for a seed (an integer; its low 32 bits): a tensor [2] on the current backend. */
export function randomKey(seed: number): Tensor {
  if (typeof seed !== 'number' || !Number.isInteger(seed)) throw new ArgumentError(`randomKey: seed must be an integer, got ${String(seed)}`);
  const s = seed >>> 0;
  return fromValues([s >>> 16, s & 0xffff], [2]);
}

/** n independent keys from one (or from each of a batch of keys): [..., n, 2]. */
export const splitKey = (key: Tensor, n: number): Tensor => apply(splitOp, [key], { n });

/** Standard normal values of `shape` from a key [..., 2]: [..., ...shape] (one stream per key). */
export const randomNormal = (key: Tensor, shape: number[]): Tensor => apply(normalOp, [key], { shape });

/** Uniform values in (0, 1) of `shape` from a key [..., 2]: [..., ...shape]. */
export const randomUniform = (key: Tensor, shape: number[]): Tensor => apply(uniformOp, [key], { shape });
