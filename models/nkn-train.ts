// Full-batch training of a nonlocal kernel network and its error measure.
import * as fg from '../index.js';
import { checkInt, checkNumbers, checkParamTree, checkShaped, checkTensor } from './model.js';
import type { NknInput, NknModel, NknParams } from './nkn.js';
import { disposeTree } from './tree.js';

export interface FitOptions {
  layers: number;
  steps: number;
  /** a number or a schedule step ↦ lr, e.g. fg.optim.schedules.cosine (default 3e-3) */
  lr?: fg.optim.LearningRate;
  /** record the loss every this many steps (default 10) */
  logEvery?: number;
  /** called with each recorded loss (progress lines) */
  onLog?: (step: number, loss: number) => void;
}

const FIT_NKN_KEYS = fg.optionKeys<FitOptions>({ layers: true, steps: true, lr: true, logEvery: true, onLog: true });

/**
 * Adam on the mean squared error of u over all nodes; `params` is left untouched (the result
 * is a new tree), so a shallow network's parameters can seed several deeper ones.
 */
export async function fitNkn(model: NknModel, params: NknParams, x: NknInput, u: fg.Tensor, o: FitOptions): Promise<{ params: NknParams; losses: { step: number; loss: number }[] }> {
  checkShaped('fitNkn', 'model', model, ['kernels', 'apply', 'layer'], 'a model from fg.models.nkn(…)');
  checkParamTree('fitNkn', params, model.params);
  checkShaped('fitNkn', 'x', x, ['graph', 'nodes', 'edges'], 'an input from fg.models.nknInput(…)');
  checkTensor('fitNkn', 'u', u);
  if (u.shape.join() !== [x.graph.numNodes].join()) throw new fg.ShapeError(`fitNkn: u has shape [${u.shape.join(', ')}], expected [${x.graph.numNodes}] (one value per node)`);
  o = fg.checkOptions('fitNkn', o, FIT_NKN_KEYS) as typeof o;
  const opt = fg.optim.adam(params, { lr: o.lr ?? 3e-3 });
  const every = o.logEvery ?? 10;
  const losses: { step: number; loss: number }[] = [];
  let cur = params;
  for (let step = 0; step < o.steps; step++) {
    const { value, next } = fg.tidy(() => {
      const f = (p: NknParams) => fg.mean(fg.square(fg.sub(model.apply(p, x, o.layers), u)));
      const [value, grads] = fg.valueAndGrad(f)(cur) as [fg.Tensor, NknParams];
      return { value, next: opt.step(cur, grads) as NknParams };
    });
    if (cur !== params) disposeTree(cur);
    cur = next;
    if (step % every === 0 || step === o.steps - 1) {
      const loss = await value.item();
      losses.push({ step, loss });
      o.onLog?.(step, loss);
    }
    value.dispose();
  }
  opt.dispose();
  return { params: cur, losses };
}

/** Mean over S samples of ‖pred − u‖₂ / ‖u‖₂, with pred and u [S·n] sample-major. */
export async function relativeL2(pred: fg.Tensor, u: ArrayLike<number>, S: number): Promise<number> {
  checkTensor('relativeL2', 'pred', pred);
  checkNumbers('relativeL2', 'u', u);
  checkInt('relativeL2', 'S', S);
  const p = await pred.data();
  const n = u.length / S;
  let total = 0;
  for (let s = 0; s < S; s++) {
    let num = 0;
    let den = 0;
    for (let i = s * n; i < (s + 1) * n; i++) {
      num += (p[i]! - u[i]!) ** 2;
      den += u[i]! ** 2;
    }
    total += Math.sqrt(num / den);
  }
  return total / S;
}

/**
 * The parameters with the kernel switched off (K_θ ≡ 0: its output layer zeroed, tanh(0) = 0),
 * everything else shared: what the network predicts without its nonlocal diffusion, to
 * measure how much the neighbour mean contributes.
 */
export function withoutKernel(p: NknParams): NknParams {
  checkShaped('withoutKernel', 'p', p, ['P', 'K', 'B', 'b', 'Q'], 'NKN parameters { P, K, B, b, Q }');
  const last = p.K.layers.at(-1)!;
  return { ...p, K: { layers: [...p.K.layers.slice(0, -1), { W: fg.zeros([...last.W.shape]), b: fg.zeros([...last.b.shape]) }] } };
}
