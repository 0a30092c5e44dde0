// One iteration of multinomial NUTS (Betancourt 2017, as Stan) for a batch of chains: the
// trajectory doubles in a random direction until every chain's U-turns or diverges (max tree
// depth), all chains stepping together; a chain that has stopped keeps its state by `where`.
// One readback per doubling: whether any chain is still going.
import { abs, add, div, exp, isFinite, less, log, maximum, minimum, mul, neg, sub, where } from '../../autodiff/ops/index.js';
import { fromValues } from '../../engine/creation.js';
import { uniformArray } from '../../engine/random.js';
import { tidy } from '../../engine/scope.js';
import type { Tensor } from '../../engine/tensor.js';
import { flatten } from '../../autodiff/tree.js';
import { subSeed } from './options.js';

export interface NutsContext {
  chains: number;
  seed: number;
  maxDepth: number;
  divergence: number;
  evaluate(xs: Tensor[]): { logp: Tensor; g: Tensor[] };
  col(v: Tensor, like: Tensor): Tensor;
  perChain(t: Tensor): Tensor;
}

interface Point { x: Tensor[]; p: Tensor[]; g: Tensor[]; logp: Tensor }
interface Subtree {
  first: Point;
  last: Point;
  proposal: Point;
  logW: Tensor;
  rho: Tensor[];
  invalid: Tensor;
  diverging: Tensor;
  accSum: Tensor;
  n: number;
}

const pick = (c: NutsContext, mask: Tensor, a: Point, b: Point): Point => ({
  x: a.x.map((t, k) => where(c.col(mask, t), t, b.x[k]!)),
  p: a.p.map((t, k) => where(c.col(mask, t), t, b.p[k]!)),
  g: a.g.map((t, k) => where(c.col(mask, t), t, b.g[k]!)),
  logp: where(mask, a.logp, b.logp),
});
const or = (a: Tensor, b: Tensor) => maximum(a, b);
const and = (a: Tensor, b: Tensor) => mul(a, b);
const not = (a: Tensor) => sub(1, a);
const logAddExp = (a: Tensor, b: Tensor) => add(maximum(a, b), log(add(1, exp(neg(abs(sub(a, b)))))));
/** 1 where a < b (false for NaN operands is not needed: both are finite here) */
const nonFinite = (x: Tensor) => sub(1, isFinite(x));

/**
 * The NUTS transition from state (x, logp, g) with momenta p0 (already drawn), step size eps
 * ([] or [chains]) and inverse metric minv. Returns the new state, the mean acceptance
 * statistic α and the divergence flags per chain, and the leapfrog steps taken (per chain).
 */
