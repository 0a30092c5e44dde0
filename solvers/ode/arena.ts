import type { Backend } from '../../engine/backend.js';
import { fromValues } from '../../engine/creation.js';
import { collect, disposeExcept, tensorsIn } from '../../engine/scope.js';
import type { Tensor } from '../../engine/tensor.js';

/**
 * Memory of one solve: each step runs in its own scope that frees everything the step made
 * except its results, and a state is freed as soon as the next one replaces it, so a solve
 * holds a few states at a time whatever its number of steps. (A tape keeps its own handles
 * on what its rules need, so freeing here never takes a value from a backward pass.)
 */
export class Arena {
  /** tensors this solve made and still holds (step results), the only ones it frees */
  private owned = new Set<Tensor>();
  private scalars = new Map<number, Tensor>();
  private constants: Tensor[] = [];
  private eyes = new Map<number, Tensor>();
  private kept = new Set<Tensor>();

  /** Marks a value's tensors as not to be freed by free() until release() (output states). */
  keep<T>(value: T): T {
    for (const t of tensorsIn(value)) this.kept.add(t);
    return value;
  }

  /** Frees the owned tensors of `value`, kept or not, except those reachable from `protect`. */
  release(value: unknown, protect: unknown): void {
    for (const t of tensorsIn(value)) this.kept.delete(t);
    this.free(value, protect);
  }

  constructor(readonly backend: Backend) {}

  /** Runs fn, frees what it made except the tensors in keep(result), and owns those. */
  run<T>(fn: () => T, keep: (result: T) => unknown = (r) => r): T {
    const { result, created } = collect(fn);
    const kept = tensorsIn(keep(result));
    disposeExcept(created, kept);
    for (const t of kept) if (created.has(t)) this.owned.add(t);
    return result;
  }

  /**
   * Frees the owned tensors of `value` except those reachable from `protect` and those marked
   * kept (the states at output times, which a solve holds until it stacks them).
   */
  free(value: unknown, protect: unknown): void {
    const keep = new Set(tensorsIn(protect));
    for (const t of tensorsIn(value)) {
      if (this.owned.has(t) && !keep.has(t) && !this.kept.has(t)) {
        this.owned.delete(t);
        t.dispose();
      }
    }
  }

  /**
   * A scalar tensor of value v, made once per solve: step sizes and tableau weights would
   * otherwise be uploaded again at every use.
   */
  scalar(v: number): Tensor {
    let s = this.scalars.get(v);
    if (!s) {
      // made outside any tidy() scope: this arena frees it when the solve ends
      s = collect(() => fromValues([v], [], this.backend)).result;
      this.scalars.set(v, s);
    }
    return s;
  }

  /** The n×n identity, made once per solve and size (the implicit methods' I − c·J at every step). */
  eye(n: number): Tensor {
    let e = this.eyes.get(n);
    if (!e) {
      const v = new Float64Array(n * n);
      for (let i = 0; i < n; i++) v[i * n + i] = 1;
      e = this.constant(v, [n, n]);
      this.eyes.set(n, e);
    }
    return e;
  }

  /** A constant tensor that lives until the solve ends (leapfrog's masks). */
  constant(values: ArrayLike<number>, shape: readonly number[]): Tensor {
    const c = collect(() => fromValues(values, shape, this.backend)).result;
    this.constants.push(c);
    return c;
  }

  /** Ends the solve: frees the cached scalars and constants (tapes keep their own handles on them). */
  dispose(): void {
    for (const s of [...this.scalars.values(), ...this.constants]) s.dispose();
    this.scalars.clear();
    this.eyes.clear();
    this.constants = [];
  }
}
