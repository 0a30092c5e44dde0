// Files: trees of tensors (parameters, optimizer state, checkpoints) in the safetensors format.
export { saveSafetensors, loadSafetensors, readSafetensors, TREE_KEY, type SaveOptions, type SafetensorsSource } from './safetensors.js';
export { toBlob, downloadBytes } from './browser.js';
