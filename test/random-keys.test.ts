// Random numbers from keys: the float64 reference draws what fg.randn / fg.rand draw with that
// seed; WebGPU draws the same to float32 rounding; under vmap a batched key gives each member its
// own stream, and split keys give independent ones.
import { beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';
import { withBackend } from '../engine/context.js';
import type { Backend } from '../engine/backend.js';
import { initBoth, maxAbsDiff } from './helpers.js';

let cpu: Backend;
let gpu: Backend;
beforeAll(async () => ({ cpu, gpu } = await initBoth()));

const values = async (t: fg.Tensor) => Array.from(await t.data());

describe('random keys', () => {
  it('a key draws what randn and rand draw with its seed, on both backends', async () => {
    for (const seed of [0, 7, 123456789, 0xfffffffe]) {
      const want = await withBackend(cpu, () => fg.randn([5, 3], { seed })).data();
      const wantU = await withBackend(cpu, () => fg.rand([9], { seed })).data();
      expect(await values(withBackend(cpu, () => fg.randomNormal(fg.randomKey(seed), [5, 3])))).toEqual(Array.from(want));
      expect(await values(withBackend(cpu, () => fg.randomUniform(fg.randomKey(seed), [9])))).toEqual(Array.from(wantU));
      // float32: the uniforms keep 27 of 53 bits, Box–Muller runs in float32
      expect(maxAbsDiff(await values(withBackend(gpu, () => fg.randomNormal(fg.randomKey(seed), [5, 3]))), want)).toBeLessThan(2e-5);
      expect(maxAbsDiff(await values(withBackend(gpu, () => fg.randomUniform(fg.randomKey(seed), [9]))), wantU)).toBeLessThan(1e-6);
    }
  });

  it('split keys are those of splitSeed, and the same on both backends', async () => {
    const k = await values(withBackend(cpu, () => fg.splitKey(fg.randomKey(42), 5)));
    const g = await values(withBackend(gpu, () => fg.splitKey(fg.randomKey(42), 5)));
    expect(g).toEqual(k);
    expect(new Set(k.map((_, i) => (i % 2 ? null : k[i]! * 65536 + k[i + 1]!)).filter((v) => v !== null)).size).toBe(5);
  });

  it('under vmap a batched key gives each member its own stream, a shared key one stream', async () => {
    for (const b of [cpu, gpu]) {
      const { batched, loop, shared } = withBackend(b, () => {
        const keys = fg.splitKey(fg.randomKey(3), 4); // [4, 2]
        const noise = (key: fg.Tensor, x: fg.Tensor) => fg.add(x, fg.randomNormal(key, [6]));
        const x = fg.zeros([4, 6]);
        return {
          batched: fg.vmap(noise)(keys, x),
          loop: [0, 1, 2, 3].map((i) => noise(fg.reshape(fg.slice(keys, [i, 0], [i + 1, 2]), [2]), fg.zeros([6]))),
          shared: fg.vmap(noise, { inAxes: [null, 0] })(fg.randomKey(3), x),
        };
      });
      const bv = await values(batched);
      const lv = (await Promise.all(loop.map(values))).flat();
      expect(maxAbsDiff(bv, lv)).toBeLessThan(b === cpu ? 1e-15 : 1e-6);
      const rows = (v: number[]) => new Set([0, 1, 2, 3].map((i) => v.slice(6 * i, 6 * i + 6).join())).size;
      expect(rows(bv), b.name).toBe(4);
      expect(rows(await values(shared)), b.name).toBe(1);
    }
  });

  it('bad keys and shapes name the function', () => {
    withBackend(cpu, () => {
      expect(() => fg.randomNormal(fg.zeros([3]), [2])).toThrow(/randomNormal: key must have shape \[\.\.\., 2\] .*got key \[3\]/);
      expect(() => fg.randomUniform(fg.randomKey(1), [2, -1])).toThrow(/randomUniform: shape must be an array of non-negative integers/);
      expect(() => fg.splitKey(fg.randomKey(1), 1.5)).toThrow(/splitKey: n must be a non-negative integer/);
      expect(() => fg.randomKey(0.5)).toThrow(/randomKey: seed must be an integer/);
    });
  });
});
