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
// tanh′ = 1 − tanh² and σ′ = σ(x)σ(−x) from x, as 4e/(1 + e)² with e = e^−2|x| and e/(1 + e)² with
// e = e^−|x|: no cancellation where tanh and σ saturate (1 − y² from a stored y loses every digit)
fn tanh_grad(x: f32) -> f32 { let e = exp(-2.0 * abs(x)); let d = 1.0 + e; return 4.0 * e / (d * d); }
fn sigmoid_grad(x: f32) -> f32 { let e = exp(-abs(x)); let d = 1.0 + e; return e / (d * d); }
// log(1 + x) without losing small x: the series below 1e-2 (truncation x⁴/5 relative, < 2e-9)
fn safe_log1p(x: f32) -> f32 {
  if (abs(x) < 1e-2) { return x * (1.0 - x * (0.5 - x * (1.0 / 3.0 - x * 0.25))); }
  return log(1.0 + x);
}
// log(1 + e^x) = max(x, 0) + log1p(e^−|x|): no overflow for large x, no cancellation for small
fn safe_softplus(x: f32) -> f32 { return max(x, 0.0) + safe_log1p(exp(-abs(x))); }
// x^p for every real x where it is real: integer p with a negative base keeps the sign; 0^0 = 1
fn safe_pow(x: f32, p: f32) -> f32 {
  if (p == 0.0) { return 1.0; }
  if (x == 0.0) { return select(1.0 / abs(x), 0.0, p > 0.0); } // +inf for p < 0
  let m = pow(abs(x), p);
  if (x > 0.0) { return m; }
  if (p != round(p)) { return pow(x, p); }
  return select(m, -m, fract(0.5 * p) != 0.0);
}
// GELU, tanh form: 0.5·x·(1 + tanh(u)) = x·σ(2u), u = √(2/π)·(x + 0.044715·x³) (σ(2u) keeps the
// digits that 1 + tanh(u) loses for x ≪ 0); both are 0 or 1 in f32 beyond |x| = 20
fn gelu_tanh(x: f32) -> f32 {
  let z = clamp(x, -20.0, 20.0);
  return x * safe_sigmoid(1.5957691216057308 * (z + 0.044715 * z * z * z));
}
// gelu′ = σ(2u) + ½·x·tanh′(u)·u′, u′ = √(2/π)·(1 + 3·0.044715·x²)
fn gelu_tanh_grad(x: f32) -> f32 {
  let z = clamp(x, -20.0, 20.0);
  let u = 0.7978845608028654 * (z + 0.044715 * z * z * z);
  return safe_sigmoid(2.0 * u) + 0.5 * z * tanh_grad(u) * 0.7978845608028654 * (1.0 + 0.134145 * z * z);
}
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
