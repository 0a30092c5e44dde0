import { currentBackend } from '../../engine/context.js';
import { ArgumentError, StateError, fmtShape } from '../../engine/errors.js';
import { checkOptions, describe, isPlainObject, optionKeys } from '../../engine/options.js';
import { collect } from '../../engine/scope.js';
import { Tensor } from '../../engine/tensor.js';
import { popLevel, pushLevel } from '../trace.js';
import { flatten } from '../tree.js';
import { JitLevel, type Graph } from './graph.js';
import { kernelNames, planGraph, type Plan } from './plan.js';
import { runPlan } from './run.js';

/** Traces of one jitted function beyond this many are reported once: shapes that keep changing. */
export const RETRACE_WARNING = 8;

export interface JitInfo {
  /** the argument shapes and static values this plan was traced for */
  signature: string;
  /** its kernels in order, fused chains as fused(op, …) */
  kernels: string[];
}

export type Jitted<F extends (...args: any[]) => any> = F & {
  /** how many times f was traced (once per new signature) */
  readonly traces: number;
  /** the plans made so far, one per signature */
  readonly plans: readonly JitInfo[];
  /** forgets the plans (and the tensors they captured) */
  clear(): void;
};

/**
 * The cache key of a call: every tensor's shape and backend, every other leaf's value (numbers,
 * strings, booleans and null are static: part of the plan). Also says whether a tensor is
 * traced by an outer transform.
 */
function signatureOf(args: unknown[]): { key: string; outer: boolean } {
  let outer = false;
  const sig = (v: unknown, where: string): string => {
    if (v instanceof Tensor) {
      v.assertAlive(`jit: ${where}`);
      if (v.trace) outer = true;
      return `T${v.backend.name}${fmtShape(v.shape)}`;
    }
    if (v === null || v === undefined || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return JSON.stringify(v) ?? 'undefined';
    if (Array.isArray(v)) return `[${v.map((x, i) => sig(x, `${where}[${i}]`)).join(',')}]`;
    if (isPlainObject(v)) return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${sig(x, `${where}.${k}`)}`).join(',')}}`;
    throw new ArgumentError(`jit: ${where} is ${describe(v)}; a jitted function takes tensors, numbers, strings, booleans and arrays or plain objects of them`);
  };
  return { key: args.map((a, i) => sig(a, `argument ${i}`)).join(';'), outer };
}

/** The positions among all tensor leaves of the donated arguments' tensors. */
function donatedLeaves(args: unknown[], donate: number[]): Set<number> {
  const out = new Set<number>();
  let k = 0;
  args.forEach((a, i) => {
    const n = flatten(a).leaves.length;
    if (donate.includes(i)) for (let j = 0; j < n; j++) out.add(k + j);
    k += n;
  });
  return out;
}

interface Traced {
  plan: Plan;
  /** rebuilds f's result from the output tensors */
  rebuild: (leaves: Tensor[]) => unknown;
}

/** Traces f once on abstract tensors of the arguments' shapes. */
function trace(f: (...args: any[]) => any, args: unknown[], name: string): Traced {
  const level = pushLevel((d) => new JitLevel(d));
  let out: unknown;
  let created: Set<Tensor>;
  try {
    const { leaves, rebuild } = flatten(args);
    level.backend = leaves[0]?.backend ?? currentBackend();
    const inputs = leaves.map((x, i) => level.input(x.backend, x.shape, i));
    ({ result: out, created } = collect(() => f(...(rebuild(inputs) as unknown[]))));
  } finally {
    popLevel(level);
  }
  try {
    if (out instanceof Promise) {
      out.catch(() => {}); // its own failure (a read it awaited) is reported as this error
      throw new ArgumentError(`${name}: f returned a Promise; a jitted function must be synchronous (it cannot await values it computes; await outside it)`);
    }
    const { leaves, rebuild } = flatten(out);
    const outputs = leaves.map((x, i) => {
      x.assertAlive(`${name}: output ${i}`);
      if (x.trace && x.trace.depth !== level.depth) {
        throw new StateError(`${name}: output ${i} ${fmtShape(x.shape)} is traced by ${x.trace.depth < level.depth ? 'an outer' : 'an inner'} transform, not by jit; return values computed from the jitted function's arguments`);
      }
      return level.idOf(x, `${name}: output ${i} ${fmtShape(x.shape)}`);
    });
    const graph: Graph = { backend: level.backend!, values: level.values, outputs };
    return { plan: planGraph(graph), rebuild };
  } finally {
    for (const t of created) t.dispose();
  }
}

/**
 * jit(f): f traced once per signature (argument shapes, backend and static values) into a graph
 * of registered ops, then run as a plan: elementwise chains fused into one generated kernel,
 * repeated work merged, intermediates released at their last use, one submit per call. Results
 * equal f's to float32 rounding. Under an outer transform (f's arguments traced by grad, jvp or
 * vmap) f runs as it is, so that the transform sees its ops.
 */
export interface JitOptions {
  /**
   * Arguments (by position) whose tensors the call consumes: each is disposed after the last
   * kernel that reads it, so that the results after it reuse its buffers — a training step's
   * new parameters take the old ones' place. The caller must not use them afterwards.
   */
  donate?: number[];
}

const JIT_KEYS = optionKeys<JitOptions>({ donate: true });

export function jit<F extends (...args: any[]) => any>(f: F, opts: JitOptions = {}): Jitted<F> {
  if (typeof f !== 'function') throw new ArgumentError(`jit: f must be a function, got ${describe(f)}`);
  const { donate = [] } = checkOptions('jit', opts, JIT_KEYS);
  if (!Array.isArray(donate) || !donate.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new ArgumentError(`jit: donate must be an array of argument positions (integers ≥ 0), got ${describe(donate)}`);
  }
  const name = `jit(${f.name || 'f'})`;
  const cache = new Map<string, Traced>();
  const infos: JitInfo[] = [];
  let traces = 0;
  let warned = false;
  const jitted = (...args: unknown[]) => {
    const { key, outer } = signatureOf(args);
    if (outer) return f(...args);
    let t = cache.get(key);
    if (!t) {
      t = trace(f, args, name);
      cache.set(key, t);
      traces++;
      infos.push({ signature: key, kernels: kernelNames(t.plan) });
      if (traces > RETRACE_WARNING && !warned) {
        warned = true;
        console.warn(`${name}: traced ${traces} times, once per new argument shape or static value (the last: ${key}); each trace plans and compiles anew — keep shapes fixed, and pass values that change as tensors`);
      }
    }
    const leaves = flatten(args).leaves;
    const outs = runPlan(t.plan, leaves, name, donate.length ? donatedLeaves(args, donate) : undefined);
    return t.rebuild(outs);
  };
  const clear = () => {
    for (const t of cache.values()) for (const c of t.plan.consts) c.tensor.dispose();
    cache.clear();
    infos.length = 0;
  };
  Object.defineProperties(jitted, {
    traces: { get: () => traces },
    plans: { get: () => [...infos] },
    clear: { value: clear },
  });
  return jitted as unknown as Jitted<F>;
}
