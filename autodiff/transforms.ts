import { fromValues } from '../engine/creation.js';
import { ArgumentError, ShapeError, StateError, fmtShape } from '../engine/errors.js';
import { checkOptions, describe, optionKeys } from '../engine/options.js';
import { collect, disposeExcept } from '../engine/scope.js';
import { sameShape, sizeOf, type Shape } from '../engine/shape.js';
import { Tensor } from '../engine/tensor.js';
import { backward, distinct } from './backward.js';
import { reshape, transpose } from './ops/shape.js';
import { sliceAxis } from './ops/slice.js';
import { vmap } from './vmap.js';
import { JvpLevel, JvpTrace, TapeLevel, popLevel, primalAt, pushLevel } from './trace.js';
import { flatten } from './tree.js';

type Fn = (...args: any[]) => any;

export interface GradOptions {
  /** which positional arguments to differentiate with respect to (default 0) */
  argnums?: number | number[];
}

const GRAD_KEYS = optionKeys<GradOptions>({ argnums: true });

/** Checks grad's options when the transform is made: argnums are distinct non-negative integers. */
function checkGradOptions(f: unknown, opts: GradOptions | undefined, who: string): void {
  if (typeof f !== 'function') throw new ArgumentError(`${who}: f must be a function, got ${describe(f)}`);
  const a = checkOptions(who, opts, GRAD_KEYS).argnums;
  if (a === undefined) return;
  const list: unknown[] = Array.isArray(a) ? a : [a];
  list.forEach((i, k) => {
    if (typeof i !== 'number' || !Number.isInteger(i) || i < 0) throw new ArgumentError(`${who}: argnums must be non-negative integers (argument positions), got ${describe(a)}`);
    if (list.indexOf(i) !== k) throw new ArgumentError(`${who}: argnums ${describe(a)} names argument ${i} twice`);
  });
}

function argnumsOf(opts: GradOptions | undefined, nargs: number, who: string): number[] {
  const a = opts?.argnums ?? 0;
  const list = Array.isArray(a) ? a : [a];
  for (const i of list) {
    if (i >= nargs) throw new ArgumentError(`${who}: argnums ${JSON.stringify(a)} out of range for ${nargs} argument(s)`);
  }
  return list;
}

/** A freed tensor must not be computed with: its storage may already hold another tensor's values. */
function checkAlive(who: string, what: string, values: readonly unknown[]): void {
  values.forEach((v, i) => {
    for (const t of flatten(v).leaves) {
      if (t.isDisposed) throw new StateError(`${who}: ${what}${values.length > 1 ? ` ${i}` : ''} holds tensor #${t.id} of shape ${fmtShape(t.shape)}, which was disposed`);
    }
  });
}

const zerosLike = (t: Tensor, shape: Shape = t.shape) => fromValues(new Float64Array(sizeOf(shape)), shape, t.backend);

/**
 * Runs f with the leaves of args[argnums] traced on a new tape level. Intermediates of f that
 * the tape does not keep are freed as soon as f returns.
 */
function record(f: Fn, args: unknown[], argnums: number[], who: string) {
  const level = pushLevel((d) => new TapeLevel(d));
  // leaves in the order of argnums, the order in which gradients and Jacobian blocks come back
  const leaves: Tensor[] = [];
  const wrapped = [...args];
  for (const i of argnums) {
    const { leaves: ls, rebuild } = flatten(args[i]);
    if (ls.length === 0) throw new ArgumentError(`${who}: argument ${i} contains no tensor to differentiate`);
    wrapped[i] = rebuild(ls.map((x) => (leaves.push(x), level.leaf(x, leaves.length - 1))));
  }
  let out: unknown;
  let created: Set<Tensor>;
  try {
    ({ result: out, created } = collect(() => f(...wrapped)));
  } finally {
    popLevel(level);
  }
  const { leaves: outs, rebuild: rebuildOut } = flatten(out);
  const values = distinct(outs.map((o) => primalAt(o, level.depth)), args.flatMap((a) => flatten(a).leaves));
  disposeExcept(created, values);
  return { level, leaves, outs, value: rebuildOut(values), rebuildArgs: (grads: Tensor[]) => regroup(args, argnums, grads) };
}

/** Splits flat leaf gradients back into one tree per differentiated argument. */
function regroup(args: unknown[], argnums: number[], grads: Tensor[]): unknown[] {
  let k = 0;
  return argnums.map((i) => {
    const { leaves, rebuild } = flatten(args[i]);
    return rebuild(leaves.map(() => grads[k++]!));
  });
}

