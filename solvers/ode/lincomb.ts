import { apply, defineOp, type OpDef } from '../../autodiff/op.js';
import { ShapeError, fmtShape } from '../../engine/errors.js';
import { sameShape, sizeOf } from '../../engine/shape.js';
import type { Tensor } from '../../engine/tensor.js';
import type { GpuArg, GpuRuntime } from '../../engine/webgpu/runtime.js';
import { WG, bindings, f32bits, flatIndex, mainSignature } from '../../kernels/wgsl.js';

/**
 * At most this many tensors per combination: with the parameters and the output that is the
 * 8 storage buffers per shader stage every WebGPU device offers. Longer sums are chained.
 */
export const MAX_TERMS = 6;

interface LincombAttrs {
  /** one weight per input */
  coefs: number[];
}

const ARGS = Array.from({ length: MAX_TERMS }, (_, i) => `xs[${i}]`);

const VEC_WG = 64;

/**
 * out[i] = c₀·x₀[i] + c₁·x₁[i] + … in one pass, summed left to right. The weights are
 * parameters (bit patterns at binding 0), not part of the source: one pipeline per number of
 * terms, whatever the step size. Sizes divisible by 4 go through vec4 loads (streaming kernels
 * on a software driver ran about twice as fast that way), 64 threads a workgroup so that a
 * batch of states still spreads over enough workgroups for every core.
 */
function lincombWgsl(n: number, vec4: boolean): string {
  const sum = Array.from({ length: n }, (_, k) => `bitcast<f32>(params[${k + 1}]) * in${k}[i]`).join(' + ');
  if (!vec4) {
    return `${bindings(n)}
${mainSignature} {
  ${flatIndex}
  if (i >= params[0]) { return; }
  out[i] = ${sum};
}`;
  }
  const decl = Array.from({ length: n }, (_, k) => `@group(0) @binding(${k + 1}) var<storage, read> in${k}: array<vec4<f32>>;`).join('\n');
  return `@group(0) @binding(0) var<storage, read> params: array<u32>;
${decl}
@group(0) @binding(${n + 1}) var<storage, read_write> out: array<vec4<f32>>;
@compute @workgroup_size(${VEC_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * ${VEC_WG}u;
  if (i >= params[0]) { return; }
  out[i] = ${sum};
}`;
}

function launchLincomb(rt: GpuRuntime, xs: GpuArg[], out: GpuArg, coefs: number[]): void {
  const vec4 = out.size % 4 === 0;
  const n = vec4 ? out.size / 4 : out.size;
  rt.dispatch({
    wgsl: lincombWgsl(xs.length, vec4),
    inputs: xs.map((x) => x.buffer),
    outputs: [out.buffer],
    params: [n, ...coefs.map(f32bits)],
    workgroups: rt.grid(n, vec4 ? VEC_WG : WG),
    label: 'lincomb',
  });
}

/**
 * A weighted sum of same-shape tensors with number weights: a Runge–Kutta stage input
 * y + h·Σ aᵢⱼkⱼ or a step y + h·Σ bᵢkᵢ as one kernel instead of a multiply and an add per term.
 */
const lincombOp: OpDef<LincombAttrs> = defineOp<LincombAttrs>({
  name: 'lincomb',
  args: ARGS,
  saves: { inputs: false, output: false },
  shape: (shapes, { coefs }) => {
    if (shapes.length === 0 || shapes.length > MAX_TERMS) throw new ShapeError(`lincomb: xs must hold 1 to ${MAX_TERMS} tensors, got ${shapes.length}`);
    if (!Array.isArray(coefs) || coefs.length !== shapes.length || !coefs.every((c) => typeof c === 'number' && Number.isFinite(c))) {
      throw new ShapeError(`lincomb: coefs must be ${shapes.length} finite number(s), one per tensor, got ${JSON.stringify(coefs)}`);
    }
    shapes.forEach((s, i) => {
      if (!sameShape(s, shapes[0]!)) throw new ShapeError(`lincomb: xs[${i}] ${fmtShape(s)} does not match xs[0] ${fmtShape(shapes[0]!)}`);
    });
    return shapes[0]!;
  },
  cpu: (xs, _shapes, { coefs }, outShape) => {
    const out = new Float64Array(sizeOf(outShape));
    for (let i = 0; i < out.length; i++) {
      let acc = coefs[0]! * xs[0]![i]!;
      for (let k = 1; k < xs.length; k++) acc += coefs[k]! * xs[k]![i]!;
      out[i] = acc;
    }
    return out;
  },
  gpu: (rt, xs, out, { coefs }) => launchLincomb(rt, xs, out, coefs),
  elementwise: { expr: ({ coefs }) => coefs.map((_, k) => `p${k} * ${'abcdef'[k]}`).join(' + '), params: ({ coefs }) => coefs },
  vjp: (_xs, _y, g, { coefs }) => coefs.map((c) => (c === 1 ? g : lincomb([g], [c]))),
  jvp: (_xs, _y, tangents, { coefs }) => {
    const live = tangents.flatMap((t, i) => (t ? [i] : []));
    return live.length ? apply(lincombOp, live.map((i) => tangents[i]!), { coefs: live.map((i) => coefs[i]!) }) : null;
  },
  samples: [
    { shapes: [[7]], attrs: { coefs: [0.5] } },
    { shapes: [[3, 5], [3, 5]], attrs: { coefs: [1, -0.25] } },
    { shapes: [[2, 3, 17], [2, 3, 17], [2, 3, 17]], attrs: { coefs: [1, 2 / 3, -1.5] } },
    { shapes: [[1], [1], [1], [1], [1], [1]], attrs: { coefs: [1, 0.1, -0.2, 0.3, -0.4, 0.5] } },
    { shapes: [[], []], attrs: { coefs: [2, 3] } },
  ],
  rejects: [
    { shapes: [[3], [4]], attrs: { coefs: [1, 1] }, message: /lincomb: xs\[1\] \[4\] does not match xs\[0\] \[3\]/ },
    { shapes: [[3]], attrs: { coefs: [1, 2] }, message: /lincomb: coefs must be 1 finite number\(s\), one per tensor, got \[1,2\]/ },
  ],
});

/** Σ coefs[k]·xs[k] for same-shape tensors, chained in groups of MAX_TERMS. */
export function lincomb(xs: Tensor[], coefs: number[]): Tensor {
  let acc = apply(lincombOp, xs.slice(0, MAX_TERMS), { coefs: coefs.slice(0, MAX_TERMS) });
  for (let k = MAX_TERMS; k < xs.length; k += MAX_TERMS - 1) {
    acc = apply(lincombOp, [acc, ...xs.slice(k, k + MAX_TERMS - 1)], { coefs: [1, ...coefs.slice(k, k + MAX_TERMS - 1)] });
  }
  return acc;
}
