import { ArgumentError } from '../../engine/errors.js';
import { fmtTime } from './checks.js';
import { Tensor } from '../../engine/tensor.js';
import { checkOptions, isPlainObject, optionKeys } from '../../engine/options.js';
import { fixedStepCount, parseTimes } from './times.js';
import { METHODS, isAdaptive, type AdjointOptions, type OdeMethod, type OdeintOptions, type SolverConfig } from './types.js';

const KNOWN = optionKeys<OdeintOptions>({ method: true, dt: true, steps: true, grid: true, rtol: true, atol: true, maxSteps: true, params: true, grad: true, checkpoint: true, adjoint: true });
const KNOWN_ADJOINT = optionKeys<AdjointOptions>({ method: true, dt: true, steps: true, rtol: true, atol: true, maxSteps: true });

export interface Resolved {
  times: number[];
  cfg: SolverConfig;
  grad: 'backprop' | 'adjoint';
  /** steps per checkpointed segment, or 'sqrt' for about √(number of steps); null: none */
  checkpoint: number | 'sqrt' | null;
  /** the backward solve of grad: 'adjoint' */
  adjoint: SolverConfig | null;
}

function positive(label: string, name: string, v: unknown, allowZero = false): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
    throw new ArgumentError(`${label}: ${name} must be a ${allowZero ? 'non-negative' : 'positive'} finite number, got ${JSON.stringify(v)}${name.endsWith('dt') ? ' (the direction of integration comes from ts)' : ''}`);
  }
  return v;
}

function count(label: string, name: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (!Number.isInteger(v) || (v as number) < 1) throw new ArgumentError(`${label}: ${name} must be a positive integer, got ${JSON.stringify(v)}`);
  return v as number;
}

function methodOf(v: unknown, fallback: OdeMethod, who: string): OdeMethod {
  if (v === undefined) return fallback;
  if (!METHODS.includes(v as OdeMethod)) throw new ArgumentError(`${who}: method must be one of ${METHODS.join(', ')}; got ${JSON.stringify(v)}`);
  return v as OdeMethod;
}

/** Step settings of one solve: fixed-step methods need dt, steps or grid; dopri5 takes tolerances. */
function stepConfig(label: string, method: OdeMethod, o: { dt?: unknown; steps?: unknown; grid?: unknown; rtol?: unknown; atol?: unknown; maxSteps?: unknown }, inherit?: SolverConfig): SolverConfig {
  const dt = positive(label, 'dt', o.dt);
  const steps = count(label, 'steps', o.steps);
  if (dt !== undefined && steps !== undefined) throw new ArgumentError(`${label}: give dt or steps, not both`);
  const grid = o.grid as readonly number[] | undefined;
  if (grid !== undefined && (dt !== undefined || steps !== undefined)) throw new ArgumentError(`${label}: give grid or dt/steps, not both`);
  if (grid !== undefined && !Array.isArray(grid)) throw new ArgumentError(`${label}: grid must be an array of times`);
  const rtol = positive(label, 'rtol', o.rtol, true) ?? inherit?.rtol ?? 1e-7;
  const atol = positive(label, 'atol', o.atol, true) ?? inherit?.atol ?? 1e-9;
  if (rtol === 0 && atol === 0) throw new ArgumentError(`${label}: rtol and atol cannot both be 0`);
  const maxSteps = count(label, 'maxSteps', o.maxSteps) ?? inherit?.maxSteps ?? 10_000;
  const cfg: SolverConfig = { method, rtol, atol, maxSteps, label, dt, steps, grid };
  if (isAdaptive(method)) {
    if (steps !== undefined) throw new ArgumentError(`${label}: ${method} chooses its own steps: give rtol/atol (and dt for the first step), or grid for given steps`);
    return cfg;
  }
  if (dt === undefined && steps === undefined && grid === undefined) {
    // the adjoint of a fixed-step solve steps like the forward one unless told otherwise
    if (inherit && !isAdaptive(inherit.method) && (inherit.dt !== undefined || inherit.steps !== undefined || inherit.grid !== undefined)) {
      return { ...cfg, dt: inherit.dt, steps: inherit.steps, grid: inherit.grid };
    }
    throw new ArgumentError(`${label}: a fixed-step method needs dt (step size), steps (per interval between output times) or grid`);
  }
  return cfg;
}

