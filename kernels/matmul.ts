import type { GpuArg, GpuRuntime } from '../engine/webgpu/runtime.js';
import { broadcastStrides, type Shape } from '../engine/shape.js';
import { epilogueKey, epilogueLayout, epilogueWgsl, type Epilogue, type EpilogueSpec } from './epilogue.js';
import { mathPrelude, unravel } from './wgsl.js';

/** Activations a matmul can apply in its epilogue (after the optional bias). */
export type Activation = 'none' | 'tanh' | 'relu' | 'sigmoid';
export const ACTIVATIONS: readonly Activation[] = ['none', 'tanh', 'relu', 'sigmoid'];

export interface MatmulOptions {
  /** read a as its matrix transpose: a is [..., k, m] */
  transA?: boolean;
  /** read b as its matrix transpose: b is [..., n, k] */
  transB?: boolean;
  /** added to every row of the product: shape [n] */
  bias?: GpuArg;
  activation?: Activation;
  /** an elementwise map applied to each output value on its way out (jit's fused kernels) */
  epilogue?: Epilogue;
}



/**
 * Register-blocked matmul kernels. A thread owns a tile of TM rows × 4 columns (one vec4 per
 * row); a workgroup is LX threads along the columns and WGY along the rows. Two ways to get A:
 *
 * - `subgroup`: the LX threads along x are one subgroup; for a block of LX values of k, lane j
 *   loads A[row, k + j] for each of its rows, and every lane takes the value it needs with
 *   subgroupBroadcast. A is loaded once per subgroup instead of once per thread.
 * - `blocked`: every thread loads its own A values (a vec4 along k where the layout allows).
 *
 * No workgroup memory and no barriers: on a software driver every workgroupBarrier is costly,
 * and register blocking alone was faster than shared-memory tiling there.
 *
 * - `simple`: one thread per output, for products too small to fill tiles.
 * - `rows`: one thread per row and 4 columns, the threads of a workgroup along the rows: for
 *   skinny products (n ≤ 4, a layer to 2 outputs or its weight gradient), where the tiles put
 *   4 columns on each of 8 threads along x and left most lanes and workgroups idle.
 */
export type MatmulKernel = 'subgroup' | 'blocked' | 'simple' | 'rows';

interface Spec {
  kernel: MatmulKernel;
  /** threads along x (the subgroup size for `subgroup`) */
  lx: number;
  tm: number;
  wgy: number;
  transA: boolean;
  transB: boolean;
  /** A read as vec4 along k (blocked, not transposed, k % 4 = 0) */
  a4: boolean;
  /** B read as vec4: along its rows (n % 4 = 0) or, transposed, along k (k % 4 = 0) */
  b4: boolean;
  /** C and the bias as vec4 (n % 4 = 0) */
  c4: boolean;
  batchRank: number;
  bias: boolean;
  act: Activation;
  /** the epilogue's function and how each of its inputs is read (null: none) */
  epi: EpilogueSpec | null;
}

const COMPONENTS = ['x', 'y', 'z', 'w'];
const QS = [0, 1, 2, 3];

function actWgsl(act: Activation, epi: boolean): string {
  const f = { none: 'x', tanh: 'safe_tanh(x)', relu: 'max(x, 0.0)', sigmoid: 'safe_sigmoid(x)' }[act];
  return `${act === 'tanh' || act === 'sigmoid' || epi ? mathPrelude : ''}
fn act1(x: f32) -> f32 { return ${f}; }
fn act(v: vec4<f32>) -> vec4<f32> { return vec4<f32>(${COMPONENTS.map((c) => `act1(v.${c})`).join(', ')}); }`;
}

/** Stores value v at output index i: through the epilogue where there is one. */
const store = (s: Spec, i: string, v: string) => (!s.epi ? `C[${i}] = ${v};` : s.epi.raw ? `{ let r = ${v}; R[${i}] = r; C[${i}] = epi(r, ${i}); }` : `C[${i}] = epi(${v}, ${i});`);

