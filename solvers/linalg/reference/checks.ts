/**
 * Argument checks and batch iteration shared by the float64 reference solvers.
 *
 * Every solver works on ONE matrix. For a batch stored back to back in one
 * Float64Array, loop with `forEachMatrix` and pass the index on as
 * `matrixIndex`, so that errors name the matrix that caused them.
 */

/** Unit roundoff scale used for all tolerances (2^-52). */
export const EPS = Number.EPSILON;
/** Smallest positive normal double; below this, relative tests stop making sense. */
export const SAFE_MIN = 2.2250738585072014e-308;

/** Throws if any entry is NaN or ±Infinity, naming the function and the matrix. */
export function assertFinite(data: Float64Array, functionName: string, matrixIndex = 0): void {
  for (let i = 0; i < data.length; i++) {
    const value = data[i];
    if (!Number.isFinite(value)) {
      throw new Error(
        `${functionName}: matrix ${matrixIndex} has a non-finite entry (${value}) at element ${i}`,
      );
    }
  }
}

/** Throws unless `rows`, `cols` are positive integers and `data` holds exactly rows·cols values. */
export function assertShape(
  data: Float64Array,
  rows: number,
  cols: number,
  functionName: string,
  matrixIndex = 0,
): void {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 1) {
    throw new Error(`${functionName}: matrix ${matrixIndex}: dimensions ${rows}×${cols} must be positive integers`);
  }
  if (data.length !== rows * cols) {
    throw new Error(
      `${functionName}: matrix ${matrixIndex}: expected ${rows}×${cols} = ${rows * cols} values, got ${data.length}`,
    );
  }
}

/**
 * Calls `fn` on each of `count` matrices of `matrixLength` values stored back to
 * back in `batch` (views, not copies) and collects the results.
 *
 * Example: `forEachMatrix(data, batch, n * n, (m, i) => eigvals(m, n, { matrixIndex: i }))`.
 */
export function forEachMatrix<T>(
  batch: Float64Array,
  count: number,
  matrixLength: number,
  fn: (matrix: Float64Array, matrixIndex: number) => T,
): T[] {
  if (batch.length !== count * matrixLength) {
    throw new Error(
      `forEachMatrix: expected ${count} matrices of ${matrixLength} values (${count * matrixLength}), got ${batch.length}`,
    );
  }
  const results: T[] = [];
  for (let index = 0; index < count; index++) {
    results.push(fn(batch.subarray(index * matrixLength, (index + 1) * matrixLength), index));
  }
  return results;
}

/** n×n identity, row-major. */
export function identity(n: number): Float64Array {
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) m[i * n + i] = 1;
  return m;
}

/**
 * A power of 2, c, such that c·max|data| lies in [1, 2) (1 for a zero matrix).
 * Multiplying by c is exact and keeps squares and products of entries far from
 * overflow and underflow; results are scaled back by 1/c, also exactly.
 */
export function powerOfTwoScale(data: Float64Array): number {
  let maxAbs = 0;
  for (const x of data) maxAbs = Math.max(maxAbs, Math.abs(x));
  if (maxAbs === 0) return 1;
  // Clamp so that 2^exponent itself is a normal, finite double.
  const exponent = Math.min(1022, Math.max(-1022, -Math.floor(Math.log2(maxAbs))));
  return 2 ** exponent;
}
