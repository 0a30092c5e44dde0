/**
 * Internal ops of the eigen/SVD derivative rules; none carries a derivative (they are locally
 * constant, or feed only terms that vanish), and none is in the registry (they are not user ops):
 * - columnArgmax: the one-hot mask of each column's largest entry (where an eigenvector's
 *   phase convention puts its real, positive component);
 * - tieMask: which eigenvalues (singular values) are tied, so that the rules leave out the
 *   1/(λⱼ − λᵢ) terms between them;
 * - couplingGuard: 1 per matrix, unless a cotangent couples tied values (the derivative does not
 *   exist then): a NumericalError naming the matrix and the indices — thrown at once on the CPU
 *   backend, and on WebGPU by the next read (the guard is NaN then, so that no number computed
 *   from it passes for a derivative);
 * - clusterInverse: the inverse of VᴴU on each tied cluster of a nonsymmetric eig (its spectral
 *   projector), or the NumericalError of a defective eigenvalue.
 */

import { NumericalError, fmtShape } from '../../engine/errors.js';
import type { Shape } from '../../engine/shape.js';
import type { Tensor } from '../../engine/tensor.js';
import { decodeSimpleKey, gapTolerance, launchClusterInverse, launchColumnArgmax, launchCouplingCheck, launchTieMask, type SimpleKind } from '../../kernels/linalg/guards.js';
import { describeMatrix, statusBuffer } from '../../kernels/linalg/status.js';
import { apply, type OpDef } from '../../autodiff/op.js';
import { sizeOf } from '../../engine/shape.js';

const NONE = { inputs: false, output: false };
const noDerivative = { vjp: () => [null], jvp: () => null, samples: [], saves: NONE } as const;

const columnArgmaxOp: OpDef = {
  name: 'columnArgmax',
  args: ['x'],
  ...noDerivative,
  shape: ([x]) => x!,
  cpu: ([x], [s]) => {
    const [rows, n] = s!.slice(-2) as [number, number];
    const out = new Float64Array(x!.length);
    for (let base = 0; base < x!.length; base += rows * n) {
      for (let j = 0; j < n; j++) {
        let best = 0;
        for (let r = 1; r < rows; r++) if (x![base + r * n + j]! > x![base + best * n + j]!) best = r;
        out[base + best * n + j] = 1;
      }
    }
    return out;
  },
  gpu: (rt, [x], out) => launchColumnArgmax(rt, x!, out),
};

/** One-hot [..., n, n]: 1 at each column's (first) largest entry of x. */
export const columnArgmax = (x: Tensor) => apply(columnArgmaxOp, [x], undefined);

const what = (kind: SimpleKind) => (kind === 'svd' ? 'singular values' : 'eigenvalues');
const tol = gapTolerance(Number.EPSILON);

interface TieAttrs {
  kind: SimpleKind;
  /** also mark zero values (on the diagonal) */
  zero: boolean;
}

const tieMaskOp: OpDef<TieAttrs> = {
  name: 'tieMask',
  args: ['x'],
  ...noDerivative,
  shape: ([x], { kind }) => {
    const n = x![x!.length - (kind === 'eig' ? 2 : 1)]!;
    return [...x!.slice(0, kind === 'eig' ? -3 : -2), n, n];
  },
  cpu: ([x], [s], { kind, zero }) => {
    const complex = kind === 'eig';
    const n = s![s!.length - (complex ? 2 : 1)]!;
    const per = sizeOf(s!.slice(complex ? -3 : -2));
    const count = per ? x!.length / per : 0;
    const out = new Float64Array(count * n * n);
    for (let b = 0; b < count; b++) {
      const base = b * per;
      const re = (k: number) => (complex ? x![base + 2 * k]! : x![base + k]!);
      const im = (k: number) => (complex ? x![base + 2 * k + 1]! : 0);
      let scale = 0;
      for (let k = 0; k < n; k++) scale = Math.max(scale, Math.hypot(re(k), im(k)));
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          const close = i === j ? zero && Math.hypot(re(i), im(i)) <= tol * scale : Math.hypot(re(i) - re(j), im(i) - im(j)) <= tol * scale;
          out[b * n * n + i * n + j] = close ? 1 : 0;
        }
      }
    }
    return out;
  },
  gpu: (rt, [x], out, { kind, zero }) => launchTieMask(rt, x!, out, kind === 'eig', zero),
};

/**
 * [..., n, n]: 1 at (i, j), i ≠ j, where values i and j of `packed` (row 0) are tied: within
 * 4√ε of the largest modulus (the tolerance below which float32 cannot tell them apart); with
 * `zero`, 1 on the diagonal where a value is zero by the same measure.
 */
