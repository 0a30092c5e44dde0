// Trees of tensors to safetensors files and back. Tensor names are tree paths ('layers.0.W'); the
// tree itself (arrays vs objects, and the numbers, strings and booleans beside the tensors) goes
// into the metadata as JSON under 'flowgrad.tree', so a file reloads into the same tree. A file
// without it (written by PyTorch, say) reloads as nested objects split at the dots, with objects
// whose keys are 0…n−1 turned into arrays.
import { fromValues } from '../../engine/creation.js';
import { ArgumentError, FlowgradError } from '../../engine/errors.js';
import { checkOptions, describe, optionKeys } from '../../engine/options.js';
import { Tensor } from '../../engine/tensor.js';
import { isPlainObject } from '../../autodiff/tree.js';
import { decode, encode, type RawTensor, type WriteDType } from './format.js';

export interface SaveOptions {
  /** the dtype written: default each tensor's own ('F32' on webgpu, 'F64' on cpu) */
  dtype?: WriteDType;
  /** string metadata stored beside the tree (under __metadata__) */
  metadata?: Record<string, string>;
}

const SAVE_KEYS = optionKeys<SaveOptions>({ dtype: true, metadata: true });

/** Where the tree's skeleton goes in __metadata__. */
export const TREE_KEY = 'flowgrad.tree';
/** a tensor in the skeleton */
const REF = '$tensor';

/** Anything a file's bytes can be read from: a path (Node), bytes, or a Blob / File (browser). */
export type SafetensorsSource = string | Uint8Array | ArrayBuffer | Blob;

/**
 * Encodes a tree of tensors as a safetensors file; with `path` (Node only) also writes it there,
 * atomically (a temporary file renamed into place: never a half-written file).
 */
export async function saveSafetensors(tree: unknown, path?: string, opts: SaveOptions = {}): Promise<Uint8Array<ArrayBuffer>> {
  const who = 'saveSafetensors';
  opts = checkOptions(who, opts, SAVE_KEYS);
  if (opts.metadata !== undefined && !isPlainObject(opts.metadata)) throw new ArgumentError(`${who}: metadata must be a plain object of strings, got ${describe(opts.metadata)}`);
  if (path !== undefined && (typeof path !== 'string' || path === '')) throw new ArgumentError(`${who}: path must be a non-empty string (a file to write), got ${JSON.stringify(path)}`);
  if (opts.dtype !== undefined && opts.dtype !== 'F32' && opts.dtype !== 'F64') throw new ArgumentError(`${who}: dtype must be 'F32' or 'F64', got ${JSON.stringify(opts.dtype)}`);
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.metadata ?? {})) {
    if (typeof v !== 'string') throw new ArgumentError(`${who}: metadata.${k} must be a string, got ${typeof v}`);
    if (k === TREE_KEY) throw new ArgumentError(`${who}: metadata key '${TREE_KEY}' is reserved for the tree's structure`);
    metadata[k] = v;
  }
  const found: { name: string; tensor: Tensor }[] = [];
  const names = new Set<string>();
  const skeleton = toSkeleton(tree, [], (t, segs) => {
    const name = segs.length ? segs.join('.') : 'tensor';
    if (names.has(name)) throw new ArgumentError(`${who}: two tensors get the name '${name}' (keys with dots in them?); rename a key`);
    names.add(name);
    found.push({ name, tensor: t });
    return { [REF]: name };
  }, who);
  metadata[TREE_KEY] = JSON.stringify(skeleton);
  const tensors = [];
  for (const { name, tensor } of found) {
    tensor.assertAlive(`${who}: tensor '${name}'`);
    const values = await tensor.data();
    tensors.push({ name, shape: tensor.shape, values, dtype: opts.dtype ?? (tensor.dtype === 'float64' ? 'F64' : 'F32') as WriteDType });
  }
  const bytes = encode(tensors, metadata);
  if (path !== undefined) await writeAtomic(path, bytes, who);
  return bytes;
}

/** Reads a safetensors file into a tree of tensors on the current backend. */
export async function loadSafetensors(source: SafetensorsSource): Promise<any> {
  return (await read(source)).tree;
}

/** The tree and the string metadata of a safetensors file (the tree's own key left out). */
export async function readSafetensors(source: SafetensorsSource): Promise<{ tree: any; metadata: Record<string, string> }> {
  try {
    return await read(source);
  } catch (e) {
    // the reader's errors say loadSafetensors; this one names the function called
    if (e instanceof FlowgradError && e.message.startsWith('loadSafetensors:')) {
      const Kind = e.constructor as new (message: string) => FlowgradError;
      throw new Kind(`readSafetensors:${e.message.slice('loadSafetensors:'.length)}`);
    }
    throw e;
  }
}

