// Per-node d×d matrices applied to per-node vectors, the reaction term of a nonlocal kernel
// network: with M [N, d²] an MLP's output (row i holds B(h_i) row-major) and v [N, d],
//   nknApply(M, v)                   = scale · B_i v_i      per node i
//   nknApply(M, v, {transpose: true}) = scale · B_iᵀ v_i
// one dispatch instead of reshape → batched matmul → reshape (whose batched matmul of N
// products of d×d by d×1 was the slowest part of a layer's reaction), and
//   nknOuter(u, w)                   = scale · u_i w_iᵀ    per node, flattened to [N, d²]
// Both bilinear, each one's derivatives written with the two: the adjoint of nknApply in v is
// the transposed nknApply, in M an nknOuter; the adjoints of nknOuter are nknApply.
import { boolean, checkOptions, finiteNumber, optionKeys } from '../../engine/options.js';
import { ArgumentError, ShapeError, fmtShape } from '../../engine/errors.js';
import type { Shape } from '../../engine/shape.js';
import { Tensor } from '../../engine/tensor.js';
import { launchNknApply, launchNknOuter } from '../../kernels/nkn-apply.js';
import { f32bits } from '../../kernels/wgsl.js';
import { apply, defineOp, type OpDef } from '../op.js';
import { addMaybe } from './elementwise.js';
import { unbroadcast } from './shape.js';

interface ApplyAttrs {
  scale: number;
  transpose: boolean;
}

function checkAttrs(op: string, { scale, transpose }: { scale: number; transpose?: boolean }) {
  if (!Number.isFinite(scale)) throw new ArgumentError(`${op}: scale must be a finite number, got ${scale}`);
  if (transpose !== undefined && typeof transpose !== 'boolean') throw new ArgumentError(`${op}: transpose must be true or false, got ${JSON.stringify(transpose)}`);
}

/**
 * N, d and the batch of two per-node arguments x [N, dx(d)] and y [N, d], each with at most
 * one leading batch dimension (equal where both have one).
 */
function dims(op: string, [x, y]: Shape[], [xn, yn]: [string, string], square: boolean) {
  const got = `got ${xn} ${fmtShape(x!)}, ${yn} ${fmtShape(y!)}`;
  const want = square ? '[N, d²]' : '[N, d]';
  if (y!.length !== 2 && y!.length !== 3) throw new ShapeError(`${op}: ${yn} must be [N, d] (or [batch, N, d]); ${got}`);
  if (x!.length !== 2 && x!.length !== 3) throw new ShapeError(`${op}: ${xn} must be ${want} (or with one leading batch dimension); ${got}`);
  const [N, d] = y!.slice(-2) as [number, number];
  const [xN, xd] = x!.slice(-2) as [number, number];
  const dx = square ? d * d : d;
  if (xN !== N || xd !== dx) throw new ShapeError(`${op}: ${xn} must be ${want} = [${N}, ${dx}] for ${yn} [N, d] = [${N}, ${d}]; ${got}`);
  const xBatched = x!.length === 3;
  const yBatched = y!.length === 3;
  if (xBatched && yBatched && x![0] !== y![0]) throw new ShapeError(`${op}: the leading batch dimensions differ; ${got}`);
  return { N, d, xBatched, yBatched, batch: xBatched ? x![0]! : yBatched ? y![0]! : null };
}

const ops = {} as { apply: OpDef<ApplyAttrs>; outer: OpDef<{ scale: number }> };

