import { checkTensor } from '../../engine/args.js';
import { boolean, checkOptions, optionKeys } from '../../engine/options.js';
import { ArgumentError, ShapeError, fmtShape } from '../../engine/errors.js';
import { sizeOf, type Shape } from '../../engine/shape.js';
import type { Tensor } from '../../engine/tensor.js';
import { launchPool, type PoolGeom } from '../../kernels/pool.js';
import { apply, defineOp, type OpDef, type OpSample } from '../op.js';
import { pairOf, paddingOf, type Pair } from './conv-geometry.js';

// Pooling over the last two axes of [N, C, H, W] (axes in front are planes, which is also how
// derivative rules pass batches of tangents). maxPool2d's derivative routes to the first
// maximum of each window (scanning rows, then columns): two linear ops carry it, the gather
// maxPool2dSelect (forward mode) and its adjoint maxPool2dGrad (reverse mode), each the other's
// transpose, so that every rule is written with ops and differentiates again. avgPool2d is
// linear; its adjoint is avgPool2dGrad.

export interface PoolAttrs {
  kernel: [number, number];
  stride: [number, number];
  /** top, bottom, left, right; at most half the kernel on each side */
  padding: [number, number, number, number];
  /** avgPool2d: divide by the whole window (true, PyTorch's default) or by its part inside the input */
  countIncludePad: boolean;
}

interface PoolGradAttrs extends PoolAttrs {
  inputSize: [number, number];
}

const NONE = { inputs: false, output: false };

function poolGeom(op: string, h: number, w: number, a: PoolAttrs, shapes: string): PoolGeom {
  const [kh, kw] = pairOf(op, 'kernel', a.kernel, 1);
  const [sh, sw] = pairOf(op, 'stride', a.stride, 1);
  const p = a.padding;
  if (!Array.isArray(p) || p.length !== 4 || !p.every((v) => Number.isInteger(v) && v >= 0)) {
    throw new ArgumentError(`${op}: padding must be [top, bottom, left, right] of non-negative integers, got ${JSON.stringify(p)}`);
  }
  const [pt, pb, pl, pr] = p;
  if (pt > kh / 2 || pb > kh / 2 || pl > kw / 2 || pr > kw / 2) {
    throw new ArgumentError(`${op}: padding ${fmtShape(p)} must be at most half the kernel ${fmtShape([kh, kw])} on each side`);
  }
  if (kh > h + pt + pb || kw > w + pl + pr) {
    throw new ShapeError(`${op}: the kernel ${fmtShape([kh, kw])} is larger than the padded input ${h + pt + pb}×${w + pl + pr} (${shapes})`);
  }
  const ho = Math.floor((h + pt + pb - kh) / sh) + 1;
  const wo = Math.floor((w + pl + pr - kw) / sw) + 1;
  return { h, w, ho, wo, kh, kw, sh, sw, pt, pl, countIncludePad: a.countIncludePad !== false };
}

function rank4(op: string, arg: string, s: Shape): void {
  if (s.length < 4) throw new ShapeError(`${op}: ${arg} must have rank 4 (N, C, H, W), got ${arg} ${fmtShape(s)}`);
}

/** x [..., H, W] → geometry and the output shape [..., ho, wo]. */
function pooled(op: string, xs: Shape, a: PoolAttrs): { g: PoolGeom; out: number[] } {
  rank4(op, 'x', xs);
  const g = poolGeom(op, xs[xs.length - 2]!, xs[xs.length - 1]!, a, `x ${fmtShape(xs)}`);
  return { g, out: [...xs.slice(0, -2), g.ho, g.wo] };
}

/** t [..., x's shape] for the derivative ops: same trailing shape as `want`, any leading axes. */
function checkTrailing(op: string, arg: string, s: Shape, want: Shape, xs: Shape): void {
  const tail = s.slice(s.length - want.length);
  if (s.length < want.length || tail.join() !== want.join()) {
    throw new ShapeError(`${op}: ${arg} ${fmtShape(s)} must end with ${fmtShape(want)} (x ${fmtShape(xs)})`);
  }
}

const planesOf = (s: Shape) => sizeOf(s.slice(0, -2));

