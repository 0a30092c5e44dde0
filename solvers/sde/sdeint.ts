import { checkOptions, optionKeys } from '../../engine/options.js';
/**
 * sdeint: Itô SDEs dy = f(t, y)·dt + g(t, y) ∘ dW with diagonal noise (one Brownian component
 * per element of y, g of y's shape), on fixed steps, with Brownian increments from a seeded
 * Brownian tree (brownian.ts): the same seed gives the same path on both backends.
 *
 * - eulerMaruyama: y ← y + f·h + g·ΔW (strong order 1/2);
 * - milstein: + ½·(g·∂g/∂y)·(ΔW² − h) (strong order 1), the derivative of g along g by one
 *   forward-mode pass (for diagonal noise, g_i depends on y_i only, so this is g_i·∂g_i/∂y_i).
 *
 * Gradients: 'backprop' records the steps; 'adjoint' is the stochastic adjoint (Li et al. 2020):
 * the Stratonovich form of the SDE, f_S = f − ½·g·∂g/∂y, and its adjoint
 *   da = −aᵀ∂f_S/∂y·dt − aᵀ∂g/∂y ∘ dW,  dg_θ = −aᵀ∂f_S/∂θ·dt − aᵀ∂g/∂θ ∘ dW,
 * solved backwards with the Stratonovich Heun scheme on the SAME Brownian increments, which the
 * tree regenerates step by step (nothing of the path is stored). Both converge to the
 * pathwise derivative as dt → 0.
 */

import { customVjp } from '../../autodiff/custom.js';
import { add, mul, sub } from '../../autodiff/ops/arith.js';
import { stack } from '../../autodiff/ops/concat.js';
import { reshape } from '../../autodiff/ops/shape.js';
import { sliceAxis } from '../../autodiff/ops/slice.js';
import { jvp, vjp } from '../../autodiff/transforms.js';
import { flatten, isPlainObject } from '../../autodiff/tree.js';
import { fromValues } from '../../engine/creation.js';
import { ArgumentError, ShapeError, fmtShape } from '../../engine/errors.js';
import { nextSeed } from '../../engine/random.js';
import { sameShape } from '../../engine/shape.js';
import { Tensor } from '../../engine/tensor.js';
import { Arena } from '../ode/arena.js';
import { checkFinite, fmtTime } from '../ode/checks.js';
import { checkClosure } from '../ode/closure.js';
import { lincomb } from '../ode/lincomb.js';
import { fixedPlan, parseTimes, type Step } from '../ode/times.js';
import { BrownianTree } from './brownian.js';

export const SDE_METHODS = ['eulerMaruyama', 'milstein'] as const;
export type SdeMethod = (typeof SDE_METHODS)[number];
export const NOISE_TYPES = ['diagonal'] as const;

export type SdeFunc<P = any> = (t: number, y: Tensor, params: P) => Tensor;

export interface SdeintOptions<P = any> {
  /** default 'eulerMaruyama' */
  method?: SdeMethod;
  /** step size: each interval between output times is split into ⌈Δt/dt⌉ equal steps */
  dt: number;
  /** seed of the Brownian path (default: a fresh one); the same seed gives the same path */
  seed?: number;
  /** 'diagonal' (the default and the only kind supported): g(t, y) has y's shape */
  noise?: 'diagonal';
  /** a tree of tensors passed to f and g as their third argument */
  params?: P;
  /** 'backprop' (default) or 'adjoint' (the stochastic adjoint, constant memory) */
  grad?: 'backprop' | 'adjoint';
}

const KNOWN = optionKeys<SdeintOptions>({ method: true, dt: true, seed: true, noise: true, params: true, grad: true });

interface Config {
  method: SdeMethod;
  label: string;
  times: number[];
  plan: Step[][];
  tree: BrownianTree;
}