function declarations(s: Spec): string {
  const arr = (v: boolean) => (v ? 'array<vec4<f32>>' : 'array<f32>');
  const names: [string, boolean][] = [
    ['A', s.a4],
    ['B', s.b4],
    ...(s.bias ? [['bias', s.c4] as [string, boolean]] : []),
    ...(s.epi?.reads ?? []).map((_, k) => [`E${k}`, false] as [string, boolean]),
  ];
  return [
    '@group(0) @binding(0) var<storage, read> params: array<u32>;',
    ...names.map(([n, v], i) => `@group(0) @binding(${i + 1}) var<storage, read> ${n}: ${arr(v)};`),
    `@group(0) @binding(${names.length + 1}) var<storage, read_write> C: ${arr(s.c4)};`,
    ...(s.epi?.raw ? [`@group(0) @binding(${names.length + 2}) var<storage, read_write> R: array<f32>;`] : []),
  ].join('\n');
}

/** Batch offsets: aoff, boff (elements), coff; params: m, k, n, batchRank, batchShape[r], aBatchStrides[r], bBatchStrides[r] */
function batchOffsets(s: Spec, index: string): string {
  const r = s.batchRank;
  return `let M = params[0]; let K = params[1]; let N = params[2];
  ${unravel(index, r, 4, [{ name: 'aoff', strideAt: 4 + r }, { name: 'boff', strideAt: 4 + 2 * r }])}
  aoff = aoff * M * K; boff = boff * K * N;
  let coff = ${index} * M * N;`;
}

/** One thread per output: no unrolling, so it compiles fast; for small products. */
function simpleWgsl(s: Spec): string {
  const a = s.transA ? 'A[aoff + p * M + row]' : 'A[aoff + row * K + p]';
  const b = s.transB ? 'B[boff + col * K + p]' : 'B[boff + p * N + col]';
  const v = s.bias ? 'act1(acc + bias[col])' : 'act1(acc)';
  return `${declarations(s)}
${actWgsl(s.act, !!s.epi)}
${s.epi ? epilogueWgsl(s.epi, 4 + 3 * s.batchRank, (k) => `E${k}`) : ''}
@compute @workgroup_size(${s.lx}, ${s.wgy})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  ${batchOffsets(s, 'gid.z')}
  let row = gid.y; let col = gid.x;
  if (row >= M || col >= N) { return; }
  var acc = 0.0;
  for (var p = 0u; p < K; p++) { acc = fma(${a}, ${b}, acc); }
  ${store(s, 'coff + row * N + col', v)}
}`;
}

/** Threads along rows, each with 4 columns in scalar accumulators (clamped reads, guarded writes). */
function rowsWgsl(s: Spec): string {
  const a = s.transA ? 'A[aoff + p * M + row]' : 'A[aoff + row * K + p]';
  const b = (q: number) => (s.transB ? `B[bc${q} + p]` : `B[boff + p * N + c${q}]`);
  const pre = QS.map((q) => `let c${q} = min(col + ${q}u, N - 1u);${s.transB ? ` let bc${q} = boff + c${q} * K;` : ''}`);
  const v = (q: number) => (s.bias ? `act1(acc${q} + bias[c${q}])` : `act1(acc${q})`);
  return `${declarations(s)}
${actWgsl(s.act, !!s.epi)}
${s.epi ? epilogueWgsl(s.epi, 4 + 3 * s.batchRank, (k) => `E${k}`) : ''}
@compute @workgroup_size(${ROWS_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  ${batchOffsets(s, 'gid.z')}
  let row = gid.x; let col = 4u * gid.y;
  if (row >= M) { return; }
  ${pre.join('\n  ')}
  ${QS.map((q) => `var acc${q} = 0.0;`).join(' ')}
  for (var p = 0u; p < K; p++) {
    let a = ${a};
    ${QS.map((q) => `acc${q} = fma(a, ${b(q)}, acc${q});`).join('\n    ')}
  }
  ${QS.map((q) => `if (col + ${q}u < N) { ${store(s, `coff + row * N + col + ${q}u`, v(q))} }`).join('\n  ')}
}`;
}

const ROWS_WG = 64;