// ---------------------------------------------------------------- float64 references

/** index (in the plane) of the first maximum of x's window at (oy, ox); NaN wins */
function argmax(x: Float64Array, base: number, g: PoolGeom, oy: number, ox: number): number {
  let best = -Infinity;
  let at = -1;
  for (let ky = 0; ky < g.kh; ky++) {
    const iy = oy * g.sh + ky - g.pt;
    if (iy < 0 || iy >= g.h) continue;
    for (let kx = 0; kx < g.kw; kx++) {
      const ix = ox * g.sw + kx - g.pl;
      if (ix < 0 || ix >= g.w) continue;
      const v = x[base + iy * g.w + ix]!;
      if (at < 0 || v > best || (Number.isNaN(v) && !Number.isNaN(best))) {
        best = v;
        at = iy * g.w + ix;
      }
    }
  }
  return at;
}

/** Calls fn(plane, xPlane, oy, ox) over every window of every plane of the output. */
function forWindows(planes: number, xPlanes: number, g: PoolGeom, fn: (p: number, xp: number, oy: number, ox: number) => void): void {
  for (let p = 0; p < planes; p++) for (let oy = 0; oy < g.ho; oy++) for (let ox = 0; ox < g.wo; ox++) fn(p, p % xPlanes, oy, ox);
}

function windowSize(g: PoolGeom, oy: number, ox: number): number {
  if (g.countIncludePad) return g.kh * g.kw;
  const rows = Math.min(oy * g.sh - g.pt + g.kh, g.h) - Math.max(oy * g.sh - g.pt, 0);
  const cols = Math.min(ox * g.sw - g.pl + g.kw, g.w) - Math.max(ox * g.sw - g.pl, 0);
  return rows * cols;
}

function cpuMaxSelect(x: Float64Array, t: Float64Array, planes: number, xPlanes: number, g: PoolGeom): Float64Array {
  const out = new Float64Array(planes * g.ho * g.wo);
  forWindows(planes, xPlanes, g, (p, xp, oy, ox) => {
    out[(p * g.ho + oy) * g.wo + ox] = t[p * g.h * g.w + argmax(x, xp * g.h * g.w, g, oy, ox)]!;
  });
  return out;
}

function cpuMaxGrad(x: Float64Array, gy: Float64Array, planes: number, xPlanes: number, g: PoolGeom): Float64Array {
  const out = new Float64Array(planes * g.h * g.w);
  forWindows(planes, xPlanes, g, (p, xp, oy, ox) => {
    out[p * g.h * g.w + argmax(x, xp * g.h * g.w, g, oy, ox)] += gy[(p * g.ho + oy) * g.wo + ox]!;
  });
  return out;
}

function cpuAvg(x: Float64Array, planes: number, g: PoolGeom): Float64Array {
  const out = new Float64Array(planes * g.ho * g.wo);
  forWindows(planes, planes, g, (p, _xp, oy, ox) => {
    let acc = 0;
    for (let ky = 0; ky < g.kh; ky++) {
      const iy = oy * g.sh + ky - g.pt;
      for (let kx = 0; kx < g.kw; kx++) {
        const ix = ox * g.sw + kx - g.pl;
        if (iy >= 0 && iy < g.h && ix >= 0 && ix < g.w) acc += x[(p * g.h + iy) * g.w + ix]!;
      }
    }
    out[(p * g.ho + oy) * g.wo + ox] = acc / windowSize(g, oy, ox);
  });
  return out;
}

function cpuAvgGrad(gy: Float64Array, planes: number, g: PoolGeom): Float64Array {
  const out = new Float64Array(planes * g.h * g.w);
  forWindows(planes, planes, g, (p, _xp, oy, ox) => {
    const v = gy[(p * g.ho + oy) * g.wo + ox]! / windowSize(g, oy, ox);
    for (let ky = 0; ky < g.kh; ky++) {
      const iy = oy * g.sh + ky - g.pt;
      for (let kx = 0; kx < g.kw; kx++) {
        const ix = ox * g.sw + kx - g.pl;
        if (iy >= 0 && iy < g.h && ix >= 0 && ix < g.w) out[(p * g.h + iy) * g.w + ix] += v;
      }
    }
  });
  return out;
}

