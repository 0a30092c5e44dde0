// The safetensors container, bytes only (no tensors): an 8-byte little-endian u64 header length N,
// N bytes of UTF-8 JSON header { name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__": {…} }
// padded with spaces to a multiple of 8, then the raw little-endian data. Offsets count from the
// start of the data; the data must be covered exactly, without holes or overlaps.
import { ArgumentError } from '../../engine/errors.js';

export interface RawTensor {
  name: string;
  dtype: string;
  shape: number[];
  /** values as float64 (integer dtypes converted exactly while they stay within 2^53) */
  values: Float64Array;
}

export type WriteDType = 'F32' | 'F64';

/** Bytes per element of the dtypes read here; writing uses F32 or F64. */
const ITEM: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1 };
/** the header size limit of the reference implementation (100 MB): guards against absurd lengths */
const MAX_HEADER = 100_000_000;
const WHO = 'loadSafetensors';

/** Encodes tensors (in the order given) and string metadata into a safetensors file. */
export function encode(tensors: { name: string; shape: readonly number[]; values: ArrayLike<number>; dtype: WriteDType }[], metadata: Record<string, string>): Uint8Array<ArrayBuffer> {
  const parts: string[] = [];
  if (Object.keys(metadata).length) parts.push(`"__metadata__":${JSON.stringify(metadata)}`);
  let offset = 0;
  for (const t of tensors) {
    const end = offset + t.values.length * ITEM[t.dtype]!;
    // written by hand so that the header keeps the tensors' order (JSON.stringify of an object puts integer-like keys first)
    parts.push(`${JSON.stringify(t.name)}:${JSON.stringify({ dtype: t.dtype, shape: t.shape, data_offsets: [offset, end] })}`);
    offset = end;
  }
  let header = new TextEncoder().encode(`{${parts.join(',')}}`);
  const padded = Math.ceil(header.length / 8) * 8;
  if (padded !== header.length) {
    const h = new Uint8Array(padded).fill(0x20);
    h.set(header);
    header = h;
  }
  const out = new Uint8Array(8 + padded + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(padded), true);
  out.set(header, 8);
  let at = 8 + padded;
  for (const t of tensors) {
    if (t.dtype === 'F64') for (let i = 0; i < t.values.length; i++, at += 8) view.setFloat64(at, t.values[i]!, true);
    else for (let i = 0; i < t.values.length; i++, at += 4) view.setFloat32(at, t.values[i]!, true);
  }
  return out;
}