export const tieMask = (packed: Tensor, kind: SimpleKind, zero = false) => apply(tieMaskOp, [packed], { kind, zero });

/** Why a coupling makes the derivative undefined, for the message. */
export type Coupling = 'vectors' | 'values' | 'zero';

interface GuardAttrs {
  kind: SimpleKind;
  coupling: Coupling;
  /** for the message: the op whose derivative is asked for, its argument and shape */
  op: string;
  arg: string;
  argShape: Shape;
}

function guardMessage(a: GuardAttrs, b: number, r: number, c: number): string {
  const [i, j] = [Math.min(r, c), Math.max(r, c)];
  const matrices = sizeOf(a.argShape.slice(0, -2)) || 1;
  const where = `${a.op}: the derivative does not exist at ${describeMatrix(b % matrices, a.argShape)} of ${a.arg} ${fmtShape(a.argShape)}`;
  const vectors = a.kind === 'svd' ? 'singular vectors' : 'eigenvectors';
  if (a.coupling === 'zero') {
    return `${where}: singular value ${j} is zero and the cotangent of its singular vectors is not; derivatives of singular vectors need nonzero singular values`;
  }
  if (a.coupling === 'values') {
    return `${where}: eigenvalues ${i} and ${j} (in the order returned) are repeated and their cotangents differ; ` +
      'at a repeated eigenvalue only functions that weigh its copies equally (their sum, the trace) are differentiable';
  }
  return `${where}: ${what(a.kind)} ${i} and ${j} (in the order returned) are repeated and the cotangent of their ${vectors} couples them ` +
    `(it depends on the basis chosen within their ${a.kind === 'svd' ? 'singular subspace' : 'eigenspace'}); ` +
    `functions of the ${what(a.kind)} alone, or of the whole subspace, are differentiable there`;
}

const couplingGuardOp: OpDef<GuardAttrs> = {
  name: 'couplingGuard',
  args: ['c', 'x'],
  ...noDerivative,
  vjp: () => [null, null],
  shape: ([c]) => [...c!.slice(0, -2), 1, 1],
  cpu: ([c, x], [cs], a) => {
    const [r, n] = cs!.slice(-2) as [number, number];
    const per = r * n;
    const count = per ? c!.length / per : 0;
    const perX = count ? x!.length / count : 0;
    for (let b = 0; b < count; b++) {
      let scale = 0;
      for (let e = 0; e < perX; e++) scale = Math.max(scale, Math.abs(x![b * perX + e]!));
      for (let e = 0; e < per; e++) {
        if (Math.abs(c![b * per + e]!) > tol * scale) throw new NumericalError(guardMessage(a, b, Math.floor(e / n), e % n));
      }
    }
    return new Float64Array(count).fill(1);
  },
  gpu: (rt, [c, x], out, a) => {
    const n = c!.shape[c!.shape.length - 1]!;
    const r = c!.shape[c!.shape.length - 2]!;
    const status = statusBuffer(rt, {
      op: a.op,
      arg: a.arg,
      shape: a.argShape,
      iteration: 'the check',
      singularMessage: (key) => {
        const b = Math.floor(key / (r * n));
        const e = key % (r * n);
        return guardMessage(a, b, Math.floor(e / n), e % n);
      },
    });
    launchCouplingCheck(rt, c!, x!, out, status);
  },
};

/**
 * [..., 1, 1]: 1 per matrix unless an entry of c [..., r, n] (a cotangent's coupling between tied
 * values, masked by tieMask) exceeds 4√ε of the largest entry of x [..., r', n'] (the unmasked
 * cotangent it comes from): then the NumericalError that names matrix and indices.
 */
export const couplingGuard = (c: Tensor, x: Tensor, attrs: GuardAttrs) => apply(couplingGuardOp, [c, x], attrs);

interface InverseAttrs {
  op: string;
  argShape: Shape;
}

function defectiveMessage(a: InverseAttrs, b: number, i: number, j: number): string {
  const matrices = sizeOf(a.argShape.slice(0, -2)) || 1;
  const where = `${a.op}: the derivative does not exist at ${describeMatrix(b % matrices, a.argShape)} of A ${fmtShape(a.argShape)}`;
  const why = i === j
    ? `eigenvalue ${i} is defective (its left and right eigenvectors are orthogonal, as in a Jordan block)`
    : `eigenvalues ${i} and ${j} (in the order returned) are repeated and defective (a Jordan block: their left and right eigenvectors are orthogonal)`;
  return `${where}: ${why}; derivatives need eigenvalues with a full set of eigenvectors`;
}

