// fg.tree: map, leaves, flatten/unflatten, zipWith over nested arrays and objects of tensors.
import { beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';

beforeAll(async () => {
  await fg.init({ backend: 'cpu' });
});

const make = () => ({ layers: [{ W: fg.tensor([[1, 2]]), b: fg.tensor([3]) }, { W: fg.tensor([[4], [5]]), b: fg.tensor([6]) }], alpha: 0.5, name: 'net' });

describe('fg.tree', () => {
  it('leaves and paths in order: arrays by index, objects by key order', () => {
    const t = make();
    expect(fg.tree.leaves(t)).toEqual([t.layers[0]!.W, t.layers[0]!.b, t.layers[1]!.W, t.layers[1]!.b]);
    expect(fg.tree.leavesWithPaths(t).map((l) => l.path)).toEqual(['layers.0.W', 'layers.0.b', 'layers.1.W', 'layers.1.b']);
    expect(fg.tree.leavesWithPaths(fg.tensor(1)).map((l) => l.path)).toEqual(['']);
    expect(fg.tree.leaves({ a: 1, b: [null, 'x'] })).toEqual([]);
  });

  it('map keeps the structure and the other values, and passes the path', async () => {
    const t = make();
    const seen: string[] = [];
    const doubled = fg.tree.map(t, (x, path) => (seen.push(path), fg.mul(x, 2)));
    expect(seen).toEqual(['layers.0.W', 'layers.0.b', 'layers.1.W', 'layers.1.b']);
    expect(doubled.alpha).toBe(0.5);
    expect(doubled.name).toBe('net');
    expect(Array.isArray(doubled.layers)).toBe(true);
    expect(await doubled.layers[1]!.W.array()).toEqual([[8], [10]]);
    expect(doubled.layers[0]!.W).not.toBe(t.layers[0]!.W);
  });

  it('flatten then unflatten rebuilds the tree around new leaves', async () => {
    const t = make();
    const [ls, def] = fg.tree.flatten(t);
    expect(def.leaves).toBe(4);
    expect(def.paths).toEqual(['layers.0.W', 'layers.0.b', 'layers.1.W', 'layers.1.b']);
    const back = fg.tree.unflatten<ReturnType<typeof make>>(def, ls.map((x) => fg.neg(x)));
    expect(await back.layers[0]!.b.array()).toEqual([-3]);
    expect(back.alpha).toBe(0.5);
    expect(() => fg.tree.unflatten(def, ls.slice(1))).toThrow(/tree.unflatten: the tree has 4 leaves, got 3/);
    expect(() => fg.tree.unflatten(def, [1, 2, 3, 4] as never)).toThrow(/leaf 0 \(layers.0.W\) is not a Tensor/);
  });

  it('zipWith combines trees of one structure leaf by leaf', async () => {
    const p = make();
    const g = fg.tree.map(make(), (x) => fg.mul(x, 10));
    const stepped = fg.tree.zipWith([p, g], (a, b) => fg.sub(a, fg.mul(b, 0.1)));
    expect(await stepped.layers[1]!.W.array()).toEqual([[0], [0]]);
    expect(stepped.name).toBe('net');
    const three = fg.tree.zipWith([p, p, p], (a, b, c) => fg.add(fg.add(a, b), c));
    expect(await three.layers[0]!.b.array()).toEqual([9]);
  });

  it('zipWith names the place where the trees differ', () => {
    const p = make();
    expect(() => fg.tree.zipWith([p, { ...p, layers: [p.layers[0]!] }], fg.add)).toThrow(/tree.zipWith: tree 1 has an array of 1 at layers, tree 0 has an array of 2/);
    expect(() => fg.tree.zipWith([p, { ...p, layers: [p.layers[0]!, { W: fg.tensor([[1, 2]]), b: fg.tensor([6]) }] }], fg.add)).toThrow(fg.ShapeError);
    expect(() => fg.tree.zipWith([{ a: fg.tensor(1) }, { b: fg.tensor(1) }] as never, fg.add)).toThrow(/tree 1 has an object with keys b at the root/);
    expect(() => fg.tree.zipWith([] as never, fg.add)).toThrow(/non-empty array/);
  });
});
