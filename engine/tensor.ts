import type { Backend, DType, Storage } from './backend.js';
import { StateError } from './errors.js';
import { sizeOf, type Shape } from './shape.js';
import { track } from './scope.js';

/**
 * What a transform (grad, jvp) attaches to a tensor it traces. The engine only needs to know
 * that a traced tensor stands for its primal value; autodiff/ owns the rest.
 */
export interface Trace {
  readonly depth: number;
  readonly primal: Tensor;
  /** the tensors whose storage this traced value holds (its primal, its tangent) */
  parts(): Tensor[];
  /** a value being traced into a graph (jit): it has no numbers yet, and `primal` throws */
  readonly abstract?: boolean;
}

let nextId = 1;

/** An immutable n-dimensional array on one backend. */
export class Tensor {
  readonly id = nextId++;
  /** frozen: a plain number[] for the type checker, but it cannot be changed */
  readonly shape: number[];
  readonly size: number;
  readonly backend: Backend;
  /** set on concrete tensors */
  readonly storage: Storage | null;
  /** set on tensors traced by a transform */
  readonly trace: Trace | null;
  private disposedFlag = false;

  constructor(backend: Backend, shape: Shape, storage: Storage | null, trace: Trace | null, tracked = true) {
    this.backend = backend;
    this.shape = Object.freeze([...shape]) as number[];
    this.size = sizeOf(shape);
    this.storage = storage;
    this.trace = trace;
    if (tracked) track(this);
  }

  get dtype(): DType { return this.backend.dtype; }
  get rank(): number { return this.shape.length; }
  get isDisposed(): boolean { return this.disposedFlag; }

  /** The concrete tensor this one stands for (itself, when not traced). */
  concrete(): Tensor {
    let t: Tensor = this;
    while (t.trace) t = t.trace.primal;
    return t;
  }

  /** Whether the numbers of this tensor exist now (not while jit traces it into a graph). */
  get hasValue(): boolean {
    for (let t: Tensor = this; t.trace; t = t.trace.primal) if (t.trace.abstract) return false;
    return true;
  }

  assertAlive(what: string): void {
    if (this.disposedFlag) {
      throw new StateError(`${what}: tensor #${this.id} of shape [${this.shape.join(', ')}] was disposed and cannot be used`);
    }
  }

  /** Flat row-major values: Float32Array on webgpu, Float64Array on cpu. */
  data(): Promise<Float32Array | Float64Array> {
    // a tensor jit is tracing has no values: say so at once, not in a promise nobody awaits
    if (!this.hasValue) this.concrete();
    return this.read();
  }

  private async read(): Promise<Float32Array | Float64Array> {
    this.assertAlive('data()');
    const c = this.concrete();
    if (c.size !== this.size) {
      throw new StateError(`data(): this tensor of shape [${this.shape.join(', ')}] is one member of a vmap batch and has no value of its own; read the result of vmap instead`);
    }
    c.assertAlive('data()');
    return c.backend.read(c.storage!);
  }

  /** Flat row-major values as float64 on every backend (webgpu's float32 widened exactly). */
  async toFloat64(): Promise<Float64Array> {
    const d = await this.data();
    return d instanceof Float64Array ? d : Float64Array.from(d);
  }

  /** Flat row-major values as a plain number[]. */
  async toArray(): Promise<number[]> {
    return Array.from(await this.data());
  }

  /** Nested arrays of numbers (a number for a scalar). */
  async array(): Promise<NestedArray> {
    const flat = await this.data();
    return nest(flat, this.shape, 0, 0);
  }

  /** The single value of a tensor of size 1. */
  async item(): Promise<number> {
    if (this.size !== 1) {
      throw new StateError(`item(): needs a tensor of size 1, got shape [${this.shape.join(', ')}]`);
    }
    return (await this.data())[0]!;
  }

  /** Frees this handle's storage (when no other handle shares it). Idempotent. */
  dispose(): void {
    if (this.disposedFlag) return;
    this.disposedFlag = true;
    if (this.storage) this.backend.release(this.storage);
  }

  toString(): string {
    return `Tensor(${this.backend.name}, [${this.shape.join(', ')}]${this.trace ? ', traced' : ''})`;
  }
}

export type NestedArray = number | NestedArray[];

function nest(flat: ArrayLike<number>, shape: Shape, dim: number, offset: number): NestedArray {
  if (dim === shape.length) return flat[offset]!;
  const inner = sizeOf(shape.slice(dim + 1));
  const out: NestedArray[] = [];
  for (let i = 0; i < shape[dim]!; i++) out.push(nest(flat, shape, dim + 1, offset + i * inner));
  return out;
}

/** A new handle on the same storage, owned by the caller and not tracked by tidy(). */
export function shareHandle(t: Tensor): Tensor {
  if (t.trace) throw new StateError('shareHandle: expects a concrete tensor');
  t.assertAlive('shareHandle');
  t.backend.retain(t.storage!);
  return new Tensor(t.backend, t.shape, t.storage, null, false);
}
