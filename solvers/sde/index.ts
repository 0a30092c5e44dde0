export { sdeint, SDE_METHODS, type SdeFunc, type SdeMethod, type SdeintOptions } from './sdeint.js';
export { BrownianTree } from './brownian.js';