export async function nutsTransition(
  c: NutsContext, s: { x: Tensor[]; logp: Tensor; g: Tensor[] }, p0: Tensor[], eps: Tensor, minv: Tensor[], i: number,
): Promise<{ next: { x: Tensor[]; logp: Tensor; g: Tensor[] }; alpha: Tensor; divergent: Tensor; steps: number }> {
  let draw = 0;
  const uniforms = () => fromValues(uniformArray(c.chains, subSeed(c.seed, i, 1000 + draw++)), [c.chains], s.logp.backend);
  const kinetic = (p: Tensor[]) => mul(p.map((pk, k) => c.perChain(mul(mul(pk, pk), minv[k]!))).reduce((a, b) => add(a, b)), 0.5);
  const dot = (a: Tensor[], b: Tensor[]) => a.map((ak, k) => c.perChain(mul(mul(ak, minv[k]!), b[k]!))).reduce((x, y) => add(x, y));
  const uturn = (rho: Tensor[], pa: Tensor[], pb: Tensor[]) => or(less(dot(rho, pa), 0), less(dot(rho, pb), 0));
  const h0 = tidy(() => sub(kinetic(p0), s.logp));

  const leapfrog = (from: Point, e: Tensor): Subtree => {
    const half = from.p.map((pk, k) => add(pk, mul(c.col(e, pk), mul(from.g[k]!, 0.5))));
    const x = from.x.map((xk, k) => add(xk, mul(c.col(e, xk), mul(minv[k]!, half[k]!))));
    const { logp, g } = c.evaluate(x);
    const p = half.map((pk, k) => add(pk, mul(c.col(e, pk), mul(g[k]!, 0.5))));
    const dH = sub(sub(kinetic(p), logp), h0);
    const bad = nonFinite(dH);
    const safe = where(bad, 1e30, dH);
    const diverging = or(bad, less(c.divergence, safe));
    const pt = { x, p, g, logp };
    return { first: pt, last: pt, proposal: pt, logW: neg(safe), rho: p, invalid: diverging, diverging, accSum: exp(minimum(neg(safe), 0)), n: 1 };
  };

  const build = (from: Point, e: Tensor, depth: number): Subtree => {
    if (depth === 0) return leapfrog(from, e);
    const t1 = build(from, e, depth - 1);
    const t2 = build(t1.last, e, depth - 1);
    const logW = logAddExp(t1.logW, t2.logW);
    const take2 = less(log(uniforms()), sub(t2.logW, logW));
    const rho = t1.rho.map((r, k) => add(r, t2.rho[k]!));
    const turning = uturn(rho, t1.first.p, t2.last.p);
    return {
      first: t1.first, last: t2.last, proposal: pick(c, take2, t2.proposal, t1.proposal), logW, rho,
      invalid: or(or(t1.invalid, t2.invalid), turning), diverging: or(t1.diverging, t2.diverging),
      accSum: add(t1.accSum, t2.accSum), n: t1.n + t2.n,
    };
  };

  const start: Point = { x: s.x, p: p0, g: s.g, logp: s.logp };
  const zeros = () => mul(s.logp, 0);
  let traj = tidy(() => ({
    minus: start, plus: start, proposal: start, logW: zeros(), rho: p0, active: add(zeros(), 1),
    diverging: zeros(), accSum: zeros(), n: zeros(),
  }));
  let steps = 0;
  for (let depth = 0; depth < c.maxDepth; depth++) {
    const old = traj;
    traj = tidy(() => {
      const forward = less(uniforms(), 0.5); // 1: extend the plus end
      const e = mul(eps, sub(mul(forward, 2), 1));
      const from = pick(c, forward, old.plus, old.minus);
      const sub_ = build(from, e, depth);
      const active = old.active;
      const plus = pick(c, and(active, forward), sub_.last, old.plus);
      const minus = pick(c, and(active, not(forward)), sub_.last, old.minus);
      const valid = and(active, not(sub_.invalid));
      // biased progressive sampling: move to the new subtree with probability min(1, w_new / w_old)
      const take = and(valid, less(log(uniforms()), sub(sub_.logW, old.logW)));
      const proposal = pick(c, take, sub_.proposal, old.proposal);
      const logW = where(valid, logAddExp(old.logW, sub_.logW), old.logW);
      const rho = old.rho.map((r, k) => where(c.col(valid, r), add(r, sub_.rho[k]!), r));
      const turning = uturn(rho, minus.p, plus.p);
      return {
        minus, plus, proposal, logW, rho,
        active: and(valid, not(turning)),
        diverging: or(old.diverging, and(active, sub_.diverging)),
        accSum: add(old.accSum, mul(active, sub_.accSum)),
        n: add(old.n, mul(active, sub_.n)),
      };
    });
    steps += 2 ** depth;
    release(old, traj, start);
    const going = await traj.active.data();
    if (!going.some((v) => v !== 0)) break;
  }
  const result = tidy(() => ({
    next: { x: traj.proposal.x, logp: traj.proposal.logp, g: traj.proposal.g },
    alpha: div(traj.accSum, maximum(traj.n, 1)),
    divergent: traj.diverging,
  }));
  release(traj, result, start);
  h0.dispose();
  return { ...result, steps };
}

/** Disposes the tensors of `old` that are in neither `next` nor `keep`. */
function release(old: unknown, next: unknown, keep: unknown) {
  const live = new Set([...flatten(next).leaves, ...flatten(keep).leaves]);
  for (const t of flatten(old).leaves) if (!live.has(t) && !t.isDisposed) t.dispose();
}
