import { checkTensor } from '../../engine/args.js';
import { checkOptions, optionKeys } from '../../engine/options.js';
import { ArgumentError, ShapeError, fmtShape } from '../../engine/errors.js';
import { sizeOf } from '../../engine/shape.js';
import type { Tensor } from '../../engine/tensor.js';
import { launchConv2d, launchConv2dInputGrad, launchConv2dWeightGrad } from '../../kernels/conv.js';
import { apply, defineOp, type OpDef, type OpSample } from '../op.js';
import { add } from './arith.js';
import { addMaybe } from './elementwise.js';
import { reshape, transpose } from './shape.js';
import {
  convGeom, convInShape, convOutShape, convWeightShape, groupsOf, inputGradGeom, pairOf, paddingOf, weightGradGeom,
  type ConvAttrs, type ConvInputGradAttrs, type ConvOptions, type ConvWeightGradAttrs,
} from './conv-geometry.js';
import { cpuConv2d, cpuConv2dInputGrad, cpuConv2dWeightGrad } from './conv-reference.js';

export type { ConvOptions };

// Three bilinear ops close under differentiation. With y = conv(x, w) and the trilinear form
// T(g, x, w) = ⟨g, conv(x, w)⟩:  inputGrad(g, w) = ∂T/∂x  and  weightGrad(x, g) = ∂T/∂w.
// Each op's derivatives are the other two (or itself), so every rule below is written with
// these ops and differentiates again (conv-of-conv Hessian-vector products).

const SAVE_INPUTS = { inputs: true, output: false };

// ---------------------------------------------------------------- samples

/** Awkward configurations, shared by the three ops (each gets the shapes it takes). */
interface ConvCase {
  x: number[];
  w: number[];
  attrs: ConvAttrs;
}

function attrsOf(p: Partial<ConvAttrs>): ConvAttrs {
  return { stride: p.stride ?? [1, 1], padding: p.padding ?? [0, 0, 0, 0], dilation: p.dilation ?? [1, 1], groups: p.groups ?? 1 };
}

function convCases(): ConvCase[] {
  return [
    { x: [2, 3, 5, 5], w: [4, 3, 3, 3], attrs: attrsOf({ padding: [1, 1, 1, 1] }) },
    // stride 2 on odd sizes, uneven padding
    { x: [1, 2, 7, 5], w: [3, 2, 3, 3], attrs: attrsOf({ stride: [2, 2], padding: [1, 0, 1, 1] }) },
    { x: [1, 2, 7, 6], w: [2, 2, 3, 3], attrs: attrsOf({ dilation: [2, 2], padding: [2, 2, 1, 1] }) },
    { x: [2, 4, 5, 4], w: [6, 2, 3, 3], attrs: attrsOf({ groups: 2, padding: [1, 1, 1, 1] }) },
    // depthwise
    { x: [1, 3, 5, 5], w: [3, 1, 3, 3], attrs: attrsOf({ groups: 3, padding: [1, 1, 1, 1] }) },
    { x: [2, 5, 3, 3], w: [7, 5, 1, 1], attrs: attrsOf({}) },
    // a kernel larger than the input, inside the padded input
    { x: [1, 2, 3, 3], w: [2, 2, 5, 5], attrs: attrsOf({ padding: [2, 2, 2, 2] }) },
    // batch 1, asymmetric padding and stride, a rectangular kernel
    { x: [1, 3, 4, 6], w: [2, 3, 2, 3], attrs: attrsOf({ stride: [1, 2], padding: [0, 1, 2, 1] }) },
    // more output channels than one tile (17), channels not a multiple of 4 (5)
    { x: [1, 5, 4, 4], w: [17, 5, 3, 3], attrs: attrsOf({ padding: [1, 1, 1, 1] }) },
    // stride 3 with dilation and padding larger than the kernel's reach
    { x: [2, 2, 8, 7], w: [3, 2, 2, 2], attrs: attrsOf({ stride: [3, 2], dilation: [2, 3], padding: [3, 2, 4, 1] }) },
  ];
}

