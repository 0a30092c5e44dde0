import { ArgumentError, ShapeError, fmtShape } from '../../engine/errors.js';
import type { Shape } from '../../engine/shape.js';
import type { Conv2dGeom } from '../../kernels/conv.js';

/** Normalized attributes of the convolution ops (PyTorch's semantics). */
export interface ConvAttrs {
  stride: [number, number];
  /** top, bottom, left, right */
  padding: [number, number, number, number];
  dilation: [number, number];
  groups: number;
}

/** The input gradient needs the input's size: a strided convolution drops rows and columns. */
export interface ConvInputGradAttrs extends ConvAttrs {
  inputSize: [number, number];
}

export interface ConvWeightGradAttrs extends ConvAttrs {
  kernelSize: [number, number];
}

export type Pair = number | readonly [number, number];
export type Padding = number | readonly [number, number] | readonly [number, number, number, number] | 'same' | 'valid';

/** Options shared by conv2d, its gradients and convTranspose2d. */
export interface ConvOptions {
  stride?: Pair;
  /** a number, [vertical, horizontal], [top, bottom, left, right], 'valid' (0) or 'same' (stride 1) */
  padding?: Padding;
  dilation?: Pair;
  groups?: number;
}

const isPosInt = (v: unknown) => Number.isInteger(v) && (v as number) > 0;
const isNatural = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
const show = (v: unknown) => (typeof v === 'string' ? `'${v}'` : JSON.stringify(v));

export function pairOf(op: string, name: string, v: Pair | undefined, dflt: number): [number, number] {
  const p: unknown[] = v === undefined ? [dflt, dflt] : typeof v === 'number' ? [v, v] : Array.isArray(v) ? v : [v];
  if (p.length !== 2 || !p.every(isPosInt)) {
    throw new ArgumentError(`${op}: ${name} must be a positive integer or two of them, got ${show(v)}`);
  }
  return p as [number, number];
}

/**
 * [top, bottom, left, right] from a number, a pair or four numbers; 'same' pads by
 * dilation·(k − 1) in total, the odd one at the bottom and right (as PyTorch).
 */
export function paddingOf(op: string, v: Padding | undefined, kernel: [number, number], dilation: [number, number], stride: [number, number]): [number, number, number, number] {
  if (v === 'valid' || v === undefined) return [0, 0, 0, 0];
  if (v === 'same') {
    if (stride[0] !== 1 || stride[1] !== 1) {
      throw new ArgumentError(`${op}: padding 'same' needs stride 1, got stride ${fmtShape(stride)}`);
    }
    const th = dilation[0] * (kernel[0] - 1);
    const tw = dilation[1] * (kernel[1] - 1);
    return [Math.floor(th / 2), th - Math.floor(th / 2), Math.floor(tw / 2), tw - Math.floor(tw / 2)];
  }
  const p: unknown[] = typeof v === 'number' ? [v, v, v, v] : Array.isArray(v) && v.length === 2 ? [v[0], v[0], v[1], v[1]] : Array.isArray(v) ? v : [v];
  if (p.length !== 4 || !p.every(isNatural)) {
    throw new ArgumentError(`${op}: padding must be a non-negative integer, [vertical, horizontal], [top, bottom, left, right], 'same' or 'valid', got ${show(v)}`);
  }
  return p as [number, number, number, number];
}

export function groupsOf(op: string, v: number | undefined): number {
  if (v === undefined) return 1;
  if (!isPosInt(v)) throw new ArgumentError(`${op}: groups must be a positive integer, got ${show(v)}`);
  return v;
}

/** Checks attributes that reach an op directly (not through the public functions). */
export function checkAttrs(op: string, a: ConvAttrs): void {
  pairOf(op, 'stride', a.stride, 1);
  pairOf(op, 'dilation', a.dilation, 1);
  groupsOf(op, a.groups);
  if (!Array.isArray(a.padding) || a.padding.length !== 4 || !a.padding.every(isNatural)) {
    throw new ArgumentError(`${op}: padding must be [top, bottom, left, right] of non-negative integers, got ${show(a.padding)}`);
  }
}

export function checkRank(op: string, arg: string, shape: Shape, layout: string): void {
  if (shape.length !== 4) throw new ShapeError(`${op}: ${arg} must have rank 4 (${layout}), got ${arg} ${fmtShape(shape)}`);
}

/** Output rows for `size` input rows; the kernel must fit in the padded input. */
function outSize(op: string, size: number, k: number, s: number, d: number, padA: number, padB: number, what: string): number {
  const span = d * (k - 1) + 1;
  const padded = size + padA + padB;
  if (span > padded) {
    throw new ShapeError(`${op}: the kernel (${what} ${k}, dilation ${d}: spans ${span}) is larger than the padded input (${size} + ${padA} + ${padB} = ${padded})`);
  }
  return Math.floor((padded - span) / s) + 1;
}

export interface ConvDims {
  n: number;
  c: number;
  o: number;
  h: number;
  w: number;
  kh: number;
  kw: number;
}

/**
 * The geometry of a convolution from its sizes, with the checks every conv op shares: channels
 * divisible by groups, the kernel inside the padded input. `shapes` names the arguments in
 * error messages.
 */
