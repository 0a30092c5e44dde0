/** Every error flowgrad throws on purpose is a FlowgradError, with a message a person can act on. */
export class FlowgradError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad arguments to an op or function: names the op, the argument, what was expected and given. */
export class ShapeError extends FlowgradError {}
export class ArgumentError extends FlowgradError {}

/** No adapter, lost device, driver trouble: says what to install or set. */
export class DeviceError extends FlowgradError {}

/** Use of a tensor after dispose(), tensors of two backends mixed, a tracer used outside its transform. */
export class StateError extends FlowgradError {}

/** A derivative that does not exist where it was asked for (e.g. at a repeated eigenvalue). */
export class NumericalError extends FlowgradError {}

export const fmtShape = (s: readonly number[]) => `[${s.join(', ')}]`;
