import * as fg from '../index.js';
import { activationFn, type Activation } from './activations.js';
import { affine, dense, denseParams, type DenseParams } from './dense.js';
import { initTensor, type Initializer } from './init.js';
import { checkInput, checkInt, checkReal, type Model, checkApplyOptions, type ApplyOptions, checkParamTree } from './model.js';
import { subSeed } from './random.js';
import { countParams } from './tree.js';

export interface HamiltonianOptions {
  /** size d of each state half (the state has 2d components) */
  width: number;
  layers: number;
  /** step h (default T/L with T = 1) */
  h?: number;
  activation?: Activation;
  /** input dimension ≤ 2d, padded with zeros (default 2d) */
  inputSize?: number;
  /** a learned dense readout (default: the state itself) */
  outputSize?: number;
  /**
   * 'reconstruct' (default): the backward pass rebuilds the states from the output by the exact
   * inverse, so memory does not grow with depth; 'store': an ordinary tape that keeps them.
   */
  memory?: 'reconstruct' | 'store';
  init?: Initializer;
  gain?: number;
  seed?: number;
}

export interface HamiltonianParams {
  /** K_n stacked: [L, d, d] */
  K: fg.Tensor;
  /** b_n stacked: [L, d] */
  b: fg.Tensor;
  readout?: DenseParams;
}

export interface HamiltonianModel extends Model<HamiltonianParams> {
  /** the reversible core on states [batch, 2d] */
  forward(params: HamiltonianParams, state: fg.Tensor): fg.Tensor;
  /** its exact inverse: the input state from the output state */
  inverse(params: HamiltonianParams, state: fg.Tensor): fg.Tensor;
}

const HAMILTONIAN_KEYS = fg.optionKeys<HamiltonianOptions>({ width: true, layers: true, h: true, activation: true, inputSize: true, outputSize: true, memory: true, init: true, gain: true, seed: true });

/**
 * The Hamiltonian (Verlet) network of Haber & Ruthotto on a state split in halves (y, z):
 *   y_{n+1} = y_n + h·σ(z_n·K_n + b_n),   z_{n+1} = z_n − h·σ(y_{n+1}·K_nᵀ + b_n)
 * (row vectors; in column form K_n here is the transpose of the papers' K_n). Each step is
 * inverted exactly: z_n = z_{n+1} + h·σ(y_{n+1}·K_nᵀ + b_n), y_n = y_{n+1} − h·σ(z_n·K_n + b_n).
 */
