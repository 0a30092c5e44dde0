// The nonlocal kernel network's edge op and its two adjoints. Edges are stored in CSR order
// by destination node (edges p in [offsets[i], offsets[i+1]) end at node i); srcOrder and
// srcOffsets list the same edges grouped by source node. Indices arrive as f32 holding
// integers.
//
// Each kernel is generated for one width d: the loops over features have constant bounds and
// are unrolled, and where d % 4 = 0 rows of h, g and K are read and written as vec4. On
// lavapipe every load from a buffer is one per lane, each with its own address arithmetic and
// bounds check, so the count of loads sets the speed: four floats per load cut it by four.
// (The first kernels, with scalar loads, one thread per output element and a second pass
// over K for the adjoint in h, were 4× slower in the forward pass and the adjoint in h and
// 12× slower in the adjoint in K, at d = 16.)
//
// A leading batch dimension (tangents, cotangents) is read through batch strides: 0 for an
// unbatched argument, its slice size otherwise (in units of the array's elements).
import type { GpuArg, GpuRuntime } from '../engine/webgpu/runtime.js';
import { decls, each, hsum, layoutOf, main, source, UNROLL, WG, type Layout } from './nkn-wgsl.js';

// ---------------------------------------------------------------- forward

// params: total, N, hStride, kStride. One thread per (batch, node i, pair of output rows a)
// walks node i's incoming edges: h_j − h_i is loaded once for both rows (a thread per row ran
// 1.25× slower, four rows per thread 1.4× slower: too many registers).
const rowsPerThread = (d: number) => (d % 2 === 0 ? 2 : 1);

function forwardWgsl(L: Layout): string {
  const { d, W, T } = L;
  const R = rowsPerThread(d);
  const rows = Array.from({ length: R }, (_, r) => r);
  // small rows: h_i and h_j − h_i in registers; long rows: a loop over the loads of a row
  const hoist = W <= UNROLL;
  const edge = hoist
    ? [
        Array.from({ length: W }, (_, q) => `let df${q} = h[hj + ${q}u] - hi${q};`).join(' '),
        ...rows.map((r) => Array.from({ length: W }, (_, q) => `acc${r} = fma(K[kr + ${r * W + q}u], df${q}, acc${r});`).join(' ')),
      ].join('\n    ')
    : `for (var q = 0u; q < ${W}u; q++) { let df = h[hj + q] - h[hi + q]; ${rows.map((r) => `acc${r} = fma(K[kr + ${r * W}u + q], df, acc${r});`).join(' ')} }`;
  return `${decls([['h', T], ['K', T], ['src', 'f32'], ['offsets', 'f32']], ['out', 'f32'])}
${main}
  let N = params[1];
  let b = i / (N * ${d / R}u); let r = i % (N * ${d / R}u); let node = r / ${d / R}u; let a = (r % ${d / R}u) * ${R}u;
  let hb = b * params[2]; let kb = b * params[3];
  let hi = hb + node * ${W}u;
  ${hoist ? Array.from({ length: W }, (_, q) => `let hi${q} = h[hi + ${q}u];`).join(' ') : ''}
  ${rows.map((r) => `var acc${r} = ${T}();`).join(' ')}
  let p0 = u32(offsets[node]); let p1 = u32(offsets[node + 1u]);
  for (var p = p0; p < p1; p++) {
    let hj = hb + u32(src[p]) * ${W}u;
    let kr = kb + (p * ${d}u + a) * ${W}u;
    ${edge}
  }
  let w = 1.0 / f32(max(p1 - p0, 1u));
  ${rows.map((r) => `out[i * ${R}u + ${r}u] = w * ${hsum(L, `acc${r}`)};`).join(' ')}
}`;
}

// ---------------------------------------------------------------- adjoint in h

