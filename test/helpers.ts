import { expect } from 'vitest';
import * as fg from '../index.js';
import { apply, type OpDef, type OpSample } from '../autodiff/op.js';
import { backendNamed, withBackend } from '../engine/context.js';
import { fromValues } from '../engine/creation.js';
import type { Backend } from '../engine/backend.js';

export const F32_EPS = 1.1920929e-7;

/** Sets up both backends once per test file; WebGPU must be there (setup-webgpu.sh installs it). */
export async function initBoth(): Promise<{ cpu: Backend; gpu: Backend }> {
  await fg.init({ backend: 'webgpu' });
  await fg.init({ backend: 'cpu' });
  return { cpu: backendNamed('cpu'), gpu: backendNamed('webgpu') };
}

export function tensorsOn(backend: Backend, values: Float64Array[], shapes: number[][]): fg.Tensor[] {
  return values.map((v, i) => fromValues(v, shapes[i]!, backend));
}

/** The op applied to some inputs, the others fixed: a function of the differentiable inputs. */
export function opFn<A>(op: OpDef<A>, sample: OpSample<A>, fixed: fg.Tensor[]) {
  const diff = sample.shapes.map((_, i) => i).filter((i) => !op.nondiff?.includes(i));
  return {
    diff,
    f: (...xs: fg.Tensor[]) => {
      const args = fixed.slice();
      diff.forEach((i, k) => (args[i] = xs[k]!));
      return apply(op, args, sample.attrs);
    },
  };
}

export const onBackend = <T>(b: Backend, fn: () => T) => withBackend(b, fn);

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expectSameLength(a, b);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

function expectSameLength(a: ArrayLike<number>, b: ArrayLike<number>) {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expectSameLength(a, b);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

export { sampleValues, sampleLabel as label } from '../autodiff/samples.js';

/** The values of a tensor as a plain array. */
export const vals = async (t: fg.Tensor) => Array.from(await t.data());

/** gradcheck of a scalar function of a parameter tree (float64 CPU backend unless told). */
export async function gradcheckTree<P>(loss: (p: P) => fg.Tensor, params: P, opts: fg.GradcheckOptions = {}) {
  const ls = fg.models.leaves(params).map((l) => l.tensor);
  const rebuild = (ts: fg.Tensor[]) => {
    let k = 0;
    return fg.models.mapTree(params, () => ts[k++]!);
  };
  return fg.gradcheck((...ts) => loss(rebuild(ts)), ls, { maxElements: 24, ...opts });
}

/** Every input of a gradcheck report passes (the failing ones are shown). */
export function expectPass(report: fg.GradcheckReport) {
  const bad = report.inputs.filter((r) => !r.pass);
  expect(bad, JSON.stringify(bad)).toEqual([]);
}

/** The error run throws on backend b; fails the test when it throws none. */
export function thrownOn(b: Backend, run: () => unknown): Error {
  try {
    onBackend(b, run);
  } catch (e) {
    return e as Error;
  }
  throw new Error(`nothing was thrown on the ${b.name} backend`);
}

/** The error the first read of run's result throws on backend b (WebGPU reports status flags there). */
export async function thrownAtRead(b: Backend, run: () => fg.Tensor): Promise<Error> {
  const t = onBackend(b, run);
  try {
    await t.data();
  } catch (e) {
    return e as Error;
  }
  throw new Error(`the read on the ${b.name} backend did not throw`);
}
