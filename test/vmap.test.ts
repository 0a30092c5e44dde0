// vmap: its axes and errors, and its compositions with grad, jvp, jacfwd/jacrev, itself,
// customVjp, odeint, linalg and a model training step, each against a loop over members (and
// finite differences where a derivative is new).
import { beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';
import { initBoth, maxAbs, maxAbsDiff } from './helpers.js';

beforeAll(async () => {
  await initBoth();
  await fg.init({ backend: 'cpu' });
});

const member = (x: fg.Tensor, b: number, axis = 0) => {
  const begin = x.shape.map(() => 0);
  const end = [...x.shape];
  begin[axis] = b;
  end[axis] = b + 1;
  return fg.reshape(fg.slice(x, begin, end), x.shape.filter((_, d) => d !== axis));
};

/** The loop vmap stands for: f on each member, the results stacked along axis 0. */
function loop(f: (...xs: fg.Tensor[]) => fg.Tensor, size: number, args: (fg.Tensor | [fg.Tensor, number] | null)[], shared: fg.Tensor[] = []) {
  const outs = Array.from({ length: size }, (_, b) =>
    f(...args.map((a, i) => (a === null ? shared[i]! : Array.isArray(a) ? member(a[0], b, a[1]) : member(a, b)))),
  );
  return fg.stack(outs);
}

async function close(a: fg.Tensor, b: fg.Tensor, tol = 1e-12) {
  expect(a.shape).toEqual(b.shape);
  const [x, y] = [await a.data(), await b.data()];
  expect(maxAbsDiff(x, y)).toBeLessThanOrEqual(tol * Math.max(1, maxAbs(y)));
}

const randn = (shape: number[], seed: number) => fg.randn(shape, { seed });

describe('vmap axes', () => {
  it('maps along inAxes (number, null, negative, trees) and places outAxes', async () => {
    const x = randn([4, 3], 1);
    const W = randn([3, 2], 2);
    const f = (r: fg.Tensor, w: fg.Tensor) => fg.tanh(fg.matmul(r, w));
    await close(fg.vmap(f, { inAxes: [0, null] })(x, W), loop(f, 4, [x, null], [x, W]));
    // the batch along the last axis of x, and out along axis 1
    const xt = fg.transpose(x);
    const y = fg.vmap(f, { inAxes: [-1, null], outAxes: 1 })(xt, W);
    await close(y, fg.transpose(loop(f, 4, [x, null], [x, W])));
    // trees: an object argument with one mapped and one shared leaf; outputs as a tree
    const g = (p: { a: fg.Tensor; w: fg.Tensor }) => ({ y: fg.matmul(p.a, p.w), s: fg.sum(p.w) });
    const out = fg.vmap(g, { inAxes: [{ a: 0, w: null }], outAxes: { y: 0, s: null } })({ a: x, w: W });
    await close(out.y, fg.matmul(x, W));
    await close(out.s, fg.sum(W));
  });

  it('shares tensors captured from outside and broadcasts outputs that do not depend on the batch', async () => {
    const x = randn([5, 3], 3);
    const c = randn([3], 4);
    const [y, k] = fg.vmap((r: fg.Tensor) => [fg.mul(r, c), fg.exp(c)])(x);
    await close(y, fg.mul(x, c));
    await close(k, fg.broadcastTo(fg.reshape(fg.exp(c), [1, 3]), [5, 3]));
  });

  it('nests: vmap of vmap equals the double loop', async () => {
    const x = randn([2, 3, 4], 5);
    const f = (r: fg.Tensor) => fg.softmax(r, -1);
    const inner = fg.vmap(f, { inAxes: 1, outAxes: 1 });
    await close(fg.vmap(inner)(x), fg.softmax(x, 1)); // each member's own axis is x's axis 1
  });
});

describe('vmap errors', () => {
  it('mismatched sizes name the arguments and sizes', () => {
    expect(() => fg.vmap((a: fg.Tensor, b: fg.Tensor) => fg.add(a, b))(fg.zeros([3, 2]), fg.zeros([4, 2]))).toThrow(
      /vmap: the mapped axes have different sizes: argument 0 \[3, 2\] axis 0: 3; argument 1 \[4, 2\] axis 0: 4/,
    );
  });
  it('an axis out of range names the argument and its shape', () => {
    expect(() => fg.vmap((a: fg.Tensor) => a, { inAxes: 2 })(fg.zeros([3, 2]))).toThrow(/vmap: inAxes 2 is out of range for argument 0 of shape \[3, 2\]/);
    expect(() => fg.vmap((a: fg.Tensor) => a, { outAxes: 3 })(fg.zeros([3, 2]))).toThrow(/vmap: outAxes 3 is out of range for the output of shape \[2\]/);
  });
  it('spec trees must match the arguments and outputs', () => {
    expect(() => fg.vmap((a: fg.Tensor) => a, { inAxes: [0, 0] })(fg.zeros([3]))).toThrow(/vmap: inAxes has 2 entries but f was called with 1 argument/);
    expect(() => fg.vmap((a: fg.Tensor) => [a, a], { outAxes: [0, 0, 0] })(fg.zeros([3]))).toThrow(/vmap: outAxes \[0,0,0\] does not match the output: 3 entries for an array of 2/);
    expect(() => fg.vmap((a: fg.Tensor) => a, { outAxes: null })(fg.zeros([3]))).toThrow(/vmap: the output \[\] differs between members but its outAxes is null/);
    expect(() => fg.vmap((a: fg.Tensor) => a, { inAxes: null })(fg.zeros([3]))).toThrow(/vmap: no argument is mapped/);
    expect(() => fg.vmap((a: fg.Tensor) => a, { inAxis: 0 } as never)).toThrow(/vmap: unknown option inAxis .*; known: inAxes, outAxes/);
  });
  it('index ops keep their checks and their public name under vmap', async () => {
    const x = fg.tensor([[1, 2, 3], [4, 5, 6]]);
    expect(() => fg.vmap((r: fg.Tensor) => fg.segmentSum(r, [0, -1, 1], 2))(x)).toThrow(/^segmentSum: .*-1/);
    expect(() => fg.vmap((l: fg.Tensor) => fg.crossEntropy(fg.zeros([2, 3]), l))(fg.tensor([[0, 5], [1, 2]]))).toThrow(/^crossEntropy: /);
  });

  it('a tracer escaping the vmap is an error when used or read', async () => {
    let leaked: fg.Tensor | null = null;
    const x = fg.zeros([3, 2]);
    fg.vmap((a: fg.Tensor) => ((leaked = fg.mul(a, 2)), a))(x);
    expect(() => fg.add(leaked!, 1)).toThrow(/add: a traced tensor was used after its transform \(grad\/jvp\/vmap\) returned/);
    await expect(leaked!.data()).rejects.toThrow(/data\(\): this tensor of shape \[2\] is one member of a vmap batch/);
  });
});

// an MLP 2 → 8 → 2 on one example x [2], as a function of its parameters
let mlpModel: ReturnType<typeof fg.models.mlp> | null = null;
const mlp = () => (mlpModel ??= fg.models.mlp({ sizes: [2, 8, 2], seed: 3 }));
const lossOf = (p: unknown, x: fg.Tensor, y: fg.Tensor) => fg.mseLoss(mlp().apply(p as never, fg.reshape(x, [1, 2])), fg.reshape(y, [1, 2]));

describe('vmap with derivatives', () => {
  it('vmap(grad): per-example gradients equal a loop of grad calls', async () => {
    const xs = randn([6, 2], 7);
    const ys = randn([6, 2], 8);
    const per = fg.vmap(fg.grad(lossOf), { inAxes: [null, 0, 0] })(mlp().params, xs, ys);
    const leavesOf = (t: unknown) => fg.models.leaves(t).map((l) => l.tensor);
    const loops = Array.from({ length: 6 }, (_, b) => leavesOf(fg.grad(lossOf)(mlp().params, member(xs, b), member(ys, b))));
    for (const [k, g] of leavesOf(per).entries()) await close(g, fg.stack(loops.map((l) => l[k]!)));
  });

  it('grad(vmap): the gradient of a batched sum equals central differences', async () => {
    const xs = randn([4, 3], 9);
    const f = (w: fg.Tensor) => fg.sum(fg.vmap((r: fg.Tensor) => fg.sum(fg.square(fg.tanh(fg.matmul(r, w)))))(xs));
    const report = await fg.gradcheck(f, [randn([3, 2], 10)], { backend: 'cpu' });
    expect(report.pass).toBe(true);
  });

  it('vmap(jvp) and jacfwd(vmap) equal loops and jacrev', async () => {
    const xs = randn([3, 4], 11);
    const ts = randn([3, 4], 12);
    const f = (r: fg.Tensor) => fg.sin(fg.mul(r, r));
    const jv = fg.vmap((x: fg.Tensor, t: fg.Tensor) => fg.jvp(f, [x], [t])[1])(xs, ts);
    await close(jv, loop((x, t) => fg.jvp(f, [x], [t])[1], 3, [xs, ts]));
    const J = fg.jacfwd(fg.vmap(f))(xs); // [3, 4, 3, 4]: block diagonal
    await close(J, fg.jacrev(fg.vmap(f))(xs));
    const blocks = Array.from({ length: 3 }, (_, b) => fg.jacfwd(f)(member(xs, b)));
    for (let b = 0; b < 3; b++) {
      await close(fg.reshape(fg.slice(J, [b, 0, b, 0], [b + 1, 4, b + 1, 4]), [4, 4]), blocks[b]!);
    }
  });

  it('vmap of a customVjp op uses its rule under an outer grad and inside', async () => {
    // forward x², rule 3x·g (deliberately not 2x, so that the test can tell which ran)
    const sq = fg.customVjp('sq3', (x) => fg.square(x), ([x], _y, g) => [fg.mul(g, fg.mul(x!, 3))]);
    const xs = randn([4, 3], 13);
    await close(fg.vmap(sq)(xs), fg.square(xs));
    await close(fg.grad((x: fg.Tensor) => fg.sum(fg.vmap(sq)(x)))(xs), fg.mul(xs, 3));
    await close(fg.vmap(fg.grad((x: fg.Tensor) => fg.sum(sq(x))))(xs), fg.mul(xs, 3));
    // a shared input's cotangent sums over members
    const w = randn([3], 14);
    const mulc = fg.customVjp('mulc', (a, b) => fg.mul(a, b), ([a, b], _y, g) => [fg.mul(g, b!), fg.mul(g, a!)]);
    const gw = fg.grad((v: fg.Tensor) => fg.sum(fg.vmap((a: fg.Tensor) => mulc(a, v))(xs)))(w);
    await close(gw, fg.sum(xs, 0));
  });
});

describe('jacfwd, jacrev and hvp on trees', () => {
  it('take trees and argnums; blocks equal the single-tensor Jacobians', async () => {
    const a = randn([3], 15);
    const b = randn([2, 3], 16);
    const f = (p: { a: fg.Tensor; b: fg.Tensor }, s: fg.Tensor) => ({ y: fg.matmul(p.b, fg.mul(p.a, s)), z: fg.sum(fg.exp(p.a)) });
    const s = randn([3], 17);
    for (const jac of [fg.jacfwd, fg.jacrev]) {
      const J = jac(f)({ a, b }, s);
      expect(J.y.a.shape).toEqual([2, 3]);
      expect(J.y.b.shape).toEqual([2, 2, 3]);
      expect(J.z.a.shape).toEqual([3]); // z is a scalar
      await close(J.y.a, fg.jacfwd((x: fg.Tensor) => fg.matmul(b, fg.mul(x, s)))(a));
      await close(J.z.a, fg.exp(a));
      const both = jac(f, { argnums: [0, 1] })({ a, b }, s);
      await close(both.y[1], fg.jacrev((x: fg.Tensor) => fg.matmul(b, fg.mul(a, x)))(s));
    }
    const hv = fg.hvp((p: { a: fg.Tensor; b: fg.Tensor }) => fg.sum(fg.mul(fg.square(p.a), fg.sum(p.b, 0))), { a, b }, { a: fg.ones([3]), b: fg.zeros([2, 3]) });
    await close(hv.a, fg.mul(fg.sum(b, 0), 2));
  });
});

describe('argnums in any order', () => {
  it('jacrev and jacfwd with argnums [1, 0] give the blocks in that order', async () => {
    const f = (a: fg.Tensor, b: fg.Tensor) => fg.mul(fg.sum(a), b);   // a [2], b [3] → [3]
    const a = fg.tensor([1, 2]);
    const b = fg.tensor([3, 4, 5]);
    for (const jac of [fg.jacrev, fg.jacfwd]) {
      const [jb, ja] = jac(f, { argnums: [1, 0] })(a, b) as fg.Tensor[];
      expect(jb!.shape).toEqual([3, 3]);
      expect(ja!.shape).toEqual([3, 2]);
      await close(jb!, fg.mul(fg.eye(3), 3));                  // ∂(Σa·b)/∂b = (Σa)·I
      await close(ja!, fg.tensor([[3, 3], [4, 4], [5, 5]]));    // ∂/∂a = b ⊗ 1
    }
  });
});

describe('vmap of solvers and models', () => {
  // dy/dt = tanh(y·W): a Neural ODE with a different W per member
  const rhs = (_t: number, y: fg.Tensor, W: fg.Tensor) => fg.tanh(fg.matmul(y, W));
  const solveLoss = (grad: 'backprop' | 'adjoint') => (W: fg.Tensor, y0: fg.Tensor) =>
    fg.sum(fg.square(fg.odeint(rhs, y0, [0, 0.5, 1], { method: 'rk4', steps: 5, params: W, grad, ...(grad === 'adjoint' ? { adjoint: { method: 'rk4', steps: 5 } } : {}) })));

  for (const mode of ['backprop', 'adjoint'] as const) {
    it(`odeint (rk4, grad: '${mode}'): vmap over params and y0 equals the loop, and so do both gradient orders`, async () => {
      const Ws = fg.mul(randn([3, 4, 4], 20), 0.5);
      const y0s = randn([3, 2, 4], 21);
      const f = solveLoss(mode);
      await close(fg.vmap(f)(Ws, y0s), loop(f, 3, [Ws, y0s]), 1e-10);
      const per = fg.vmap(fg.grad(f))(Ws, y0s);
      await close(per, loop(fg.grad(f), 3, [Ws, y0s]), 1e-10);
      // the gradient of the batch's total loss: each member's own gradient, for either order
      await close(fg.grad((W: fg.Tensor) => fg.sum(fg.vmap(f)(W, y0s)))(Ws), per, 1e-10);
    });
  }

  it('dopri5 steps the batch once, on the worst member\'s error', async () => {
    // member 1 is fast (large W): its error decides every step, so its solution is exactly
    // the one it gets alone; member 0 is then solved on a finer grid than it would choose
    const Ws = fg.stack([fg.mul(fg.eye(3), 0.1), fg.mul(randn([3, 3], 22), 2)]);
    const y0 = randn([2, 3], 23);
    const solve = (W: fg.Tensor) => fg.odeint(rhs, y0, [0, 1], { method: 'dopri5', rtol: 1e-6, atol: 1e-8, params: W });
    const both = fg.vmap(solve)(Ws);
    await close(member(both, 1), solve(member(Ws, 1)), 1e-13);
    const alone0 = solve(member(Ws, 0));
    const diff = maxAbsDiff(await member(both, 0).data(), await alone0.data());
    expect(diff).toBeGreaterThan(0); // a different grid …
    expect(diff).toBeLessThanOrEqual(1e-5); // … to the tolerance asked for
  });

  it('linalg under vmap: eigh values and their gradient equal the loop', async () => {
    const A = randn([4, 3, 3], 24);
    const S = fg.add(A, fg.transpose(A, [0, 2, 1])); // symmetric members
    const top = (a: fg.Tensor) => fg.sum(fg.mul(fg.linalg.eigh(a).values, fg.tensor([1, 2, 3])));
    await close(fg.vmap(top)(S), loop(top, 4, [S]), 1e-10);
    await close(fg.vmap(fg.grad(top))(S), loop(fg.grad(top), 4, [S]), 1e-8);
  });

  it('an ensemble of ResNets trained as one vmapped step: the losses of separate trainings', async () => {
    const E = 3;
    const models = Array.from({ length: E }, (_, e) => fg.models.resnet({ width: 4, layers: 8, seed: 30 + e }));
    const net = models[0]!;
    const x = randn([16, 4], 25);
    const y = randn([16, 4], 26);
    const loss = (p: unknown) => fg.mseLoss(net.apply(p as never, x), y);
    const steps = 5;
    // separate: one Adam per member
    const separate: number[][] = [];
    for (const m of models) {
      const opt = fg.optim.adam(m.params, { lr: 0.05 });
      let p: unknown = m.params;
      const ls: number[] = [];
      for (let s = 0; s < steps; s++) {
        const [l, g] = fg.valueAndGrad(loss)(p);
        ls.push(await l.item());
        p = opt.step(p, g);
      }
      separate.push(ls);
    }
    // ensemble: the parameter trees stacked along a member axis, one vmapped step; Adam is
    // elementwise, so one Adam on the stacked tree is E independent ones
    const leaves = models.map((m) => fg.models.leaves(m.params).map((l) => l.tensor));
    let k = 0;
    let p: unknown = fg.models.mapTree(models[0]!.params, () => {
      const i = k++;
      return fg.stack(leaves.map((ls) => ls[i]!));
    });
    const opt = fg.optim.adam(p, { lr: 0.05 });
    const step = fg.vmap(fg.valueAndGrad(loss));
    for (let s = 0; s < steps; s++) {
      const [l, g] = step(p);
      const ls = await l.data();
      for (let e = 0; e < E; e++) expect(Math.abs(ls[e]! - separate[e]![s]!)).toBeLessThanOrEqual(1e-12 * Math.max(1, separate[e]![s]!));
      p = opt.step(p, g);
    }
  });
});
