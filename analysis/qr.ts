// Small dense helpers on batched tensors, all ops (they stay on the device): a QR by
// Gram–Schmidt, a descending sort and selection by rank.
import * as fg from '../index.js';

/**
 * Q [..., n, k] with orthonormal columns and the diagonal of R [..., k] (positive) of A = QR,
 * by classical Gram–Schmidt with one reorthogonalization (CGS2: orthogonal to working
 * precision). A must have full column rank.
 */
export function gramSchmidt(A: fg.Tensor): { q: fg.Tensor; r: fg.Tensor } {
  const k = A.shape[A.rank - 1]!;
  const cols: fg.Tensor[] = [];
  const rs: fg.Tensor[] = [];
  for (let j = 0; j < k; j++) {
    let v = fg.slice(A, [j], [j + 1], [-1]);
    if (j > 0) {
      const Qp = fg.concat(cols, -1);
      for (let pass = 0; pass < 2; pass++) v = fg.sub(v, fg.matmul(Qp, fg.matmul(Qp, v, { transA: true })));
    }
    const r = fg.norm(v, -2, true); // [..., 1, 1]
    cols.push(fg.div(v, r));
    rs.push(fg.reshape(r, r.shape.slice(0, -1)));
  }
  return { q: fg.concat(cols, -1), r: fg.concat(rs, -1) };
}

/**
 * The rank of each entry of x [..., n] in descending order along the last axis: the number of
 * entries above it, ties broken by index (so the ranks are 0 … n−1, as floats).
 */
export function descendingRanks(x: fg.Tensor): fg.Tensor {
  const n = x.shape[x.rank - 1]!;
  const col = fg.reshape(x, [...x.shape, 1]); // x_i down the rows
  const row = fg.reshape(x, [...x.shape.slice(0, -1), 1, n]); // x_j across
  const lower = fg.tensor(Float64Array.from({ length: n * n }, (_, t) => (t % n < Math.floor(t / n) ? 1 : 0)), [n, n]); // j < i
  // [..., i, j]: 1 where x_j > x_i, or x_j = x_i and j < i
  return fg.sum(fg.add(fg.greater(row, col), fg.mul(fg.equal(row, col), lower)), -1);
}

/**
 * Rows of x [..., n, m] picked by rank: row r of the result [..., k, m] is the row of x whose
 * rank (from descendingRanks, [..., n]) is r, for r < k. A one-hot matmul, so it stays on the device.
 */
export function takeByRank(x: fg.Tensor, rank: fg.Tensor, k: number): fg.Tensor {
  const n = rank.shape[rank.rank - 1]!;
  const slots = fg.reshape(fg.arange(k), [k, 1]);
  const pick = fg.equal(fg.reshape(rank, [...rank.shape.slice(0, -1), 1, n]), slots); // [..., k, n]
  return fg.matmul(pick, x);
}

/** x [..., n] sorted descending along the last axis (O(n²) per row: meant for small spectra). */
export function sortDescending(x: fg.Tensor): fg.Tensor {
  const n = x.shape[x.rank - 1]!;
  return fg.reshape(takeByRank(fg.reshape(x, [...x.shape, 1]), descendingRanks(x), n), x.shape);
}