// ---------------------------------------------------------------- samples

function poolAttrs(kernel: number, stride: number, pad = 0, countIncludePad = true): PoolAttrs {
  return { kernel: [kernel, kernel], stride: [stride, stride], padding: [pad, pad, pad, pad], countIncludePad };
}

/** x shapes and attributes; the derivative ops reuse them (t and g get a leading batch axis in one). */
function poolCases(): { x: number[]; attrs: PoolAttrs }[] {
  return [
    { x: [2, 3, 4, 4], attrs: poolAttrs(2, 2) },
    { x: [1, 2, 7, 5], attrs: poolAttrs(3, 2, 1) },
    { x: [2, 1, 5, 6], attrs: poolAttrs(3, 1, 1, false) },
    { x: [1, 3, 5, 5], attrs: { kernel: [2, 3], stride: [1, 2], padding: [1, 0, 0, 1], countIncludePad: false } },
    { x: [1, 1, 3, 3], attrs: poolAttrs(3, 3) },
  ];
}

const outOf = (x: number[], a: PoolAttrs) => pooled('pool', x, a).out;

// ---------------------------------------------------------------- max pooling

const maxPoolOp: OpDef<PoolAttrs> = defineOp<PoolAttrs>({
  name: 'maxPool2d',
  args: ['x'],
  saves: { inputs: true, output: false },
  shape: ([x], a) => pooled('maxPool2d', x!, a).out,
  cpu: ([x], [xs], a) => {
    const { g } = pooled('maxPool2d', xs!, a);
    return cpuMaxSelect(x!, x!, planesOf(xs!), planesOf(xs!), g);
  },
  gpu: (rt, [x], out, a) => launchPool(rt, 'max', [x!], out, pooled('maxPool2d', x!.shape, a).g, planesOf(x!.shape), 'maxPool2d'),
  vjp: ([x], _y, g, a) => [apply(maxGradOp, [x!, g], { ...a, inputSize: inputSizeOf(x!) })],
  jvp: ([x], _y, [dx], a) => dx && apply(maxSelectOp, [x!, dx], a),
  samples: poolCases().map((c) => ({ shapes: [c.x], attrs: c.attrs, domain: 'real' })),
  rejects: [
    { shapes: [[2, 3, 4]], attrs: poolAttrs(2, 2), message: /maxPool2d: x must have rank 4 \(N, C, H, W\), got x \[2, 3, 4\]/ },
    { shapes: [[1, 1, 2, 2]], attrs: poolAttrs(3, 1), message: /maxPool2d: the kernel \[3, 3\] is larger than the padded input 2×2 \(x \[1, 1, 2, 2\]\)/ },
  ],
});

const inputSizeOf = (x: Tensor): [number, number] => [x.shape[x.rank - 2]!, x.shape[x.rank - 1]!];

/** y = t at the argmax of each of x's windows; t has x's shape after any leading axes. */
const maxSelectOp: OpDef<PoolAttrs> = defineOp<PoolAttrs>({
  name: 'maxPool2dSelect',
  args: ['x', 't'],
  nondiff: [0],
  saves: { inputs: true, output: false },
  shape: ([x, t], a) => {
    const { out } = pooled('maxPool2dSelect', x!, a);
    checkTrailing('maxPool2dSelect', 't', t!, x!, x!);
    return [...t!.slice(0, t!.length - x!.length), ...out];
  },
  cpu: ([x, t], [xs, ts], a) => cpuMaxSelect(x!, t!, planesOf(ts!), planesOf(xs!), pooled('maxPool2dSelect', xs!, a).g),
  gpu: (rt, [x, t], out, a) => launchPool(rt, 'maxSelect', [x!, t!], out, pooled('maxPool2dSelect', x!.shape, a).g, planesOf(x!.shape), 'maxPool2dSelect'),
  vjp: ([x], _y, h, a) => [null, apply(maxGradOp, [x!, h], { ...a, inputSize: inputSizeOf(x!) })],
  jvp: ([x], _y, [, dt], a) => dt && apply(maxSelectOp, [x!, dt], a),
  samples: poolCases().slice(0, 3).map((c, i): OpSample<PoolAttrs> => ({ shapes: [c.x, i === 1 ? [2, ...c.x] : c.x], attrs: c.attrs })),
  rejects: [{ shapes: [[1, 2, 4, 4], [1, 2, 4, 5]], attrs: poolAttrs(2, 2), message: /maxPool2dSelect: t \[1, 2, 4, 5\] must end with \[1, 2, 4, 4\] \(x \[1, 2, 4, 4\]\)/ }],
});

