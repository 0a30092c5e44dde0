// Per-node d×d matrices applied to per-node vectors: the reaction term of a nonlocal kernel
// network, B_φ(h_i) h_i, with B_φ(h_i) stored as row i of an MLP's output [N, d²] (row-major
// d×d), so that no reshape or batched matmul stands between the MLP and the product; and the
// per-node outer product, its adjoint in the matrices.
//   apply:  out[b, i, a] = scale Σ_c M[b, i, a·d + c] v[b, i, c]      (transpose: M[b, i, c·d + a])
//   outer:  out[b, i, a·d + c] = scale u[b, i, a] w[b, i, c]
// A leading batch dimension is read through batch strides (0 for an unbatched argument).
import type { GpuArg, GpuRuntime } from '../engine/webgpu/runtime.js';
import { decls, each, hsum, layoutOf, main, source, WG, type Layout } from './nkn-wgsl.js';

// params: total, N, mStride, vStride (loads), scale (f32 bits). One thread per (batch, node,
// row a) reads row a of M_i and v_i, both contiguous (vec4 loads where d % 4 = 0).
function applyWgsl(L: Layout): string {
  const { d, W, T } = L;
  return `${decls([['M', T], ['v', T]], ['out', 'f32'])}
${main}
  let N = params[1];
  let b = i / (N * ${d}u); let r = i % (N * ${d}u); let node = r / ${d}u; let a = r % ${d}u;
  let mr = b * params[2] + (node * ${d}u + a) * ${W}u;
  let vr = b * params[3] + node * ${W}u;
  var acc = ${T}();
  ${each(W, (q) => `acc = fma(M[mr + ${q}], v[vr + ${q}], acc);`, 'q', '\n  ')}
  out[i] = bitcast<f32>(params[4]) * ${hsum(L, 'acc')};
}`;
}

// params: total, N, mStride (loads), vStride (floats), scale. Mᵀ v: one thread per (batch,
// node, load of the output) sums the rows c of M_i weighted by v[i, c].
function applyTWgsl(L: Layout): string {
  const { d, W, T } = L;
  return `${decls([['M', T], ['v', 'f32']], ['out', T])}
${main}
  let N = params[1];
  let b = i / (N * ${W}u); let r = i % (N * ${W}u); let node = r / ${W}u; let q = r % ${W}u;
  let mr = b * params[2] + node * ${d * W}u + q;
  let vr = b * params[3] + node * ${d}u;
  var acc = ${T}();
  ${each(d, (c) => `acc = fma(M[mr + ${c} * ${W}u], ${T}(v[vr + ${c}]), acc);`, 'c', '\n  ')}
  out[i] = bitcast<f32>(params[4]) * acc;
}`;
}

/** out = scale · M v per node (transpose: Mᵀ v); M [.., N, d²], v [.., N, d]. */
export function launchNknApply(rt: GpuRuntime, M: GpuArg, v: GpuArg, out: GpuArg, N: number, d: number, transpose: boolean, mBatched: boolean, vBatched: boolean, scaleBits: number): void {
  const { V, W } = layoutOf(d);
  const threads = transpose ? out.size / V : out.size;
  rt.dispatch({
    wgsl: transpose ? source('aT', d, applyTWgsl) : source('a', d, applyWgsl),
    inputs: [M.buffer, v.buffer],
    outputs: [out.buffer],
    params: [threads, N, mBatched ? N * d * W : 0, vBatched ? N * (transpose ? d : W) : 0, scaleBits],
    workgroups: rt.grid(threads, WG),
    label: 'nknApply',
  });
}

// params: total, N, uStride (floats), wStride (loads), scale. One thread per (batch, node, row
// a) writes row a: scale·u[a] times w, read once.
function outerWgsl(L: Layout): string {
  const { d, W, T } = L;
  return `${decls([['u', 'f32'], ['w', T]], ['out', T])}
${main}
  let N = params[1];
  let b = i / (N * ${d}u); let node = (i / ${d}u) % N;
  let s = bitcast<f32>(params[4]) * u[b * params[2] + i % (N * ${d}u)];
  let wr = b * params[3] + node * ${W}u;
  ${each(W, (q) => `out[i * ${W}u + ${q}] = s * w[wr + ${q}];`, 'q', '\n  ')}
}`;
}

/** out[.., i, a·d + c] = scale · u[.., i, a] w[.., i, c]; u, w [.., N, d]. */
export function launchNknOuter(rt: GpuRuntime, u: GpuArg, w: GpuArg, out: GpuArg, N: number, d: number, uBatched: boolean, wBatched: boolean, scaleBits: number): void {
  const { W } = layoutOf(d);
  const threads = out.size / d;
  rt.dispatch({
    wgsl: source('o', d, outerWgsl),
    inputs: [u.buffer, w.buffer],
    outputs: [out.buffer],
    params: [threads, N, uBatched ? N * d : 0, wBatched ? N * W : 0, scaleBits],
    workgroups: rt.grid(threads, WG),
    label: 'nknOuter',
  });
}
