import type { Backend, Storage } from '../../engine/backend.js';
import type { Shape } from '../../engine/shape.js';
import { arity, chainInputs, type FusedEpilogueAttrs } from './fused-epilogue.js';
import { fusedOp } from './fused.js';
import { StateError, fmtShape } from '../../engine/errors.js';
import { Tensor } from '../../engine/tensor.js';
import { WebGpuBackend } from '../../engine/webgpu/backend.js';
import type { Plan, Step } from './plan.js';
import { runGpuStep } from './replay.js';

/**
 * Runs a plan on concrete inputs: each step's kernel on the storages of its arguments, every
 * intermediate released after its last use, all recorded work submitted once at the end.
 * Donated inputs are disposed after the last step that reads them, so that the kernels after
 * it reuse their buffers (a parameter's update takes the parameter's place). Returns the
 * outputs as new tensors.
 */
export function runPlan(plan: Plan, inputs: Tensor[], label: string, donated: ReadonlySet<number> = NONE): Tensor[] {
  const b = plan.backend;
  const slots: (Storage | null)[] = new Array(plan.count).fill(null);
  for (const { id, tensor } of plan.consts) {
    if (tensor.isDisposed) throw new StateError(`${label}: a tensor it captured ${fmtShape(tensor.shape)} was disposed`);
    slots[id] = tensor.storage!;
  }
  for (const { id, index } of plan.inputs) slots[id] = inputs[index]!.storage!;
  // a donated tensor is disposed after the last step that reads its storage, wherever given
  const lastRead = new Map<Tensor, number>();
  for (const index of donated) {
    const t = inputs[index]!;
    const out = plan.outputs.some((o) => slots[o] === t.storage);
    const reads = plan.inputs.filter((i) => inputs[i.index]!.storage === t.storage).map((i) => i.lastUse);
    lastRead.set(t, out ? Infinity : Math.max(lastRead.get(t) ?? -1, ...reads));
  }
  const dropAfter = new Map<number, Tensor[]>();
  for (const [t, k] of lastRead) dropAfter.set(k, [...(dropAfter.get(k) ?? []), t]);
  for (const t of dropAfter.get(-1) ?? []) t.dispose();
  // storages this call made and has not released (with repeats: an alias shares its input's)
  const live: Storage[] = [];
  const release = (v: number) => {
    live.splice(live.indexOf(slots[v]!), 1);
    b.release(slots[v]!);
  };
  try {
    for (const [k, s] of plan.steps.entries()) {
      if (s.effect) s.effect(s.args.map((a) => new Tensor(b, plan.shapes[a]!, slots[a]!, null, false)));
      else {
        const args = s.args.map((a) => slots[a]!);
        const shapes = s.args.map((a) => plan.shapes[a]!);
        const [out, raw] = b instanceof WebGpuBackend ? runGpuStep(b, s, args, shapes) : runStep(b, s, args, shapes);
        slots[s.out] = out!;
        live.push(out!);
        if (raw) {
          slots[s.raw!] = raw;
          live.push(raw);
        }
      }
      for (const f of s.free) release(f);
      for (const t of dropAfter.get(k) ?? []) t.dispose();
    }
  } catch (err) {
    // what ran is released; nothing half-made is returned
    for (const st of live) b.release(st);
    throw err;
  }
  b.flush();
  const given = new Set<number>();
  const outs = plan.outputs.map((o) => {
    const storage = slots[o]!;
    // an output given twice, or one that is an input or constant, gets a handle of its own
    if (given.has(o) || !live.includes(storage)) b.retain(storage);
    given.add(o);
    return new Tensor(b, plan.shapes[o]!, storage, null);
  });
  for (const t of dropAfter.get(Infinity) ?? []) t.dispose();
  return outs;
}

const NONE: ReadonlySet<number> = new Set();

/**
 * A step on a backend without fused kernels of two outputs: a fused epilogue that also stores
 * its product runs as the product, then the chain on it.
 */
function runStep(b: Backend, s: Step, args: Storage[], shapes: Shape[]): Storage[] {
  if (s.raw === undefined) return [b.run(s.op, args, shapes, s.attrs, s.shape)];
  const a = s.attrs as FusedEpilogueAttrs;
  const n = arity(a);
  const raw = b.run(a.base, args.slice(0, n), shapes.slice(0, n), a.baseAttrs, s.shape);
  const ins = chainInputs(a, raw, args.slice(n));
  const inShapes = chainInputs(a, s.shape, shapes.slice(n));
  return [b.run(fusedOp, ins, inShapes, a.chain, s.shape), raw];
}
