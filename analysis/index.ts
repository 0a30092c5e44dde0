// fg.analysis: dynamical analysis of flows and trained models, built on the public API.
export { lyapunovSpectrum, type LyapunovOptions, type LyapunovMethod } from './lyapunov.js';
export { jacobianConditioning, type Conditioning } from './conditioning.js';
export { kernelStiffness, kernelParticles, activeTimeScale, type ActiveTimeScaleOptions, type Particles, type KernelParticles, type KernelParticleOptions, type KernelStiffnessOptions } from './kernel-stiffness.js';