function resolve(f: unknown, g: unknown, y0: unknown, ts: unknown, opts: unknown): Config & { grad: 'backprop' | 'adjoint'; params: unknown } {
  if (!(y0 instanceof Tensor)) throw new ArgumentError(`sdeint: y0 must be a Tensor, got ${y0 === null ? 'null' : typeof y0}`);
  if (!isPlainObject(opts)) throw new ArgumentError('sdeint: opts must be a plain object of options with at least dt');
  const o = checkOptions('sdeint', opts as Partial<SdeintOptions>, KNOWN);
  const method = o.method ?? 'eulerMaruyama';
  if (!SDE_METHODS.includes(method)) throw new ArgumentError(`sdeint: method must be one of ${SDE_METHODS.join(', ')}; got ${JSON.stringify(method)}`);
  const label = `sdeint (${method})`;
  const noise = o.noise ?? 'diagonal';
  if (!(NOISE_TYPES as readonly string[]).includes(noise)) {
    throw new ArgumentError(`${label}: noise ${JSON.stringify(noise)} is not supported by ${method}; supported: ${NOISE_TYPES.map((n) => `'${n}'`).join(', ')} (g(t, y) of y's shape, one Brownian component per element)`);
  }
  if (typeof f !== 'function') throw new ArgumentError(`${label}: f must be a function (t, y, params) => drift`);
  if (typeof g !== 'function') throw new ArgumentError(`${label}: g must be a function (t, y, params) => diffusion, of y's shape`);
  if (typeof o.dt !== 'number' || !Number.isFinite(o.dt) || o.dt <= 0) throw new ArgumentError(`${label}: dt must be a positive finite number (the step size), got ${JSON.stringify(o.dt)}`);
  const seed = o.seed ?? nextSeed();
  if (!Number.isInteger(seed)) throw new ArgumentError(`${label}: seed must be an integer, got ${JSON.stringify(seed)}`);
  const grad = o.grad ?? 'backprop';
  if (grad !== 'backprop' && grad !== 'adjoint') throw new ArgumentError(`${label}: grad must be 'backprop' or 'adjoint', got ${JSON.stringify(grad)}`);
  const times = parseTimes(ts, label);
  if (times.length > 1 && times[1]! < times[0]!) throw new ArgumentError(`${label}: ts must be increasing (an SDE runs forwards in time)`);
  const plan = fixedPlan(times, { dt: o.dt });
  return { method, label, times, plan, tree: new BrownianTree(seed, times[0]!, times[times.length - 1]!, y0.size), grad, params: o.params };
}

function checked(what: 'f' | 'g', d: unknown, y: Tensor, t: number, label: string): Tensor {
  if (!(d instanceof Tensor)) throw new ArgumentError(`${label}: ${what}(t, y, params) must return a Tensor, got ${d === null ? 'null' : typeof d} at t = ${fmtTime(t)}`);
  if (!sameShape(d.shape, y.shape)) {
    const why = what === 'g' ? "with noise: 'diagonal', g must return one diffusion coefficient per element of y" : 'f must return the drift with the shape of y';
    throw new ShapeError(`${label}: ${what}(t, y, params) returned shape ${fmtShape(d.shape)} at t = ${fmtTime(t)}, but y has shape ${fmtShape(y.shape)}; ${why}`);
  }
  return d;
}

/** The Brownian increments of one interval's steps, as host arrays. */
function increments(tree: BrownianTree, steps: Step[], end: number): Float64Array[] {
  const w = tree.at([...steps.map((s) => s.t), end]);
  return steps.map((_, k) => w[k + 1]!.map((x, i) => x - w[k]![i]!));
}

type Coef = (t: number, y: Tensor) => Tensor;

/** One step of the method from (t, y) by h with increment dw. */
function step(method: SdeMethod, f: Coef, g: Coef, t: number, h: number, y: Tensor, dw: Float64Array): Tensor {
  const dW = fromValues(dw, y.shape, y.backend);
  const gy = g(t, y);
  let next = add(lincomb([y, f(t, y)], [1, h]), mul(gy, dW));
  if (method === 'milstein') {
    const [, ggy] = jvp((x: Tensor) => g(t, x), [y], [gy]) as [Tensor, Tensor];
    next = add(next, mul(ggy, fromValues(dw.map((x) => 0.5 * (x * x - h)), y.shape, y.backend)));
  }
  return next;
}

/** The forward solve: y at every time in ts, stacked. */
function solveForward(cfg: Config, f: Coef, g: Coef, y0: Tensor): Tensor {
  const arena = new Arena(y0.backend);
  try {
    const outs: Tensor[] = [y0];
    let y = y0;
    let n = 0;
    cfg.plan.forEach((steps, i) => {
      const dws = increments(cfg.tree, steps, cfg.times[i + 1]!);
      steps.forEach(({ t, h }, k) => {
        const next = arena.run(() => step(cfg.method, f, g, t, h, y, dws[k]!));
        checkFinite([next], t + h, ++n, t, h, cfg.label);
        arena.free(y, next);
        y = next;
      });
      outs.push(arena.keep(y));
    });
    const out = stack(outs);
    arena.release(outs, out);
    return out;
  } finally {
    arena.dispose();
  }
}

/**
 * The stochastic adjoint, interval by interval backwards: at each output time y is reset to the
 * forward's value and that time's cotangent added to a.
 */
