/**
 * Two internal ops of the eigen/SVD derivative rules; neither carries a derivative (they are
 * locally constant), and neither is in the registry (they are not user ops):
 * - columnArgmax: the one-hot mask of each column's largest entry (where an eigenvector's
 *   phase convention puts its real, positive component);
 * - simpleGuard: 1 per matrix when its eigenvalues (singular values) are simple, so that the
 *   derivative exists; otherwise a NumericalError that names the matrix and the eigenvalues —
 *   thrown at once on the CPU backend, and on WebGPU by the next read (the guard is NaN then,
 *   so that no number computed from it passes for a derivative).
 */

import { NumericalError, fmtShape } from '../../engine/errors.js';
import type { Shape } from '../../engine/shape.js';
import type { Tensor } from '../../engine/tensor.js';
import { decodeSimpleKey, gapTolerance, launchColumnArgmax, launchSimpleCheck, type SimpleKind } from '../../kernels/linalg/guards.js';
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

interface GuardAttrs {
  kind: SimpleKind;
  /** a zero singular value also makes the derivative undefined (rectangular SVD vectors) */
  zero: boolean;
  /** for the message: the op whose derivative is asked for, its argument and shape */
  op: string;
  arg: string;
  argShape: Shape;
}

const what = (kind: SimpleKind) => (kind === 'svd' ? 'singular values' : 'eigenvalues');

function guardMessage(a: GuardAttrs, b: number, i: number, j: number, detail = ''): string {
  const where = `${a.op}: the derivative does not exist at ${describeMatrix(b, a.argShape)} of ${a.arg} ${fmtShape(a.argShape)}`;
  let why: string;
  if (i !== j) why = `${what(a.kind)} ${i} and ${j} (in the order returned) are repeated`;
  else if (a.kind === 'eig') why = `eigenvalue ${i} is defective (its left and right eigenvectors are orthogonal, as in a Jordan block)`;
  else why = `singular value ${i} is zero`;
  return `${where}: ${why}${detail}; derivatives need simple, well-separated ${what(a.kind)}`;
}

const simpleGuardOp: OpDef<GuardAttrs> = {
  name: 'simpleGuard',
  args: ['x'],
  ...noDerivative,
  shape: ([x], { kind }) => [...x!.slice(0, kind === 'eig' ? -3 : -2), 1, 1],
  cpu: ([x], [s], a) => {
    const complex = a.kind === 'eig';
    const n = s![s!.length - (complex ? 2 : 1)]!;
    const per = sizeOf(s!.slice(complex ? -3 : -2));
    const count = x!.length / per;
    const tol = gapTolerance(Number.EPSILON);
    for (let b = 0; b < count; b++) {
      const base = b * per;
      const re = (k: number) => (complex ? x![base + 2 * k]! : x![base + k]!);
      const im = (k: number) => (complex ? x![base + 2 * k + 1]! : 0);
      const fmt = (k: number) => (complex ? `${re(k)}${im(k) < 0 ? '−' : '+'}${Math.abs(im(k))}i` : `${re(k)}`);
      let scale = 0;
      for (let k = 0; k < n; k++) scale = Math.max(scale, Math.hypot(re(k), im(k)));
      for (let i = 0; i < n; i++) {
        for (let j = i + 1; j < n; j++) {
          if (Math.hypot(re(i) - re(j), im(i) - im(j)) <= tol * scale) throw new NumericalError(guardMessage(a, b, i, j, ` (${fmt(i)} and ${fmt(j)})`));
        }
        if (a.zero && Math.hypot(re(i), im(i)) <= tol * scale) throw new NumericalError(guardMessage(a, b, i, i));
        if (complex) {
          // s = uᵢᴴ·vᵢ of the unit left and right eigenvectors (rows 1…n: V, n+1…2n: U)
          let sr = 0;
          let si = 0;
          for (let r = 0; r < n; r++) {
            const v = base + ((1 + r) * n + i) * 2;
            const u = base + ((1 + n + r) * n + i) * 2;
            sr += x![u]! * x![v]! + x![u + 1]! * x![v + 1]!;
            si += x![u]! * x![v + 1]! - x![u + 1]! * x![v]!;
          }
          if (Math.hypot(sr, si) <= tol) throw new NumericalError(guardMessage(a, b, i, i, ` (|uᴴv| = ${Math.hypot(sr, si)})`));
        }
      }
    }
    return new Float64Array(count).fill(1);
  },
  gpu: (rt, [x], out, a) => {
    const complex = a.kind === 'eig';
    const n = x!.shape[x!.shape.length - (complex ? 2 : 1)]!;
    const status = statusBuffer(rt, {
      op: a.op,
      arg: a.arg,
      shape: a.argShape,
      iteration: 'the check',
      singularMessage: (key) => {
        const { b, i, j } = decodeSimpleKey(key, n);
        return guardMessage(a, b, i, j);
      },
    });
    launchSimpleCheck(rt, x!, out, status, a.kind, a.zero);
  },
};

/** [..., 1, 1]: 1 where the matrix's eigenvalues (singular values) in `packed` are simple. */
export const simpleGuard = (packed: Tensor, attrs: GuardAttrs) => apply(simpleGuardOp, [packed], attrs);