/** The register-blocked kernels (subgroup and blocked). */
function tiledWgsl(s: Spec): string {
  const { tm, lx, wgy } = s;
  const sub = s.kernel === 'subgroup';
  const kb = sub ? lx : 4; // values of k per step of the main loop
  const rows = [...Array(tm).keys()];

  // A(row r, k = kx) as a scalar; kx is a WGSL expression
  const aAt = (r: number, kx: string) =>
    s.transA ? `A[aoff + (${kx}) * M + ar${r}]` : s.a4 ? `A[(ar${r} + ${kx}) / 4u][(ar${r} + ${kx}) % 4u]` : `A[ar${r} + ${kx}]`;
  // B(k = kx, columns col…col+3) as a vec4
  const bRow = (kx: string) => {
    if (s.transB) return s.b4 ? `vec4<f32>(${QS.map((q) => `B[bc${q} + (${kx}) / 4u][(${kx}) % 4u]`).join(', ')})` : `vec4<f32>(${QS.map((q) => `B[bc${q} + ${kx}]`).join(', ')})`;
    if (s.b4) return `B[bc + (${kx}) * n4]`;
    return `vec4<f32>(${QS.map((q) => `B[boff + (${kx}) * N + c${q}]`).join(', ')})`;
  };

  // one step of the main loop: kb values of k from k, all < K
  const step: string[] = [];
  if (sub) for (const r of rows) step.push(`let a${r} = ${aAt(r, 'k + lane')};`);
  else for (const r of rows) step.push(s.a4 ? `let a${r} = A[(ar${r} + k) / 4u];` : `let a${r} = vec4<f32>(${QS.map((j) => aAt(r, `k + ${j}u`)).join(', ')});`);
  const bs: string[] = [];
  if (s.transB && s.b4) {
    // a vec4 along k for each of the four columns, regrouped into rows of B
    for (let g = 0; g < kb / 4; g++) {
      for (const q of QS) step.push(`let v${g}_${q} = B[bc${q} + k / 4u + ${g}u];`);
      for (const j of QS) bs.push(`vec4<f32>(${QS.map((q) => `v${g}_${q}.${COMPONENTS[j]}`).join(', ')})`);
    }
  } else {
    for (let j = 0; j < kb; j++) bs.push(bRow(`k + ${j}u`));
  }
  bs.forEach((b, j) => {
    step.push(`let b${j} = ${b};`);
    for (const r of rows) step.push(`acc${r} = fma(vec4<f32>(${sub ? `subgroupBroadcast(a${r}, ${j}u)` : `a${r}.${COMPONENTS[j]}`}), b${j}, acc${r});`);
  });
  // the last K % kb values of k, one at a time (every lane loads the same A value)
  const tail = [`let b = ${bRow('k')};`, ...rows.map((r) => `acc${r} = fma(vec4<f32>(${aAt(r, 'k')}), b, acc${r});`)];

  // per-thread constants: clamped rows and columns (out-of-range threads compute, never store)
  const pre: string[] = [];
  for (const r of rows) pre.push(`let ar${r} = ${s.transA ? '' : 'aoff + '}min(row0 + ${r}u, M - 1u)${s.transA ? '' : ' * K'};`);
  if (s.transB) {
    for (const q of QS) pre.push(`let bc${q} = ${s.b4 ? `(boff + min(col + ${q}u, N - 1u) * K) / 4u` : `boff + min(col + ${q}u, N - 1u) * K`};`);
  } else if (s.b4) {
    pre.push('let n4 = N / 4u;', 'let bc = boff / 4u + min(col / 4u, n4 - 1u);');
  }
  if ((!s.transB && !s.b4) || s.bias) for (const q of QS) pre.push(`let c${q} = min(col + ${q}u, N - 1u);`);

  const epilogue: string[] = [];
  if (s.bias) epilogue.push(`let bv = ${s.c4 ? 'bias[c0 / 4u]' : `vec4<f32>(${QS.map((q) => `bias[c${q}]`).join(', ')})`};`);
  for (const r of rows) {
    const v = s.bias ? `act(acc${r} + bv)` : s.act === 'none' ? `acc${r}` : `act(acc${r})`;
    epilogue.push(`{ let row = row0 + ${r}u; let v = ${v};`);
    if (s.c4) epilogue.push(`  if (row < M && col < N) { C[(coff + row * N + col) / 4u] = v; } }`);
    else epilogue.push(`  if (row < M) { ${QS.map((q) => `if (col + ${q}u < N) { ${store(s, `coff + row * N + col + ${q}u`, `v.${COMPONENTS[q]}`)} }`).join(' ')} } }`);
  }

  return `${sub ? 'enable subgroups;\n' : ''}${declarations(s)}
${actWgsl(s.act, !!s.epi)}
${s.epi ? epilogueWgsl(s.epi, 4 + 3 * s.batchRank, (k) => `E${k}`) : ''}
@compute @workgroup_size(${lx}, ${wgy})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>${sub ? ', @builtin(subgroup_invocation_id) lane: u32' : ''}) {
  ${batchOffsets(s, 'wid.z')}
  let row0 = wid.y * ${wgy * tm}u + lid.y * ${tm}u;
  let col = wid.x * ${4 * lx}u + 4u * lid.x;
  ${pre.join('\n  ')}
  ${rows.map((i) => `var acc${i} = vec4<f32>();`).join(' ')}
  var k = 0u;
  for (; k + ${kb}u <= K; k += ${kb}u) {
    ${step.join('\n    ')}
  }
  for (; k < K; k++) {
    ${tail.join('\n    ')}
  }
  ${epilogue.join('\n  ')}
}`;
}

