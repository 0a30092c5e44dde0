import { ShapeError } from '../../engine/errors.js';
import { sameShape, type Shape } from '../../engine/shape.js';
import type { Tensor } from '../../engine/tensor.js';
import { launchMap } from '../../kernels/elementwise.js';
import { f32bits } from '../../kernels/wgsl.js';
import { fromValues } from '../../engine/creation.js';
import { apply, defineOp, opNamed, type MaybeTensor, type OpDef, type OpSample } from '../op.js';
import { runBatched } from '../batching/run.js';
import { addMaybe } from '../ops/elementwise.js';
import { broadcastTo } from '../ops/shape.js';

/**
 * One op of a fused chain. Its `args` number the chain's values: the kernel's inputs first
 * (`arity` of them), then the literals, then the nodes before it.
 */
export interface FusedNode {
  op: OpDef<any>;
  attrs: unknown;
  args: number[];
}

/** A chain of elementwise ops run as one kernel; the last node is the output. */
export interface FusedProgram {
  arity: number;
  /** numbers written into the kernel (the scalars of expressions like x + 1) */
  literals: number[];
  nodes: FusedNode[];
  /** the WGSL function `f(x0, x1, …)` of the chain, also the pipeline cache key */
  fn: string;
  /** short, for messages and test names */
  toJSON(): string;
}

const F32_MAX = 3.4028235e38;
const ARG_NAMES = ['a', 'b', 'c', 'd', 'e', 'f'];

/** The chain as one WGSL function; attribute values are baked in as exact float32 bits. */
const f32Literal = (v: number) => `bitcast<f32>(${f32bits(Math.max(-F32_MAX, Math.min(F32_MAX, v)))}u)`;

function chainWgsl(arity: number, literals: number[], nodes: FusedNode[]): string {
  const decls = nodes.map((n, j) => {
    const ps = n.op.elementwise!.params?.(n.attrs) ?? [];
    const lets = ps.map((v, k) => `let p${k} = ${f32Literal(v)}; `).join('');
    const params = n.args.map((_, k) => `${ARG_NAMES[k]}: f32`).join(', ');
    const e = n.op.elementwise!;
    return `fn n${j}(${params}) -> f32 { ${lets}return ${e.expr?.(n.attrs) ?? e.wgsl}; }`;
  });
  const first = arity + literals.length;
  const name = (a: number) => (a < arity ? `x${a}` : a < first ? `l${a - arity}` : `v${a - first}`);
  const lits = literals.map((v, k) => `let l${k} = ${f32Literal(v)};`).join(' ');
  const body = nodes.map((n, j) => `let v${j} = n${j}(${n.args.map(name).join(', ')});`).join(' ');
  const params = Array.from({ length: arity }, (_, k) => `x${k}: f32`).join(', ');
  return `${decls.join('\n')}\nfn f(${params}) -> f32 { ${lits} ${body} return v${nodes.length - 1}; }`;
}

export function fusedProgram(arity: number, nodes: FusedNode[], literals: number[] = []): FusedProgram {
  const fn = chainWgsl(arity, literals, nodes);
  return { arity, literals, nodes, fn, toJSON: () => `${nodes.map((n) => n.op.name).join('∘')} of ${arity}${literals.length ? ` and ${literals.join(', ')}` : ''}` };
}

/** Where a chain's nodes start among its values. */
const firstNode = (prog: FusedProgram) => prog.arity + prog.literals.length;

/** Runs the chain node by node with `each` (a node's op on its argument values), returning every value. */
function walk<T>(prog: FusedProgram, inputs: T[], literal: (v: number) => T, each: (node: FusedNode, args: T[]) => T): T[] {
  const vals = [...inputs, ...prog.literals.map(literal)];
  for (const n of prog.nodes) vals.push(each(n, n.args.map((a) => vals[a]!)));
  return vals;
}

function shapes(prog: FusedProgram, ins: Shape[]): Shape[] {
  return walk(prog, ins, () => [], (n, s) => n.op.shape(s, n.attrs));
}

/** The chain with ops, every value kept (for the derivative rules, which are those of the parts). */
function values(prog: FusedProgram, xs: Tensor[]): Tensor[] {
  return walk(prog, xs, (v) => fromValues([v], [], xs[0]!.backend), (n, args) => apply(n.op, args, n.attrs));
}

/**
 * A chain of elementwise ops in one kernel: what jit's planner makes of them. Its float64
 * reference runs the parts' own references one after the other, and its derivatives are the
 * parts' rules, so the conformance suite checks the generated kernel against the composition.
 */
