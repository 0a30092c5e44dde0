// Bayesian inference over parameter trees: log-densities, MCMC with batched chains, diagnostics, VI.
export { gaussianLogLikelihood, gaussianLogPrior, laplaceLogPrior, logPosterior, type LogPosteriorOptions } from './densities.js';
export { mcmc, type McmcOptions, type McmcResult, type McmcMethod } from './mcmc.js';
export { rhat, ess, mcse, normalQuantile, type EssKind, type Draws, type PerParameter } from './diagnostics.js';
export { vi, type ViOptions, type ViResult } from './vi.js';
export { predictive, type PredictiveResult } from './predictive.js';
