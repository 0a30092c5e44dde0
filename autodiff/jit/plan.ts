import type { Backend } from '../../engine/backend.js';
import { sameShape, sizeOf, type Shape } from '../../engine/shape.js';
import type { Tensor } from '../../engine/tensor.js';
import { opNamed, type OpDef } from '../op.js';
import { fusedOp, fusedProgram, type FusedNode, type FusedProgram } from './fused.js';
import { fusedEpilogueAttrs, fusedEpilogueOp, type FusedEpilogueAttrs } from './fused-epilogue.js';
import type { Graph, Value } from './graph.js';

/**
 * One kernel of a plan: `op` on values `args`, into value `out`; then `free` are released. An
 * effect step runs `effect` on its arguments instead (and has no result).
 */
export interface Step {
  op: OpDef<any>;
  effect?: (values: Tensor[]) => void;
  /** a fused epilogue's kernel stores its product (or reduction) as this value too */
  raw?: number;
  attrs: unknown;
  args: number[];
  out: number;
  shape: Shape;
  free: number[];
}

/** What a call runs: the kernels in order, over numbered values (inputs, constants, results). */
export interface Plan {
  backend: Backend;
  count: number;
  /** the shape of every value */
  shapes: Shape[];
  /** each input's value, and the step after which no step reads it (−1: none reads it) */
  inputs: { id: number; index: number; lastUse: number }[];
  consts: { id: number; tensor: Tensor }[];
  steps: Step[];
  outputs: number[];
}

/**
 * How many tensors a fused kernel may read: the backend's storage buffers per kernel (on the
 * cpu backend, as many as a GPU typically offers), less the parameters and the output.
 */
const maxInputs = (b: Backend) => (b.maxStorageBuffers ?? 16) - 2;

const ACTIVATION_OPS: Record<string, string> = { tanh: 'tanh', sigmoid: 'sigmoid', relu: 'relu' };

function attrsKey(attrs: unknown): string | null {
  try {
    return JSON.stringify(attrs) ?? 'undefined';
  } catch {
    return null; // attributes that do not serialize are never merged
  }
}

/**
 * Common subexpressions merged (same op, attributes and arguments). A fused linear layer
 * σ(x·w + b) whose pre-activation is computed again later (the backward pass of tanh and
 * sigmoid needs it) becomes z = x·w + b and σ(z), so that z is computed once.
 */
function simplify(g: Graph): Graph {
  const linearNone = new Set<string>();
  for (const v of g.values) {
    if (v.src.kind === 'op' && v.src.op.name === 'linear' && (v.src.attrs as { activation: string }).activation === 'none') linearNone.add(v.src.args.join(','));
  }
  const values: Value[] = [];
  const remap: number[] = [];
  const seen = new Map<string, number>();
  const emit = (v: Value, key: string | null) => {
    const id = values.push(v) - 1;
    if (key !== null) seen.set(key, id);
    return id;
  };
  const keyOf = (op: OpDef<any>, args: number[], attrs: unknown) => {
    const a = attrsKey(attrs);
    return a === null ? null : `${op.name}|${args.join(',')}|${a}`;
  };
  g.values.forEach((v, old) => {
    if (v.src.kind === 'effect') {
      remap[old] = emit({ shape: v.shape, src: { ...v.src, args: v.src.args.map((a) => remap[a]!) } }, null);
      return;
    }
    if (v.src.kind !== 'op') {
      remap[old] = emit(v, null);
      return;
    }
    const { op, attrs } = v.src;
    const args = v.src.args.map((a) => remap[a]!);
    const act = op.name === 'linear' ? ACTIVATION_OPS[(attrs as { activation: string }).activation] : undefined;
    if (act && linearNone.has(v.src.args.join(','))) {
      const zAttrs = { ...(attrs as object), activation: 'none' };
      const zKey = keyOf(op, args, zAttrs)!;
      const z = seen.get(zKey) ?? emit({ shape: v.shape, src: { kind: 'op', op, attrs: zAttrs, args } }, zKey);
      const actOp = opNamed(act);
      const key = keyOf(actOp, [z], undefined)!;
      remap[old] = seen.get(key) ?? emit({ shape: v.shape, src: { kind: 'op', op: actOp, attrs: undefined, args: [z] } }, key);
      return;
    }
    const key = keyOf(op, args, attrs);
    const found = key === null ? undefined : seen.get(key);
    remap[old] = found ?? emit({ shape: v.shape, src: { kind: 'op', op, attrs, args } }, key);
  });
  return { backend: g.backend, values, outputs: g.outputs.map((o) => remap[o]!) };
}

/** The values the outputs depend on. */
function liveValues(g: Graph): boolean[] {
  const live = g.values.map((v) => v.src.kind === 'effect');
  for (const o of g.outputs) live[o] = true;
  for (let i = g.values.length - 1; i >= 0; i--) {
    const src = g.values[i]!.src;
    if (live[i] && (src.kind === 'op' || src.kind === 'effect')) for (const a of src.args) live[a] = true;
  }
  return live;
}