export const fusedOp: OpDef<FusedProgram> = defineOp<FusedProgram>({
  name: 'fused',
  args: Array.from({ length: 16 }, (_, k) => `x${k}`),
  broadcasting: true,
  shape: (ins, prog) => {
    if (ins.length !== prog.arity) throw new ShapeError(`fused: expects ${prog.arity} inputs, got ${ins.length}`);
    return shapes(prog, ins).at(-1)!;
  },
  cpu: (xs, ins, prog) => {
    const ss = shapes(prog, ins);
    return walk(prog, xs.map((x, i) => ({ x, s: ss[i]! })), (v) => ({ x: Float64Array.of(v), s: [] as Shape }), (n, args) => {
      const s = n.op.shape(args.map((a) => a.s), n.attrs);
      return { x: n.op.cpu(args.map((a) => a.x), args.map((a) => a.s), n.attrs, s), s };
    }).at(-1)!.x;
  },
  gpu: (rt, xs, out, prog) => launchMap(rt, 'fused', prog.fn, () => prog.fn, xs, out),
  vjp: (xs, _y, g, prog, ins) => {
    const vals = values(prog, xs);
    const ss = shapes(prog, ins);
    const cts: MaybeTensor[] = vals.map(() => null);
    cts[vals.length - 1] = g;
    for (let j = prog.nodes.length - 1; j >= 0; j--) {
      const n = prog.nodes[j]!;
      const ct = cts[firstNode(prog) + j];
      if (!ct) continue;
      const args = n.args.map((a) => vals[a]!);
      const outS = ss[firstNode(prog) + j]!;
      const parts = n.op.vjp(args, vals[firstNode(prog) + j]!, ct, n.attrs, n.args.map((a) => ss[a]!), outS);
      parts.forEach((p, k) => {
        if (p && !n.op.nondiff?.includes(k)) cts[n.args[k]!] = addMaybe(cts[n.args[k]!]!, p);
      });
    }
    return cts.slice(0, prog.arity);
  },
  jvp: (xs, _y, tangents, prog) => {
    const vals = values(prog, xs);
    const ts: MaybeTensor[] = [...tangents, ...prog.literals.map(() => null)];
    prog.nodes.forEach((n, j) => {
      const args = n.args.map((a) => vals[a]!);
      const argTs = n.args.map((a, k) => (n.op.nondiff?.includes(k) ? null : ts[a]!));
      const out = vals[firstNode(prog) + j]!;
      let t = argTs.some((x) => x) ? n.op.jvp(args, out, argTs, n.attrs) : null;
      if (t && !sameShape(t.shape.slice(t.rank - out.rank), out.shape)) t = broadcastTo(t, [...t.shape.slice(0, t.rank - out.rank), ...out.shape]);
      ts.push(t);
    });
    return ts.at(-1)!;
  },
  // a batch runs the parts, each by its own batching rule (broadcastTo's shape gains the batch axis)
  batch: (_op, inputs, batched, prog, size) => runBatched(size, (...xs) => values(prog, xs).at(-1)!, inputs, batched),
  get samples(): OpSample<FusedProgram>[] {
    const op = opNamed;
    return [
      // tanh(a·b + c), b broadcast along the rows
      { shapes: [[3, 4], [4], [3, 4]], attrs: fusedProgram(3, [{ op: op('mul'), attrs: undefined, args: [0, 1] }, { op: op('add'), attrs: undefined, args: [3, 2] }, { op: op('tanh'), attrs: undefined, args: [4] }]) },
      // σ(a) − b², a scalar b
      { shapes: [[2, 3], []], attrs: fusedProgram(2, [{ op: op('sigmoid'), attrs: undefined, args: [0] }, { op: op('square'), attrs: undefined, args: [1] }, { op: op('sub'), attrs: undefined, args: [2, 3] }]) },
      // leakyRelu(a, 0.1)·a: one input used twice, an attribute baked in
      { shapes: [[7]], attrs: fusedProgram(1, [{ op: op('leakyRelu'), attrs: { alpha: 0.1 }, args: [0] }, { op: op('mul'), attrs: undefined, args: [1, 0] }]), domain: 'awayFromZero' },
      // (a + 0.5)·(−2): two numbers written into the kernel
      { shapes: [[3, 2]], attrs: fusedProgram(1, [{ op: op('add'), attrs: undefined, args: [0, 1] }, { op: op('mul'), attrs: undefined, args: [3, 2] }], [0.5, -2]) },
      // a broadcast to a new leading axis, then exp(a) + b
      { shapes: [[5], [2, 5]], attrs: fusedProgram(2, [{ op: op('broadcastTo'), attrs: { shape: [2, 5] }, args: [0] }, { op: op('exp'), attrs: undefined, args: [2] }, { op: op('add'), attrs: undefined, args: [3, 1] }]) },
    ];
  },
});
