import type { BackendName } from '../engine/backend.js';
import { backendNamed } from '../engine/context.js';
import { fromValues } from '../engine/creation.js';
import type { Tensor } from '../engine/tensor.js';
import { gradcheck, type GradcheckReport } from './gradcheck.js';
import { apply, registeredOps } from './op.js';
import { sampleLabel, sampleValues } from './samples.js';

export interface OpCheck {
  op: string;
  sample: string;
  report: GradcheckReport;
}

/** gradcheck of every registered op on every sample it declares (zero-derivative ops excluded). */
export async function gradcheckRegistry(backend: BackendName, onResult?: (r: OpCheck) => void): Promise<OpCheck[]> {
  const b = backendNamed(backend);
  const results: OpCheck[] = [];
  for (const op of registeredOps()) {
    for (const [si, sample] of op.samples.entries()) {
      if (sample.zeroDerivative) continue;
      const diff = sample.shapes.map((_, i) => i).filter((i) => !op.nondiff?.includes(i));
      if (diff.length === 0) continue; // nothing to differentiate (oneHot of labels)
      const xs = sampleValues(sample.shapes, sample.domain, 1000 + si, sample.values).map((v, i) => fromValues(v, sample.shapes[i]!, b));
      const f = (...ds: Tensor[]) => apply(op, xs.map((x, i) => (diff.includes(i) ? ds[diff.indexOf(i)]! : x)), sample.attrs);
      const report = await gradcheck(f, diff.map((i) => xs[i]!), { backend });
      xs.forEach((x) => x.dispose());
      const r = { op: op.name, sample: sampleLabel(op, sample), report };
      results.push(r);
      onResult?.(r);
    }
  }
  return results;
}
