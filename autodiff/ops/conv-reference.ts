import type { Conv2dGeom } from '../../kernels/conv.js';

// float64 references of the three convolution ops: the definitions as plain loops, each written
// from the formula on its own (not from one another), so that they check each other too.
//   y[n, o, oy, ox] = Σ_{c, ky, kx} x[n, c, oy·sh + ky·dh − pt, ox·sw + kx·dw − pl] · w[o, c, ky, kx]
// over the channels c of o's group, terms outside x being zero.

/** Calls fn(iy, ix, ky, kx) for every tap of output pixel (oy, ox) that lands inside the input. */
function forTaps(g: Conv2dGeom, oy: number, ox: number, fn: (iy: number, ix: number, ky: number, kx: number) => void): void {
  for (let ky = 0; ky < g.kh; ky++) {
    const iy = oy * g.sh + ky * g.dh - g.pt;
    if (iy < 0 || iy >= g.h) continue;
    for (let kx = 0; kx < g.kw; kx++) {
      const ix = ox * g.sw + kx * g.dw - g.pl;
      if (ix < 0 || ix >= g.w) continue;
      fn(iy, ix, ky, kx);
    }
  }
}

const C = (g: Conv2dGeom) => g.groups * g.cg;
const O = (g: Conv2dGeom) => g.groups * g.og;
const xAt = (g: Conv2dGeom, n: number, c: number, iy: number, ix: number) => ((n * C(g) + c) * g.h + iy) * g.w + ix;
const yAt = (g: Conv2dGeom, n: number, o: number, oy: number, ox: number) => ((n * O(g) + o) * g.ho + oy) * g.wo + ox;
const wAt = (g: Conv2dGeom, o: number, c: number, ky: number, kx: number) => ((o * g.cg + c) * g.kh + ky) * g.kw + kx;

/** The convolution itself. */
export function cpuConv2d(x: Float64Array, w: Float64Array, g: Conv2dGeom): Float64Array {
  const y = new Float64Array(g.n * O(g) * g.ho * g.wo);
  for (let n = 0; n < g.n; n++) {
    for (let o = 0; o < O(g); o++) {
      const grp = Math.floor(o / g.og);
      for (let oy = 0; oy < g.ho; oy++) {
        for (let ox = 0; ox < g.wo; ox++) {
          let acc = 0;
          for (let c = 0; c < g.cg; c++) {
            forTaps(g, oy, ox, (iy, ix, ky, kx) => (acc += x[xAt(g, n, grp * g.cg + c, iy, ix)]! * w[wAt(g, o, c, ky, kx)]!));
          }
          y[yAt(g, n, o, oy, ox)] = acc;
        }
      }
    }
  }
  return y;
}

/** ∂⟨gy, y⟩/∂x: every output pixel's gradient spread back onto the inputs its taps read. */
export function cpuConv2dInputGrad(gy: Float64Array, w: Float64Array, g: Conv2dGeom): Float64Array {
  const gx = new Float64Array(g.n * C(g) * g.h * g.w);
  for (let n = 0; n < g.n; n++) {
    for (let o = 0; o < O(g); o++) {
      const grp = Math.floor(o / g.og);
      for (let oy = 0; oy < g.ho; oy++) {
        for (let ox = 0; ox < g.wo; ox++) {
          const v = gy[yAt(g, n, o, oy, ox)]!;
          for (let c = 0; c < g.cg; c++) {
            forTaps(g, oy, ox, (iy, ix, ky, kx) => (gx[xAt(g, n, grp * g.cg + c, iy, ix)]! += v * w[wAt(g, o, c, ky, kx)]!));
          }
        }
      }
    }
  }
  return gx;
}

/** ∂⟨gy, y⟩/∂w: for each weight, the sum over all output pixels of gradient × the input it read. */
export function cpuConv2dWeightGrad(x: Float64Array, gy: Float64Array, g: Conv2dGeom): Float64Array {
  const gw = new Float64Array(O(g) * g.cg * g.kh * g.kw);
  for (let o = 0; o < O(g); o++) {
    const grp = Math.floor(o / g.og);
    for (let c = 0; c < g.cg; c++) {
      for (let n = 0; n < g.n; n++) {
        for (let oy = 0; oy < g.ho; oy++) {
          for (let ox = 0; ox < g.wo; ox++) {
            const v = gy[yAt(g, n, o, oy, ox)]!;
            forTaps(g, oy, ox, (iy, ix, ky, kx) => (gw[wAt(g, o, c, ky, kx)]! += v * x[xAt(g, n, grp * g.cg + c, iy, ix)]!));
          }
        }
      }
    }
  }
  return gw;
}
