// WGSL pieces shared by the NKN kernels, which are generated for one width d each.
/**
 * 64 threads per workgroup: the forward kernel gives each node d threads, and lavapipe runs a
 * workgroup as one task, so smaller groups spread uneven neighbourhoods better over the cores.
 */
export const WG = 64;

/** How a kernel for width d reads rows: V floats per load, W loads per row of d. */
export interface Layout {
  d: number;
  V: 1 | 4;
  W: number;
  /** the WGSL type of one load */
  T: string;
}

export const layoutOf = (d: number): Layout => (d % 4 === 0 ? { d, V: 4, W: d / 4, T: 'vec4<f32>' } : { d, V: 1, W: d, T: 'f32' });

/** the sum of the components of a value of type T */
export const hsum = (L: Layout, x: string) => (L.V === 4 ? `dot(${x}, vec4<f32>(1.0))` : x);

/**
 * `body(k)` for k = 0 … n−1: unrolled up to UNROLL (k a literal), else a loop over the
 * variable `v` with constant bounds.
 */
export const UNROLL = 16;
export function each(n: number, body: (k: string) => string, v: string, sep = '\n    '): string {
  if (n <= UNROLL) return Array.from({ length: n }, (_, k) => body(`${k}u`)).join(sep);
  return `for (var ${v} = 0u; ${v} < ${n}u; ${v}++) { ${body(v)} }`;
}

export function decls(inputs: [string, string][], out: [string, string]): string {
  return [
    '@group(0) @binding(0) var<storage, read> params: array<u32>;',
    ...inputs.map(([n, t], k) => `@group(0) @binding(${k + 1}) var<storage, read> ${n}: array<${t}>;`),
    `@group(0) @binding(${inputs.length + 1}) var<storage, read_write> ${out[0]}: array<${out[1]}>;`,
  ].join('\n');
}

export const main = `@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * ${WG}u;
  if (i >= params[0]) { return; }`;


const sources = new Map<string, string>();

/** The WGSL of kernel `kind` for width d, generated once. */
export function source(kind: string, d: number, gen: (L: Layout) => string): string {
  const key = `${kind}${d}`;
  let src = sources.get(key);
  if (src === undefined) sources.set(key, (src = gen(layoutOf(d))));
  return src;
}
