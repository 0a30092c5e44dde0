import { DeviceError } from '../errors.js';

// Dawn crashes at random when the object returned by create() is garbage-collected:
// keep it for the life of the process.
let nodeGpu: GPU | null = null;

async function nodeWebGpu(): Promise<GPU> {
  if (nodeGpu) return nodeGpu;
  let mod: { create(opts: string[]): GPU; globals: object };
  try {
    mod = (await import(/* webpackIgnore: true */ 'webgpu' as string)) as typeof mod;
  } catch (err) {
    throw new DeviceError(`WebGPU: the 'webgpu' package (Dawn's Node bindings) could not be loaded: ${(err as Error).message}. Run 'npm install webgpu'.`);
  }
  Object.assign(globalThis, mod.globals);
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
  // V8's collector, for collectGarbage (the flag exposes it to new contexts only)
  const v8 = await import(/* webpackIgnore: true */ 'node:v8' as string);
  const vm = await import(/* webpackIgnore: true */ 'node:vm' as string);
  v8.setFlagsFromString('--expose-gc');
  collector = vm.runInNewContext('gc') as () => void;
  // Dawn quantizes timestamps (to ~65 µs) unless told otherwise; benchmarks need them exact.
  nodeGpu = mod.create(['disable-dawn-features=timestamp_quantization']);
  return nodeGpu;
}

let collector: (() => void) | null = null;

/**
 * A full garbage collection, in Node. Dawn frees a bind group (and its Vulkan descriptor set)
 * only when its JS wrapper is collected, and a workload that makes bind groups faster than V8
 * collects its old generation grows Dawn's descriptor pools without bound: lavapipe crashed
 * (in vkCreateDescriptorPool) after some 200 000 of them. The runtime calls this every so many
 * bind groups it makes. Browsers manage their own; there it does nothing.
 */
export const collectGarbage = (): void => collector?.();

/** Dawn's GPU object in Node once WebGPU is set up (another engine can share the adapter). */
export const dawnGpu = (): GPU | null => nodeGpu;

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

export interface Acquired {
  adapter: GPUAdapter;
  device: GPUDevice;
}

const NO_ADAPTER =
  'WebGPU: no adapter found. Without a GPU, install the software Vulkan driver: run ' +
  "'bash scripts/setup-webgpu.sh' from the flowgrad package (as root on Debian/Ubuntu it installs Mesa >= 24's lavapipe; " +
  "on Debian 12: 'apt-get install -t bookworm-backports mesa-vulkan-drivers libvulkan1'). " +
  "Or use the float64 CPU backend: fg.init({ backend: 'cpu' }).";

export async function acquireDevice(): Promise<Acquired> {
  const gpu: GPU | undefined = isNode ? await nodeWebGpu() : (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) {
    throw new DeviceError('WebGPU: this browser has no navigator.gpu; use a browser with WebGPU enabled, or fg.init({ backend: \'cpu\' }).');
  }
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new DeviceError(NO_ADAPTER);
  const wanted: GPUFeatureName[] = ['timestamp-query', 'subgroups' as GPUFeatureName];
  const requiredFeatures = wanted.filter((f) => adapter.features.has(f));
  const l = adapter.limits;
  const device = await adapter.requestDevice({
    requiredFeatures,
    requiredLimits: {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
    },
  });
  return { adapter, device };
}
