// The TensorFlow.js side of the convolution benchmark: tf.conv2d and the two kernels its
// gradient runs (Conv2DBackpropInput through tf.conv2dTranspose, Conv2DBackpropFilter), in
// tfjs's native NHWC layout, plus tf.grads of tf.conv2d for a whole forward and backward pass.
import type { Tf } from './tfjs.js';
import type { ConvConfig, ConvPass } from './conv.js';

type TfTensor = ReturnType<Tf['tensor']>;
type Tensor4D = ReturnType<Tf['tensor4d']>;

export type TfConvPass = ConvPass | 'forward + backward';

export function tfjsConvPasses(tf: Tf, c: ConvConfig): { passes: Record<TfConvPass, () => TfTensor>; dispose(): void } {
  const x = tf.randomNormal([c.n, c.size, c.size, c.c], 0, 1, 'float32', 1) as Tensor4D;
  const w = tf.randomNormal([c.k, c.k, c.c, c.o], 0, 1, 'float32', 2) as Tensor4D;
  const dy = tf.randomNormal([c.n, c.size, c.size, c.o], 0, 1, 'float32', 3) as Tensor4D;
  const pad: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [c.pad, c.pad], [c.pad, c.pad], [0, 0]];
  // conv2dTranspose takes 'same' or 'valid' (or a number); 'same' is padding (k − 1)/2 at stride 1
  const tpad = 2 * c.pad === c.k - 1 ? 'same' : c.pad;
  const conv = (a: TfTensor, b: TfTensor) => tf.conv2d(a as Tensor4D, b as Tensor4D, 1, pad);
  return {
    passes: {
      forward: () => conv(x, w),
      'input grad': () => tf.conv2dTranspose(dy, w, [c.n, c.size, c.size, c.c], 1, tpad),
      'weight grad': () =>
        tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 1, pad, dataFormat: 'NHWC', filterShape: [c.k, c.k, c.c, c.o] } as never) as TfTensor,
      // both gradients are computed; the first is read (one queue: reading it waits for both)
      'forward + backward': () => tf.grads(conv)([x, w], dy)[0]!,
    },
    dispose: () => tf.dispose([x, w, dy]),
  };
}
