import * as fg from '../index.js';

export type ActivationName = 'tanh' | 'relu' | 'sigmoid' | 'softplus' | 'gelu' | 'silu' | 'elu' | 'leakyRelu' | 'sin' | 'identity';
/** An activation by name, or any elementwise function of a tensor written with ops. */
export type Activation = ActivationName | ((x: fg.Tensor) => fg.Tensor);

const table: Record<ActivationName, (x: fg.Tensor) => fg.Tensor> = {
  tanh: fg.tanh,
  relu: fg.relu,
  sigmoid: fg.sigmoid,
  softplus: fg.softplus,
  gelu: fg.gelu,
  silu: fg.silu,
  elu: (x) => fg.elu(x),
  leakyRelu: (x) => fg.leakyRelu(x),
  sin: fg.sin,
  identity: (x) => x,
};

export function activationFn(a: Activation | undefined, who: string, fallback: ActivationName = 'tanh'): (x: fg.Tensor) => fg.Tensor {
  if (a === undefined) return table[fallback];
  if (typeof a === 'function') return a;
  const f = table[a];
  if (!f) throw new fg.ArgumentError(`${who}: unknown activation ${JSON.stringify(a)}; use one of ${Object.keys(table).join(', ')} or a function of a tensor`);
  return f;
}
