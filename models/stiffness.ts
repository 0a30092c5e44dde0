// Stiffness of layer weights as a differentiable training penalty, and a per-layer report.
import * as fg from '../index.js';
import { checkParamTree, checkShaped } from './model.js';
import { evalDepth } from './depth.js';
import type { NodeModel, NodeParams } from './node.js';
import type { ResnetModel, ResnetParams } from './resnet.js';

/**
 * How the stiffness of a square W is measured:
 * - 'eigen': max|λ| − min|λ| (fg.linalg.stiffness; min|λ| > 0);
 * - 'singular': σ₁ − σ_d (fg.linalg.svdvals), the cheaper proxy that bounds it from above
 *   (σ_d ≤ |λ| ≤ σ₁).
 * Both give a subgradient where the max or the min ties (an orthogonal initialization has all
 * σ and all |λ| equal): the first position of the extremum, as the max/min reductions; at
 * all-equal values that is the gradient 0.
 */
export type StiffnessMeasure = 'eigen' | 'singular';
const MEASURES: readonly string[] = ['eigen', 'singular'];

/** Weights of each layer as a stack [L, d, d]: the ResNet's W_n, the NODE's W(t) at its step times. Differentiable in params. */
export function layerStack(model: ResnetModel | NodeModel, params: ResnetParams | NodeParams): fg.Tensor {
  checkShaped('layerStack', 'model', model, ['params', 'basis'], 'a model from fg.models.resnet(…) or fg.models.node(…)');
  checkParamTree('layerStack', params, model.params);
  if ('layerWeights' in model) return fg.stack(Array.from({ length: model.layers }, (_, n) => model.layerWeights(params as ResnetParams, n).W));
  const s = model.solver.steps;
  return fg.stack(Array.from({ length: s }, (_, n) => evalDepth(model.basis, params.W, (n * model.T) / s)));
}

const shapeOf = (t: fg.Tensor) => `[${t.shape.join(', ')}]`;

/** The weights as groups of square matrices [..., d, d] (a list of equal shapes is stacked into one batch). */
function groups(who: string, weights: unknown): fg.Tensor[] {
  const list = weights instanceof fg.Tensor ? [weights] : weights;
  if (!Array.isArray(list)) {
    throw new fg.ArgumentError(`${who}: weights must be a Tensor [L, d, d] or a list of square matrices, got ${weights === null ? 'null' : typeof weights}`);
  }
  if (list.length === 0) throw new fg.ArgumentError(`${who}: weights is an empty list; expected at least one square matrix`);
  list.forEach((w: unknown, i) => {
    const name = weights instanceof fg.Tensor ? 'weights' : `weights[${i}]`;
    if (!(w instanceof fg.Tensor)) throw new fg.ArgumentError(`${who}: ${name} must be a Tensor, got ${w === null ? 'null' : typeof w}`);
    const [m, n] = w.shape.slice(-2);
    if (w.rank < 2 || m !== n) throw new fg.ShapeError(`${who}: ${name} has shape ${shapeOf(w)}, expected square matrices [..., d, d] (one per layer)`);
    if (w.size === 0) throw new fg.ShapeError(`${who}: ${name} has shape ${shapeOf(w)}, which holds no matrix to measure`);
  });
  const ts = list as fg.Tensor[];
  const same = ts.every((t) => t.shape.join() === ts[0]!.shape.join());
  return ts.length > 1 && same ? [fg.stack(ts)] : ts;
}

function measureOf(who: string, measure: unknown): StiffnessMeasure {
  if (!MEASURES.includes(measure as string)) {
    throw new fg.ArgumentError(`${who}: unknown measure ${JSON.stringify(measure)}; use 'eigen' (max|λ| − min|λ|) or 'singular' (σ₁ − σ_d)`);
  }
  return measure as StiffnessMeasure;
}

/** σ₁ − σ_d of each matrix [...] from its singular values (sorted descending). */
function gapOf(s: fg.Tensor): fg.Tensor {
  const d = s.shape[s.rank - 1]!;
  const gap = fg.sub(fg.slice(s, [0], [1], [-1]), fg.slice(s, [d - 1], [d], [-1]));
  return fg.reshape(gap, gap.shape.slice(0, -1));
}