async function read(source: SafetensorsSource): Promise<{ tree: any; metadata: Record<string, string> }> {
  const bytes = await bytesOf(source);
  const { tensors, metadata } = decode(bytes);
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const { [TREE_KEY]: skeleton, ...rest } = metadata;
  const make = (t: RawTensor) => fromValues(t.values, t.shape);
  if (skeleton === undefined) return { tree: fromNames(tensors, make), metadata: rest };
  let parsed: unknown;
  try {
    parsed = JSON.parse(skeleton);
  } catch {
    throw new ArgumentError(`loadSafetensors: __metadata__['${TREE_KEY}'] is not valid JSON`);
  }
  const used = new Set<string>();
  const tree = fromSkeleton(parsed, (name) => {
    const t = byName.get(name);
    if (!t) throw new ArgumentError(`loadSafetensors: the tree refers to tensor '${name}', which is not in the file`);
    used.add(name);
    return make(t);
  });
  const unused = tensors.filter((t) => !used.has(t.name)).map((t) => t.name);
  if (unused.length) throw new ArgumentError(`loadSafetensors: tensor(s) ${unused.join(', ')} are in the file but not in its tree`);
  return { tree, metadata: rest };
}

function toSkeleton(v: unknown, path: string[], leaf: (t: Tensor, path: string[]) => unknown, who: string): unknown {
  if (v instanceof Tensor) return leaf(v, path);
  if (Array.isArray(v)) return v.map((x, i) => toSkeleton(x, [...path, String(i)], leaf, who));
  if (isPlainObject(v)) {
    if (REF in v) throw new ArgumentError(`${who}: key '${REF}' at ${path.join('.') || 'the root'} is reserved`);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toSkeleton(x, [...path, k], leaf, who)]));
  }
  if (v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) return v;
  throw new ArgumentError(`${who}: ${path.join('.') || 'the root'} is ${typeof v === 'number' ? String(v) : typeof v}; a tree holds tensors, nested arrays / plain objects, and finite numbers, strings, booleans or null`);
}

function fromSkeleton(v: unknown, tensor: (name: string) => Tensor): unknown {
  if (Array.isArray(v)) return v.map((x) => fromSkeleton(x, tensor));
  if (isPlainObject(v)) {
    if (typeof v[REF] === 'string' && Object.keys(v).length === 1) return tensor(v[REF]);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fromSkeleton(x, tensor)]));
  }
  return v;
}

/** A tree from dotted names alone: 'a.0.W' → { a: [{ W }] }. */
function fromNames(tensors: RawTensor[], make: (t: RawTensor) => Tensor): unknown {
  const root: Record<string, unknown> = {};
  for (const t of tensors) {
    const segs = t.name.split('.');
    let node = root;
    segs.forEach((s, i) => {
      if (i === segs.length - 1) {
        if (s in node) throw new ArgumentError(`loadSafetensors: tensor '${t.name}' clashes with another tensor's path`);
        node[s] = make(t);
      } else {
        const next = (node[s] ??= {}) as Record<string, unknown>;
        if (next instanceof Tensor) throw new ArgumentError(`loadSafetensors: tensor '${t.name}' lies under tensor '${segs.slice(0, i + 1).join('.')}'`);
        node = next;
      }
    });
  }
  const arrays = (v: unknown): unknown => {
    if (!isPlainObject(v)) return v;
    const keys = Object.keys(v);
    const out = Object.fromEntries(keys.map((k) => [k, arrays(v[k])]));
    return keys.length && keys.every((k, i) => k === String(i)) ? keys.map((k) => out[k]) : out;
  };
  return arrays(root);
}

async function bytesOf(source: SafetensorsSource): Promise<Uint8Array> {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (typeof Blob !== 'undefined' && source instanceof Blob) return new Uint8Array(await source.arrayBuffer());
  if (typeof source === 'string') {
    const fs = await nodeFs('loadSafetensors');
    try {
      return new Uint8Array(await fs.readFile(source));
    } catch (err) {
      throw new ArgumentError(`loadSafetensors: cannot read ${source}: ${(err as Error).message}`);
    }
  }
  throw new ArgumentError(`loadSafetensors: expected a path, a Uint8Array, an ArrayBuffer or a Blob, got ${describe(source)}`);
}

async function nodeFs(who: string): Promise<typeof import('node:fs/promises')> {
  if (typeof process === 'undefined' || !process.versions?.node) {
    throw new ArgumentError(`${who}: file paths work in Node only; in a browser pass bytes or a Blob (see io.downloadBytes / a file input)`);
  }
  return import('node:fs/promises');
}

/** Writes to a temporary file beside `path`, then renames it into place. */
export async function writeAtomic(path: string, bytes: Uint8Array, who: string): Promise<void> {
  const fs = await nodeFs(who);
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  try {
    await fs.writeFile(tmp, bytes);
    await fs.rename(tmp, path);
  } catch (err) {
    await fs.rm(tmp, { force: true }).catch(() => {});
    throw new ArgumentError(`${who}: cannot write ${path}: ${(err as Error).message}`);
  }
}