const convSamples = (): OpSample<ConvAttrs>[] => convCases().map((c) => ({ shapes: [c.x, c.w], attrs: c.attrs }));

/** The grad ops are checked on a subset: they share the kernels of the cases above. */
const GRAD_CASES = [0, 1, 2, 3, 4, 6, 7, 9];

function inputGradSamples(): OpSample<ConvInputGradAttrs>[] {
  return GRAD_CASES.map((i) => convCases()[i]!).map((c) => {
    const g = convGeom(c.x, c.w, c.attrs);
    return { shapes: [convOutShape(g), c.w], attrs: { ...c.attrs, inputSize: [c.x[2]!, c.x[3]!] as [number, number] } };
  });
}

function weightGradSamples(): OpSample<ConvWeightGradAttrs>[] {
  return GRAD_CASES.map((i) => convCases()[i]!).map((c) => {
    const g = convGeom(c.x, c.w, c.attrs);
    return { shapes: [c.x, convOutShape(g)], attrs: { ...c.attrs, kernelSize: [c.w[2]!, c.w[3]!] as [number, number] } };
  });
}

// ---------------------------------------------------------------- the three ops

const conv2dOp: OpDef<ConvAttrs> = defineOp<ConvAttrs>({
  name: 'conv2d',
  args: ['x', 'w'],
  saves: SAVE_INPUTS,
  shape: ([x, w], a) => convOutShape(convGeom(x!, w!, a)),
  cpu: ([x, w], [xs, ws], a) => cpuConv2d(x!, w!, convGeom(xs!, ws!, a)),
  gpu: (rt, [x, w], out, a) => launchConv2d(rt, x!, w!, out, convGeom(x!.shape, w!.shape, a)),
  vjp: ([x, w], _y, g, a, [xs, ws]) => [
    inputGradB(g, w!, { ...a, inputSize: [xs![2]!, xs![3]!] }),
    weightGradB(x!, g, { ...a, kernelSize: [ws![2]!, ws![3]!] }),
  ],
  jvp: ([x, w], _y, [dx, dw], a) => addMaybe(dx && convB(dx, w!, a), dw && convB(x!, dw, a)),
  samples: convSamples(),
  rejects: [
    { shapes: [[1, 3, 5, 5], [2, 1, 3, 3]], attrs: attrsOf({ groups: 2 }), message: /conv2d: 3 input channels are not divisible by groups 2 \(x \[1, 3, 5, 5\], w \[2, 1, 3, 3\]\)/ },
    { shapes: [[1, 4, 5, 5], [3, 2, 3, 3]], attrs: attrsOf({ groups: 2 }), message: /conv2d: 3 output channels are not divisible by groups 2 \(x \[1, 4, 5, 5\], w \[3, 2, 3, 3\]\)/ },
    { shapes: [[1, 1, 3, 3], [1, 1, 5, 5]], attrs: attrsOf({ padding: [1, 0, 1, 1] }), message: /conv2d: the kernel \(height 5, dilation 1: spans 5\) is larger than the padded input \(3 \+ 1 \+ 0 = 4\) \(x \[1, 1, 3, 3\], w \[1, 1, 5, 5\]\)/ },
    { shapes: [[1, 2, 7, 7], [1, 2, 3, 3]], attrs: attrsOf({ dilation: [1, 4] }), message: /conv2d: the kernel \(width 3, dilation 4: spans 9\) is larger than the padded input/ },
    { shapes: [[3, 5, 5], [2, 3, 3, 3]], attrs: attrsOf({}), message: /conv2d: x must have rank 4 \(N, C, H, W\), got x \[3, 5, 5\]/ },
    { shapes: [[1, 3, 5, 5], [2, 3, 3]], attrs: attrsOf({}), message: /conv2d: w must have rank 4 \(O, C\/groups, kh, kw\), got w \[2, 3, 3\]/ },
    { shapes: [[1, 4, 5, 5], [2, 3, 3, 3]], attrs: attrsOf({}), message: /conv2d: w has 3 input channels per group but x has 4 channels in 1 group\(s\), 4 each \(x \[1, 4, 5, 5\], w \[2, 3, 3, 3\]\)/ },
  ],
});