export function geometry(op: string, d: ConvDims, a: ConvAttrs, shapes: string): Conv2dGeom {
  checkAttrs(op, a);
  const g = a.groups;
  if (d.c % g !== 0) throw new ShapeError(`${op}: ${d.c} input channels are not divisible by groups ${g} (${shapes})`);
  if (d.o % g !== 0) throw new ShapeError(`${op}: ${d.o} output channels are not divisible by groups ${g} (${shapes})`);
  const [pt, pb, pl, pr] = a.padding;
  let ho: number;
  let wo: number;
  try {
    ho = outSize(op, d.h, d.kh, a.stride[0], a.dilation[0], pt, pb, 'height');
    wo = outSize(op, d.w, d.kw, a.stride[1], a.dilation[1], pl, pr, 'width');
  } catch (err) {
    if (err instanceof ShapeError) throw new ShapeError(`${err.message} (${shapes})`);
    throw err;
  }
  return {
    n: d.n, groups: g, cg: d.c / g, og: d.o / g, h: d.h, w: d.w, ho, wo, kh: d.kh, kw: d.kw,
    sh: a.stride[0], sw: a.stride[1], dh: a.dilation[0], dw: a.dilation[1], pt, pl,
  };
}

/** conv2d: x [N, C, H, W], w [O, C/groups, kh, kw]. */
export function convGeom(xs: Shape, ws: Shape, a: ConvAttrs, op = 'conv2d'): Conv2dGeom {
  checkRank(op, 'x', xs, 'N, C, H, W');
  checkRank(op, 'w', ws, 'O, C/groups, kh, kw');
  const names = `x ${fmtShape(xs)}, w ${fmtShape(ws)}`;
  const [n, c, h, w] = xs as [number, number, number, number];
  const [o, cg, kh, kw] = ws as [number, number, number, number];
  const geom = geometry(op, { n, c, o, h, w, kh, kw }, a, names);
  if (cg !== geom.cg) {
    throw new ShapeError(`${op}: w has ${cg} input channels per group but x has ${c} channels in ${a.groups} group(s), ${geom.cg} each (${names})`);
  }
  return geom;
}

/** conv2dInputGrad: g [N, O, ho, wo], w [O, C/groups, kh, kw], the input's size [H, W]. */
export function inputGradGeom(gs: Shape, ws: Shape, a: ConvInputGradAttrs, op = 'conv2dInputGrad'): Conv2dGeom {
  checkRank(op, 'g', gs, 'N, O, ho, wo');
  checkRank(op, 'w', ws, 'O, C/groups, kh, kw');
  const names = `g ${fmtShape(gs)}, w ${fmtShape(ws)}, input size ${fmtShape(a.inputSize ?? [])}`;
  if (!Array.isArray(a.inputSize) || a.inputSize.length !== 2 || !a.inputSize.every(isNatural)) {
    throw new ArgumentError(`${op}: inputSize must be [H, W] of non-negative integers, got ${show(a.inputSize)}`);
  }
  const [n, o, ho, wo] = gs as [number, number, number, number];
  const [o2, cg, kh, kw] = ws as [number, number, number, number];
  if (o !== o2) throw new ShapeError(`${op}: g has ${o} channels but w has ${o2} output channels (${names})`);
  const geom = geometry(op, { n, c: cg * a.groups, o, h: a.inputSize[0], w: a.inputSize[1], kh, kw }, a, names);
  if (geom.ho !== ho || geom.wo !== wo) {
    throw new ShapeError(`${op}: an input of size ${fmtShape(a.inputSize)} gives outputs of ${geom.ho}×${geom.wo}, but g is ${ho}×${wo} (${names})`);
  }
  return geom;
}

/** conv2dWeightGrad: x [N, C, H, W], g [N, O, ho, wo], the kernel's size [kh, kw]. */
export function weightGradGeom(xs: Shape, gs: Shape, a: ConvWeightGradAttrs, op = 'conv2dWeightGrad'): Conv2dGeom {
  checkRank(op, 'x', xs, 'N, C, H, W');
  checkRank(op, 'g', gs, 'N, O, ho, wo');
  const names = `x ${fmtShape(xs)}, g ${fmtShape(gs)}, kernel size ${fmtShape(a.kernelSize ?? [])}`;
  if (!Array.isArray(a.kernelSize) || a.kernelSize.length !== 2 || !a.kernelSize.every(isPosInt)) {
    throw new ArgumentError(`${op}: kernelSize must be [kh, kw] of positive integers, got ${show(a.kernelSize)}`);
  }
  const [n, c, h, w] = xs as [number, number, number, number];
  const [n2, o, ho, wo] = gs as [number, number, number, number];
  if (n !== n2) throw new ShapeError(`${op}: x and g differ in batch size (${names})`);
  const geom = geometry(op, { n, c, o, h, w, kh: a.kernelSize[0], kw: a.kernelSize[1] }, a, names);
  if (geom.ho !== ho || geom.wo !== wo) {
    throw new ShapeError(`${op}: x gives outputs of ${geom.ho}×${geom.wo}, but g is ${ho}×${wo} (${names})`);
  }
  return geom;
}

export const convOutShape = (g: Conv2dGeom): number[] => [g.n, g.groups * g.og, g.ho, g.wo];
export const convInShape = (g: Conv2dGeom): number[] => [g.n, g.groups * g.cg, g.h, g.w];
export const convWeightShape = (g: Conv2dGeom): number[] => [g.groups * g.og, g.cg, g.kh, g.kw];