/** The adjoint of maxPool2dSelect: each window's g added at its argmax; g has the pooled shape after any leading axes. */
const maxGradOp: OpDef<PoolGradAttrs> = defineOp<PoolGradAttrs>({
  name: 'maxPool2dGrad',
  args: ['x', 'g'],
  nondiff: [0],
  saves: { inputs: true, output: false },
  shape: ([x, g], a) => {
    const { out } = pooled('maxPool2dGrad', x!, a);
    checkTrailing('maxPool2dGrad', 'g', g!, out, x!);
    return [...g!.slice(0, g!.length - x!.length), ...x!];
  },
  cpu: ([x, g], [xs, gs], a) => cpuMaxGrad(x!, g!, planesOf(gs!), planesOf(xs!), pooled('maxPool2dGrad', xs!, a).g),
  gpu: (rt, [x, g], out, a) => launchPool(rt, 'maxGrad', [x!, g!], out, pooled('maxPool2dGrad', x!.shape, a).g, planesOf(x!.shape), 'maxPool2dGrad'),
  vjp: ([x], _y, h, a) => [null, apply(maxSelectOp, [x!, h], poolOnly(a))],
  jvp: ([x], _y, [, dg], a) => dg && apply(maxGradOp, [x!, dg], a),
  samples: poolCases().slice(0, 3).map((c, i): OpSample<PoolGradAttrs> => {
    const out = outOf(c.x, c.attrs);
    return { shapes: [c.x, i === 2 ? [3, ...out] : out], attrs: { ...c.attrs, inputSize: [c.x[2]!, c.x[3]!] } };
  }),
  rejects: [{ shapes: [[1, 2, 4, 4], [1, 2, 3, 2]], attrs: { ...poolAttrs(2, 2), inputSize: [4, 4] }, message: /maxPool2dGrad: g \[1, 2, 3, 2\] must end with \[1, 2, 2, 2\] \(x \[1, 2, 4, 4\]\)/ }],
});

function poolOnly(a: PoolAttrs): PoolAttrs {
  return { kernel: a.kernel, stride: a.stride, padding: a.padding, countIncludePad: a.countIncludePad };
}

// ---------------------------------------------------------------- average pooling

const avgPoolOp: OpDef<PoolAttrs> = defineOp<PoolAttrs>({
  name: 'avgPool2d',
  args: ['x'],
  saves: NONE,
  shape: ([x], a) => pooled('avgPool2d', x!, a).out,
  cpu: ([x], [xs], a) => cpuAvg(x!, planesOf(xs!), pooled('avgPool2d', xs!, a).g),
  gpu: (rt, [x], out, a) => launchPool(rt, 'avg', [x!], out, pooled('avgPool2d', x!.shape, a).g, planesOf(x!.shape), 'avgPool2d'),
  vjp: (_x, _y, g, a, [xs]) => [apply(avgGradOp, [g], { ...a, inputSize: [xs![xs!.length - 2]!, xs![xs!.length - 1]!] })],
  jvp: (_x, _y, [dx], a) => dx && apply(avgPoolOp, [dx], a),
  samples: poolCases().map((c) => ({ shapes: [c.x], attrs: c.attrs })),
  rejects: [{ shapes: [[4, 4]], attrs: poolAttrs(2, 2), message: /avgPool2d: x must have rank 4 \(N, C, H, W\), got x \[4, 4\]/ }],
});

