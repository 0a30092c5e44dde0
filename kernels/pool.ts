import type { GpuArg, GpuRuntime } from '../engine/webgpu/runtime.js';
import type { Window2d } from './window.js';
import { flatIndex, mainSignature, WG } from './wgsl.js';

/** A pooling window over planes of h × w (every axis in front of the last two is a plane axis). */
export interface PoolGeom extends Window2d {
  h: number;
  w: number;
  pt: number;
  pl: number;
  /** avgPool: divide by kh·kw (true) or by the window's elements inside the input */
  countIncludePad: boolean;
}

// The window of output (oy, ox) covers rows oy·sh − pt … + kh − 1 and columns likewise; the
// rows outside the input are padding (−∞ for max, 0 for average).

/**
 * WGSL: `let best = …; let at = …;` the first maximum of x's window at (oy, ox) of plane
 * `xp` (scanning rows, then columns; NaN wins, as in PyTorch), and its flat index in the plane.
 */
function argmaxWgsl(g: PoolGeom): string {
  return `var best = 0.0; var at = 0u; var found = false;
  ${windowWgsl(g, `let k = u32(iy) * ${g.w}u + u32(ix);
      let v = x[xp * ${g.h * g.w}u + k];
      if (!found || v > best || (isNan(v) && !isNan(best))) { best = v; at = k; found = true; }`)}`;
}

/** WGSL: `body` for each input element (iy, ix) of the window at (oy, ox) inside the input, rows first. */
function windowWgsl(g: PoolGeom, body: string): string {
  return `for (var ky = 0u; ky < ${g.kh}u; ky++) {
    let iy = i32(oy * ${g.sh}u + ky) - ${g.pt};
    if (iy < 0 || iy >= ${g.h}) { continue; }
    for (var kx = 0u; kx < ${g.kw}u; kx++) {
      let ix = i32(ox * ${g.sw}u + kx) - ${g.pl};
      if (ix < 0 || ix >= ${g.w}) { continue; }
      ${body}
    }
  }`;
}

/** rows (or columns) of windows that contain input row iy: lo..hi inclusive, clipped to the output */
function windowsOf(axis: 'y' | 'x', g: PoolGeom): string {
  const [i, k, s, p, n] = axis === 'y' ? ['iy', g.kh, g.sh, g.pt, g.ho] : ['ix', g.kw, g.sw, g.pl, g.wo];
  return `let ${axis}lo = max(0, (${i} + ${p} - ${k - 1} + ${s - 1}) / ${s}); let ${axis}hi = min(${n - 1}, (${i} + ${p}) / ${s});`;
}

// NaN by its bits: a driver may fold v != v to false
const isNanWgsl = 'fn isNan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }';

const head = (inputs: string[]) =>
  `${isNanWgsl}
${inputs.map((name, k) => `@group(0) @binding(${k + 1}) var<storage, read> ${name}: array<f32>;`).join('\n')}
@group(0) @binding(${inputs.length + 1}) var<storage, read_write> out: array<f32>;`;

export type PoolKernel = 'max' | 'maxSelect' | 'maxGrad' | 'avg' | 'avgGrad';

/**
 * One thread per output element.
 * - max:       out = max of x's window
 * - maxSelect: out = t at the argmax of x's window (t may have more planes than x: plane % xPlanes)
 * - maxGrad:   out (x-shaped) = Σ over the windows whose argmax is this element, of g
 * - avg:       out = mean of x's window
 * - avgGrad:   out (x-shaped) = Σ over the windows that contain this element, of g / window size
 */
function poolWgsl(kind: PoolKernel, g: PoolGeom, total: number, xPlanes: number): string {
  const outPlane = kind === 'maxGrad' || kind === 'avgGrad' ? g.h * g.w : g.ho * g.wo;
  const pre = `${mainSignature} {
  ${flatIndex}
  if (i >= ${total}u) { return; }
  let plane = i / ${outPlane}u; let k0 = i % ${outPlane}u;`;
  switch (kind) {
    case 'max':
      return `${head(['x'])}
${pre}
  let oy = k0 / ${g.wo}u; let ox = k0 % ${g.wo}u; let xp = plane;
  ${argmaxWgsl(g)}
  out[i] = best;
}`;
    case 'maxSelect':
      return `${head(['x', 't'])}
${pre}
  let oy = k0 / ${g.wo}u; let ox = k0 % ${g.wo}u; let xp = plane % ${xPlanes}u;
  ${argmaxWgsl(g)}
  out[i] = t[plane * ${g.h * g.w}u + at];
}`;
    case 'maxGrad':
      return `${head(['x', 'gy'])}
${pre}
  let iy = i32(k0 / ${g.w}u); let ix = i32(k0 % ${g.w}u); let xp = plane % ${xPlanes}u;
  ${windowsOf('y', g)} ${windowsOf('x', g)}
  var acc = 0.0;
  for (var wy = ylo; wy <= yhi; wy++) {
    for (var wx = xlo; wx <= xhi; wx++) {
      let oy = u32(wy); let ox = u32(wx);
      ${argmaxWgsl(g)}
      if (at == k0) { acc += gy[(plane * ${g.ho}u + oy) * ${g.wo}u + ox]; }
    }
  }
  out[i] = acc;
}`;
    case 'avg':
      return `${head(['x'])}
${pre}
  let oy = k0 / ${g.wo}u; let ox = k0 % ${g.wo}u;
  var acc = 0.0; var count = 0.0;
  ${windowWgsl(g, `acc += x[plane * ${g.h * g.w}u + u32(iy) * ${g.w}u + u32(ix)]; count += 1.0;`)}
  out[i] = acc / ${g.countIncludePad ? `${g.kh * g.kw}.0` : 'count'};
}`;
    case 'avgGrad':
      return `${head(['gy'])}
${pre}
  let iy = i32(k0 / ${g.w}u); let ix = i32(k0 % ${g.w}u);
  ${windowsOf('y', g)} ${windowsOf('x', g)}
  var acc = 0.0;
  for (var wy = ylo; wy <= yhi; wy++) {
    for (var wx = xlo; wx <= xhi; wx++) {
      ${g.countIncludePad ? `let count = ${g.kh * g.kw}.0;` : `let rows = min(wy * ${g.sh} - ${g.pt} + ${g.kh}, ${g.h}) - max(wy * ${g.sh} - ${g.pt}, 0);
      let cols = min(wx * ${g.sw} - ${g.pl} + ${g.kw}, ${g.w}) - max(wx * ${g.sw} - ${g.pl}, 0);
      let count = f32(rows * cols);`}
      acc += gy[(plane * ${g.ho}u + u32(wy)) * ${g.wo}u + u32(wx)] / count;
    }
  }
  out[i] = acc;
}`;
  }
}

/** Records a pooling kernel over `out`; `xPlanes`: planes of x when t or g carry more (batched derivatives). */
export function launchPool(rt: GpuRuntime, kind: PoolKernel, inputs: GpuArg[], out: GpuArg, g: PoolGeom, xPlanes: number, label: string): void {
  rt.dispatch({
    wgsl: poolWgsl(kind, g, out.size, xPlanes),
    inputs: inputs.map((a) => a.buffer),
    outputs: [out.buffer],
    workgroups: rt.grid(out.size, WG),
    label,
  });
}
