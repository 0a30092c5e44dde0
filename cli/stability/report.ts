// The stability study's plots and index.html.
import type { StabilityResults } from '../study-stability.js';
import { esc, figures, reportPage } from '../report/html.js';
import { plot, type Series } from '../report/svg.js';

const pts = (ys: number[]): [number, number][] => ys.map((y, i) => [i, y]);

export function stabilityPlots(r: StabilityResults): { file: string; caption: string; svg: string }[] {
  const ae = r.autoencoder;
  const runs = [['physics-agnostic (κ = 0)', ae.agnostic, '#d62728'], [`physics-aware (κ = ${ae.aware.kappa})`, ae.aware, '#1f77b4']] as const;
  const truth = '#222222';
  const eig = (run: typeof ae.agnostic, name: string, color: string): Series => ({ name, points: run.omega.re.map((x, i) => [x, run.omega.im[i]!]), kind: 'dots', color });
  const s = r.spectra;
  return [
    {
      file: 'rollout-norm.svg', caption: `‖ŷ_n‖ of ${ae.horizon}-step rollouts from a held-out field (ŷ_n = Φ(Ωⁿ Ψ(y₀))), against the observed truth ‖y_n‖; trained on ${ae.trainTrajectories} trajectories of ${ae.trainSnapshots} snapshots.`,
      svg: plot({ title: 'Long-horizon prediction: norm', xlabel: 'step n', ylabel: '‖y_n‖', logY: true, series: [{ name: 'truth', points: pts(ae.truthNorm), color: truth }, ...runs.map(([name, run, color]) => ({ name, points: pts(run.predictionNorm), color }))] }),
    },
    {
      file: 'rollout-error.svg', caption: 'Relative error ‖ŷ_n − y_n‖/‖y_n‖ of the rollouts.',
      svg: plot({ title: 'Long-horizon prediction: error', xlabel: 'step n', ylabel: 'relative error', logY: true, series: runs.map(([name, run, color]) => ({ name, points: pts(run.relError), color })) }),
    },
    {
      file: 'rollout-trace.svg', caption: 'The first observed coordinate y_n[0] of the rollouts and of the (noisy) truth.',
      svg: plot({ title: 'One observed coordinate', xlabel: 'step n', ylabel: 'y_n[0]', series: [{ name: 'truth', points: pts(ae.truthTrace), color: truth }, ...runs.map(([name, run, color]) => ({ name, points: pts(run.trace), color }))] }),
    },
    {
      file: 'omega-spectrum.svg', caption: 'Eigenvalues of the trained latent step Ω in the complex plane; the dashed circle is |λ| = 1.',
      svg: plot({ title: 'Spectrum of Ω', xlabel: 'Re λ', ylabel: 'Im λ', equal: true, unitCircle: true, series: runs.map(([name, run, color]) => eig(run, name, color)) }),
    },
    {
      file: 'p-spectrum.svg', caption: 'Eigenvalues pᵢ of P (Ωᵀ P Ω − P = −I), ascending, as sign(p)·log₁₀(1 + |p|): Ω is stable exactly when all are positive.',
      svg: plot({ title: 'Spectrum of P', xlabel: 'i', ylabel: 'sign(p)·log₁₀(1 + |p|)', series: runs.flatMap(([name, run, color]) => [{ name, points: pts(run.p.map((p) => Math.sign(p) * Math.log10(1 + Math.abs(p)))), kind: 'dots' as const, color }]) }),
    },
    {
      file: 'ae-training.svg', caption: 'ρ(Ω) during training (read every 25 steps); the physics-aware run adds the Lyapunov prior.',
      svg: plot({ title: 'Spectral radius of Ω over training', xlabel: 'Adam step', ylabel: 'ρ(Ω)', series: runs.map(([name, run, color]) => ({ name, points: run.log.map((l) => [l.step, l.spectralRadius] as [number, number]), color })) }),
    },
    {
      file: 'conditioning.svg', caption: 'Condition number σ₁/σ₂ of the ResNet\'s input–output Jacobian on the test points (median and max) over training.',
      svg: plot({ title: 'Jacobian conditioning over training', xlabel: 'step', ylabel: 'κ(∂f/∂x)', logY: true, series: [{ name: 'median', points: r.conditioning.map((c) => [c.step, c.median]) }, { name: 'max', points: r.conditioning.map((c) => [c.step, c.max]) }] }),
    },
    {
      file: 'lorenz-T.svg', caption: 'Finite-time Lyapunov exponents λ₁ and λ₂ of the Lorenz system over the window T (the dashed value 0.9056 is the literature λ₁).',
      svg: plot({
        title: 'Lorenz: exponents over T', xlabel: 'T', ylabel: 'λ', logX: true,
        series: [
          { name: 'λ₁', points: s.lorenzOverT.map((x) => [x.T, x.exponents[0]!]) }, { name: 'λ₂', points: s.lorenzOverT.map((x) => [x.T, x.exponents[1]!]) },
          { name: '0.9056', points: [[s.lorenzOverT[0]!.T, 0.9056], [s.lorenzOverT.at(-1)!.T, 0.9056]], color: '#888888' },
        ],
      }),
    },
    {
      file: 'spectra.svg', caption: 'Lyapunov spectra (descending) of the three flows.',
      svg: plot({ title: 'Lyapunov spectra', xlabel: 'i', ylabel: 'λᵢ', series: s.rows.map((x) => ({ name: x.system.split(' (')[0]!, points: x.exponents.map((e, i) => [i + 1, e] as [number, number]), kind: 'dots' as const })) }),
    },
  ];
}