// Two passes, so that K is read once: first the per-edge messages
//   m[e, c] = (1/|N(t_e)|) Σ_a K[e, a, c] g[t_e, a]     (t_e = dst of edge e),
// one thread per (batch, edge, load of c), then per node j
//   out[j] = Σ_{e: src_e = j} m[e] − Σ_{p ∈ N(j)} m[p],
// one thread per (batch, node, load of c). m is E×d floats, a d-th of K.
// params: total, E, gStride, kStride (loads). g is read a load at a time (a vec4 of g is four
// rows a, 1.1× faster than scalar reads).
function messagesWgsl(L: Layout): string {
  const { d, V, W, T } = L;
  const term = (a: string, ga: string) => `acc = fma(K[kr + ${a} * ${W}u], ${T}(${ga}), acc);`;
  const body =
    V === 4
      ? each(W, (a4) => `{ let ga = g[gt + ${a4}]; ${[0, 1, 2, 3].map((c) => term(`(${a4} * 4u + ${c}u)`, `ga.${'xyzw'[c]}`)).join(' ')} }`, 'a4', '\n  ')
      : each(d, (a) => term(a, `g[gt + ${a}]`), 'a', '\n  ');
  return `${decls([['g', T], ['K', T], ['dst', 'f32'], ['offsets', 'f32']], ['m', T])}
${main}
  let E = params[1];
  let b = i / (E * ${W}u); let r = i % (E * ${W}u); let e = r / ${W}u; let q = r % ${W}u;
  let t = u32(dst[e]);
  let gt = b * params[2] + t * ${W}u;
  let kr = b * params[3] + e * ${d * W}u + q;
  var acc = ${T}();
  ${body}
  m[i] = acc / (offsets[t + 1u] - offsets[t]);
}`;
}

// params: total, N, E. in: m [batch, E, d], offsets, srcOrder, srcOffsets.
function gatherMessagesWgsl(L: Layout): string {
  const { W, T } = L;
  return `${decls([['m', T], ['offsets', 'f32'], ['srcOrder', 'f32'], ['srcOffsets', 'f32']], ['out', T])}
${main}
  let N = params[1];
  let b = i / (N * ${W}u); let r = i % (N * ${W}u); let node = r / ${W}u; let q = r % ${W}u;
  let mb = b * params[2] * ${W}u + q;
  var acc = ${T}();
  let s1 = u32(srcOffsets[node + 1u]);
  for (var s = u32(srcOffsets[node]); s < s1; s++) { acc += m[mb + u32(srcOrder[s]) * ${W}u]; }
  let p1 = u32(offsets[node + 1u]);
  for (var p = u32(offsets[node]); p < p1; p++) { acc -= m[mb + p * ${W}u]; }
  out[i] = acc;
}`;
}

// ---------------------------------------------------------------- adjoint in K

// dK[e, a, c] = (1/|N(t)|) g[t, a] (h[src_e, c] − h[t, c]), t = dst_e: rank one per edge.
// params: total, E, gStride, hStride (both in loads). One thread per (batch, edge, block of
// rows) computes h[src_e] − h[t] once and writes the block: 4 rows (one vec4 of g) on the vec4
// path, one row otherwise. (A thread per row or per vec4 of dK redid the index and h loads for
// every row and ran 1.6× and 3× slower.)
function gradKWgsl(L: Layout): string {
  const { d, V, W, T } = L;
  const rowsPer = V; // rows per thread
  const blocks = d / rowsPer;
  const hoist = W <= UNROLL;
  const diff = (q: string) => (hoist ? `df${parseInt(q)}` : `(h[hj + ${q}] - h[ht + ${q}])`);
  const rows = Array.from({ length: rowsPer }, (_, c) => {
    const ga = V === 4 ? `ga.${'xyzw'[c]}` : 'ga';
    return each(W, (q) => `out[(i * ${rowsPer}u + ${c}u) * ${W}u + ${q}] = ${ga} * ${diff(q)};`, 'q', '\n  ');
  });
  return `${decls([['g', T], ['h', T], ['src', 'f32'], ['dst', 'f32'], ['offsets', 'f32']], ['out', T])}
${main}
  let E = params[1];
  let b = i / (E * ${blocks}u); let r = i % (E * ${blocks}u); let e = r / ${blocks}u; let blk = r % ${blocks}u;
  let t = u32(dst[e]);
  let hj = b * params[3] + u32(src[e]) * ${W}u; let ht = b * params[3] + t * ${W}u;
  let ga = g[b * params[2] + t * ${blocks}u + blk] / (offsets[t + 1u] - offsets[t]);
  ${hoist ? Array.from({ length: W }, (_, q) => `let df${q} = h[hj + ${q}u] - h[ht + ${q}u];`).join(' ') : ''}
  ${rows.join('\n  ')}
}`;
}

