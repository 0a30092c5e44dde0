// Lyapunov spectra of three flows: Lorenz (and its largest exponent over the window T), a linear
// system and a Hamiltonian network flow.
import * as fg from '../../index.js';

const A = fg.analysis;

export interface SpectrumRow {
  system: string;
  exponents: number[];
  sum: number;
  /** what the sum should be: the trace of the Jacobian (constant for these flows) */
  expectedSum: number;
  reference: string;
  T: number;
  dt: number;
}

export interface SpectraResults {
  rows: SpectrumRow[];
  /** Lorenz λ₁, λ₂, λ₃ over windows T */
  lorenzOverT: { T: number; exponents: number[] }[];
}

const lorenz = (_t: number, y: fg.Tensor) => {
  const [x, v, z] = [0, 1, 2].map((i) => fg.slice(y, [i], [i + 1], [-1])) as [fg.Tensor, fg.Tensor, fg.Tensor];
  return fg.concat([fg.mul(fg.sub(v, x), 10), fg.sub(fg.mul(x, fg.sub(28, z)), v), fg.sub(fg.mul(x, v), fg.mul(z, 8 / 3))], -1);
};

/** q̇ = p, ṗ = −∂V/∂q with V(q) = ½‖q‖² + Σᵢ tanh²((qK + b)ᵢ): a one-layer network energy. */
function hamiltonianFlow(d: number, seed: number) {
  const K = fg.keep(fg.mul(fg.randn([d, 4], { seed }), 1.5));
  const b = fg.keep(fg.randn([4], { seed: seed + 1 }));
  return (_t: number, s: fg.Tensor) => {
    const q = fg.slice(s, [0], [d], [-1]);
    const p = fg.slice(s, [d], [2 * d], [-1]);
    const th = fg.tanh(fg.add(fg.matmul(q, K), b));
    const dV = fg.mul(fg.mul(th, fg.sub(1, fg.square(th))), 2);
    return fg.concat([p, fg.neg(fg.add(q, fg.matmul(dV, K, { transB: true })))], -1);
  };
}

export async function lyapunovSpectra(o: { quick: boolean; seed: number }): Promise<SpectraResults> {
  const rows: SpectrumRow[] = [];
  const read = async (t: fg.Tensor) => Array.from(await t.data());
  const add = (r: Omit<SpectrumRow, 'sum'>) => {
    const row = { ...r, sum: r.exponents.reduce((a, b) => a + b, 0) };
    rows.push(row);
    console.log(`  ${r.system}: λ = ${row.exponents.map((x) => x.toFixed(4)).join(', ')} (Σ = ${row.sum.toFixed(5)}, expected ${r.expectedSum.toFixed(5)}; T = ${r.T})`);
  };
  const warm = fg.odeint(lorenz, fg.tensor([1, 1, 1]), [0, 20], { method: 'rk4', dt: 0.01 });
  const y0 = fg.keep(fg.reshape(fg.slice(warm, [1], [2], [0]), [3]));
  warm.dispose();
  const lorenzOverT: SpectraResults['lorenzOverT'] = [];
  for (const T of o.quick ? [5, 10, 20] : [10, 25, 50, 100, 200]) {
    const e = await read(A.lyapunovSpectrum(lorenz, y0, { T, dt: 0.01, qrEvery: 5 }));
    lorenzOverT.push({ T, exponents: e });
    console.log(`  Lorenz, T = ${T}: λ = ${e.map((x) => x.toFixed(4)).join(', ')}`);
  }
  const last = lorenzOverT.at(-1)!;
  add({ system: 'Lorenz (σ = 10, ρ = 28, β = 8/3)', exponents: last.exponents, expectedSum: -(10 + 1 + 8 / 3), reference: 'λ₁ ≈ 0.9056, λ₂ = 0, λ₃ ≈ −14.57', T: last.T, dt: 0.01 });
  // dx/dt = A x with eigenvalues 0.3, −0.5 ± 2i, −1.2 (block triangular B, conjugated by a reflection)
  const B = [[0.3, 1, 0.5, 0.2], [0, -0.5, 2, 0.4], [0, -2, -0.5, 0.3], [0, 0, 0, -1.2]];
  const v = [1, -2, 0.5, 1];
  const vv = v.reduce((s, x) => s + x * x, 0);
  const H = v.map((a, i) => v.map((c, j) => (i === j ? 1 : 0) - (2 * a * c) / vv));
  const mm = (X: number[][], Y: number[][]) => X.map((r) => Y[0]!.map((_, j) => r.reduce((s, x, k) => s + x * Y[k]![j]!, 0)));
  const Amat = fg.tensor(mm(mm(H, B), H));
  const Tl = o.quick ? 10 : 40;
  add({ system: 'linear dx/dt = Ax', exponents: await read(A.lyapunovSpectrum((_t, x, a: fg.Tensor) => fg.matmul(x, a, { transB: true }), fg.tensor([1, 0, 0, 0]), { T: Tl, dt: 0.02, qrEvery: 5, params: Amat })), expectedSum: -1.9, reference: 'Re λ(A) = 0.3, −0.5, −0.5, −1.2', T: Tl, dt: 0.02 });
  const Th = o.quick ? 10 : 50;
  add({ system: 'Hamiltonian network flow (2 + 2)', exponents: await read(A.lyapunovSpectrum(hamiltonianFlow(2, o.seed + 3), fg.tensor([1, 0.5, 0, 0.3]), { T: Th, dt: 0.02, qrEvery: 5 })), expectedSum: 0, reference: 'symmetric: λᵢ = −λ_{n+1−i}', T: Th, dt: 0.02 });
  y0.dispose();
  return { rows, lorenzOverT };
}