function scalarOut(outs: Tensor[], who: string): Tensor {
  if (outs.length !== 1 || outs[0]!.size !== 1) {
    const shapes = outs.map((o) => fmtShape(o.shape)).join(', ');
    throw new ShapeError(`${who}: f must return one scalar tensor (size 1), got ${outs.length ? shapes : 'no tensor'}; use vjp or jacrev for other outputs`);
  }
  return outs[0]!;
}

function gradsFor(level: TapeLevel, leaves: Tensor[], outs: Tensor[], seeds: Tensor[], keepTape = false): Tensor[] {
  const cts = backward(level, outs, seeds, leaves.length, keepTape);
  const batch = seeds[0]!.rank - outs[0]!.rank;
  return cts.map((g, i) => g ?? zerosLike(leaves[i]!, [...seeds[0]!.shape.slice(0, batch), ...leaves[i]!.shape]));
}

/** The gradients' type: the argument tree at argnums (a tuple of them for an array of argnums). */
export type GradsOf<A extends readonly unknown[], I> = I extends number ? A[I] : { -readonly [K in keyof I]: I[K] extends number ? A[I[K]] : never };

/** [f(...args), ∇f] for a scalar f; gradients have the tree shape (and type) of args[argnums]. */
export function valueAndGrad<A extends any[], R>(f: (...args: A) => R, opts?: { argnums?: 0 }): (...args: A) => [R, A[0]];
export function valueAndGrad<A extends any[], R, const I extends number | readonly number[]>(f: (...args: A) => R, opts: { argnums: I }): (...args: A) => [R, GradsOf<A, I>];
export function valueAndGrad(f: Fn, opts?: GradOptions, who?: string): (...args: any[]) => [any, any];
export function valueAndGrad(f: Fn, opts?: GradOptions, who = 'valueAndGrad') {
  checkGradOptions(f, opts, who);
  return (...args: any[]): [any, any] => {
    checkAlive(who, 'argument', args);
    const argnums = argnumsOf(opts, args.length, who);
    const { level, leaves, outs, value, rebuildArgs } = record(f, args, argnums, who);
    const out = scalarOut(outs, who);
    const seed = fromValues(new Float64Array(out.size).fill(1), out.shape, out.backend);
    const flat = gradsFor(level, leaves, [out], [seed]);
    disposeUnlessIn(seed, flat);
    const grads = rebuildArgs(flat);
    return [value, Array.isArray(opts?.argnums) ? grads : grads[0]];
  };
}

/** ∇f for a scalar f, with the tree shape (and type) of args[argnums]. */
export function grad<A extends any[]>(f: (...args: A) => unknown, opts?: { argnums?: 0 }): (...args: A) => A[0];
export function grad<A extends any[], const I extends number | readonly number[]>(f: (...args: A) => unknown, opts: { argnums: I }): (...args: A) => GradsOf<A, I>;
export function grad(f: Fn, opts?: GradOptions): (...args: any[]) => any;
export function grad(f: Fn, opts?: GradOptions) {
  const vg = valueAndGrad(f, opts, 'grad');
  return (...args: any[]): any => {
    const [value, g] = vg(...args);
    for (const v of flatten(value).leaves) v.dispose();
    return g;
  };
}

/**
 * [f(...primals), vjpFn]: vjpFn(cotangents) returns the cotangent of every primal. The tape is
 * kept until vjpFn.dispose(), so vjpFn may be called more than once.
 */
export function vjp(f: Fn, ...primals: any[]): [any, ((ct: any) => any[]) & { dispose(): void }] {
  if (typeof f !== 'function') throw new ArgumentError(`vjp: f must be a function, got ${describe(f)}`);
  checkAlive('vjp', 'primal', primals);
  const argnums = primals.map((_, i) => i);
  const { level, leaves, outs, value, rebuildArgs } = record(f, primals, argnums, 'vjp');
  const fn = (ct: unknown) => {
    checkAlive('vjp (vjpFn)', 'cotangent', [ct]);
    const seeds = flatten(ct).leaves;
    // each cotangent has its output's shape, after at most one leading batch axis (jacrev's)
    const fits = (s: Tensor, o: Tensor) => (s.rank === o.rank || s.rank === o.rank + 1) && sameShape(s.shape.slice(s.rank - o.rank), o.shape);
    if (seeds.length !== outs.length || seeds.some((s, i) => !(s instanceof Tensor) || !fits(s, outs[i]!))) {
      throw new ShapeError(`vjp: cotangents ${seeds.map((s) => fmtShape(s.shape)).join(', ')} do not match the outputs ${outs.map((o) => fmtShape(o.shape)).join(', ')}`);
    }
    return rebuildArgs(gradsFor(level, leaves, outs, seeds, true));
  };
  fn.dispose = () => level.nodes.forEach((n) => TapeLevel.free(n));
  return [value, fn];
}

