// safetensors files: bytes checked against the format's specification, fixed files built
// independently in Python, round trips on both backends, and bad input.
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';
import { backendNamed, withBackend } from '../engine/context.js';
import { initBoth } from './helpers.js';

let dir = '';
beforeAll(async () => {
  await initBoth();
  dir = await mkdtemp(join(tmpdir(), 'flowgrad-io-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const hex = (h: string) => Uint8Array.from(h.match(/../g)!.map((b) => parseInt(b, 16)));

// Built by a short Python script with numpy and struct alone (json.dumps(header, separators=(',', ':')),
// padded with spaces to a multiple of 8, struct.pack('<Q', len) in front, then each array's
// little-endian bytes): the file flowgrad must write for `tree()` below on the cpu backend.
const PYTHON_F64 = hex(
  'b8010000000000007b225f5f6d657461646174615f5f223a7b22666c6f77677261642e74726565223a227b5c226c6179' +
  '6572735c223a5b7b5c22575c223a7b5c222474656e736f725c223a5c226c61796572732e302e575c227d2c5c22625c22' +
  '3a7b5c222474656e736f725c223a5c226c61796572732e302e625c227d7d5d2c5c227363616c655c223a7b5c22247465' +
  '6e736f725c223a5c227363616c655c227d2c5c22656d7074795c223a7b5c222474656e736f725c223a5c22656d707479' +
  '5c227d7d227d2c226c61796572732e302e57223a7b226474797065223a22463634222c227368617065223a5b322c335d' +
  '2c22646174615f6f666673657473223a5b302c34385d7d2c226c61796572732e302e62223a7b226474797065223a2246' +
  '3634222c227368617065223a5b335d2c22646174615f6f666673657473223a5b34382c37325d7d2c227363616c65223a' +
  '7b226474797065223a22463634222c227368617065223a5b5d2c22646174615f6f666673657473223a5b37322c38305d' +
  '7d2c22656d707479223a7b226474797065223a22463634222c227368617065223a5b302c325d2c22646174615f6f6666' +
  '73657473223a5b38302c38305d7d7d20000000000000f03f00000000000000c0000000000000e03f0000000000000a40' +
  '0000000000000000fca9f1d24d6250bf000000000000c03f0000000000001cc00000000000000040000000000000f83f',
);
// The same script: F16, BF16, I64, I32, U8, BOOL and F32 tensors without flowgrad's metadata, the
// names in the order 'blocks.1.w' before 'blocks.0.w' (a file from elsewhere).
const PYTHON_DTYPES = hex(
  'd0010000000000007b2268223a7b226474797065223a22463136222c227368617065223a5b345d2c22646174615f6f66' +
  '6673657473223a5b302c385d7d2c226266223a7b226474797065223a2242463136222c227368617065223a5b335d2c22' +
  '646174615f6f666673657473223a5b382c31345d7d2c2269223a7b226474797065223a22493634222c22736861706522' +
  '3a5b312c325d2c22646174615f6f666673657473223a5b31342c33305d7d2c2273223a7b226474797065223a22493332' +
  '222c227368617065223a5b315d2c22646174615f6f666673657473223a5b33302c33345d7d2c2275223a7b2264747970' +
  '65223a225538222c227368617065223a5b325d2c22646174615f6f666673657473223a5b33342c33365d7d2c22666c61' +
  '67223a7b226474797065223a22424f4f4c222c227368617065223a5b325d2c22646174615f6f666673657473223a5b33' +
  '362c33385d7d2c22626c6f636b732e312e77223a7b226474797065223a22463332222c227368617065223a5b315d2c22' +
  '646174615f6f666673657473223a5b33382c34325d7d2c22626c6f636b732e302e77223a7b226474797065223a224633' +
  '32222c227368617065223a5b325d2c22646174615f6f666673657473223a5b34322c35305d7d7d20003c00b8ff7b0100' +
  '803f20c049400000000000ffffff0700000000000000fdffffffff000100cdcccc3dcdcc4c3e9a99993e',
);

function tree() {
  return {
    layers: [{ W: fg.tensor([[1, -2, 0.5], [3.25, 0, -1e-3]]), b: fg.tensor([0.125, -7, 2]) }],
    scale: fg.tensor(1.5),
    empty: fg.zeros([0, 2]),
  };
}

/** Reads a file by the specification, independently of flowgrad's reader. */
function parseBySpec(bytes: Uint8Array) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  expect(n % 8, 'header length a multiple of 8 (data 8-byte aligned)').toBe(0);
  const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
  const header = JSON.parse(text) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const data = bytes.subarray(8 + n);
  return { n, text, header, data, f64: (begin: number, end: number) => Array.from(new Float64Array(data.slice(begin, end).buffer)) };
}

describe('io.saveSafetensors', () => {
  it('writes the bytes of the specification (cpu: F64), equal to a file built in Python', async () => {
    await fg.init({ backend: 'cpu' });
    const bytes = await fg.io.saveSafetensors(tree());
    const { n, text, header, data, f64 } = parseBySpec(bytes);
    expect(n % 8).toBe(0); // header padded so that the data starts 8-byte aligned
    expect(text.trimEnd().length).toBeGreaterThan(n - 8); // padding is < 8 spaces
    expect(text.slice(text.trimEnd().length)).toMatch(/^ *$/);
    expect(header['layers.0.W']).toEqual({ dtype: 'F64', shape: [2, 3], data_offsets: [0, 48] });
    expect(header['layers.0.b']).toEqual({ dtype: 'F64', shape: [3], data_offsets: [48, 72] });
    expect(header.scale).toEqual({ dtype: 'F64', shape: [], data_offsets: [72, 80] });
    expect(header.empty).toEqual({ dtype: 'F64', shape: [0, 2], data_offsets: [80, 80] });
    expect(data.length).toBe(80);
    expect(f64(0, 48)).toEqual([1, -2, 0.5, 3.25, 0, -1e-3]);
    expect(f64(48, 72)).toEqual([0.125, -7, 2]);
    expect(f64(72, 80)).toEqual([1.5]);
    expect(Array.from(bytes)).toEqual(Array.from(PYTHON_F64));
  });

  it('pads every header length to a multiple of 8, whatever its names', async () => {
    await fg.init({ backend: 'cpu' });
    const raw = new Set<number>();
    for (let k = 1; k <= 8; k++) {
      const { n, text } = parseBySpec(await fg.io.saveSafetensors({ ['x'.repeat(k)]: fg.tensor([k]) }));
      raw.add(text.trimEnd().length % 8);
      expect(n - text.trimEnd().length).toBeLessThan(8);
    }
    expect(raw.size).toBe(8); // the unpadded lengths took every remainder: all were padded right
  });

  it('webgpu tensors are F32; dtype: F32 on cpu; one file can mix them', async () => {
    await fg.init({ backend: 'webgpu' });
    const g = fg.tensor([0.1, -3]);
    await fg.init({ backend: 'cpu' });
    const c = fg.tensor([[0.1]]);
    const { header, data } = parseBySpec(await fg.io.saveSafetensors({ g, c }));
    expect(header.g).toEqual({ dtype: 'F32', shape: [2], data_offsets: [0, 8] });
    expect(header.c).toEqual({ dtype: 'F64', shape: [1, 1], data_offsets: [8, 16] });
    expect(Array.from(new Float32Array(data.slice(0, 8).buffer))).toEqual([Math.fround(0.1), -3]);
    expect(new Float64Array(data.slice(8, 16).buffer)[0]).toBe(0.1);
    const f32 = parseBySpec(await fg.io.saveSafetensors({ c }, undefined, { dtype: 'F32' }));
    expect(f32.header.c!.dtype).toBe('F32');
    expect(new Float32Array(f32.data.slice().buffer)[0]).toBe(Math.fround(0.1));
  });

  it('writes the file atomically and keeps user metadata', async () => {
    await fg.init({ backend: 'cpu' });
    const path = join(dir, 'model.safetensors');
    const bytes = await fg.io.saveSafetensors(tree(), path, { metadata: { note: 'hello' } });
    expect(new Uint8Array(await readFile(path))).toEqual(bytes);
    expect((await readdir(dir)).filter((f) => f.includes('.tmp-'))).toEqual([]);
    const r = await fg.io.readSafetensors(path);
    expect(r.metadata).toEqual({ note: 'hello' });
    // a failed write leaves neither the file nor a temporary one
    const missing = join(dir, 'no-such-dir', 'x.safetensors');
    await expect(fg.io.saveSafetensors(tree(), missing)).rejects.toThrow(/saveSafetensors: cannot write/);
    expect(existsSync(join(dir, 'no-such-dir'))).toBe(false);
  });

  it('rejects what is not a tree of tensors, clashing names and reserved keys', async () => {
    await fg.init({ backend: 'cpu' });
    await expect(fg.io.saveSafetensors({ a: fg.tensor(1), f: () => 1 })).rejects.toThrow(/saveSafetensors: f is function/);
    await expect(fg.io.saveSafetensors({ 'a.b': fg.tensor(1), a: { b: fg.tensor(2) } })).rejects.toThrow(/two tensors get the name 'a.b'/);
    await expect(fg.io.saveSafetensors({ x: NaN })).rejects.toThrow(fg.ArgumentError);
    const t = fg.tensor(1);
    t.dispose();
    await expect(fg.io.saveSafetensors({ t })).rejects.toThrow(/disposed/);
  });
});

describe('io.loadSafetensors', () => {
  for (const name of ['cpu', 'webgpu'] as const) {
    it(`round-trips a tree with numbers and strings on ${name}`, async () => {
      await fg.init({ backend: name });
      const t = { ...tree(), epoch: 3, tag: 'run-1', flag: true, nothing: null, list: [fg.tensor([5]), 2] };
      const back = await fg.io.loadSafetensors(await fg.io.saveSafetensors(t));
      expect(back.layers[0].W.shape).toEqual([2, 3]);
      expect(back.layers[0].W.backend.name).toBe(name);
      const W = [[1, -2, 0.5], [3.25, 0, -1e-3]];
      expect(await back.layers[0].W.array()).toEqual(name === 'cpu' ? W : W.map((r) => r.map(Math.fround)));
      expect(await back.scale.item()).toBe(1.5);
      expect(back.scale.shape).toEqual([]);
      expect(back.empty.shape).toEqual([0, 2]);
      expect(await back.list[0].array()).toEqual([5]);
      expect({ epoch: back.epoch, tag: back.tag, flag: back.flag, nothing: back.nothing, two: back.list[1] }).toEqual({ epoch: 3, tag: 'run-1', flag: true, nothing: null, two: 2 });
      expect(Array.isArray(back.layers)).toBe(true);
    });
  }

  it('a file saved on webgpu loads on cpu (and back) with the float32 values', async () => {
    await fg.init({ backend: 'webgpu' });
    const bytes = await fg.io.saveSafetensors([fg.tensor([0.1, 0.2])]);
    await fg.init({ backend: 'cpu' });
    const [x] = await fg.io.loadSafetensors(new Blob([bytes]));
    expect(x.backend.name).toBe('cpu');
    expect(await x.array()).toEqual([Math.fround(0.1), Math.fround(0.2)]);
  });

  it('reads F16, BF16, I64, I32, U8, BOOL and F32 from a file built in Python; no metadata: tree from names', async () => {
    await fg.init({ backend: 'cpu' });
    const t = await fg.io.loadSafetensors(PYTHON_DTYPES.buffer);
    expect(await t.h.array()).toEqual([1, -0.5, 65504, 2 ** -24]);
    expect(await t.bf.array()).toEqual([1, -2.5, 3.140625]);
    expect(await t.i.array()).toEqual([[-(2 ** 40), 7]]);
    expect(await t.s.array()).toEqual([-3]);
    expect(await t.u.array()).toEqual([255, 0]);
    expect(await t.flag.array()).toEqual([1, 0]);
    expect(Array.isArray(t.blocks)).toBe(true);
    expect(await t.blocks[0].w.array()).toEqual([Math.fround(0.2), Math.fround(0.3)]);
    expect(await t.blocks[1].w.array()).toEqual([Math.fround(0.1)]);
  });
});

describe('io.loadSafetensors: bad input', () => {
  /** A file from a header object and a data length, laid out by the specification. */
  function file(header: unknown, dataBytes: number, headerLength?: number): Uint8Array {
    let h = new TextEncoder().encode(JSON.stringify(header));
    const out = new Uint8Array(8 + h.length + dataBytes);
    new DataView(out.buffer).setBigUint64(0, BigInt(headerLength ?? h.length), true);
    out.set(h, 8);
    return out;
  }
  const ok = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F64', shape: [1], data_offsets: [8, 16] } };
  const cases: [string, Uint8Array, RegExp][] = [
    ['shorter than 8 bytes', new Uint8Array(5), /truncated: 5 byte/],
    ['header length beyond the file', file(ok, 16, 10_000), /header length 10000 runs past the end/],
    ['truncated data', file(ok, 12), /outside the data/],
    ['overlapping offsets', file({ a: ok.a, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, 12), /overlapping/],
    ['offsets outside', file({ a: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } }, 8), /outside the data/],
    ['a hole', file({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8), /hole at bytes \[0, 4\)/],
    ['trailing bytes', file({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 8), /trailing bytes/],
    ['size and offsets disagree', file({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8), /needs 12 bytes/],
    ['unknown dtype', file({ a: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, 1), /dtype "F8_E4M3", which is not supported/],
    ['bad shape', file({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4), /shape \[-1\]/],
    ['not JSON', file('x', 0), /not UTF-8 JSON/],
    ['metadata not strings', file({ __metadata__: { a: 1 } }, 0), /__metadata__.a must be a string/],
  ];
  for (const [what, bytes, message] of cases) {
    it(what, async () => {
      await fg.init({ backend: 'cpu' });
      const err = await fg.io.loadSafetensors(bytes).catch((e) => e);
      expect(err).toBeInstanceOf(fg.ArgumentError);
      expect(err.message).toMatch(/^loadSafetensors: /);
      expect(err.message).toMatch(message);
    });
  }

  it('a missing file and a wrong argument type', async () => {
    await expect(fg.io.loadSafetensors(join(dir, 'nope.safetensors'))).rejects.toThrow(/loadSafetensors: cannot read .*nope.safetensors/);
    await expect(fg.io.loadSafetensors(42 as never)).rejects.toThrow(/loadSafetensors: expected a path, a Uint8Array/);
  });
});

describe('optimizer state', () => {
  it('adam continues from a saved state exactly as without saving (cpu)', async () => {
    await fg.init({ backend: 'cpu' });
    const p0 = { w: fg.tensor([1, -2, 0.5]) };
    const g = (k: number) => ({ w: fg.tensor([0.1 * k, -0.3, 2 - k]) });
    const a = fg.optim.adam(p0, { lr: 0.1 });
    const p2 = a.step(a.step(p0, g(1)), g(2));
    const bytes = await fg.io.saveSafetensors({ params: p2, optimizer: a.stateDict() });
    const want = await a.step(a.step(p2, g(3)), g(4)).w.array();
    const ck = await fg.io.loadSafetensors(bytes);
    const b = fg.optim.adam(p0, { lr: 0.1 });
    b.loadStateDict(ck.optimizer);
    expect(b.steps).toBe(2);
    expect(await b.step(b.step(ck.params, g(3)), g(4)).w.array()).toEqual(want);
    const s = fg.optim.sgd(p0, { lr: 0.1 });
    expect(() => s.loadStateDict(ck.optimizer)).toThrow(/optim.sgd: loadStateDict: the state is of optimizer "adam"/);
    const wrong = { ...ck.optimizer, slots: { m: [fg.zeros([2])], v: [fg.zeros([3])] } };
    expect(() => b.loadStateDict(wrong)).toThrow(/m\[0\] \(w\) has shape \[2\], expected \[3\]/);
  });
});
