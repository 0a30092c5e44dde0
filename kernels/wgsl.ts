/** Shared WGSL pieces: binding declarations and numerically safe helpers. */

export const WG = 256;

export function bindings(inputs: number, outputs = 1, params = true): string {
  const lines: string[] = [];
  if (params) lines.push('@group(0) @binding(0) var<storage, read> params: array<u32>;');
  for (let i = 0; i < inputs; i++) lines.push(`@group(0) @binding(${i + 1}) var<storage, read> in${i}: array<f32>;`);
  for (let i = 0; i < outputs; i++) {
    lines.push(`@group(0) @binding(${inputs + i + 1}) var<storage, read_write> out${outputs === 1 ? '' : i}: array<f32>;`);
  }
  return lines.join('\n');
}

/** Flat thread index for 1-D work folded into a 2-D grid of workgroups of size WG. */
export const flatIndex = `let i = gid.x + gid.y * nwg.x * ${WG}u;`;
export const mainSignature = `@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>)`;

/**
 * Math helpers that avoid overflow where a driver's builtin might not (tanh as
 * (e^2x − 1)/(e^2x + 1) turns into inf/inf for large x on some drivers).
 */
export const mathPrelude = `
fn safe_tanh(x: f32) -> f32 { let e = exp(-2.0 * abs(x)); return sign(x) * (1.0 - e) / (1.0 + e); }
fn safe_sigmoid(x: f32) -> f32 { let e = exp(-abs(x)); return select(e / (1.0 + e), 1.0 / (1.0 + e), x >= 0.0); }
`;

export const f32bits = (x: number) => new Uint32Array(new Float32Array([x]).buffer)[0]!;

/**
 * WGSL that unravels flat index `index` over the shape at params[shapeAt…] (rank dims) and
 * accumulates, for each offset variable, coordinate × params[strideAt + d].
 */
export function unravel(index: string, rank: number, shapeAt: number, offsets: { name: string; strideAt: number }[]): string {
  const decl = offsets.map((o) => `var ${o.name} = 0u;`).join(' ');
  if (rank === 0) return decl;
  const acc = offsets.map((o) => `${o.name} += c * params[${o.strideAt}u + d];`).join(' ');
  return `${decl} var rem = ${index};
  for (var d = ${rank - 1}u; d < ${rank}u; d = d - 1u) {
    let c = rem % params[${shapeAt}u + d]; rem = rem / params[${shapeAt}u + d]; ${acc}
  }`;
}