const inputGradOp: OpDef<ConvInputGradAttrs> = defineOp<ConvInputGradAttrs>({
  name: 'conv2dInputGrad',
  args: ['g', 'w'],
  saves: SAVE_INPUTS,
  shape: ([g, w], a) => convInShape(inputGradGeom(g!, w!, a)),
  cpu: ([g, w], [gs, ws], a) => cpuConv2dInputGrad(g!, w!, inputGradGeom(gs!, ws!, a)),
  gpu: (rt, [g, w], out, a) => launchConv2dInputGrad(rt, g!, w!, out, inputGradGeom(g!.shape, w!.shape, a)),
  // ⟨h, inputGrad(g, w)⟩ = T(g, h, w): ∂/∂g = conv(h, w), ∂/∂w = weightGrad(h, g)
  vjp: ([g, w], _y, h, a, [, ws]) => [convB(h, w!, convAttrs(a)), weightGradB(h, g!, { ...convAttrs(a), kernelSize: [ws![2]!, ws![3]!] })],
  jvp: ([g, w], _y, [dg, dw], a) => addMaybe(dg && inputGradB(dg, w!, a), dw && inputGradB(g!, dw, a)),
  samples: inputGradSamples(),
  rejects: [
    { shapes: [[1, 2, 5, 5], [3, 1, 3, 3]], attrs: { ...attrsOf({ padding: [1, 1, 1, 1] }), inputSize: [5, 5] }, message: /conv2dInputGrad: g has 2 channels but w has 3 output channels \(g \[1, 2, 5, 5\], w \[3, 1, 3, 3\], input size \[5, 5\]\)/ },
    { shapes: [[1, 2, 4, 5], [2, 1, 3, 3]], attrs: { ...attrsOf({ padding: [1, 1, 1, 1] }), inputSize: [5, 5] }, message: /conv2dInputGrad: an input of size \[5, 5\] gives outputs of 5×5, but g is 4×5/ },
    { shapes: [[1, 2, 5]], attrs: { ...attrsOf({}), inputSize: [5, 5] }, message: /conv2dInputGrad: g must have rank 4 \(N, O, ho, wo\), got g \[1, 2, 5\]/ },
  ],
});

const weightGradOp: OpDef<ConvWeightGradAttrs> = defineOp<ConvWeightGradAttrs>({
  name: 'conv2dWeightGrad',
  args: ['x', 'g'],
  saves: SAVE_INPUTS,
  shape: ([x, g], a) => convWeightShape(weightGradGeom(x!, g!, a)),
  cpu: ([x, g], [xs, gs], a) => cpuConv2dWeightGrad(x!, g!, weightGradGeom(xs!, gs!, a)),
  gpu: (rt, [x, g], out, a) => launchConv2dWeightGrad(rt, x!, g!, out, weightGradGeom(x!.shape, g!.shape, a)),
  // ⟨h, weightGrad(x, g)⟩ = T(g, x, h): ∂/∂x = inputGrad(g, h), ∂/∂g = conv(x, h)
  vjp: ([x, g], _y, h, a, [xs]) => [inputGradB(g!, h, { ...convAttrs(a), inputSize: [xs![2]!, xs![3]!] }), convB(x!, h, convAttrs(a))],
  jvp: ([x, g], _y, [dx, dg], a) => addMaybe(dx && weightGradB(dx, g!, a), dg && weightGradB(x!, dg, a)),
  samples: weightGradSamples(),
  rejects: [
    { shapes: [[2, 2, 5, 5], [1, 2, 5, 5]], attrs: { ...attrsOf({ padding: [1, 1, 1, 1] }), kernelSize: [3, 3] }, message: /conv2dWeightGrad: x and g differ in batch size \(x \[2, 2, 5, 5\], g \[1, 2, 5, 5\], kernel size \[3, 3\]\)/ },
    { shapes: [[1, 2, 5, 5], [1, 2, 4, 4]], attrs: { ...attrsOf({ padding: [1, 1, 1, 1] }), kernelSize: [3, 3] }, message: /conv2dWeightGrad: x gives outputs of 5×5, but g is 4×4/ },
  ],
});