// ---------------------------------------------------------------- launchers

/** out[b, i, a] = (1/|N(i)|) Σ_{p ∈ N(i)} Σ_c K[b, p, a, c] (h[b, src_p, c] − h[b, i, c]). */
export function launchNknEdge(rt: GpuRuntime, h: GpuArg, K: GpuArg, src: GpuArg, offsets: GpuArg, out: GpuArg, N: number, d: number, hBatched: boolean, kBatched: boolean): void {
  const { W } = layoutOf(d);
  const E = src.size;
  const threads = out.size / rowsPerThread(d);
  rt.dispatch({
    wgsl: source('f', d, forwardWgsl),
    inputs: [h.buffer, K.buffer, src.buffer, offsets.buffer],
    outputs: [out.buffer],
    params: [threads, N, hBatched ? N * W : 0, kBatched ? E * d * W : 0],
    workgroups: rt.grid(threads, WG),
    label: 'nknEdge',
  });
}

/** The adjoint of the edge op in h: out = A(K)ᵀ g (two dispatches through an E×d scratch buffer). */
export function launchNknEdgeGradH(
  rt: GpuRuntime, g: GpuArg, K: GpuArg, dst: GpuArg, offsets: GpuArg, srcOrder: GpuArg, srcOffsets: GpuArg, out: GpuArg, N: number, d: number, gBatched: boolean, kBatched: boolean,
): void {
  const { W } = layoutOf(d);
  const E = dst.size;
  const batch = out.size / (N * d);
  const m = rt.createBuffer(batch * E * d * 4);
  rt.dispatch({
    wgsl: source('m', d, messagesWgsl),
    inputs: [g.buffer, K.buffer, dst.buffer, offsets.buffer],
    outputs: [m],
    params: [batch * E * W, E, gBatched ? N * W : 0, kBatched ? E * d * W : 0],
    workgroups: rt.grid(batch * E * W, WG),
    label: 'nknEdgeGradH',
  });
  rt.dispatch({
    wgsl: source('s', d, gatherMessagesWgsl),
    inputs: [m, offsets.buffer, srcOrder.buffer, srcOffsets.buffer],
    outputs: [out.buffer],
    params: [batch * N * W, N, E],
    workgroups: rt.grid(batch * N * W, WG),
    label: 'nknEdgeGradH',
  });
  rt.pool.release(m); // reused only after the submit that carries both passes
}

/** The adjoint of the edge op in K: out[e, a, c] = ∂⟨g, A(K) h⟩ / ∂K[e, a, c]. */
export function launchNknEdgeGradK(rt: GpuRuntime, g: GpuArg, h: GpuArg, src: GpuArg, dst: GpuArg, offsets: GpuArg, out: GpuArg, N: number, d: number, gBatched: boolean, hBatched: boolean): void {
  const { V, W } = layoutOf(d);
  const E = src.size;
  const threads = out.size / (d * V);
  rt.dispatch({
    wgsl: source('k', d, gradKWgsl),
    inputs: [g.buffer, h.buffer, src.buffer, dst.buffer, offsets.buffer],
    outputs: [out.buffer],
    params: [threads, E, gBatched ? N * W : 0, hBatched ? N * W : 0],
    workgroups: rt.grid(threads, WG),
    label: 'nknEdgeGradK',
  });
}
