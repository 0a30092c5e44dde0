import { broadcastShapes, broadcastStrides, sizeOf, type Shape } from '../../engine/shape.js';
import type { Tensor } from '../../engine/tensor.js';
import { launchElementwise } from '../../kernels/elementwise.js';
import { launchUnaryAttrs } from '../../kernels/unary-attrs.js';
import { apply, defineOp, type MaybeTensor, type OpDef, type OpSample, type TensorOrNumber } from '../op.js';
import { mul, neg, add } from './arith.js';
import { unbroadcast } from './shape.js';

/** float64 reference of a broadcasting elementwise map: plain loops over output indices. */
export function cpuMap(fn: (...v: number[]) => number, inputs: Float64Array[], shapes: Shape[], outShape: Shape): Float64Array {
  const n = sizeOf(outShape);
  const out = new Float64Array(n);
  const strides = shapes.map((s) => broadcastStrides(s, outShape));
  const idx = new Array<number>(outShape.length).fill(0);
  const vals = new Array<number>(inputs.length);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < inputs.length; k++) {
      let off = 0;
      for (let d = 0; d < idx.length; d++) off += idx[d]! * strides[k]![d]!;
      vals[k] = inputs[k]![off]!;
    }
    out[i] = fn(...vals);
    for (let d = idx.length - 1; d >= 0; d--) {
      if (++idx[d]! < outShape[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** A partial derivative: a tensor, or a constant 0 / ±1 (no multiply needed). */
export type Partial = Tensor | 0 | 1 | -1;

export function times(t: Tensor, p: Partial): MaybeTensor {
  return p === 0 ? null : p === 1 ? t : p === -1 ? neg(t) : mul(t, p);
}

// Op files import each other (rules use ops); the factories below use only hoisted functions
// so that they work whichever op file is evaluated first.
function unarySamples(): number[][] {
  return [[1], [7], [3, 5], [2, 3, 17]];
}

/**
 * An elementwise op of one input, with its derivative f'(x) written with ops: vjp is g·f'(x)
 * and jvp is dx·f'(x).
 */
export function defineUnary(spec: {
  name: string;
  wgsl: string;
  cpu: (x: number) => number;
  deriv: (x: Tensor, y: Tensor) => Partial;
  domain?: OpSample<undefined>['domain'];
  saves?: OpDef['saves'];
}): (x: TensorOrNumber) => Tensor {
  const op: OpDef = defineOp({
    name: spec.name,
    args: ['x'],
    broadcasting: true,
    saves: spec.saves,
    shape: ([x]) => x!,
    cpu: ([x], [s], _a, outShape) => cpuMap(spec.cpu, [x!], [s!], outShape),
    gpu: (rt, [x], out) => launchElementwise(rt, spec.name, spec.wgsl, [x!], out),
    elementwise: { wgsl: spec.wgsl },
    vjp: ([x], y, g) => [times(g, spec.deriv(x!, y))],
    jvp: ([x], y, [dx]) => dx && times(dx, spec.deriv(x!, y)),
    samples: unarySamples().map((s) => ({ shapes: [s], attrs: undefined, domain: spec.domain })),
  });
  return (x) => apply(op, [x], undefined);
}

function binarySamples(): number[][][] {
  return [[[7], [7]], [[3, 4], [3, 4]], [[3, 4], [4]], [[2, 1, 5], [3, 1]], [[], [6]], [[5, 1], []], [[1], [2, 3]]];
}

/** An elementwise op of two broadcasting inputs, with its partial derivatives written with ops. */
export function defineBinary(spec: {
  name: string;
  wgsl: string;
  cpu: (a: number, b: number) => number;
  partials: (a: Tensor, b: Tensor, y: Tensor) => [Partial, Partial];
  domain?: OpSample<undefined>['domain'];
  saves?: OpDef['saves'];
}): (a: TensorOrNumber, b: TensorOrNumber) => Tensor {
  const op: OpDef = defineOp({
    name: spec.name,
    args: ['a', 'b'],
    broadcasting: true,
    saves: spec.saves,
    shape: ([a, b]) => broadcastShapes(spec.name, [a!, b!], ['a', 'b']),
    cpu: (xs, shapes, _a, outShape) => cpuMap(spec.cpu, xs, shapes, outShape),
    gpu: (rt, xs, out) => launchElementwise(rt, spec.name, spec.wgsl, xs, out),
    elementwise: { wgsl: spec.wgsl },
    vjp: ([a, b], y, g, _a, shapes, outShape) => {
      const batch = g.rank - outShape.length;
      const [pa, pb] = spec.partials(a!, b!, y);
      const ga = times(g, pa);
      const gb = times(g, pb);
      return [ga && unbroadcast(ga, shapes[0]!, batch), gb && unbroadcast(gb, shapes[1]!, batch)];
    },
    jvp: ([a, b], y, [da, db]) => {
      const [pa, pb] = spec.partials(a!, b!, y);
      return addMaybe(da && times(da, pa), db && times(db, pb));
    },
    samples: binarySamples().map((shapes) => ({ shapes, attrs: undefined, domain: spec.domain })),
    rejects: [
      { shapes: [[3], [4]], attrs: undefined, message: new RegExp(`${spec.name}: shapes do not broadcast: a \\[3\\], b \\[4\\]`) },
      { shapes: [[2, 3], [3, 2]], attrs: undefined, message: new RegExp(`${spec.name}: .*a \\[2, 3\\], b \\[3, 2\\]`) },
    ],
  });
  return (a, b) => apply(op, [a, b], undefined);
}

export function addMaybe(a: MaybeTensor, b: MaybeTensor): MaybeTensor {
  return a && b ? add(a, b) : a ?? b;
}

/**
 * An elementwise op of one input with numeric attributes (a slope, clip bounds): `params` lists
 * them in the order the WGSL expression reads them (p0, p1, …), `check` rejects bad values.
 */
export function defineUnaryAttrs<A>(spec: {
  name: string;
  wgsl: string;
  params: (attrs: A) => number[];
  cpu: (x: number, attrs: A) => number;
  deriv: (x: Tensor, y: Tensor, attrs: A) => Partial;
  check?: (attrs: A) => void;
  samples: { attrs: A; domain?: OpSample<A>['domain'] }[];
  saves?: OpDef['saves'];
}): OpDef<A> {
  return defineOp<A>({
    name: spec.name,
    args: ['x'],
    broadcasting: true,
    saves: spec.saves,
    shape: ([x], attrs) => (spec.check?.(attrs), x!),
    cpu: ([x], _s, attrs) => x!.map((v) => spec.cpu(v, attrs)),
    gpu: (rt, [x], out, attrs) => launchUnaryAttrs(rt, spec.name, spec.wgsl, x!, out, spec.params(attrs)),
    elementwise: { wgsl: spec.wgsl, params: spec.params },
    vjp: ([x], y, g, attrs) => [times(g, spec.deriv(x!, y, attrs))],
    jvp: ([x], y, [dx], attrs) => dx && times(dx, spec.deriv(x!, y, attrs)),
    samples: spec.samples.flatMap(({ attrs, domain }) => unarySamples().map((s) => ({ shapes: [s], attrs, domain }))),
  });
}

/**
 * An elementwise op of three broadcasting inputs. Its rules see the inputs, the output and the
 * cotangent (or tangents, padded to the output's rank); `vjp` returns cotangents of the
 * broadcast shape, which are summed down to each input's shape here.
 */
export function defineTernary(spec: {
  name: string;
  args: [string, string, string];
  wgsl: string;
  cpu: (a: number, b: number, c: number) => number;
  vjp: (xs: Tensor[], y: Tensor, g: Tensor) => MaybeTensor[];
  jvp: (xs: Tensor[], y: Tensor, tangents: MaybeTensor[]) => MaybeTensor;
  nondiff?: number[];
  saves?: OpDef['saves'];
  samples: OpSample<undefined>[];
}): (a: TensorOrNumber, b: TensorOrNumber, c: TensorOrNumber) => Tensor {
  const op: OpDef = defineOp({
    name: spec.name,
    args: spec.args,
    broadcasting: true,
    nondiff: spec.nondiff,
    saves: spec.saves,
    shape: (shapes) => broadcastShapes(spec.name, shapes, spec.args),
    cpu: (xs, shapes, _a, outShape) => cpuMap(spec.cpu, xs, shapes, outShape),
    gpu: (rt, xs, out) => launchElementwise(rt, spec.name, spec.wgsl, xs, out),
    elementwise: { wgsl: spec.wgsl },
    vjp: (xs, y, g, _a, shapes, outShape) => {
      const batch = g.rank - outShape.length;
      return spec.vjp(xs, y, g).map((gi, i) => gi && unbroadcast(gi, shapes[i]!, batch));
    },
    jvp: (xs, y, ts) => spec.jvp(xs, y, ts),
    samples: spec.samples,
    rejects: [
      {
        shapes: [[3], [4], [3]], attrs: undefined,
        message: new RegExp(`${spec.name}: shapes do not broadcast: ${spec.args[0]} \\[3\\], ${spec.args[1]} \\[4\\], ${spec.args[2]} \\[3\\]`),
      },
    ],
  });
  return (a, b, c) => apply(op, [a, b, c], undefined);
}