ops.apply = defineOp<ApplyAttrs>({
  name: 'nknApply',
  args: ['M', 'v'],
  saves: { inputs: true, output: false },
  shape: (shapes, attrs) => {
    checkAttrs('nknApply', attrs);
    const { N, d, batch } = dims('nknApply', shapes, ['M', 'v'], true);
    return batch === null ? [N, d] : [batch, N, d];
  },
  cpu: ([M, v], shapes, attrs, outShape) => {
    const { N, d, xBatched: mBatched, yBatched: vBatched } = dims('nknApply', shapes, ['M', 'v'], true);
    const B = outShape.length === 3 ? outShape[0]! : 1;
    const out = new Float64Array(B * N * d);
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < N; i++) {
        const m0 = ((mBatched ? b * N : 0) + i) * d * d;
        const v0 = ((vBatched ? b * N : 0) + i) * d;
        for (let a = 0; a < d; a++) {
          let acc = 0;
          for (let c = 0; c < d; c++) acc += M![m0 + (attrs.transpose ? c * d + a : a * d + c)]! * v![v0 + c]!;
          out[(b * N + i) * d + a] = attrs.scale * acc;
        }
      }
    }
    return out;
  },
  gpu: (rt, [M, v], out, { scale, transpose }) => {
    const N = v!.shape[v!.shape.length - 2]!;
    const d = v!.shape[v!.shape.length - 1]!;
    launchNknApply(rt, M!, v!, out, N, d, transpose, M!.shape.length === 3, v!.shape.length === 3, f32bits(scale));
  },
  // out = s·B v: dv = s·Bᵀ g; dB[a, c] = s·g[a] v[c] (transposed: dB[a, c] = s·v[a] g[c]).
  // Sums over a batch that the primal itself carried (unbroadcast), keeping the cotangent's.
  vjp: ([M, v], _y, g, { scale, transpose }, [ms, vs], outShape) => {
    const batch = g.rank - outShape.length;
    const dv = apply(ops.apply, [M!, g], { scale, transpose: !transpose });
    const dM = apply(ops.outer, transpose ? [v!, g] : [g, v!], { scale });
    return [unbroadcast(dM, ms!, batch), unbroadcast(dv, vs!, batch)];
  },
  jvp: ([M, v], _y, [dM, dv], attrs) => addMaybe(dM ? apply(ops.apply, [dM, v!], attrs) : null, dv ? apply(ops.apply, [M!, dv], attrs) : null),
  samples: [
    { shapes: [[1, 1], [1, 1]], attrs: { scale: 1, transpose: false } },
    { shapes: [[3, 4], [3, 2]], attrs: { scale: 0.7, transpose: false } },
    { shapes: [[5, 9], [5, 3]], attrs: { scale: -1.3, transpose: true } },
    // d = 4 and 8: the kernels' vec4 path; d = 17: their loops (rows too long to unroll)
    { shapes: [[2, 16], [2, 4]], attrs: { scale: 0.25, transpose: false } },
    { shapes: [[3, 64], [3, 8]], attrs: { scale: 1.5, transpose: true } },
    { shapes: [[1, 289], [1, 17]], attrs: { scale: 0.5, transpose: false } },
    { shapes: [[1, 289], [1, 17]], attrs: { scale: 2, transpose: true } },
  ],
  rejects: [
    { shapes: [[3, 5], [3, 2]], attrs: { scale: 1, transpose: false }, message: /nknApply: M must be \[N, d²\] = \[3, 4\] for v \[N, d\] = \[3, 2\]; got M \[3, 5\], v \[3, 2\]/ },
    { shapes: [[4, 4], [3, 2]], attrs: { scale: 1, transpose: false }, message: /nknApply: M must be \[N, d²\] = \[3, 4\]/ },
    { shapes: [[2, 3, 4], [5, 3, 2]], attrs: { scale: 1, transpose: false }, message: /nknApply: the leading batch dimensions differ; got M \[2, 3, 4\], v \[5, 3, 2\]/ },
    { shapes: [[3, 4], [2]], attrs: { scale: 1, transpose: false }, message: /nknApply: v must be \[N, d\]/ },
  ],
}) as OpDef<ApplyAttrs>;

