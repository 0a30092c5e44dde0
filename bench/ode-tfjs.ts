// The RK4 solve of bench/ode.ts written by hand in TensorFlow.js, for a side-by-side run on
// the same adapter. The caller picks and readies the backend (webgpu); this only builds the
// loop. Same problem: y0 [256, 64], W [64, 64], b [64], f = tanh(y W + b), 100 steps of h = 0.01.
import type * as tfTypes from '@tensorflow/tfjs';
import { ODE_BATCH, ODE_STEPS, ODE_WIDTH } from './ode.js';

type Tf = typeof tfTypes;

/** Returns a function that runs the 100 RK4 steps and returns the final state (call in tf.tidy). */
export function tfjsRk4(tf: Tf, steps = ODE_STEPS) {
  const y0 = tf.randomNormal([ODE_BATCH, ODE_WIDTH], 0, 1, 'float32', 1);
  const W = tf.randomNormal([ODE_WIDTH, ODE_WIDTH], 0, 1 / Math.sqrt(ODE_WIDTH), 'float32', 2);
  const b = tf.randomNormal([ODE_WIDTH], 0, 0.1, 'float32', 3);
  const h = 1 / steps;
  const f = (y: tfTypes.Tensor) => tf.tanh(tf.add(tf.matMul(y as tfTypes.Tensor2D, W as tfTypes.Tensor2D), b));
  const run = () =>
    tf.tidy(() => {
      return rk4Steps(tf, f, y0, steps, h);
    });
  return { run, dispose: () => [y0, W, b].forEach((t) => t.dispose()) };
}

/** `steps` classical RK4 steps of size h for y' = f(y), written out in TensorFlow.js ops. */
export function rk4Steps<T extends tfTypes.Tensor>(tf: Tf, f: (y: T) => T, y0: T, steps: number, h: number): T {
  let y = y0;
  for (let n = 0; n < steps; n++) {
    const k1 = f(y);
    const k2 = f(tf.add(y, tf.mul(k1, h / 2)));
    const k3 = f(tf.add(y, tf.mul(k2, h / 2)));
    const k4 = f(tf.add(y, tf.mul(k3, h)));
    y = tf.add(y, tf.mul(tf.addN([k1, tf.mul(k2, 2), tf.mul(k3, 2), k4]), h / 6));
  }
  return y;
}
