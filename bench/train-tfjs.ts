// The TensorFlow.js side of the training-step benchmark: the same MLP, loss, batch and initial
// weights, trained with tf.train.sgd's optimizer.minimize on tfjs's WebGPU backend.
import type { Tf } from './tfjs.js';

type TfTensor = ReturnType<Tf['tensor']>;

export interface TfTrainProblem {
  /** layer weights [in, out] and biases [out], row-major, in layer order */
  layers: { W: Float32Array | Float64Array; b: Float32Array | Float64Array; shape: [number, number] }[];
  x: Float32Array | Float64Array;
  y: Float32Array | Float64Array;
  batch: number;
  lr: number;
}

/** One training step (returns the loss before the update, which the caller may read) and a cleanup. */
export function tfjsTrainStep(tf: Tf, p: TfTrainProblem): { step: () => TfTensor; dispose: () => void } {
  const vars = p.layers.map((l, i) => ({
    W: tf.variable(tf.tensor2d(Float32Array.from(l.W), l.shape), true, `W${i}`),
    b: tf.variable(tf.tensor1d(Float32Array.from(l.b)), true, `b${i}`),
  }));
  const nIn = p.layers[0]!.shape[0];
  const nOut = p.layers[p.layers.length - 1]!.shape[1];
  const x = tf.tensor2d(Float32Array.from(p.x), [p.batch, nIn]);
  const y = tf.tensor2d(Float32Array.from(p.y), [p.batch, nOut]);
  const opt = tf.train.sgd(p.lr);
  const forward = () => {
    let h: TfTensor = x;
    vars.forEach((v, i) => {
      const z = tf.add(tf.matMul(h as ReturnType<Tf['tensor2d']>, v.W), v.b);
      h = i < vars.length - 1 ? tf.tanh(z) : z;
    });
    return tf.mean(tf.square(tf.sub(h, y))) as ReturnType<Tf['scalar']>;
  };
  return {
    step: () => opt.minimize(forward, true)!,
    dispose: () => {
      opt.dispose();
      tf.dispose([x, y, ...vars.flatMap((v) => [v.W, v.b])]);
    },
  };
}