function convAttrs(a: ConvAttrs): ConvAttrs {
  return { stride: a.stride, padding: a.padding, dilation: a.dilation, groups: a.groups };
}

// ---------------------------------------------------------------- batched calls
// Tangents and cotangents may carry leading batch dimensions (jacfwd, jacrev); the ops take
// exactly rank 4, so a batch is folded into the batch axis N when it rides on the image, and
// into the channels of a grouped convolution when it rides on the kernel (a kernel per batch
// element is a group per batch element). Each helper gets at most one batched argument from
// the rules, and handles both (groups · B) for completeness.

function lead(t: Tensor): { dims: number[]; b: number } {
  const dims = t.shape.slice(0, t.rank - 4);
  return { dims, b: sizeOf(dims) };
}

const dims4 = (t: Tensor) => t.shape.slice(t.rank - 4) as [number, number, number, number];

/** [..., N, K, H, W] → [N, B·K, H, W] (channels ordered (b, k)). */
function batchToChannels(t: Tensor, b: number): Tensor {
  const [n, k, h, w] = dims4(t);
  return reshape(transpose(reshape(t, [b, n, k, h, w]), [1, 0, 2, 3, 4]), [n, b * k, h, w]);
}

/** [N, B·K, H, W] (channels (b, k)) → [...lead, N, K, H, W]. */
function channelsToBatch(t: Tensor, lead: number[], b: number): Tensor {
  const [n, bk, h, w] = dims4(t);
  return reshape(transpose(reshape(t, [n, b, bk / b, h, w]), [1, 0, 2, 3, 4]), [...lead, n, bk / b, h, w]);
}

/**
 * [..., N, G·K, H, W] → [N, G·B·K, H, W]: the batch moved inside each group's channel block, so
 * that a convolution with `groups` sees one block per (group, batch element).
 */
function batchIntoGroups(t: Tensor, b: number, groups: number): Tensor {
  const [n, gk, h, w] = dims4(t);
  const k = gk / groups;
  return reshape(transpose(reshape(t, [b, n, groups, k, h, w]), [1, 2, 0, 3, 4, 5]), [n, groups * b * k, h, w]);
}

/** [N, G·B·K, H, W] → [...lead, N, G·K, H, W]: the inverse of batchIntoGroups. */
function groupsToBatch(t: Tensor, lead: number[], b: number, groups: number): Tensor {
  const [n, gbk, h, w] = dims4(t);
  const k = gbk / (groups * b);
  return reshape(transpose(reshape(t, [n, groups, b, k, h, w]), [2, 0, 1, 3, 4, 5]), [...lead, n, groups * k, h, w]);
}

/** Kernels [..., G·K, C, kh, kw] → [G·B·K, C, kh, kw] (a kernel per batch element, inside its group). */
function kernelsIntoGroups(w: Tensor, b: number, groups: number): Tensor {
  const [gk, c, kh, kw] = dims4(w);
  const k = gk / groups;
  return reshape(transpose(reshape(w, [b, groups, k, c, kh, kw]), [1, 0, 2, 3, 4, 5]), [groups * b * k, c, kh, kw]);
}