ops.outer = defineOp<{ scale: number }>({
  name: 'nknOuter',
  args: ['u', 'w'],
  saves: { inputs: true, output: false },
  shape: (shapes, attrs) => {
    checkAttrs('nknOuter', attrs);
    const { N, d, batch } = dims('nknOuter', shapes, ['u', 'w'], false);
    return batch === null ? [N, d * d] : [batch, N, d * d];
  },
  cpu: ([u, w], shapes, { scale }, outShape) => {
    const { N, d, xBatched, yBatched } = dims('nknOuter', shapes, ['u', 'w'], false);
    const B = outShape.length === 3 ? outShape[0]! : 1;
    const out = new Float64Array(B * N * d * d);
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < N; i++) {
        const u0 = ((xBatched ? b * N : 0) + i) * d;
        const w0 = ((yBatched ? b * N : 0) + i) * d;
        for (let a = 0; a < d; a++) for (let c = 0; c < d; c++) out[((b * N + i) * d + a) * d + c] = scale * u![u0 + a]! * w![w0 + c]!;
      }
    }
    return out;
  },
  gpu: (rt, [u, w], out, { scale }) => {
    const N = w!.shape[w!.shape.length - 2]!;
    const d = w!.shape[w!.shape.length - 1]!;
    launchNknOuter(rt, u!, w!, out, N, d, u!.shape.length === 3, w!.shape.length === 3, f32bits(scale));
  },
  // ⟨G, s·u wᵀ⟩ = ⟨s·G w, u⟩ = ⟨s·Gᵀ u, w⟩
  vjp: ([u, w], _y, G, { scale }, [us, ws], outShape) => {
    const batch = G.rank - outShape.length;
    const du = apply(ops.apply, [G, w!], { scale, transpose: false });
    const dw = apply(ops.apply, [G, u!], { scale, transpose: true });
    return [unbroadcast(du, us!, batch), unbroadcast(dw, ws!, batch)];
  },
  jvp: ([u, w], _y, [du, dw], attrs) => addMaybe(du ? apply(ops.outer, [du, w!], attrs) : null, dw ? apply(ops.outer, [u!, dw], attrs) : null),
  samples: [
    { shapes: [[1, 1], [1, 1]], attrs: { scale: 1 } },
    { shapes: [[3, 2], [3, 2]], attrs: { scale: 0.7 } },
    { shapes: [[5, 3], [5, 3]], attrs: { scale: -1.3 } },
    // d = 4 and 8: the kernel's vec4 path; d = 17: its loop
    { shapes: [[2, 4], [2, 4]], attrs: { scale: 0.25 } },
    { shapes: [[3, 8], [3, 8]], attrs: { scale: 1.5 } },
    { shapes: [[1, 17], [1, 17]], attrs: { scale: 2 } },
  ],
  rejects: [
    { shapes: [[3, 3], [3, 2]], attrs: { scale: 1 }, message: /nknOuter: u must be \[N, d\] = \[3, 2\] for w \[N, d\] = \[3, 2\]; got u \[3, 3\], w \[3, 2\]/ },
    { shapes: [[2, 3, 2], [4, 3, 2]], attrs: { scale: 1 }, message: /nknOuter: the leading batch dimensions differ/ },
  ],
}) as OpDef<{ scale: number }>;

/**
 * scale · B_i v_i for every node i, where row i of M [N, d²] holds the d×d matrix B_i row-major
 * (an MLP's output as it comes) and v is [N, d]; `transpose` applies B_iᵀ instead. One dispatch;
 * differentiable in M and v to any order.
 */
export interface NknApplyOptions {
  scale?: number;
  transpose?: boolean;
}
const APPLY_KEYS = optionKeys<NknApplyOptions>({ scale: true, transpose: true });
const OUTER_KEYS = optionKeys<{ scale?: number }>({ scale: true });

export function nknApply(M: Tensor, v: Tensor, opts: NknApplyOptions = {}): Tensor {
  if (!(M instanceof Tensor) || !(v instanceof Tensor)) throw new ArgumentError('nknApply: M and v must be Tensors');
  checkOptions('nknApply', opts, APPLY_KEYS);
  const scale = finiteNumber('nknApply', 'scale', opts.scale) ?? 1;
  return apply(ops.apply, [M, v], { scale, transpose: boolean('nknApply', 'transpose', opts.transpose) ?? false });
}

/** scale · u_i w_iᵀ for every node i, flattened row-major to [N, d²] (u, w [N, d]): the adjoint of nknApply in M. */
export function nknOuter(u: Tensor, w: Tensor, opts: { scale?: number } = {}): Tensor {
  if (!(u instanceof Tensor) || !(w instanceof Tensor)) throw new ArgumentError('nknOuter: u and w must be Tensors');
  checkOptions('nknOuter', opts, OUTER_KEYS);
  return apply(ops.outer, [u, w], { scale: finiteNumber('nknOuter', 'scale', opts.scale) ?? 1 });
}