/** [f(...primals), tangent of f along tangents]: forward mode. */
export function jvp(f: Fn, primals: any[], tangents: any[]): [any, any] {
  if (typeof f !== 'function') throw new ArgumentError(`jvp: f must be a function, got ${describe(f)}`);
  if (Array.isArray(primals)) checkAlive('jvp', 'primal', primals);
  if (Array.isArray(tangents)) checkAlive('jvp', 'tangent', tangents);
  if (!Array.isArray(primals) || !Array.isArray(tangents) || primals.length !== tangents.length) {
    throw new ArgumentError('jvp: primals and tangents must be arrays of the same length (one tangent tree per argument)');
  }
  const level = pushLevel((d) => new JvpLevel(d));
  let out: unknown;
  let created: Set<Tensor>;
  try {
    const wrapped = primals.map((p, i) => {
      const { leaves: ps, rebuild } = flatten(p);
      const ts = flatten(tangents[i]).leaves;
      if (ts.length !== ps.length) throw new ArgumentError(`jvp: argument ${i} has ${ps.length} tensor(s) but its tangent has ${ts.length}`);
      return rebuild(ps.map((x, k) => {
        const t = ts[k]!;
        if (t.shape.join() !== x.shape.join()) throw new ShapeError(`jvp: tangent ${fmtShape(t.shape)} does not match primal ${fmtShape(x.shape)} of argument ${i}`);
        return new Tensor(x.backend, x.shape, null, new JvpTrace(level.depth, x, t));
      }));
    });
    ({ result: out, created } = collect(() => f(...wrapped)));
  } finally {
    popLevel(level);
  }
  const { leaves: outs, rebuild } = flatten(out);
  const given = [...primals, ...tangents].flatMap((a) => flatten(a).leaves);
  const both = distinct([
    ...outs.map((o) => primalAt(o, level.depth)),
    ...outs.map((o) => (o.trace?.depth === level.depth ? (o.trace as JvpTrace).tangent : zerosLike(o))),
  ], given);
  const values = both.slice(0, outs.length);
  const tans = both.slice(outs.length);
  disposeExcept(created, [values, tans]);
  return [rebuild(values), rebuild(tans)];
}

/** The differentiated arguments' tensors, checked alive, with a rebuild into one tree per argument. */
function diffLeaves(args: unknown[], argnums: number[], who: string) {
  const trees = argnums.map((i) => {
    const t = flatten(args[i]);
    if (t.leaves.length === 0) throw new ArgumentError(`${who}: argument ${i} contains no tensor to differentiate`);
    t.leaves.forEach((x) => x.assertAlive(`${who}: argument ${i}`));
    return t;
  });
  const leaves = trees.flatMap((t) => t.leaves);
  /** one value per leaf → the argnums' trees (a tuple when argnums is an array) */
  const regroupLeaves = (values: Tensor[], many: boolean) => {
    let k = 0;
    const grouped = trees.map((t) => t.rebuild(t.leaves.map(() => values[k++]!)));
    return many ? grouped : grouped[0];
  };
  return { leaves, regroupLeaves };
}

/**
 * The Jacobian as a tree: for every output leaf of shape S, a tree like the differentiated
 * arguments whose leaf of shape X holds d out / d in of shape [...S, ...X]. `block(o, k)`
 * gives that block as [size of S, size of X].
 */
function jacobianTree(out: unknown, ins: Tensor[], many: boolean, regroupLeaves: (v: Tensor[], many: boolean) => unknown, block: (o: number, k: number) => Tensor) {
  const { leaves: outs, rebuild } = flatten(out);
  return rebuild(outs.map((o, oi) => regroupLeaves(ins.map((x, k) => reshape(block(oi, k), [...o.shape, ...x.shape])), many)) as any);
}

/** The identity [n, n] split into one seed per tensor: [n, ...shape of tensor k] (its columns). */
function identitySeeds(like: Tensor[]): Tensor[] {
  const n = like.reduce((a, t) => a + t.size, 0);
  let off = 0;
  return like.map((t) => {
    const v = new Float64Array(n * t.size);
    for (let j = 0; j < t.size; j++) v[(off + j) * t.size + j] = 1;
    off += t.size;
    return fromValues(v, [n, ...t.shape], t.backend);
  });
}

/** The arguments of a Jacobian call checked: which are differentiated, and their leaves. */
function jacobianArgs(who: string, opts: GradOptions | undefined, args: unknown[]) {
  checkAlive(who, 'argument', args);
  const argnums = argnumsOf(opts, args.length, who);
  const { leaves: xs, regroupLeaves } = diffLeaves(args, argnums, who);
  return { argnums, xs, regroupLeaves };
}

