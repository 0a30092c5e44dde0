// The nonlocal kernel network's edge op and its two adjoints, one kernel each, with no
// per-edge intermediate in memory. Edges are stored in CSR order by destination node
// (edges p in [offsets[i], offsets[i+1]) end at node i); srcOrder/srcOffsets list the same
// edges grouped by source node. Indices arrive as f32 holding integers.
//
// A leading batch dimension (tangents, cotangents) is read through batch strides: 0 for an
// unbatched argument, its slice size otherwise.
import type { GpuArg, GpuRuntime } from '../engine/webgpu/runtime.js';
import { bindings, flatIndex, mainSignature, WG } from './wgsl.js';

// The width d is a constant of each generated kernel (params[2] still carries it), so the
// compiler can unroll the loops over features; one source per (kernel, d), cached.
const sources = new Map<string, string>();
const cached = (kind: string, d: number, gen: (d: number) => string) => {
  const key = `${kind}${d}`;
  let src = sources.get(key);
  if (src === undefined) sources.set(key, (src = gen(d)));
  return src;
};

// 1/|N(i)|, 0 for an empty neighbourhood (the op's checks reject those before they get here)
const invCount = `fn inv_count(c: f32) -> f32 { return select(0.0, 1.0 / c, c > 0.0); }`;

// params: total, N, d, xStride, yStride. in0 = h, in1 = K, in2 = src, in3 = offsets.
// One thread per (batch, node i, output feature a) walks node i's incoming edges.
const forwardWgsl = (D: number) => `${bindings(4)}
${invCount}
${mainSignature} {
  ${flatIndex}
  if (i >= params[0]) { return; }
  let N = params[1]; let d = ${D}u;
  let b = i / (N * d); let r = i % (N * d); let node = r / d; let a = r % d;
  let hb = b * params[3]; let kb = b * params[4];
  let p0 = u32(in3[node]); let p1 = u32(in3[node + 1u]);
  var acc = 0.0;
  for (var p = p0; p < p1; p = p + 1u) {
    let j = u32(in2[p]);
    let krow = kb + (p * d + a) * d;
    for (var c = 0u; c < d; c = c + 1u) {
      acc = acc + in1[krow + c] * (in0[hb + j * d + c] - in0[hb + node * d + c]);
    }
  }
  out[i] = acc * inv_count(f32(p1 - p0));
}`;

/** out[b, i, a] = (1/|N(i)|) Σ_{p ∈ N(i)} Σ_c K[b, p, a, c] (h[b, src_p, c] − h[b, i, c]). */
export function launchNknEdge(rt: GpuRuntime, h: GpuArg, K: GpuArg, src: GpuArg, offsets: GpuArg, out: GpuArg, N: number, d: number, hStride: number, kStride: number): void {
  rt.dispatch({
    wgsl: cached('f', d, forwardWgsl),
    inputs: [h.buffer, K.buffer, src.buffer, offsets.buffer],
    outputs: [out.buffer],
    params: [out.size, N, d, hStride, kStride],
    workgroups: rt.grid(out.size, WG),
    label: 'nknEdge',
  });
}

// params: total, N, d, gStride, kStride. in0 = g, in1 = K, in2 = dst, in3 = offsets,
// in4 = srcOrder, in5 = srcOffsets. One thread per (batch, node j, feature c):
// out[j, c] = Σ_{e: src_e = j} w_{dst_e} Σ_a K[e, a, c] g[dst_e, a] − w_j Σ_{p ∈ N(j)} Σ_a K[p, a, c] g[j, a].
const gradHWgsl = (D: number) => `${bindings(6)}
${invCount}
${mainSignature} {
  ${flatIndex}
  if (i >= params[0]) { return; }
  let N = params[1]; let d = ${D}u;
  let b = i / (N * d); let r = i % (N * d); let node = r / d; let c = r % d;
  let gb = b * params[3]; let kb = b * params[4];
  var acc = 0.0;
  let q1 = u32(in5[node + 1u]);
  for (var q = u32(in5[node]); q < q1; q = q + 1u) {
    let e = u32(in4[q]);
    let t = u32(in2[e]);
    let w = inv_count(in3[t + 1u] - in3[t]);
    var s = 0.0;
    for (var a = 0u; a < d; a = a + 1u) { s = s + in1[kb + (e * d + a) * d + c] * in0[gb + t * d + a]; }
    acc = acc + w * s;
  }
  let p0 = u32(in3[node]); let p1 = u32(in3[node + 1u]);
  var own = 0.0;
  for (var p = p0; p < p1; p = p + 1u) {
    for (var a = 0u; a < d; a = a + 1u) { own = own + in1[kb + (p * d + a) * d + c] * in0[gb + node * d + a]; }
  }
  out[i] = acc - own * inv_count(f32(p1 - p0));
}`;

/** The adjoint of the edge op in h: out = A(K)ᵀ g. */
export function launchNknEdgeGradH(
  rt: GpuRuntime, g: GpuArg, K: GpuArg, dst: GpuArg, offsets: GpuArg, srcOrder: GpuArg, srcOffsets: GpuArg, out: GpuArg, N: number, d: number, gStride: number, kStride: number,
): void {
  rt.dispatch({
    wgsl: cached('h', d, gradHWgsl),
    inputs: [g.buffer, K.buffer, dst.buffer, offsets.buffer, srcOrder.buffer, srcOffsets.buffer],
    outputs: [out.buffer],
    params: [out.size, N, d, gStride, kStride],
    workgroups: rt.grid(out.size, WG),
    label: 'nknEdgeGradH',
  });
}

// params: total, E, d, gStride, hStride. in0 = g, in1 = h, in2 = src, in3 = dst, in4 = offsets.
// One thread per (batch, edge e, a, c): w_{dst_e} g[dst_e, a] (h[src_e, c] − h[dst_e, c]).
const gradKWgsl = (D: number) => `${bindings(5)}
${invCount}
${mainSignature} {
  ${flatIndex}
  if (i >= params[0]) { return; }
  let E = params[1]; let d = ${D}u;
  let b = i / (E * d * d); let r = i % (E * d * d); let e = r / (d * d); let a = (r / d) % d; let c = r % d;
  let gb = b * params[3]; let hb = b * params[4];
  let t = u32(in3[e]); let j = u32(in2[e]);
  let w = inv_count(in4[t + 1u] - in4[t]);
  out[i] = w * in0[gb + t * d + a] * (in1[hb + j * d + c] - in1[hb + t * d + c]);
}`;

/** The adjoint of the edge op in K: out[e, a, c] = ∂⟨g, A(K) h⟩ / ∂K[e, a, c]. */
export function launchNknEdgeGradK(rt: GpuRuntime, g: GpuArg, h: GpuArg, src: GpuArg, dst: GpuArg, offsets: GpuArg, out: GpuArg, E: number, d: number, gStride: number, hStride: number): void {
  rt.dispatch({
    wgsl: cached('k', d, gradKWgsl),
    inputs: [g.buffer, h.buffer, src.buffer, dst.buffer, offsets.buffer],
    outputs: [out.buffer],
    params: [out.size, E, d, gStride, hStride],
    workgroups: rt.grid(out.size, WG),
    label: 'nknEdgeGradK',
  });
}