/** The adjoint of avgPool2d: g [..., ho, wo] → [..., H, W] for an input of size inputSize. */
const avgGradOp: OpDef<PoolGradAttrs> = defineOp<PoolGradAttrs>({
  name: 'avgPool2dGrad',
  args: ['g'],
  saves: NONE,
  shape: ([g], a) => {
    rank4('avgPool2dGrad', 'g', g!);
    const [h, w] = a.inputSize;
    const geom = poolGeom('avgPool2dGrad', h, w, a, `g ${fmtShape(g!)}, input size ${fmtShape(a.inputSize)}`);
    if (geom.ho !== g![g!.length - 2] || geom.wo !== g![g!.length - 1]) {
      throw new ShapeError(`avgPool2dGrad: an input of size ${fmtShape(a.inputSize)} pools to ${geom.ho}×${geom.wo}, but g is ${fmtShape(g!)}`);
    }
    return [...g!.slice(0, -2), h, w];
  },
  cpu: ([g], [gs], a) => cpuAvgGrad(g!, planesOf(gs!), poolGeom('avgPool2dGrad', a.inputSize[0], a.inputSize[1], a, '')),
  gpu: (rt, [g], out, a) => launchPool(rt, 'avgGrad', [g!], out, poolGeom('avgPool2dGrad', a.inputSize[0], a.inputSize[1], a, ''), planesOf(g!.shape), 'avgPool2dGrad'),
  vjp: (_g, _y, h, a) => [apply(avgPoolOp, [h], poolOnly(a))],
  jvp: (_g, _y, [dg], a) => dg && apply(avgGradOp, [dg], a),
  samples: poolCases().map((c) => ({ shapes: [outOf(c.x, c.attrs)], attrs: { ...c.attrs, inputSize: [c.x[2]!, c.x[3]!] as [number, number] } })),
  rejects: [{ shapes: [[1, 1, 3, 3]], attrs: { ...poolAttrs(2, 2), inputSize: [4, 4] }, message: /avgPool2dGrad: an input of size \[4, 4\] pools to 2×2, but g is \[1, 1, 3, 3\]/ }],
});

// ---------------------------------------------------------------- public functions

export interface PoolOptions {
  kernel: Pair;
  /** default: the kernel (non-overlapping windows) */
  stride?: Pair;
  /** a number, [vertical, horizontal] or [top, bottom, left, right]; at most half the kernel */
  padding?: number | readonly [number, number] | readonly [number, number, number, number];
}

const POOL_KEYS = optionKeys<PoolOptions>({ kernel: true, stride: true, padding: true });
const AVG_POOL_KEYS = optionKeys<PoolOptions & { countIncludePad?: boolean }>({ kernel: true, stride: true, padding: true, countIncludePad: true });

function poolAttrsOf(op: string, x: Tensor, opts: PoolOptions, countIncludePad = true): PoolAttrs {
  if (opts === null || typeof opts !== 'object') throw new ArgumentError(`${op}: options { kernel, stride?, padding? } are required, got ${opts === null ? 'null' : typeof opts}`);
  checkOptions(op, opts, op === 'avgPool2d' ? AVG_POOL_KEYS : POOL_KEYS);
  checkTensor(op, 'x', x);
  if (x.rank !== 4) throw new ShapeError(`${op}: x must have rank 4 (N, C, H, W), got x ${fmtShape(x.shape)}`);
  const kernel = pairOf(op, 'kernel', opts.kernel, 0);
  const stride = opts.stride === undefined ? kernel : pairOf(op, 'stride', opts.stride, 1);
  return { kernel, stride, padding: paddingOf(op, opts.padding, kernel, [1, 1], stride), countIncludePad };
}

/**
 * Max pooling over x [N, C, H, W] (padding counts as −∞). The gradient goes to the first maximum
 * of each window, scanning rows then columns (ties: the first one; NaN propagates, as in PyTorch).
 */
export function maxPool2d(x: Tensor, opts: PoolOptions): Tensor {
  return apply(maxPoolOp, [x], poolAttrsOf('maxPool2d', x, opts));
}

/** Average pooling over x [N, C, H, W]; countIncludePad (default true) divides by the whole window. */
export function avgPool2d(x: Tensor, opts: PoolOptions & { countIncludePad?: boolean }): Tensor {
  return apply(avgPoolOp, [x], poolAttrsOf('avgPool2d', x, opts, boolean('avgPool2d', 'countIncludePad', opts?.countIncludePad) ?? true));
}
