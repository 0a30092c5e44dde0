import { Tensor } from '../engine/tensor.js';
import * as ops from './ops/index.js';
import type { TensorOrNumber } from './op.js';

// Ops as methods, where they read well: x.matmul(w).add(b).tanh().
declare module '../engine/tensor.js' {
  interface Tensor {
    add(b: TensorOrNumber): Tensor;
    sub(b: TensorOrNumber): Tensor;
    mul(b: TensorOrNumber): Tensor;
    div(b: TensorOrNumber): Tensor;
    neg(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    sqrt(): Tensor;
    square(): Tensor;
    tanh(): Tensor;
    sigmoid(): Tensor;
    relu(): Tensor;
    matmul(b: Tensor): Tensor;
    reshape(shape: readonly number[]): Tensor;
    transpose(perm?: readonly number[]): Tensor;
    broadcastTo(shape: readonly number[]): Tensor;
    slice(begin: readonly number[], end?: readonly number[], axes?: readonly number[]): Tensor;
    pad(widths: readonly (readonly [number, number])[], value?: number): Tensor;
    sum(axis?: ops.Axes, keepDims?: boolean): Tensor;
    mean(axis?: ops.Axes, keepDims?: boolean): Tensor;
  }
}

const methods: Record<string, (this: Tensor, ...a: any[]) => Tensor> = {
  add(b) { return ops.add(this, b); },
  sub(b) { return ops.sub(this, b); },
  mul(b) { return ops.mul(this, b); },
  div(b) { return ops.div(this, b); },
  neg() { return ops.neg(this); },
  exp() { return ops.exp(this); },
  log() { return ops.log(this); },
  sqrt() { return ops.sqrt(this); },
  square() { return ops.square(this); },
  tanh() { return ops.tanh(this); },
  sigmoid() { return ops.sigmoid(this); },
  relu() { return ops.relu(this); },
  matmul(b) { return ops.matmul(this, b); },
  reshape(shape) { return ops.reshape(this, shape); },
  transpose(perm) { return ops.transpose(this, perm); },
  broadcastTo(shape) { return ops.broadcastTo(this, shape); },
  slice(begin, end, axes) { return ops.slice(this, begin, end, axes); },
  pad(widths, value) { return ops.pad(this, widths, value); },
  sum(axis, keepDims) { return ops.sum(this, axis, keepDims); },
  mean(axis, keepDims) { return ops.mean(this, axis, keepDims); },
};
Object.assign(Tensor.prototype, methods);

// Convolution and pooling: x.conv2d(w, { padding: 1 }).relu().maxPool2d({ kernel: 2 }).
declare module '../engine/tensor.js' {
  interface Tensor {
    conv2d(w: Tensor, opts?: ops.Conv2dOptions): Tensor;
    maxPool2d(opts: ops.PoolOptions): Tensor;
    avgPool2d(opts: ops.PoolOptions & { countIncludePad?: boolean }): Tensor;
  }
}

const convMethods: Record<string, (this: Tensor, ...a: any[]) => Tensor> = {
  conv2d(w, opts) { return ops.conv2d(this, w, opts); },
  maxPool2d(opts) { return ops.maxPool2d(this, opts); },
  avgPool2d(opts) { return ops.avgPool2d(this, opts); },
};
Object.assign(Tensor.prototype, convMethods);

// Elementwise, reductions and indexing: x.pow(2).sum(-1).sqrt(), logits.logSoftmax(), x.max(0).
declare module '../engine/tensor.js' {
  interface Tensor {
    pow(b: TensorOrNumber): Tensor;
    abs(): Tensor;
    sign(): Tensor;
    sin(): Tensor;
    cos(): Tensor;
    softplus(): Tensor;
    gelu(): Tensor;
    silu(): Tensor;
    elu(alpha?: number): Tensor;
    leakyRelu(alpha?: number): Tensor;
    clip(lo?: number, hi?: number): Tensor;
    maximum(b: TensorOrNumber): Tensor;
    minimum(b: TensorOrNumber): Tensor;
    max(axis?: ops.Axes, keepDims?: boolean): Tensor;
    min(axis?: ops.Axes, keepDims?: boolean): Tensor;
    argmax(axis?: number | null, keepDims?: boolean): Tensor;
    argmin(axis?: number | null, keepDims?: boolean): Tensor;
    norm(axis?: ops.Axes, keepDims?: boolean, ord?: 1 | 2 | typeof Infinity): Tensor;
    softmax(axis?: number): Tensor;
    logSoftmax(axis?: number): Tensor;
    gather(indices: Tensor | readonly number[], axis?: number): Tensor;
  }
}

const moreMethods: Record<string, (this: Tensor, ...a: any[]) => Tensor> = {
  pow(b) { return ops.pow(this, b); },
  abs() { return ops.abs(this); },
  sign() { return ops.sign(this); },
  sin() { return ops.sin(this); },
  cos() { return ops.cos(this); },
  softplus() { return ops.softplus(this); },
  gelu() { return ops.gelu(this); },
  silu() { return ops.silu(this); },
  elu(alpha) { return ops.elu(this, alpha); },
  leakyRelu(alpha) { return ops.leakyRelu(this, alpha); },
  clip(lo, hi) { return ops.clip(this, lo, hi); },
  maximum(b) { return ops.maximum(this, b); },
  minimum(b) { return ops.minimum(this, b); },
  max(axis, keepDims) { return ops.max(this, axis, keepDims); },
  min(axis, keepDims) { return ops.min(this, axis, keepDims); },
  argmax(axis, keepDims) { return ops.argmax(this, axis, keepDims); },
  argmin(axis, keepDims) { return ops.argmin(this, axis, keepDims); },
  norm(axis, keepDims, ord) { return ops.norm(this, axis, keepDims, ord); },
  softmax(axis) { return ops.softmax(this, axis); },
  logSoftmax(axis) { return ops.logSoftmax(this, axis); },
  gather(indices, axis) { return ops.gather(this, indices, axis); },
};
Object.assign(Tensor.prototype, moreMethods);
