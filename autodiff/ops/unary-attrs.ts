import { ArgumentError } from '../../engine/errors.js';
import { asPublic } from '../../engine/args.js';
import type { Tensor } from '../../engine/tensor.js';
import { apply, type TensorOrNumber } from '../op.js';
import { exp, mul } from './arith.js';
import { minimum } from './binary-more.js';
import { heaviside } from './activation.js';
import { defineUnaryAttrs } from './elementwise.js';
import { where } from './select.js';

const INPUT = { inputs: true, output: false };

function checkFinite(op: string, what: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ArgumentError(`${op}: ${what} must be a finite number, got ${String(v)}`);
}

// ---------------------------------------------------------------- pow with a number exponent

const powScalarOp = defineUnaryAttrs<{ p: number }>({
  name: 'powScalar',
  wgsl: 'safe_pow(a, p0)',
  params: ({ p }) => [p],
  cpu: (x, { p }) => Math.pow(x, p),
  check: ({ p }) => checkFinite('pow', 'the exponent', p),
  // d/dx xᵖ = p·xᵖ⁻¹, again a power: every derivative is one more op
  deriv: (x, _y, { p }) => (p === 0 ? 0 : p === 1 ? 1 : mul(powScalar(x, p - 1), p)),
  saves: INPUT,
  samples: [
    { attrs: { p: 2 } },
    { attrs: { p: 3 } },
    { attrs: { p: 0.5 }, domain: 'positive' },
    { attrs: { p: -1.5 }, domain: 'positive' },
  ],
});

/** xᵖ for a number p (negative x with an integer p keeps its sign; 0⁰ = 1). */
export const powScalar = (x: TensorOrNumber, p: number): Tensor => asPublic('powScalar', () => apply(powScalarOp, [x], { p }));

// ---------------------------------------------------------------- activations with a parameter

const leakyReluOp = defineUnaryAttrs<{ alpha: number }>({
  name: 'leakyRelu',
  wgsl: 'select(p0 * a, a, a > 0.0)',
  params: ({ alpha }) => [alpha],
  cpu: (x, { alpha }) => (x > 0 ? x : alpha * x),
  check: ({ alpha }) => checkFinite('leakyRelu', 'alpha', alpha),
  // 1 for x > 0, alpha for x ≤ 0 (the left derivative at the kink)
  deriv: (x, _y, { alpha }) => where(heaviside(x), 1, alpha),
  saves: INPUT,
  samples: [{ attrs: { alpha: 0.01 }, domain: 'awayFromZero' }, { attrs: { alpha: -0.5 }, domain: 'awayFromZero' }],
});

/** x for x > 0, alpha·x otherwise (alpha = 0.01 by default). */
export const leakyRelu = (x: TensorOrNumber, alpha = 0.01): Tensor => apply(leakyReluOp, [x], { alpha });

const eluOp = defineUnaryAttrs<{ alpha: number }>({
  name: 'elu',
  // exp of min(x, 0): the branch not taken never overflows
  wgsl: 'select(p0 * (exp(min(a, 0.0)) - 1.0), a, a > 0.0)',
  params: ({ alpha }) => [alpha],
  cpu: (x, { alpha }) => (x > 0 ? x : alpha * Math.expm1(x)),
  check: ({ alpha }) => checkFinite('elu', 'alpha', alpha),
  // 1 for x > 0, alpha·eˣ for x ≤ 0 (the left derivative at the kink); eˣ from x, not as y + alpha
  // (which cancels for x ≪ 0), of min(x, 0) so that the branch not taken stays finite
  deriv: (x, _y, { alpha }) => where(heaviside(x), 1, mul(exp(minimum(x, 0)), alpha)),
  saves: INPUT,
  samples: [{ attrs: { alpha: 1 }, domain: 'awayFromZero' }, { attrs: { alpha: 0.3 }, domain: 'awayFromZero' }],
});

/** x for x > 0, alpha·(eˣ − 1) otherwise (alpha = 1 by default). */
export const elu = (x: TensorOrNumber, alpha = 1): Tensor => apply(eluOp, [x], { alpha });

// ---------------------------------------------------------------- clip

interface ClipAttrs {
  lo: number;
  hi: number;
}

function checkBounds(op: string, { lo, hi }: ClipAttrs): void {
  if (typeof lo !== 'number' || typeof hi !== 'number' || Number.isNaN(lo) || Number.isNaN(hi) || lo > hi) {
    throw new ArgumentError(`${op}: bounds must be numbers with lo ≤ hi, got lo = ${String(lo)}, hi = ${String(hi)}`);
  }
}

/** 1 where lo ≤ x ≤ hi, else 0: clip's derivative (itself of zero derivative). */
const clipMaskOp = defineUnaryAttrs<ClipAttrs>({
  name: 'clipMask',
  wgsl: 'select(0.0, 1.0, a >= p0 && a <= p1)',
  params: ({ lo, hi }) => [lo, hi],
  cpu: (x, { lo, hi }) => (x >= lo && x <= hi ? 1 : 0),
  check: (a) => checkBounds('clip', a),
  deriv: () => 0,
  saves: { inputs: false, output: false },
  samples: [{ attrs: { lo: -0.5, hi: 0.7 } }],
});

const clipOp = defineUnaryAttrs<ClipAttrs>({
  name: 'clip',
  wgsl: 'clamp(a, p0, p1)',
  params: ({ lo, hi }) => [lo, hi],
  cpu: (x, { lo, hi }) => Math.min(Math.max(x, lo), hi),
  check: (a) => checkBounds('clip', a),
  // derivative 1 on the closed interval [lo, hi] (as PyTorch's clamp), 0 outside
  deriv: (x, _y, attrs) => apply(clipMaskOp, [x], attrs),
  saves: INPUT,
  samples: [{ attrs: { lo: -0.5, hi: 0.7 } }, { attrs: { lo: 0, hi: Infinity } }, { attrs: { lo: -1, hi: -1 } }],
});

/** x limited to [lo, hi]; a bound left out (or ±Infinity) does not limit. */
export const clip = (x: TensorOrNumber, lo = -Infinity, hi = Infinity): Tensor => apply(clipOp, [x], { lo, hi });