const offsets = (ts: Tensor[]) => ts.map((_, k) => ts.slice(0, k).reduce((a, t) => a + t.size, 0));

/**
 * Jacobian by forward mode: vmap of jvp over the columns of the identity (one batch of
 * tangents, the primal computed once). f takes and returns trees; the result has f's output
 * tree with, at each output leaf, the tree of args[argnums] whose leaves are [...out, ...in].
 */
export function jacfwd(f: Fn, opts?: GradOptions) {
  checkGradOptions(f, opts, 'jacfwd');
  return (...args: any[]): any => {
    const { argnums, xs, regroupLeaves } = jacobianArgs('jacfwd', opts, args);
    const seeds = identitySeeds(xs);
    const n = seeds[0]!.shape[0]!;
    const withArgs = (ps: unknown[]) => f(...args.map((a, i) => (argnums.includes(i) ? ps[argnums.indexOf(i)] : a)));
    const pushed = (...ts: Tensor[]) => {
      const tangents = regroupLeaves(ts, true) as unknown[];
      return jvp((...ps: unknown[]) => withArgs(ps), argnums.map((i) => args[i]), tangents);
    };
    const [y, t] = vmap(pushed, { outAxes: [null, 0] })(...seeds);
    seeds.forEach((s) => disposeUnlessIn(s, [t]));
    const tans = flatten(t).leaves;
    const starts = offsets(xs);
    // t: [n, ...out] per output leaf → blocks [m, size of input k]
    const flat = tans.map((tj) => transpose(reshape(tj, [n, tj.size / n]), [1, 0]));
    const jac = jacobianTree(y, xs, Array.isArray(opts?.argnums), regroupLeaves, (o, k) => sliceAxis(flat[o]!, 1, starts[k]!, starts[k]! + xs[k]!.size));
    for (const v of flatten(y).leaves) v.dispose();
    return jac;
  };
}

/**
 * Jacobian by reverse mode: records f once, then vmap of the backward pass over the rows of
 * the identity (one batch of cotangents). Trees and argnums as jacfwd.
 */
export function jacrev(f: Fn, opts?: GradOptions) {
  checkGradOptions(f, opts, 'jacrev');
  return (...args: any[]): any => {
    const { argnums, xs, regroupLeaves } = jacobianArgs('jacrev', opts, args);
    const { level, leaves, outs, value } = record(f, args, argnums, 'jacrev');
    try {
      const seeds = identitySeeds(outs);
      const m = seeds[0]!.shape[0]!;
      const cts: Tensor[] = vmap((...ss: Tensor[]) => gradsFor(level, leaves, outs, ss, true))(...seeds);
      seeds.forEach((s) => disposeUnlessIn(s, cts));
      const starts = offsets(outs);
      // cts: [m, ...in] per input leaf → blocks [size of output o, size of input k]
      const flat = cts.map((c) => reshape(c, [m, c.size / m]));
      return jacobianTree(value, xs, Array.isArray(opts?.argnums), regroupLeaves, (o, k) => sliceAxis(flat[k]!, 0, starts[o]!, starts[o]! + outs[o]!.size));
    } finally {
      level.nodes.forEach((node) => TapeLevel.free(node));
      for (const v of flatten(value).leaves) v.dispose();
    }
  };
}

/** Disposes a tensor made here unless it was passed through into the results. */
function disposeUnlessIn(t: Tensor, results: unknown[]): void {
  if (!results.includes(t)) t.dispose();
}

/** Hessian-vector product H(x)·v of a scalar f: forward-over-reverse; x and v are trees of one structure. */
export function hvp(f: Fn, x: any, v: any): any {
  if (typeof f !== 'function') throw new ArgumentError(`hvp: f must be a function, got ${describe(f)}`);
  const xs = flatten(x).leaves;
  const vs = flatten(v).leaves;
  if (xs.length === 0) throw new ArgumentError(`hvp: x must be a Tensor (or a tree of tensors), got ${describe(x)}`);
  if (vs.length !== xs.length || vs.some((t, i) => t.shape.join() !== xs[i]!.shape.join())) {
    throw new ShapeError(`hvp: v must match x tensor for tensor: x ${xs.map((t) => fmtShape(t.shape)).join(', ')}, v ${vs.length ? vs.map((t) => fmtShape(t.shape)).join(', ') : describe(v)}`);
  }
  checkAlive('hvp', 'x', [x]);
  checkAlive('hvp', 'v', [v]);
  const [, t] = jvp(grad(f), [x], [v]);
  return t;
}