function adjointSdeint(cfg: Config, f: SdeFunc, g: SdeFunc, y0: Tensor, params: unknown): Tensor {
  const { leaves, rebuild } = flatten(params);
  const forward = (y: Tensor, ...ls: Tensor[]) => {
    const p = rebuild(ls);
    return checkClosure(solveForward(cfg, (t, x) => checked('f', f(t, x, p), x, t, cfg.label), (t, x) => checked('g', g(t, x, p), x, t, cfg.label), y), [y, ...ls], cfg.label);
  };
  const backward = ([, ...ls]: Tensor[], out: Tensor, gOut: Tensor): Tensor[] => {
    const arena = new Arena(out.backend);
    try {
      const at = (x: Tensor, i: number) => reshape(sliceAxis(x, 0, i, i + 1), x.shape.slice(1));
      // F(y, θ) = f_S(t, y)·h + g(t, y)·ΔW, the Stratonovich increment of one step
      const increment = (t: number, h: number, dW: Tensor) => (yy: Tensor, ...ps: Tensor[]) => {
        const p = rebuild(ps);
        const gf = (x: Tensor) => checked('g', g(t, x, p), x, t, cfg.label);
        const [gy, ggy] = jvp(gf, [yy], [gf(yy)]) as [Tensor, Tensor];
        const fs = sub(checked('f', f(t, yy, p), yy, t, cfg.label), mul(ggy, 0.5));
        return add(mul(fs, h), mul(gy, dW));
      };
      /** (F, aᵀ∂F/∂y, aᵀ∂F/∂θ) at (t, y, a) */
      const pull = (t: number, h: number, dW: Tensor, y: Tensor, a: Tensor) => {
        const [fy, back] = vjp(increment(t, h, dW), y, ...ls);
        const grads = back(a) as Tensor[];
        back.dispose();
        return [fy as Tensor, ...grads];
      };
      const n = cfg.times.length;
      let { y, a, gp } = arena.run(() => ({ y: at(out, n - 1), a: at(gOut, n - 1), gp: ls.map((l) => fromValues(new Float64Array(l.size), l.shape, l.backend)) }));
      for (let i = n - 1; i > 0; i--) {
        const steps = cfg.plan[i - 1]!;
        const dws = increments(cfg.tree, steps, cfg.times[i]!);
        for (let k = steps.length - 1; k >= 0; k--) {
          const { t, h } = steps[k]!;
          const next = arena.run(() => {
            const dW = fromValues(dws[k]!, y.shape, y.backend);
            // Heun backwards from t + h to t: predictor, then the average of both ends
            const [f1, ay1, ...ap1] = pull(t + h, h, dW, y, a);
            const yp = sub(y, f1!);
            const aPred = add(a, ay1!);
            const [f2, ay2, ...ap2] = pull(t, h, dW, yp, aPred);
            return {
              y: sub(y, mul(add(f1!, f2!), 0.5)),
              a: add(a, mul(add(ay1!, ay2!), 0.5)),
              gp: gp.map((s, j) => add(s, mul(add(ap1[j]!, ap2[j]!), 0.5))),
            };
          }, (r) => [r.y, r.a, r.gp]);
          arena.free([y, a, gp], [next.y, next.a, next.gp]);
          ({ y, a, gp } = next);
        }
        const reset = arena.run(() => ({ y: at(out, i - 1), a: add(a, at(gOut, i - 1)) }));
        arena.free([y, a], [reset.y, reset.a, gp]);
        ({ y, a } = reset);
      }
      return [a, ...gp];
    } finally {
      arena.dispose();
    }
  };
  return customVjp(`${cfg.label} with grad: 'adjoint'`, forward, backward)(y0, ...leaves);
}

/**
 * Integrates the Itô SDE dy = f(t, y, params)·dt + g(t, y, params) ∘ dW (diagonal noise) from
 * y0 at ts[0] on steps of dt, and returns y at every time in ts: [ts.length, ...y0.shape].
 * A batch of paths is a leading axis of y0 (each element has its own Brownian component).
 */
export function sdeint<P = any>(f: SdeFunc<P>, g: SdeFunc<P>, y0: Tensor, ts: readonly number[] | Float64Array | Float32Array | Tensor, opts: SdeintOptions<P>): Tensor {
  const cfg = resolve(f, g, y0, ts, opts);
  if (cfg.grad === 'adjoint') return adjointSdeint(cfg, f, g, y0, cfg.params);
  const p = cfg.params as P;
  return solveForward(cfg, (t, x) => checked('f', f(t, x, p), x, t, cfg.label), (t, x) => checked('g', g(t, x, p), x, t, cfg.label), y0);
}
