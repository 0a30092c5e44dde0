// TensorFlow.js on its WebGPU backend, in this process and on the same Dawn adapter as flowgrad,
// for side-by-side timings. Both packages are development dependencies: where they are not
// installed the comparison is skipped and says why.
import type * as tfTypes from '@tensorflow/tfjs';
import { dawnGpu } from '../engine/webgpu/device.js';

export type Tf = typeof tfTypes;

export type TfjsHandle = { tf: Tf; version: string } | { tf: null; reason: string };

let loaded: Promise<TfjsHandle> | null = null;

/**
 * Loads @tensorflow/tfjs and @tensorflow/tfjs-backend-webgpu and selects the webgpu backend on
 * the GPU object of Dawn's Node bindings (the one flowgrad uses; fg.init() must have run). Small
 * ops stay on the GPU (WEBGPU_CPU_FORWARD off) so that both engines do the same work.
 */
export function loadTfjs(): Promise<TfjsHandle> {
  return (loaded ??= load());
}

async function load(): Promise<TfjsHandle> {
  const gpu = dawnGpu();
  if (!gpu) return { tf: null, reason: "no Dawn GPU object (WebGPU through the 'webgpu' package is not set up)" };
  const g = globalThis as { navigator?: { gpu?: GPU } };
  // tfjs-backend-webgpu looks for navigator.gpu; Node 21+ has a navigator without one
  if (!g.navigator) Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true, writable: true });
  if (!g.navigator!.gpu) Object.defineProperty(g.navigator!, 'gpu', { value: gpu, configurable: true });
  // names in variables: bundlers leave the imports to run time, where the packages may be absent
  const core = '@tensorflow/tfjs';
  const webgpu = '@tensorflow/tfjs-backend-webgpu';
  try {
    const tf = await quietly(async () => {
      const mod = (await import(core)) as Tf & { default?: Tf };
      const tf = (mod.default ?? mod) as Tf;
      await import(webgpu);
      if (!(await tf.setBackend('webgpu'))) throw new Error("tf.setBackend('webgpu') failed");
      await tf.ready();
      return tf;
    });
    tf.env().set('WEBGPU_CPU_FORWARD', false);
    return { tf, version: tf.version.tfjs };
  } catch (err) {
    return { tf: null, reason: `TensorFlow.js (WebGPU) unavailable: ${(err as Error).message.split('\n')[0]}` };
  }
}

/** Runs fn with console.log/warn/info silenced (tfjs greets Node users on import). */
async function quietly<T>(fn: () => Promise<T>): Promise<T> {
  const saved = { log: console.log, warn: console.warn, info: console.info };
  console.log = console.warn = console.info = () => {};
  try {
    return await fn();
  } finally {
    Object.assign(console, saved);
  }
}
