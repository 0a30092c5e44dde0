// Exits 0 and prints the adapter when Dawn finds one, 1 otherwise.
import { create, globals } from 'webgpu';
Object.assign(globalThis, globals);
process.env.XDG_RUNTIME_DIR ??= '/tmp';
const gpu = create([]);
const adapter = await gpu.requestAdapter();
if (!adapter) { console.error('no WebGPU adapter'); process.exit(1); }
const { vendor, architecture, device, description } = adapter.info;
console.log(`WebGPU adapter: ${[vendor, architecture, device, description].filter(Boolean).join(' / ')}`);
process.exit(0);