/** Parses and checks a safetensors file: its tensors (in file order) and its metadata. */
export function decode(bytes: Uint8Array): { tensors: RawTensor[]; metadata: Record<string, string> } {
  if (bytes.length < 8) throw new ArgumentError(`${WHO}: the file is truncated: ${bytes.length} byte(s), less than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(bytes.length - 8)) {
    throw new ArgumentError(`${WHO}: the header length ${n64} runs past the end of the file (${bytes.length} bytes): truncated or not a safetensors file`);
  }
  const n = Number(n64);
  if (n > MAX_HEADER) throw new ArgumentError(`${WHO}: the header length ${n} is over the limit of ${MAX_HEADER} bytes`);
  let header: unknown;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
    if (!text.startsWith('{')) throw new Error("it does not start with '{'");
    header = JSON.parse(text);
  } catch (err) {
    throw new ArgumentError(`${WHO}: the header is not UTF-8 JSON (${(err as Error).message}): not a safetensors file`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw new ArgumentError(`${WHO}: the header must be a JSON object`);
  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: { name: string; dtype: string; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, v] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw new ArgumentError(`${WHO}: __metadata__ must be an object of strings`);
      for (const [k, s] of Object.entries(v)) {
        if (typeof s !== 'string') throw new ArgumentError(`${WHO}: __metadata__.${k} must be a string, got ${typeof s}`);
        metadata[k] = s;
      }
      continue;
    }
    const e = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!e || typeof e !== 'object') throw new ArgumentError(`${WHO}: tensor ${JSON.stringify(name)}: expected { dtype, shape, data_offsets }`);
    const dtype = e.dtype;
    if (typeof dtype !== 'string' || !(dtype in ITEM)) {
      throw new ArgumentError(`${WHO}: tensor ${JSON.stringify(name)} has dtype ${JSON.stringify(dtype)}, which is not supported (supported: ${Object.keys(ITEM).join(', ')})`);
    }
    const shape = e.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new ArgumentError(`${WHO}: tensor ${JSON.stringify(name)} has shape ${JSON.stringify(shape)}; expected an array of non-negative integers`);
    }
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((o) => Number.isSafeInteger(o) && o >= 0) || off[0] > off[1]) {
      throw new ArgumentError(`${WHO}: tensor ${JSON.stringify(name)} has data_offsets ${JSON.stringify(off)}; expected [begin, end] with 0 ≤ begin ≤ end`);
    }
    const [begin, end] = off as [number, number];
    if (end > dataLength) {
      throw new ArgumentError(`${WHO}: tensor ${JSON.stringify(name)} has data_offsets [${begin}, ${end}] outside the data (${dataLength} bytes after the header): truncated file?`);
    }
    const size = (shape as number[]).reduce((a, b) => a * b, 1);
    if ((end - begin) !== size * ITEM[dtype]!) {
      throw new ArgumentError(`${WHO}: tensor ${JSON.stringify(name)} of dtype ${dtype} and shape [${shape.join(', ')}] needs ${size * ITEM[dtype]!} bytes, but its data_offsets [${begin}, ${end}] span ${end - begin}`);
    }
    entries.push({ name, dtype, shape: shape as number[], begin, end });
  }
  // the data is covered exactly: sorted by offset, each tensor starts where the previous ended
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const e of sorted) {
    if (e.begin < at) throw new ArgumentError(`${WHO}: tensor ${JSON.stringify(e.name)} has data_offsets [${e.begin}, ${e.end}] overlapping the tensor before it (which ends at ${at})`);
    if (e.begin > at) throw new ArgumentError(`${WHO}: the data has a hole at bytes [${at}, ${e.begin}) before tensor ${JSON.stringify(e.name)}`);
    at = e.end;
  }
  if (at !== dataLength) throw new ArgumentError(`${WHO}: the data is ${dataLength} bytes but the tensors cover ${at}: trailing bytes or a corrupt header`);
  const tensors = entries.map((e) => ({ name: e.name, dtype: e.dtype, shape: e.shape, values: read(view, dataStart + e.begin, (e.end - e.begin) / ITEM[e.dtype]!, e.dtype, e.name) }));
  return { tensors, metadata };
}

function read(view: DataView, at: number, count: number, dtype: string, name: string): Float64Array {
  const out = new Float64Array(count);
  const step = ITEM[dtype]!;
  for (let i = 0; i < count; i++, at += step) out[i] = readOne(view, at, dtype, name);
  return out;
}

function readOne(view: DataView, at: number, dtype: string, name: string): number {
  switch (dtype) {
    case 'F64': return view.getFloat64(at, true);
    case 'F32': return view.getFloat32(at, true);
    case 'F16': return half(view.getUint16(at, true));
    case 'BF16': return bfloat(view.getUint16(at, true));
    case 'I32': return view.getInt32(at, true);
    case 'I16': return view.getInt16(at, true);
    case 'I8': return view.getInt8(at);
    case 'U32': return view.getUint32(at, true);
    case 'U16': return view.getUint16(at, true);
    case 'U8': return view.getUint8(at);
    case 'BOOL': return view.getUint8(at) ? 1 : 0;
    default: {
      const v = dtype === 'I64' ? view.getBigInt64(at, true) : view.getBigUint64(at, true);
      const x = Number(v);
      if (!Number.isSafeInteger(x)) throw new ArgumentError(`${WHO}: tensor ${JSON.stringify(name)} (${dtype}) holds ${v}, beyond ±2^53: not exact as a float`);
      return x;
    }
  }
}

/** IEEE 754 binary16 → number. */
function half(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

const bfScratch = new DataView(new ArrayBuffer(4));
/** bfloat16 (the top half of a float32) → number. */
function bfloat(b: number): number {
  bfScratch.setUint32(0, b << 16);
  return bfScratch.getFloat32(0);
}