/** [G·B·K, C, kh, kw] → [...lead, G·K, C, kh, kw]. */
function groupsToKernels(w: Tensor, lead: number[], b: number, groups: number): Tensor {
  const [gbk, c, kh, kw] = dims4(w);
  const k = gbk / (groups * b);
  return reshape(transpose(reshape(w, [groups, b, k, c, kh, kw]), [1, 0, 2, 3, 4, 5]), [...lead, groups * k, c, kh, kw]);
}

/** conv2d with a batch on x or on w (or both). */
export function convB(x: Tensor, w: Tensor, a: ConvAttrs): Tensor {
  const lx = lead(x);
  const lw = lead(w);
  if (!lx.dims.length && !lw.dims.length) return apply(conv2dOp, [x, w], a);
  if (lx.dims.length && lw.dims.length) {
    // one grouped convolution: groups·B blocks
    const y = apply(conv2dOp, [batchToChannels(x, lx.b), reshape(w, [lx.b * dims4(w)[0], ...dims4(w).slice(1)])], { ...a, groups: a.groups * lx.b });
    return channelsToBatch(y, lx.dims, lx.b);
  }
  if (lx.dims.length) {
    const [n, ...rest] = dims4(x);
    const y = apply(conv2dOp, [reshape(x, [lx.b * n, ...rest]), w], a);
    return reshape(y, [...lx.dims, n, ...y.shape.slice(1)]);
  }
  const y = apply(conv2dOp, [x, kernelsIntoGroups(w, lw.b, a.groups)], a);
  return groupsToBatch(y, lw.dims, lw.b, a.groups);
}

/** conv2dInputGrad with a batch on g or on w (or both). */
export function inputGradB(g: Tensor, w: Tensor, a: ConvInputGradAttrs): Tensor {
  const lg = lead(g);
  const lw = lead(w);
  if (!lg.dims.length && !lw.dims.length) return apply(inputGradOp, [g, w], a);
  if (lg.dims.length && lw.dims.length) {
    const y = apply(inputGradOp, [batchToChannels(g, lg.b), reshape(w, [lg.b * dims4(w)[0], ...dims4(w).slice(1)])], { ...a, groups: a.groups * lg.b });
    return channelsToBatch(y, lg.dims, lg.b);
  }
  if (lg.dims.length) {
    const [n, ...rest] = dims4(g);
    const y = apply(inputGradOp, [reshape(g, [lg.b * n, ...rest]), w], a);
    return reshape(y, [...lg.dims, n, ...y.shape.slice(1)]);
  }
  // the batch of kernels goes into each kernel's input channels: [O, B·Cg, kh, kw]
  const [o, cg, kh, kw] = dims4(w);
  const wb = reshape(transpose(reshape(w, [lw.b, o, cg, kh, kw]), [1, 0, 2, 3, 4]), [o, lw.b * cg, kh, kw]);
  return groupsToBatch(apply(inputGradOp, [g, wb], a), lw.dims, lw.b, a.groups);
}

/** conv2dWeightGrad with a batch on x or on g (or both). */
export function weightGradB(x: Tensor, g: Tensor, a: ConvWeightGradAttrs): Tensor {
  const lx = lead(x);
  const lg = lead(g);
  if (!lx.dims.length && !lg.dims.length) return apply(weightGradOp, [x, g], a);
  if (lx.dims.length && lg.dims.length) {
    const y = apply(weightGradOp, [batchToChannels(x, lx.b), batchToChannels(g, lx.b)], { ...a, groups: a.groups * lx.b });
    const [bo, ...rest] = y.shape;
    return reshape(y, [...lx.dims, bo! / lx.b, ...rest]);
  }
  if (lx.dims.length) {
    // the batch goes into each group's input channels: the result is [O, B·Cg, kh, kw]
    const y = apply(weightGradOp, [batchIntoGroups(x, lx.b, a.groups), g], a);
    const [o, bcg, kh, kw] = y.shape as [number, number, number, number];
    return reshape(transpose(reshape(y, [o, lx.b, bcg / lx.b, kh, kw]), [1, 0, 2, 3, 4]), [...lx.dims, o, bcg / lx.b, kh, kw]);
  }
  const y = apply(weightGradOp, [x, batchIntoGroups(g, lg.b, a.groups)], a);
  return groupsToKernels(y, lg.dims, lg.b, a.groups);
}