type C = [number, number];
const cm = (x: C, y: C): C => [x[0] * y[0] - x[1] * y[1], x[0] * y[1] + x[1] * y[0]];
const cd = (x: C, y: C): C => {
  const d = y[0] * y[0] + y[1] * y[1];
  return [(x[0] * y[0] + x[1] * y[1]) / d, (x[1] * y[0] - x[0] * y[1]) / d];
};

const clusterInverseOp: OpDef<InverseAttrs> = {
  name: 'clusterInverse',
  args: ['packed', 't'],
  ...noDerivative,
  vjp: () => [null, null],
  shape: ([p]) => [...p!.slice(0, -3), p!.at(-2)!, p!.at(-2)!, 2],
  cpu: ([p, t], [ps], a) => {
    const n = ps!.at(-2)!;
    const per = (1 + 2 * n) * n * 2;
    const count = per ? p!.length / per : 0;
    const out = new Float64Array(count * n * n * 2);
    for (let b = 0; b < count; b++) {
      const pb = b * per;
      const tied = (i: number, j: number) => t![b * n * n + i * n + j]! > 0.5;
      const partner = (i: number) => {
        for (let k = 0; k < n; k++) if (k !== i && tied(i, k)) return k;
        return i;
      };
      const m = (i: number, j: number): C => {
        let s: C = [0, 0];
        for (let r = 0; r < n; r++) {
          const v = pb + ((1 + r) * n + i) * 2;
          const u = pb + ((1 + n + r) * n + j) * 2;
          const x = cm([p![v]!, -p![v + 1]!], [p![u]!, p![u + 1]!]);
          s = [s[0] + x[0], s[1] + x[1]];
        }
        return s;
      };
      // Gauss–Jordan on [M_cc | I] over the clustered indices (the others are identity rows)
      const g: C[][] = Array.from({ length: n }, () => Array.from({ length: 2 * n }, (): C => [0, 0]));
      let bad = -1;
      for (let i = 0; i < n; i++) {
        if (partner(i) !== i) {
          for (let j = 0; j < n; j++) if (j === i || tied(i, j)) g[i]![j] = m(i, j);
        } else {
          if (Math.hypot(...m(i, i)) <= tol && bad < 0) bad = i;
          g[i]![i] = [1, 0];
        }
        g[i]![n + i] = [1, 0];
      }
      for (let col = 0; col < n && bad < 0; col++) {
        if (partner(col) === col) continue; // a simple eigenvalue: an identity row and column
        let pr = col;
        for (let r = col + 1; r < n; r++) if (Math.hypot(...g[r]![col]!) > Math.hypot(...g[pr]![col]!)) pr = r;
        if (Math.hypot(...g[pr]![col]!) <= tol) {
          bad = col;
          break;
        }
        [g[col], g[pr]] = [g[pr]!, g[col]!];
        const piv = g[col]![col]!;
        g[col] = g[col]!.map((x) => cd(x, piv));
        for (let r = 0; r < n; r++) {
          if (r === col) continue;
          const f = g[r]![col]!;
          if (f[0] === 0 && f[1] === 0) continue;
          g[r] = g[r]!.map((x, c) => {
            const d = cm(f, g[col]![c]!);
            return [x[0] - d[0], x[1] - d[1]];
          });
        }
      }
      if (bad >= 0) throw new NumericalError(defectiveMessage(a, b, bad, partner(bad)));
      for (let i = 0; i < n; i++) {
        if (partner(i) === i) continue;
        for (let j = 0; j < n; j++) {
          if (j !== i && !tied(i, j)) continue;
          out[((b * n + i) * n + j) * 2] = g[i]![n + j]![0];
          out[((b * n + i) * n + j) * 2 + 1] = g[i]![n + j]![1];
        }
      }
    }
    return out;
  },
  gpu: (rt, [p, t], out, a) => {
    const n = p!.shape.at(-2)!;
    const status = statusBuffer(rt, {
      op: a.op,
      arg: 'A',
      shape: a.argShape,
      iteration: 'the check',
      singularMessage: (key) => {
        const { b, i, j } = decodeSimpleKey(key, n);
        return defectiveMessage(a, b, i, j);
      },
    });
    launchClusterInverse(rt, p!, t!, out, status);
  },
};

/**
 * [..., n, n, 2]: inv(M_cc) on each tied cluster c of the eig output `packed` (M = VᴴU), 0
 * elsewhere; t is tieMask(packed, 'eig'). A NumericalError for a defective eigenvalue.
 */
export const clusterInverse = (packed: Tensor, t: Tensor, attrs: InverseAttrs) => apply(clusterInverseOp, [packed, t], attrs);