const sources = new Map<string, string>();

function source(s: Spec): string {
  // every field is a number, boolean or name, in a fixed order: a cheaper key than JSON
  const key = `${s.kernel},${s.lx},${s.tm},${s.wgy},${s.transA},${s.transB},${s.a4},${s.b4},${s.c4},${s.batchRank},${s.bias},${s.act}${s.epi ? `,${epilogueKey(s.epi)}` : ''}`;
  let w = sources.get(key);
  if (w === undefined) sources.set(key, (w = s.kernel === 'simple' ? simpleWgsl(s) : s.kernel === 'rows' ? rowsWgsl(s) : tiledWgsl(s)));
  return w;
}

let forced: MatmulKernel | null = null;

/** For tests and benchmarks: run every matmul with this kernel (null: choose by adapter). */
export function forceMatmulKernel(kernel: MatmulKernel | null): void {
  forced = kernel;
}

const subgroupSizes = new WeakMap<GpuRuntime, number | null>();

/** The subgroup size to build the subgroup kernel for, or null where it cannot be used (read once per runtime). */
function subgroupSize(rt: GpuRuntime): number | null {
  let size = subgroupSizes.get(rt);
  if (size === undefined) subgroupSizes.set(rt, (size = readSubgroupSize(rt)));
  return size;
}

function readSubgroupSize(rt: GpuRuntime): number | null {
  if (!rt.features.has('subgroups')) return null;
  const info = rt.adapter.info as GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number };
  // the kernel assumes that each row of LX threads is one subgroup: a fixed, known size
  const size = info.subgroupMinSize;
  if (!size || size !== info.subgroupMaxSize || size < 4 || size > 64) return null;
  return size;
}

/** The kernels this adapter can run, the fastest first. */
export function matmulKernels(rt: GpuRuntime): MatmulKernel[] {
  return subgroupSize(rt) ? ['subgroup', 'blocked', 'simple', 'rows'] : ['blocked', 'simple', 'rows'];
}

/** Enough workgroups to keep every core of a software driver (or every unit of a GPU) busy. */
const MIN_WORKGROUPS = 16;
/**
 * Below this many multiply-adds per matrix the one-thread-per-output kernel: such products are
 * bound by the cost of a dispatch, and its pipelines compile several times faster.
 */
const SIMPLE_BELOW = 2048;
/**
 * The rows kernel for n ≤ 4 up to this many elements of op(a): beyond, its lanes read rows of a
 * k apart, and the subgroup kernel's loads of a along k are the better use of a GPU's bandwidth.
 */
const ROWS_UP_TO = 1 << 20;

/**
 * Tile shape: 8 rows per thread and 8 threads along y where the matrix is big enough; fewer
 * when that would leave too few workgroups or rows mostly out of range.
 */