/**
 * σ₁ − σ_d with the reverse rule u₁v₁ᵀ − u_b v_bᵀ: the derivative where σ₁ and σ_d are simple
 * and nonzero, and at ties the subgradient of the max/min reductions' convention, the first
 * position of the extremum: b is the first index (in svdvals' descending order) whose value is
 * tied with σ_d (within 4√ε·σ₁, ε of the dtype), σ₁ is index 0. So where all singular values
 * are equal (an orthogonal W, where the penalty is at its minimum 0) b = 0 and the gradient is 0.
 * svdvals' own rule would give U diag(ḡ) Vᵀ, which at a tie depends on the basis the SVD picks.
 */
const singularGap = fg.customVjp(
  'stiffnessPenalty.singular',
  (w) => gapOf(fg.linalg.svdvals(w)),
  ([w], _out, g) => {
    const { u, s, v } = fg.linalg.svd(w!);
    const d = w!.shape[w!.rank - 1]!;
    const tol = 4 * Math.sqrt(w!.dtype === 'float32' ? 1.1920929e-7 : Number.EPSILON);
    const col = (x: fg.Tensor, j: number) => fg.slice(x, [j], [j + 1], [-1]);
    // 1 where σ_k ≤ σ_d + tol·σ₁ (tied with the minimum), then the first such k
    const tied = fg.less(s, fg.add(col(s, d - 1), fg.mul(col(s, 0), tol)));
    const before = fg.tensor(Array.from({ length: d * d }, (_, e) => (Math.floor(e / d) < e % d ? 1 : 0)), [d, d]);
    const count = fg.reshape(fg.matmul(fg.reshape(tied, [...tied.shape.slice(0, -1), 1, d]), before), tied.shape);
    const first = fg.mul(tied, fg.relu(fg.sub(1, count)));
    const weights = fg.sub(fg.tensor(Array.from({ length: d }, (_, k) => (k === 0 ? 1 : 0))), first);
    const dir = fg.matmul(fg.mul(u, fg.reshape(weights, [...weights.shape.slice(0, -1), 1, d])), v, { transB: true });
    // g is [B?, ...batch]: one scale per matrix (and per cotangent of a batch)
    return [fg.mul(dir, fg.reshape(g, [...g.shape, 1, 1]))];
  },
  { batched: true },
);

/** The measure of each matrix of one group, shape [...] (the group's batch dimensions). */
function perMatrix(w: fg.Tensor, measure: StiffnessMeasure): fg.Tensor {
  return measure === 'eigen' ? fg.linalg.stiffness(w) : singularGap(w);
}

const STIFFNESS_PENALTY_KEYS = fg.optionKeys<NonNullable<Parameters<typeof stiffnessPenalty>[1]>>({ measure: true });

/**
 * Σ_n S(W_n) over the layers as a scalar tensor, differentiable in the weights: S is
 * max|λ| − min|λ| ('eigen', the default) or σ₁ − σ_d ('singular'). `weights` is a stack
 * [L, d, d] (e.g. layerStack(model, params)), one matrix, or a list of square matrices.
 * Add κ·stiffnessPenalty(...) to a loss, e.g. train({ penalty: (p) => fg.mul(stiffnessPenalty(layerStack(net, p)), κ) }).
 */
export function stiffnessPenalty(weights: fg.Tensor | readonly fg.Tensor[], opts: { measure?: StiffnessMeasure } = {}): fg.Tensor {
  opts = fg.checkOptions('stiffnessPenalty', opts, STIFFNESS_PENALTY_KEYS) as typeof opts;
  const who = 'stiffnessPenalty';
  const measure = measureOf(who, opts.measure ?? 'eigen');
  return groups(who, weights).map((w) => fg.sum(perMatrix(w, measure))).reduce((a, b) => fg.add(a, b));
}

/** Per-layer stiffness in both measures, read back as numbers (one per matrix, in order). */
export async function layerStiffness(weights: fg.Tensor | readonly fg.Tensor[]): Promise<{ eigen: number[]; singular: number[] }> {
  const gs = groups('layerStiffness', weights);
  const read = async (measure: StiffnessMeasure) => {
    const out: number[] = [];
    for (const w of gs) {
      const t = perMatrix(fg.stopGradient(w), measure);
      out.push(...(await t.data()));
      t.dispose();
    }
    return out;
  };
  return { eigen: await read('eigen'), singular: await read('singular') };
}