export function hamiltonian(opts: HamiltonianOptions): HamiltonianModel {
  opts = fg.checkOptions('hamiltonian', opts, HAMILTONIAN_KEYS) as typeof opts;
  const who = 'hamiltonian';
  const d = checkInt(who, 'width', opts?.width);
  const L = checkInt(who, 'layers', opts.layers);
  const h = checkReal(who, 'h', opts.h ?? 1 / L, (x) => x > 0, 'a positive number');
  const m = checkInt(who, 'inputSize', opts.inputSize ?? 2 * d);
  if (m > 2 * d) throw new fg.ShapeError(`${who}: inputSize ${m} is larger than the state 2·width = ${2 * d}`);
  const outSize = opts.outputSize === undefined ? undefined : checkInt(who, 'outputSize', opts.outputSize);
  const mode = opts.memory ?? 'reconstruct';
  if (mode !== 'reconstruct' && mode !== 'store') throw new fg.ArgumentError(`${who}: memory must be 'reconstruct' or 'store', got ${JSON.stringify(mode)}`);
  const activation = opts.activation ?? 'tanh';
  const act = activationFn(activation, who);
  const seed = opts.seed ?? 0;
  const params: HamiltonianParams = {
    K: initTensor(opts.init ?? 'glorotUniform', [L, d, d], subSeed(seed, 1), opts.gain ?? 1),
    b: fg.zeros([L, d]),
  };
  if (outSize !== undefined) params.readout = denseParams(2 * d, outSize, { seed: subSeed(seed, 2) });

  const layer = (K: fg.Tensor, b: fg.Tensor, n: number) => ({
    K: fg.reshape(fg.slice(K, [n], [n + 1]), [d, d]),
    b: fg.reshape(fg.slice(b, [n], [n + 1]), [d]),
  });
  const halves = (s: fg.Tensor) => [fg.slice(s, [0], [d], [1]), fg.slice(s, [d], [2 * d], [1])] as const;

  const stepForward = (y: fg.Tensor, z: fg.Tensor, Kn: fg.Tensor, bn: fg.Tensor) => {
    const y1 = fg.add(y, fg.mul(affine(z, Kn, bn, activation), h));
    const z1 = fg.sub(z, fg.mul(act(fg.add(fg.matmul(y1, Kn, { transB: true }), bn)), h));
    return { y: y1, z: z1 };
  };
  const stepBack = (y1: fg.Tensor, z1: fg.Tensor, Kn: fg.Tensor, bn: fg.Tensor) => {
    const z = fg.add(z1, fg.mul(act(fg.add(fg.matmul(y1, Kn, { transB: true }), bn)), h));
    const y = fg.sub(y1, fg.mul(affine(z, Kn, bn, activation), h));
    return { y, z };
  };

  /** runs the L steps one way, freeing each step's intermediates */
  const sweep = (s: fg.Tensor, K: fg.Tensor, b: fg.Tensor, backwards: boolean) => {
    let [y, z] = halves(s);
    for (let i = 0; i < L; i++) {
      const n = backwards ? L - 1 - i : i;
      const next = fg.tidy(() => {
        const w = layer(K, b, n);
        return (backwards ? stepBack : stepForward)(y, z, w.K, w.b);
      });
      y.dispose();
      z.dispose();
      ({ y, z } = next);
    }
    const out = fg.concat([y, z], 1);
    y.dispose();
    z.dispose();
    return out;
  };

  /** cotangent through σ at u: g ⊙ σ'(u), and σ(u), for any activation */
  const actVjp = (u: fg.Tensor, g: fg.Tensor) => {
    const [s, back] = fg.vjp(act, u);
    const [du] = back(g);
    back.dispose();
    return { s: s as fg.Tensor, du: du as fg.Tensor };
  };

  // the backward pass walks the layers from the output, rebuilding (y_n, z_n) as it goes
  const reversible = fg.customVjp(
    'hamiltonian',
    (s, K, b) => sweep(s!, K!, b!, false),
    ([, K, b], out, g) => {
      let [y, z] = halves(out);
      let [gy, gz] = halves(g);
      const gK: fg.Tensor[] = new Array(L);
      const gb: fg.Tensor[] = new Array(L);
      for (let n = L - 1; n >= 0; n--) {
        const r = fg.tidy(() => {
          const w = layer(K!, b!, n);
          // z_{n+1} = z_n − h·σ(u), u = y_{n+1}·Kᵀ + b
          const u = fg.add(fg.matmul(y, w.K, { transB: true }), w.b);
          const a2 = actVjp(u, fg.mul(gz, -h));
          const zn = fg.add(z, fg.mul(a2.s, h));
          const gy1 = fg.add(gy, fg.matmul(a2.du, w.K));
          // y_{n+1} = y_n + h·σ(v), v = z_n·K + b
          const v = fg.add(fg.matmul(zn, w.K), w.b);
          const a1 = actVjp(v, fg.mul(gy1, h));
          const yn = fg.sub(y, fg.mul(a1.s, h));
          const gzn = fg.add(gz, fg.matmul(a1.du, w.K, { transB: true }));
          // u_{bi} = Σ_j y_{bj}K_{ij} gives ∂K = duᵀ·y; v = z·K gives ∂K = zᵀ·dv
          const gKn = fg.add(fg.matmul(a2.du, y, { transA: true }), fg.matmul(zn, a1.du, { transA: true }));
          const gbn = fg.add(fg.sum(a2.du, 0), fg.sum(a1.du, 0));
          return { yn, zn, gy1, gzn, gKn, gbn };
        });
        for (const t of [y, z, gy, gz]) t.dispose();
        ({ yn: y, zn: z, gy1: gy, gzn: gz } = r);
        gK[n] = r.gKn;
        gb[n] = r.gbn;
      }
      const gs = fg.concat([gy, gz], 1);
      for (const t of [y, z, gy, gz]) t.dispose();
      return [gs, fg.stack(gK, 0), fg.stack(gb, 0)];
    },
  );

  const checkState = (s: fg.Tensor, what: string) => {
    if (!(s instanceof fg.Tensor) || s.rank !== 2 || s.shape[1] !== 2 * d) {
      throw new fg.ShapeError(`${who}: ${what} must have shape [batch, ${2 * d}] (two halves of width ${d}), got ${s instanceof fg.Tensor ? `[${s.shape.join(', ')}]` : typeof s}`);
    }
  };
  const checkParams = (p: HamiltonianParams) => {
    checkParamTree(who, p, params);
    if (!(p?.K instanceof fg.Tensor) || p.K.shape.join() !== [L, d, d].join() || !(p.b instanceof fg.Tensor) || p.b.shape.join() !== [L, d].join()) {
      throw new fg.ShapeError(`${who}: params K and b must have shapes [${L}, ${d}, ${d}] and [${L}, ${d}]`);
    }
  };
  const forward = (p: HamiltonianParams, s: fg.Tensor) => {
    checkState(s, 'the state');
    checkParams(p);
    if (mode === 'reconstruct') return reversible(s, p.K, p.b);
    let [y, z] = halves(s);
    for (let n = 0; n < L; n++) {
      const w = layer(p.K, p.b, n);
      ({ y, z } = stepForward(y, z, w.K, w.b));
    }
    return fg.concat([y, z], 1);
  };
  return {
    name: `hamiltonian d=${d}×2 L=${L}`,
    params,
    inputShape: [m],
    outputShape: [outSize ?? 2 * d],
    parameterCount: countParams(params),
    forward,
    inverse(p, s) {
      checkState(s, 'the output state');
      checkParams(p);
      return sweep(s, p.K, p.b, true);
    },
    apply(p, x, o?: ApplyOptions) {
      checkApplyOptions(who, o);
      checkInput(who, x, [m]);
      const s = forward(p, m < 2 * d ? fg.pad(x, [[0, 0], [0, 2 * d - m]]) : x);
      return p.readout ? dense(p.readout, s) : s;
    },
  };
}
