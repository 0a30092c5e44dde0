// Values inside the options of the file, training, stochastic and Lyapunov functions: a wrong
// kind of value is an ArgumentError naming the function, never ignored or a TypeError later.
import { beforeAll, describe, expect, it } from 'vitest';
import * as fg from '../index.js';

const m = fg.models;

beforeAll(() => fg.init({ backend: 'cpu' }));

describe('values inside options are checked', () => {
  it('files: bytes, metadata and the browser helpers', async () => {
    expect(() => fg.io.toBlob('x' as never)).toThrow(/toBlob: bytes must be a Uint8Array/);
    expect(() => fg.io.toBlob(new Uint8Array(2), 7 as never)).toThrow(/toBlob: type must be a MIME type string, got 7/);
    // the arguments are checked before the missing browser page
    expect(() => fg.io.downloadBytes(undefined as never, 'a.safetensors')).toThrow(/downloadBytes: bytes must be a Uint8Array/);
    expect(() => fg.io.downloadBytes(new Uint8Array(2), '')).toThrow(/downloadBytes: filename must be a non-empty string/);
    // a string is not a metadata object (its characters would become keys '0', '1', …)
    await expect(fg.io.saveSafetensors({ a: fg.ones([2]) }, undefined, { metadata: 'x' as never })).rejects.toThrow(/saveSafetensors: metadata must be a plain object of strings, got "x"/);
    // readSafetensors names itself, not loadSafetensors
    await expect(fg.io.readSafetensors(new Uint8Array(3))).rejects.toThrow(/^readSafetensors: the file is truncated/);
  });

  it('train: checkpoint.path and checkpoint.save, and resume', async () => {
    const model = m.mlp({ sizes: [2, 2] });
    const data = m.data.moons({ n: 8 });
    const run = (extra: object) => m.train({ model, data, epochs: 1, ...extra } as never);
    await expect(run({ checkpoint: { every: 1, save: 'x' } })).rejects.toThrow(/train: checkpoint\.save must be a function/);
    await expect(run({ checkpoint: { every: 1, path: 7 } })).rejects.toThrow(/train: checkpoint\.path must be a non-empty string/);
    await expect(run({ resume: 7 })).rejects.toThrow(/train: resume must be a checkpoint: a path, a Uint8Array, an ArrayBuffer or a Blob, got number/);
    await expect(run({ resume: new Uint8Array(3) })).rejects.toThrow(/^train: resume: loadSafetensors: the file is truncated/);
  });

  it('stochastic models and the Lyapunov autoencoder', async () => {
    expect(() => m.stochasticOscillator({ paths: 2, ts: [0, 0.1], noise: -1 })).toThrow(/stochasticOscillator: noise must be a number ≥ 0, got -1/);
    expect(() => m.neuralSde({ dim: 2, hidden: 1.5 })).toThrow(/neuralSde: hidden must be an integer ≥ 1, got 1.5/);
    const sde = m.neuralSde({ dim: 2, hidden: 3 });
    expect(() => m.sampleNeuralSde(sde, sde.params, [0, 0, 0], [0, 0.1], { paths: 2, dt: 0.05, seed: 0 })).toThrow(/sampleNeuralSde: y0 has 3 entries, the model's state has 2/);
    await expect(m.fitNeuralSde(sde, fg.zeros([3, 2, 2]), [0, 0.1], { steps: 1, lr: 0.1, paths: 2, dt: 0.05 })).rejects.toThrow(/fitNeuralSde: data has shape \[3, 2, 2\], expected paths \[2, paths ≥ 1, 2\]/);
    await expect(m.fitLinearNode(fg.zeros([2, 1, 2]), [0, 0.1], { method: 'rk4' as never, steps: 1, lr: 0.1, rtol: 1e-3, atol: 1e-6, maxSteps: 10 })).rejects.toThrow(/fitLinearNode: method must be 'dopri5' or 'rosenbrock23', got "rk4"/);
    const ae = m.lyapunovAutoencoder({ observed: 3, latent: 2, hidden: 4 });
    const y = fg.zeros([1, 3]);
    // a negative κ was read as "no prior" without a word
    expect(() => ae.loss(ae.params, y, y, y, { kappa: -1 })).toThrow(/lyapunovAutoencoder\.loss: kappa must be a number ≥ 0, got -1/);
    expect(() => ae.encode(ae.params, fg.zeros([1, 2]))).toThrow(/lyapunovAutoencoder\.encode: y: input x has shape \[1, 2\], expected \[batch, 3\]/);
    expect(() => ae.step({ ...ae.params, omega: fg.eye(3) }, fg.zeros([1, 2]))).toThrow(/lyapunovAutoencoder\.step: params\.omega has shape \[3, 3\], expected \[2, 2\]/);
    await expect(m.fitLyapunovAutoencoder(ae, fg.zeros([1, 3, 3]), undefined as never)).rejects.toThrow(/fitLyapunovAutoencoder: options \{ steps \} are required/);
  });

  it('advectionDiffusion: sizes are checked, and a negative speed gets the substeps its |c| needs', () => {
    expect(() => m.data.advectionDiffusion({ grid: NaN })).toThrow(/advectionDiffusion: grid must be an integer ≥ 3, got NaN/);
    expect(() => m.data.advectionDiffusion({ nu: -0.1 })).toThrow(/advectionDiffusion: nu must be a number ≥ 0/);
    // pure advection (ν = 0): central differences are skew-symmetric, so the semi-discrete flow
    // keeps the energy Σu². At c·dt/h = 3.2 one RK4 step per snapshot damps it (21 % by the end,
    // what c = −1 got when the substeps read c instead of |c|); with the substeps it is kept.
    const growth = (c: number) => {
      const d = m.data.advectionDiffusion({ c, nu: 0, dt: 0.1, grid: 32, snapshots: 40, samples: 1, observed: 2 });
      const energy = (t: number) => d.fields.subarray(t * d.grid, (t + 1) * d.grid).reduce((a, u) => a + u * u, 0);
      return energy(d.snapshots - 1) / energy(0);
    };
    expect(Math.abs(growth(1) - 1)).toBeLessThan(1e-4);
    expect(Math.abs(growth(-1) - 1)).toBeLessThan(1e-4);
  });
});
