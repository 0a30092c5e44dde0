/**
 * Complex arithmetic on pairs of real tensors, written with ops (so that derivative rules built
 * from it differentiate again), and the packing of complex results along a trailing axis of 2.
 * Every helper keeps leading (batch, tangent-batch) dimensions and broadcasts like its ops.
 */

import type { Tensor } from '../../engine/tensor.js';
import { add, div, mul, neg, sub, square } from '../../autodiff/ops/arith.js';
import { concat, stack } from '../../autodiff/ops/concat.js';
import { mm } from '../../autodiff/ops/matmul.js';
import { sum } from '../../autodiff/ops/reduce.js';
import { mT, reshape } from '../../autodiff/ops/shape.js';
import { slice } from '../../autodiff/ops/slice.js';

export interface Cx {
  re: Tensor;
  im: Tensor;
}

/** Matrix product (batched, broadcast). */
export const cmatmul = (a: Cx, b: Cx): Cx => ({
  re: sub(mm(a.re, b.re, false, false), mm(a.im, b.im, false, false)),
  im: add(mm(a.re, b.im, false, false), mm(a.im, b.re, false, false)),
});

/** Conjugate transpose of the last two axes. */
export const cadjoint = (a: Cx): Cx => ({ re: mT(a.re), im: neg(mT(a.im)) });
export const cconj = (a: Cx): Cx => ({ re: a.re, im: neg(a.im) });
export const cadd = (a: Cx, b: Cx): Cx => ({ re: add(a.re, b.re), im: add(a.im, b.im) });
export const csub = (a: Cx, b: Cx): Cx => ({ re: sub(a.re, b.re), im: sub(a.im, b.im) });
/** Elementwise product. */
export const cmul = (a: Cx, b: Cx): Cx => ({ re: sub(mul(a.re, b.re), mul(a.im, b.im)), im: add(mul(a.re, b.im), mul(a.im, b.re)) });
/** Elementwise a / b. */
export function cdiv(a: Cx, b: Cx): Cx {
  const den = add(square(b.re), square(b.im));
  return { re: div(add(mul(a.re, b.re), mul(a.im, b.im)), den), im: div(sub(mul(a.im, b.re), mul(a.re, b.im)), den) };
}
/** Elementwise by a real tensor. */
export const cscale = (a: Cx, r: Tensor): Cx => ({ re: mul(a.re, r), im: mul(a.im, r) });
/** Σ along an axis. */
export const csum = (a: Cx, axis: number): Cx => ({ re: sum(a.re, axis), im: sum(a.im, axis) });

/** [..., n] → [..., 1, n] (a row, to broadcast over the rows of a matrix). */
export const asRow = (t: Tensor) => reshape(t, [...t.shape.slice(0, -1), 1, t.shape[t.rank - 1]!]);
/** [..., n] → [..., n, 1]. */
export const asCol = (t: Tensor) => reshape(t, [...t.shape, 1]);
export const cRow = (a: Cx): Cx => ({ re: asRow(a.re), im: asRow(a.im) });
export const cCol = (a: Cx): Cx => ({ re: asCol(a.re), im: asCol(a.im) });

/** The diagonal of [..., n, n] as [..., n]: Σᵢ (X ∘ I)ᵢⱼ. */
export const diagOf = (x: Tensor, eye: Tensor) => sum(mul(x, eye), -2);
export const cdiagOf = (a: Cx, eye: Tensor): Cx => ({ re: diagOf(a.re, eye), im: diagOf(a.im, eye) });
/** [..., n] → diagonal matrices [..., n, n]. */
export const diagEmbed = (d: Tensor, eye: Tensor) => mul(asRow(d), eye);

// ---------------------------------------------------------------- packing

/** Rows r0…r1−1 of axis −3 and component c (0: re, 1: im) of the last axis of [..., R, n, 2]: [..., r1−r0, n]. */
export function part(x: Tensor, r0: number, r1: number, c: number): Tensor {
  const s = slice(x, [r0, c], [r1, c + 1], [-3, -1]);
  return reshape(s, s.shape.slice(0, -1));
}

/** Rows r0…r1−1 of axis −3 of [..., R, n, 2] as a complex [..., r1−r0, n]. */
export const cpart = (x: Tensor, r0: number, r1: number): Cx => ({ re: part(x, r0, r1, 0), im: part(x, r0, r1, 1) });

/** [..., n] complex → [..., n, 2]. */
export const packC = (a: Cx) => stack([a.re, a.im], -1);

/** [..., n, 2] → complex [..., n]. */
export function unpackC(x: Tensor): Cx {
  const re = slice(x, [0], [1], [-1]);
  const im = slice(x, [1], [2], [-1]);
  return { re: reshape(re, re.shape.slice(0, -1)), im: reshape(im, im.shape.slice(0, -1)) };
}

/** Complex blocks [..., rᵢ, n] joined along axis −3 of the packed [..., Σrᵢ, n, 2]. */
export const packRows = (blocks: Cx[]) => concat(blocks.map(packC), -3);

/** Rows r0…r1−1 of axis −2 of a real [..., R, n]. */
export const rows = (x: Tensor, r0: number, r1: number) => slice(x, [r0], [r1], [-2]);
