// Generated, seeded data sets (no downloads) and the tools to split and batch them.
export { makeDataset, subset, split, batches, batchOf, oneHot, checkFinite, type Dataset, type Split, type Batch } from './dataset.js';
export { cubic, square, quadratic } from './functions.js';
export { spirals, moons } from './classification.js';
export { dampedOscillator, pendulum, type TrajectoryOptions } from './trajectories.js';
export { shapes, SHAPE_CLASSES } from './images.js';
export { rk4 } from './rk4.js';
export { advectionDiffusion, type AdvectionOptions, type AdvectionData } from './advection.js';
export { darcy1d, darcy2d, solveDarcy1d, solveDarcy2d, thomas, type DarcyGrid, type Darcy1dOptions, type Darcy2dOptions } from './darcy.js';