function chooseTile(m: number, n: number, batches: number, lx: number): { tm: number; wgy: number } {
  const pow2 = (x: number) => 2 ** Math.ceil(Math.log2(Math.max(1, x)));
  let tm = Math.min(8, pow2(m));
  let wgy = Math.min(8, pow2(Math.ceil(m / tm)));
  const groups = () => Math.ceil(n / (4 * lx)) * Math.ceil(m / (tm * wgy)) * batches;
  while (groups() < MIN_WORKGROUPS && wgy > 1) wgy /= 2;
  while (groups() < MIN_WORKGROUPS && tm > 2) tm /= 2;
  return { tm, wgy };
}

/**
 * out = act(op(a) @ op(b) + bias), batched over leading dimensions (broadcast), where op
 * transposes the last two axes when asked. One dispatch.
 */
export function launchMatmul(rt: GpuRuntime, a: GpuArg, b: GpuArg, out: GpuArg, opts: MatmulOptions = {}): void {
  const transA = !!opts.transA;
  const transB = !!opts.transB;
  const ar = a.shape.length;
  const br = b.shape.length;
  const m = a.shape[transA ? ar - 1 : ar - 2]!;
  const k = a.shape[transA ? ar - 2 : ar - 1]!;
  const n = b.shape[transB ? br - 2 : br - 1]!;
  const batchShape: Shape = out.shape.slice(0, -2);
  const batches = batchShape.reduce((x, y) => x * y, 1);
  // strides in units of whole matrices, 0 along broadcast batch dimensions
  const aStr = broadcastStrides(a.shape.slice(0, -2), batchShape);
  const bStr = broadcastStrides(b.shape.slice(0, -2), batchShape);
  const sg = subgroupSize(rt);
  const kernel: MatmulKernel = forced ?? (n <= 4 && m * k <= ROWS_UP_TO ? 'rows' : m * n * k < SIMPLE_BELOW ? 'simple' : sg ? 'subgroup' : 'blocked');
  if (kernel === 'subgroup' && !sg) throw new Error('matmul: the subgroup kernel needs a fixed subgroup size on this adapter');
  const simple = kernel === 'simple' || kernel === 'rows';
  const lx = kernel === 'subgroup' ? sg! : 8;
  const { tm, wgy } = simple ? { tm: 1, wgy: 8 } : chooseTile(m, n, batches, lx);
  const vec = !simple;
  const spec: Spec = {
    kernel,
    lx,
    tm,
    wgy,
    transA,
    transB,
    a4: kernel === 'blocked' && !transA && k % 4 === 0,
    b4: vec && (transB ? k % 4 === 0 : n % 4 === 0),
    // an epilogue reads its inputs per value: the output is stored a value at a time
    c4: vec && n % 4 === 0 && !opts.epilogue,
    batchRank: batchShape.length,
    bias: !!opts.bias,
    act: opts.activation ?? 'none',
    epi: null,
  };
  const epiParams: number[] = [];
  const epiInputs: GPUBuffer[] = [];
  if (opts.epilogue) {
    const e = epilogueLayout(opts.epilogue, out);
    spec.epi = e.spec;
    epiParams.push(...e.params);
    epiInputs.push(...e.buffers);
  }
  rt.dispatch({
    wgsl: source(spec),
    inputs: [a.buffer, b.buffer, ...(opts.bias ? [opts.bias.buffer] : []), ...epiInputs],
    outputs: opts.epilogue?.raw ? [out.buffer, opts.epilogue.raw.buffer] : [out.buffer],
    params: [m, k, n, batchShape.length, ...batchShape, ...aStr, ...bStr, ...epiParams],
    workgroups: kernel === 'rows' ? [Math.ceil(m / ROWS_WG), Math.ceil(n / 4), batches] : [Math.ceil(n / ((simple ? 1 : 4) * lx)), Math.ceil(m / (tm * wgy)), batches],
    label: `${opts.bias || opts.activation ? 'linear' : 'matmul'}${opts.epilogue ? ' (fused)' : ''}`,
  });
}