// ---------------------------------------------------------------- public functions

const CONV2D_KEYS = optionKeys<Conv2dOptions>({ stride: true, padding: true, dilation: true, groups: true, bias: true });
const INPUT_GRAD_KEYS = optionKeys<ConvOptions & { inputSize: unknown }>({ stride: true, padding: true, dilation: true, groups: true, inputSize: true });
const WEIGHT_GRAD_KEYS = optionKeys<ConvOptions & { kernelSize: unknown }>({ stride: true, padding: true, dilation: true, groups: true, kernelSize: true });

function normalize(op: string, w: Tensor, opts: ConvOptions, kernel?: [number, number]): ConvAttrs {
  if (opts === null || typeof opts !== 'object') throw new ArgumentError(`${op}: options must be an object, got ${opts === null ? 'null' : typeof opts}`);
  checkTensor(op, op === 'conv2dWeightGrad' ? 'x' : 'w', w);
  const stride = pairOf(op, 'stride', opts.stride, 1);
  const dilation = pairOf(op, 'dilation', opts.dilation, 1);
  const k = kernel ?? (w.rank === 4 ? [w.shape[2]!, w.shape[3]!] : [1, 1]);
  return { stride, dilation, padding: paddingOf(op, opts.padding, k as [number, number], dilation, stride), groups: groupsOf(op, opts.groups) };
}

export interface Conv2dOptions extends ConvOptions {
  /** added to every output channel: shape [O] */
  bias?: Tensor | null;
}

/**
 * 2-D convolution (cross-correlation, as PyTorch's conv2d): x [N, C, H, W], w [O, C/groups, kh, kw]
 * → [N, O, ho, wo] with ho = ⌊(H + top + bottom − dilation·(kh − 1) − 1)/stride⌋ + 1.
 */
export function conv2d(x: Tensor, w: Tensor, opts: Conv2dOptions = {}): Tensor {
  checkOptions('conv2d', opts, CONV2D_KEYS);
  const y = apply(conv2dOp, [x, w], normalize('conv2d', w, opts));
  const bias = opts.bias;
  if (bias === undefined || bias === null) return y;
  if (bias.rank !== 1 || bias.shape[0] !== y.shape[1]) {
    throw new ShapeError(`conv2d: bias must have shape [${y.shape[1]}] (one value per output channel), got bias ${fmtShape(bias.shape)} for w ${fmtShape(w.shape)}`);
  }
  return add(y, reshape(bias, [bias.shape[0]!, 1, 1]));
}

/**
 * The gradient of conv2d with respect to its input, as an op: g [N, O, ho, wo], w → [N, C, H, W]
 * for an input of size inputSize = [H, W] (a transposed convolution).
 */
export function conv2dInputGrad(g: Tensor, w: Tensor, opts: ConvOptions & { inputSize: [number, number] }): Tensor {
  if (opts === undefined) throw new ArgumentError('conv2dInputGrad: options { inputSize, stride?, padding?, dilation?, groups? } are required');
  checkOptions('conv2dInputGrad', opts, INPUT_GRAD_KEYS);
  return apply(inputGradOp, [g, w], { ...normalize('conv2dInputGrad', w, opts), inputSize: opts.inputSize });
}