export function stabilityHtml(r: StabilityResults, plots: { file: string; caption: string }[]): string {
  const ae = r.autoencoder;
  const f = (x: number, d = 4) => (Number.isFinite(x) ? x.toFixed(d) : String(x));
  const runRow = (name: string, run: typeof ae.agnostic) => `<tr><td>${esc(name)}</td><td>${run.kappa}</td><td>${run.gamma}</td><td>${f(run.omega.spectralRadius)}</td><td>${run.p.filter((p) => p < 0).length}</td><td>${f(run.log.at(-1)!.loss)}</td><td>${f(run.relError[10]!, 3)}</td><td>${f(run.relError[100]!, 3)}</td><td>${f(run.relError[ae.horizon]!, 3)}</td><td>${f(run.predictionNorm[ae.horizon]!, 2)}</td></tr>`;
  const sv = r.surrogate;
  const layers = sv.exact.map((e, n) => `<tr><td>${n}</td><td>${f(e)}</td><td>${f(sv.surrogate[n]!)}</td><td>${f(Math.abs(e - sv.surrogate[n]!))}</td></tr>`).join('\n');
  const pen = r.penalties.map((x) => `<tr><td>${x.penalty}</td><td>${x.kappa}</td><td>${f(x.stiffness)}</td><td>${f(x.activeStiffness)}</td><td>${f(x.dataLoss)}</td><td>${f(x.msPerStep, 1)}</td></tr>`).join('\n');
  const cond = r.conditioning.map((c) => `<tr><td>${c.step}</td><td>${f(c.median, 3)}</td><td>${f(c.max, 3)}</td><td>${f(c.meanSigma[0]!)}</td><td>${f(c.meanSigma[1]!)}</td><td>${(100 * c.testAccuracy).toFixed(1)}%</td></tr>`).join('\n');
  const spec = r.spectra.rows.map((x) => `<tr><td>${esc(x.system)}</td><td>${x.exponents.map((e) => f(e)).join(', ')}</td><td>${f(x.sum, 5)}</td><td>${f(x.expectedSum, 5)}</td><td>${esc(x.reference)}</td><td>${x.T}</td></tr>`).join('\n');
  const figs = figures(plots);
  return reportPage('flowgrad study: stability', `<h1>Stability toolkit</h1>
<p>Backend ${esc(r.backend)}, seed ${r.seed}${r.quick ? ', quick mode' : ''}; ${r.seconds.toFixed(1)} s.</p>
<h2>Lyapunov-stable autoencoder</h2>
<p>1-D advection–diffusion (${ae.grid} points, periodic) observed through a random ${ae.observed} × ${ae.grid} map plus noise; encoder Ψ (one tanh layer), linear latent step Ω (${ae.latent} × ${ae.latent}), linear decoder Φ; loss: one- and two-step prediction + reconstruction, and for the physics-aware model κ·Σᵢ ρ(pᵢ), pᵢ the eigenvalues of P with Ωᵀ P Ω − P = −I, ρ(p) = exp(−|p − 1|/γ) for p &lt; 0. ${ae.steps} Adam steps on ${ae.trainTrajectories} trajectories of ${ae.trainSnapshots} snapshots; rollouts of ${ae.horizon} steps from a held-out field. Trained on the ${esc(r.autoencoderBackend)} backend.</p>
<table><tr><th>model</th><th>κ</th><th>γ</th><th>ρ(Ω)</th><th>negative pᵢ</th><th>final loss</th><th>error at 10</th><th>at 100</th><th>at ${ae.horizon}</th><th>‖ŷ_${ae.horizon}‖ (truth ${f(ae.truthNorm[ae.horizon]!, 2)})</th></tr>
${runRow('physics-agnostic', ae.agnostic)}
${runRow('physics-aware', ae.aware)}</table>
<h2>Particle kernel map surrogate vs the exact stiffness</h2>
<p>S(W) = max|λ| − min|λ| against the Nadaraya–Watson surrogate Σ_p S(M_p) k_p / Σ_p k_p, k_p = exp(−‖W − M_p‖²/γ²), over ${sv.particles} particles sampled around W (spread ${sv.spread}), at the initial weights of a 6-layer ResNet (4 × 4 layers). Gradient cosine ${f(sv.gradientCosine, 3)}, norm ratio ${f(sv.gradientRatio, 3)} (a smoothed gradient: ≈ 2/d² = 0.125 expected); one value and gradient: exact ${f(sv.exactMs, 1)} ms, surrogate with the particle refresh ${f(sv.surrogateMs, 1)} ms.</p>
<table><tr><th>layer</th><th>exact S(W_n)</th><th>surrogate</th><th>|difference|</th></tr>
${layers}</table>
<p>Training the same ResNet on two moons from the same start (${r.penalties[0]?.steps} full-batch Adam steps) with each penalty: exact κ·Σ S(W_n); the surrogate with particles refreshed every step (κ·d²/2, matching its gradient's scale); and the active reference κ·Σ (max|λ(W_n)| − r), r the active rate ‖x_{n+1} − x_n‖/(Δt‖x_n‖) of the net's own trajectories in place of min|λ|.</p>
<table><tr><th>penalty</th><th>κ</th><th>final stiffness (mean)</th><th>max|λ| − r (mean)</th><th>data loss</th><th>ms / step</th></tr>
${pen}</table>
<h2>Jacobian conditioning over training</h2>
<p>Per test example, the singular values of ∂f/∂x of an 8-layer ResNet (forward mode, batched) and κ = σ₁/σ₂.</p>
<table><tr><th>step</th><th>median κ</th><th>max κ</th><th>mean σ₁</th><th>mean σ₂</th><th>test accuracy</th></tr>
${cond}</table>
<h2>Lyapunov spectra</h2>
<p>Finite-time exponents by the QR method on the tangent flow (RK4 on the state and the tangent matrix, Gram–Schmidt every 5 steps), on the ${esc(r.spectraBackend)} backend.</p>
<table><tr><th>flow</th><th>λ (descending)</th><th>Σλ</th><th>tr J</th><th>reference</th><th>T</th></tr>
${spec}</table>
<h2>Plots</h2>
${figs}
<p>The numbers: <a href="results.json">results.json</a>.</p>
`);
}