/**
 * A fixed-step solve takes the steps its dt or steps say, however many: refused before any
 * work when that is more than maxSteps (steps: 1e9 would block the thread for hours).
 */
function checkStepCount(times: readonly number[], cfg: SolverConfig): void {
  if (isAdaptive(cfg.method) || cfg.grid || (cfg.dt === undefined && cfg.steps === undefined)) return;
  const n = fixedStepCount(times, cfg);
  if (n <= cfg.maxSteps) return;
  const intervals = times.length - 1;
  const how = cfg.steps !== undefined ? `steps: ${cfg.steps} per interval × ${intervals} interval${intervals > 1 ? 's' : ''}` : `dt = ${cfg.dt} over ts from ${fmtTime(times[0]!)} to ${fmtTime(times[intervals]!)}`;
  throw new ArgumentError(`${cfg.label}: the solve would take ${n} steps, more than maxSteps = ${cfg.maxSteps} (${how}); raise maxSteps, or take fewer steps`);
}

/** Validates odeint's arguments and options; every error names the solve and what to change. */
export function resolveOptions(y0: unknown, ts: unknown, opts: OdeintOptions | undefined, who = 'odeint'): Resolved {
  if (!(y0 instanceof Tensor)) throw new ArgumentError(`${who}: y0 must be a Tensor, got ${y0 === null ? 'null' : typeof y0}`);
  const o: OdeintOptions = checkOptions(who, opts, KNOWN);
  // dt or steps suggest a fixed-step method; a grid usually comes from odeintGrid (dopri5)
  const method = methodOf(o.method, o.dt !== undefined || o.steps !== undefined ? 'rk4' : 'dopri5', who);
  const label = `${who} (${method})`;
  const times = parseTimes(ts, label);
  const cfg = stepConfig(label, method, o);
  checkStepCount(times, cfg);
  const grad = o.grad ?? 'backprop';
  if (grad !== 'backprop' && grad !== 'adjoint') throw new ArgumentError(`${label}: grad must be 'backprop' or 'adjoint', got ${JSON.stringify(grad)}`);
  let checkpoint: Resolved['checkpoint'] = null;
  if (o.checkpoint !== undefined && o.checkpoint !== false) {
    if (grad === 'adjoint') throw new ArgumentError(`${label}: checkpoint applies to grad: 'backprop'; the adjoint keeps no steps anyway`);
    checkpoint = o.checkpoint === true ? 'sqrt' : count(label, 'checkpoint (steps per segment)', o.checkpoint)!;
  }
  if (o.adjoint !== undefined && grad !== 'adjoint') throw new ArgumentError(`${label}: adjoint options apply with grad: 'adjoint'`);
  let adjoint: SolverConfig | null = null;
  if (grad === 'adjoint') {
    const a: AdjointOptions = o.adjoint ?? {};
    if (!isPlainObject(o.adjoint ?? {})) throw new ArgumentError(`${label}: adjoint must be a plain object of options`);
    checkOptions(`${label}: adjoint`, a, KNOWN_ADJOINT);
    // leapfrog's split into positions and momenta does not fit the augmented state
    const am = methodOf(a.method, method === 'leapfrog' ? 'rk4' : method, `${label}: adjoint`);
    if ((am as OdeMethod) === 'leapfrog') throw new ArgumentError(`${label}: the adjoint's augmented state (y, a, ∫aᵀ∂f/∂θ) is not a separable Hamiltonian system; choose another adjoint method`);
    const alabel = `${who} adjoint (${am})`;
    // without step settings of its own, the backward solve steps on the forward's grid, or
    // with its dt/steps (fixed-step), or adaptively with its tolerances (dopri5)
    const own = a.dt !== undefined || a.steps !== undefined || a.rtol !== undefined || a.atol !== undefined;
    adjoint = stepConfig(alabel, am, { ...a, grid: own ? undefined : cfg.grid }, cfg);
    if (isAdaptive(am)) adjoint.dt = a.dt; // the forward's first step says nothing about the backward solve
    checkStepCount(times, adjoint);
  }
  return { times, cfg, grad, checkpoint, adjoint };
}
