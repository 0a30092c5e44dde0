import type { Backend, BackendName } from './backend.js';
import { CpuBackend } from './cpu.js';
import { ArgumentError, StateError } from './errors.js';
import { boolean, checkOptions, optionKeys } from './options.js';
import { acquireDevice } from './webgpu/device.js';
import { WebGpuBackend } from './webgpu/backend.js';
import { GpuRuntime } from './webgpu/runtime.js';

const backends: Partial<Record<BackendName, Backend>> = {};
let current: Backend | null = null;

export interface InitOptions {
  backend?: BackendName;
}

const INIT_KEYS = optionKeys<InitOptions>({ backend: true });

/**
 * Selects the backend new tensors are created on; sets up the WebGPU device once, and again
 * after it was lost (tensors of the lost device stay unusable).
 */
export async function init(opts: InitOptions = {}): Promise<BackendName> {
  const name = checkOptions('init', opts, INIT_KEYS).backend ?? 'webgpu';
  if (name !== 'webgpu' && name !== 'cpu') {
    throw new ArgumentError(`init: backend must be 'webgpu' or 'cpu', got ${JSON.stringify(name)}`);
  }
  const gpu = backends.webgpu as WebGpuBackend | undefined;
  if (name === 'webgpu' && gpu && (await gpu.rt.isLost())) {
    if (current === gpu) current = null;
    delete backends.webgpu;
  }
  if (!backends[name]) {
    if (name === 'cpu') backends.cpu = new CpuBackend();
    else {
      const { device, adapter } = await acquireDevice();
      backends.webgpu = new WebGpuBackend(new GpuRuntime(device, adapter));
    }
  }
  current = backends[name]!;
  return name;
}

export function currentBackend(): Backend {
  if (!current) throw new StateError("flowgrad is not initialized: call await fg.init() (WebGPU) or await fg.init({ backend: 'cpu' }) first");
  return current;
}

/** The name of the backend new tensors are created on. */
export function backend(): BackendName {
  return currentBackend().name;
}

/** A backend that init() has set up, if any. */
export function getBackend(name: BackendName): Backend | undefined {
  return backends[name];
}

export interface MemoryOptions {
  peak?: boolean;
  resetPeak?: boolean;
}
const MEMORY_KEYS = optionKeys<MemoryOptions>({ peak: true, resetPeak: true });

/**
 * Live storage on the current backend: number of buffers and their bytes. With `{ peak: true }`
 * also `peakBytes`, the most bytes live at once since the last `{ resetPeak: true }` (which
 * reads the peak, then starts a new window at the bytes live now).
 */
export function memory(): { buffers: number; bytes: number };
export function memory(opts: MemoryOptions): { buffers: number; bytes: number; peakBytes: number };
export function memory(opts?: MemoryOptions): { buffers: number; bytes: number; peakBytes?: number } {
  const o = checkOptions('memory', opts, MEMORY_KEYS);
  boolean('memory', 'peak', o.peak);
  boolean('memory', 'resetPeak', o.resetPeak);
  const b = currentBackend();
  return opts ? { ...b.memory(), peakBytes: b.peakBytes(!!o.resetPeak) } : b.memory();
}

/** The WebGPU runtime (device, limits, pipeline cache), for benchmarks and advanced use. */
export function gpuRuntime(): GpuRuntime {
  const b = backends.webgpu;
  if (!b) throw new StateError('gpuRuntime: WebGPU is not initialized; call await fg.init() first');
  return (b as WebGpuBackend).rt;
}

/** The backend of that name, set up if it needs no device (cpu); WebGPU must be init()ed first. */
export function backendNamed(name: BackendName): Backend {
  if (name === 'cpu') return (backends.cpu ??= new CpuBackend());
  const b = backends[name];
  if (!b) throw new StateError(`the ${name} backend is not initialized: call await fg.init({ backend: '${name}' }) first`);
  return b;
}

/** Runs fn with `b` as the backend new tensors are created on. */
export function withBackend<T>(b: Backend, fn: () => T): T {
  const saved = current;
  current = b;
  try {
    return fn();
  } finally {
    current = saved;
  }
}