/**
 * Which elementwise values are computed inside their consumer's kernel instead of stored: those
 * with exactly one consumer, itself elementwise, and not an output; and single numbers read by
 * elementwise kernels only. A value broadcast into a larger one is computed again for each
 * element it reaches: an elementwise op costs less than the dispatch that would store it.
 */
function inlined(g: Graph, live: boolean[]): boolean[] {
  const consumers = consumersOf(g, live);
  const outputs = new Set(g.outputs);
  const elementwise = (c: number) => {
    const src = g.values[c]!.src;
    return src.kind === 'op' && !!src.op.elementwise;
  };
  return g.values.map((v, i) => {
    if (!live[i] || v.src.kind !== 'op' || !v.src.op.elementwise || outputs.has(i)) return false;
    const readers = [...consumers[i]!];
    // a single number (a bias correction) is computed again in each of its readers instead
    return (readers.length === 1 || sizeOf(v.shape) === 1) && readers.every(elementwise);
  });
}

interface Chain {
  nodes: number[];
  /** values computed elsewhere: the kernel's inputs */
  leaves: number[];
  /** numbers (scalar constants), written into the kernel */
  literals: number[];
}

/** The fused chain rooted at `root`: its nodes in order, its inputs and its numbers. */
function chain(g: Graph, root: number, inline: boolean[]): Chain {
  const c: Chain = { nodes: [], leaves: [], literals: [] };
  const visit = (i: number) => {
    if (c.nodes.includes(i) || c.leaves.includes(i) || c.literals.includes(i)) return;
    const src = g.values[i]!.src;
    if (src.kind === 'const' && src.scalar !== undefined) c.literals.push(i);
    else if (i !== root && !inline[i]) c.leaves.push(i);
    else {
      for (const a of (src as { args: number[] }).args) visit(a);
      c.nodes.push(i);
    }
  };
  visit(root);
  return c;
}

/** The live values that read each value. */
function consumersOf(g: Graph, live: boolean[]): Set<number>[] {
  const consumers = g.values.map(() => new Set<number>());
  g.values.forEach((v, i) => {
    if (live[i] && (v.src.kind === 'op' || v.src.kind === 'effect')) for (const a of v.src.args) consumers[a]!.add(i);
  });
  return consumers;
}