/** The gradient of conv2d with respect to its kernel: x [N, C, H, W], g [N, O, ho, wo] → [O, C/groups, kh, kw]. */
export function conv2dWeightGrad(x: Tensor, g: Tensor, opts: ConvOptions & { kernelSize: [number, number] }): Tensor {
  if (opts === undefined) throw new ArgumentError('conv2dWeightGrad: options { kernelSize, stride?, padding?, dilation?, groups? } are required');
  checkOptions('conv2dWeightGrad', opts, WEIGHT_GRAD_KEYS);
  const k = opts.kernelSize;
  return apply(weightGradOp, [x, g], { ...normalize('conv2dWeightGrad', x, opts, Array.isArray(k) ? k : undefined), kernelSize: k });
}

export interface ConvTranspose2dOptions {
  stride?: ConvOptions['stride'];
  /** number, [vertical, horizontal] or [top, bottom, left, right]: removed from the output */
  padding?: number | readonly [number, number] | readonly [number, number, number, number];
  /** extra rows and columns at the bottom and right, smaller than the stride (to pick among the output sizes a stride allows) */
  outputPadding?: number | readonly [number, number];
  dilation?: ConvOptions['dilation'];
  groups?: number;
  bias?: Tensor | null;
}

/**
 * Transposed convolution, PyTorch's conv_transpose2d: x [N, Cin, H, W], w [Cin, Cout/groups, kh, kw]
 * → [N, Cout, (H − 1)·stride − top − bottom + dilation·(kh − 1) + outputPadding + 1, …].
 * It is conv2dInputGrad with x as the gradient.
 */
const CONV_TRANSPOSE_KEYS = optionKeys<ConvTranspose2dOptions>({ stride: true, padding: true, outputPadding: true, dilation: true, groups: true, bias: true });

export function convTranspose2d(x: Tensor, w: Tensor, opts: ConvTranspose2dOptions = {}): Tensor {
  const op = 'convTranspose2d';
  checkOptions(op, opts, CONV_TRANSPOSE_KEYS);
  checkTensor(op, 'x', x);
  const a = normalize(op, w, { stride: opts.stride, padding: opts.padding, dilation: opts.dilation, groups: opts.groups });
  const op0 = opts.outputPadding ?? 0;
  const extra = typeof op0 === 'number' ? [op0, op0] : [...op0];
  if (extra.length !== 2 || !extra.every((v) => Number.isInteger(v) && v >= 0)) {
    throw new ArgumentError(`${op}: outputPadding must be a non-negative integer or two of them, got ${JSON.stringify(opts.outputPadding)}`);
  }
  if (x.rank !== 4 || w.rank !== 4) throw new ShapeError(`${op}: x and w must have rank 4, got x ${fmtShape(x.shape)}, w ${fmtShape(w.shape)}`);
  const size = (i: 0 | 1) => (x.shape[2 + i]! - 1) * a.stride[i] - a.padding[2 * i]! - a.padding[2 * i + 1]! + a.dilation[i] * (w.shape[2 + i]! - 1) + extra[i]! + 1;
  if (extra[0]! >= a.stride[0] || extra[1]! >= a.stride[1]) {
    throw new ArgumentError(`${op}: outputPadding ${fmtShape(extra)} must be smaller than the stride ${fmtShape(a.stride)}`);
  }
  const out: [number, number] = [size(0), size(1)];
  if (out[0] <= 0 || out[1] <= 0) {
    throw new ShapeError(`${op}: padding ${fmtShape(a.padding)} leaves no output (${out[0]}×${out[1]}) for x ${fmtShape(x.shape)}, w ${fmtShape(w.shape)}`);
  }
  const y = apply(inputGradOp, [x, w], { ...a, inputSize: out });
  const bias = opts.bias;
  if (bias === undefined || bias === null) return y;
  if (bias.rank !== 1 || bias.shape[0] !== y.shape[1]) {
    throw new ShapeError(`${op}: bias must have shape [${y.shape[1]}], got bias ${fmtShape(bias.shape)}`);
  }
  return add(y, reshape(bias, [bias.shape[0]!, 1, 1]));
}

