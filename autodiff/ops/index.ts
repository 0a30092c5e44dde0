// Loads every op file in an order that respects their top-level definitions.
export * from './arith.js';
export * from './activation.js';
export * from './shape.js';
export * from './reduce.js';
export * from './matmul.js';
export * from './special.js';
export { addMaybe } from './elementwise.js';