/** Turns a traced graph into a plan: merged, pruned, elementwise chains fused, lifetimes set. */
export function planGraph(traced: Graph): Plan {
  const g = simplify(traced);
  const live = liveValues(g);
  const inline = inlined(g, live);
  const consumers = consumersOf(g, live);
  const outputs = new Set(g.outputs);
  const max = maxInputs(g.backend);
  const absorbed = new Set<number>();
  const steps: Omit<Step, 'free'>[] = [];
  g.values.forEach((v, i) => {
    if (v.src.kind === 'effect') {
      steps.push({ op: fusedOp, effect: v.src.run, attrs: null, args: v.src.args, out: i, shape: [] });
      return;
    }
    if (!live[i] || inline[i] || v.src.kind !== 'op') return;
    if (!v.src.op.elementwise) {
      steps.push({ op: v.src.op, attrs: v.src.attrs, args: v.src.args, out: i, shape: v.shape });
      return;
    }
    emitChain(i);
  });
  /** the kernel of the chain rooted at `root`, after the kernels of producers split off it */
  function emitChain(root: number, split = false): void {
    let c = chain(g, root, inline);
    // too many inputs for one kernel: store the inlined producer that brings the most of them
    while (c.leaves.length > max) {
      const inner = c.nodes.filter((n) => n !== root);
      const width = (n: number) => chain(g, n, inline).leaves.length;
      const widest = inner.reduce((best, n) => (width(n) > width(best) ? n : best));
      inline[widest] = false;
      emitChain(widest, true);
      c = chain(g, root, inline);
    }
    const v = g.values[root]!;
    const src = v.src as { op: OpDef<any>; attrs: unknown; args: number[] };
    // (a chain split off a later one is planned out of order: it fuses into nothing)
    const product = split ? undefined : c.leaves.find((l) => absorbable(l, root, c));
    if (product !== undefined) {
      // the product's kernel stores the chain's values, and its own where others read them;
      // readers of the product recorded before the chain move after it
      steps.splice(steps.findIndex((st) => st.out === product), 1);
      const moved = steps.filter((st) => st.args.includes(product));
      for (const st of moved) steps.splice(steps.indexOf(st), 1);
      const step = fusedEpilogueStep(g, root, c, product);
      const others = [...consumers[product]!].filter((n) => !c.nodes.includes(n));
      steps.push(others.length || outputs.has(product) ? { ...step, raw: product } : step, ...moved);
      absorbed.add(product);
    } else {
      steps.push(c.nodes.length === 1 ? { op: src.op, attrs: src.attrs, args: src.args, out: root, shape: v.shape } : fusedStep(g, root, c));
    }
  }
  /**
   * Whether leaf l of the chain is a kernel (a product, a reduction) the chain can run in the
   * epilogue of: of the chain's shape, with few enough inputs for one kernel, and read by the
   * chain in a way the fused kernel keeps (see below).
   */
  function absorbable(l: number, root: number, c: Chain): boolean {
    const src = g.values[l]!.src;
    if (src.kind !== 'op' || !src.op.gpuEpilogue || absorbed.has(l)) return false;
    if (!sameShape(g.values[l]!.shape, g.values[root]!.shape) || src.args.length + c.leaves.length - 1 > max) return false;
    // read by this chain; any other reader comes after it (it then reads the stored product),
    // or is a kernel of its own that nothing reads before the chain (it moves after the chain)
    const readers = [...consumers[l]!];
    if (!readers.some((n) => c.nodes.includes(n)) || !readers.every((n) => c.nodes.includes(n) || n > root || steps.some((st) => st.out === n))) return false;
    // the kernels already planned that read it (a reader, or a chain it is computed in) must be
    // movable: nothing reads them before the chain
    if (!steps.every((st) => !st.args.includes(l) || (!st.effect && [...consumers[st.out]!].every((m) => m > root)))) return false;
    // a reader computed in other chains too (a shared number) would find no product there
    const exclusive = (n: number): boolean => n === root || (consumers[n]!.size === 1 && exclusive([...consumers[n]!][0]!));
    return readers.every((n) => !c.nodes.includes(n) || exclusive(n));
  }
  // each value is released after the last step that reads it (never inputs, constants, outputs)
  const lastUse = new Map<number, number>();
  steps.forEach((s, k) => s.args.forEach((a) => lastUse.set(a, k)));
  const free: number[][] = steps.map(() => []);
  for (const [v, k] of lastUse) if (g.values[v]!.src.kind === 'op' && !outputs.has(v)) free[k]!.push(v);
  return {
    backend: g.backend,
    count: g.values.length,
    shapes: g.values.map((v) => v.shape),
    inputs: g.values.flatMap((v, id) => (v.src.kind === 'input' ? [{ id, index: v.src.index, lastUse: lastUse.get(id) ?? -1 }] : [])),
    consts: g.values.flatMap((v, id) => (v.src.kind === 'const' ? [{ id, tensor: v.src.tensor }] : [])),
    steps: steps.map((s, k) => ({ ...s, free: free[k]! })),
    outputs: g.outputs,
  };
}

function fusedStep(g: Graph, root: number, c: Chain): Omit<Step, 'free'> {
  const index = new Map<number, number>();
  c.leaves.forEach((l, k) => index.set(l, k));
  c.literals.forEach((l, k) => index.set(l, c.leaves.length + k));
  c.nodes.forEach((n, j) => index.set(n, c.leaves.length + c.literals.length + j));
  const nodes: FusedNode[] = c.nodes.map((n) => {
    const src = g.values[n]!.src as { op: OpDef<any>; attrs: unknown; args: number[] };
    return { op: src.op, attrs: src.attrs, args: src.args.map((a) => index.get(a)!) };
  });
  const literals = c.literals.map((l) => (g.values[l]!.src as { scalar: number }).scalar);
  return { op: fusedOp, attrs: fusedProgram(c.leaves.length, nodes, literals), args: c.leaves, out: root, shape: g.values[root]!.shape };
}

function fusedEpilogueStep(g: Graph, root: number, c: Chain, product: number): Omit<Step, 'free'> {
  const chainStep = fusedStep(g, root, c);
  const at = c.leaves.indexOf(product);
  const src = g.values[product]!.src as { op: OpDef<any>; attrs: unknown; args: number[] };
  return {
    op: fusedEpilogueOp,
    attrs: fusedEpilogueAttrs(src.op, src.attrs, chainStep.attrs as FusedProgram, at),
    args: [...src.args, ...c.leaves.filter((l) => l !== product)],
    out: root,
    shape: g.values[root]!.shape,
  };
}

/** The kernels of a plan by name, a fused chain as fused(op, op, …): what tests pin. */
export function kernelNames(plan: Plan): string[] {
  const chainOf = (p: FusedProgram) => p.nodes.map((n) => n.op.name).join(',');
  return plan.steps.map((s) => {
    if (s.effect) return 'check';
    if (s.op === fusedOp) return `fused(${chainOf(s.attrs as FusedProgram)})`;
    if (s.op === fusedEpilogueOp) {
      const a = s.attrs as FusedEpilogueAttrs;
      return `${a.base.name}+(${chainOf(a.chain)})${s.raw === undefined ? '' : ` keeping ${a.base.name}`}`;
    }
    return s.op.name;
  });
}
