// A small SVG plotter for the study reports: axes with ticks, lines, dots (scatter) and colored cells.

export interface Series {
  name: string;
  points: [number, number][];
  kind?: 'line' | 'dots';
  color?: string;
  /** diameter of the dots in pixels (default 5); small dots for dense scatter plots */
  size?: number;
  /** a dashed line (e.g. the validation curve beside a solid training curve of the same color) */
  dash?: boolean;
}

export interface Cells {
  /** lower-left corner of the grid, cell size, columns and rows; values in [0, 1] row by row from the bottom */
  x0: number;
  y0: number;
  dx: number;
  dy: number;
  cols: number;
  rows: number;
  values: number[];
}

export interface PlotOptions {
  title: string;
  xlabel?: string;
  ylabel?: string;
  series: Series[];
  cells?: Cells;
  logX?: boolean;
  logY?: boolean;
  /** the same scale on both axes (the complex plane, the phase plane) */
  equal?: boolean;
  /** draw the unit circle (eigenvalues); the axes take it in unless `limits` are given */
  unitCircle?: boolean;
  /** fixed axis ranges (in data units; exponents of 10 on log axes), e.g. a zoom into a cluster */
  limits?: { x?: [number, number]; y?: [number, number] };
  width?: number;
  height?: number;
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
/** Text escaped for HTML and SVG markup. */
export const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const f = (v: number) => (Math.round(v * 100) / 100).toString();

function tickLabel(v: number, log: boolean): string {
  if (log) {
    // v is an exponent: 10^e or, between decades, 2·10^e and 5·10^e
    const e = Math.floor(v + 1e-9);
    const m = Math.round(10 ** (v - e));
    const x = m * 10 ** e;
    if (x >= 1 && x < 1e4) return String(Math.round(x));
    if (x >= 0.01 && x < 1) return Number(x.toPrecision(1)).toString();
    return `${m}e${e}`;
  }
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-2 ? v.toExponential(0) : Number(v.toPrecision(3)).toString();
}

function ticks(lo: number, hi: number, log: boolean): number[] {
  if (log) {
    const out: number[] = [];
    const step = Math.max(1, Math.ceil((Math.floor(hi) - Math.ceil(lo)) / 6));
    for (let e = Math.ceil(lo); e <= Math.floor(hi); e += step) out.push(e);
    if (out.length >= 3) return out;
    // less than two decades: 1, 2, 5 × 10^e
    const fine: number[] = [];
    for (let e = Math.floor(lo); e <= Math.ceil(hi); e++) {
      for (const m of [1, 2, 5]) {
        const v = e + Math.log10(m);
        if (v >= lo && v <= hi) fine.push(v);
      }
    }
    return fine;
  }
  const raw = (hi - lo) / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9 * step; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

/** An SVG document plotting the series (non-finite points, and non-positive ones on log axes, are skipped). */
export function plot(o: PlotOptions): string {
  const W = o.width ?? 560;
  const H = o.height ?? 380;
  const m = { l: 64, r: 16, t: 34, b: 46 };
  const tx = (v: number) => (o.logX ? Math.log10(v) : v);
  const ty = (v: number) => (o.logY ? Math.log10(v) : v);
  const series = o.series.map((s, i) => ({ ...s, color: s.color ?? PALETTE[i % PALETTE.length]!, pts: s.points.map(([x, y]) => [tx(x), ty(y)] as [number, number]).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)) }));
  const all = series.flatMap((s) => s.pts);
  if (o.cells) all.push([o.cells.x0, o.cells.y0], [o.cells.x0 + o.cells.cols * o.cells.dx, o.cells.y0 + o.cells.rows * o.cells.dy]);
  if (o.unitCircle) all.push([-1, -1], [1, 1]);
  let [x0, x1] = all.length ? [Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0]))] : [0, 1];
  let [y0, y1] = all.length ? [Math.min(...all.map((p) => p[1])), Math.max(...all.map((p) => p[1]))] : [0, 1];
  const pad = (a: number, b: number): [number, number] => (a === b ? [a - 1, b + 1] : [a - 0.04 * (b - a), b + 0.04 * (b - a)]);
  if (!o.cells) {
    [x0, x1] = pad(x0, x1);
    [y0, y1] = pad(y0, y1);
  }
  if (o.limits?.x) [x0, x1] = o.limits.x;
  if (o.limits?.y) [y0, y1] = o.limits.y;
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  if (o.equal) {
    // widen the narrower range so that one unit is as long on both axes
    const s = Math.max((x1 - x0) / pw, (y1 - y0) / ph);
    const cx = (x0 + x1) / 2;
    const cy = (y0 + y1) / 2;
    [x0, x1] = [cx - (s * pw) / 2, cx + (s * pw) / 2];
    [y0, y1] = [cy - (s * ph) / 2, cy + (s * ph) / 2];
  }
  const X = (v: number) => m.l + ((v - x0) / (x1 - x0)) * pw;
  const Y = (v: number) => m.t + ph - ((v - y0) / (y1 - y0)) * ph;
  // the legend goes below the plot, never over the data: rows of entries, wrapped to the width
  const legend = layoutLegend(series.filter((s) => s.name), W - m.l - m.r);
  const HL = H + legend.height;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${HL}" viewBox="0 0 ${W} ${HL}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect width="${W}" height="${HL}" fill="white"/>`);
  out.push(`<text x="${W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(o.title)}</text>`);
  out.push(`<clipPath id="plot"><rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}"/></clipPath>`);
  if (o.cells) {
    const c = o.cells;
    const rects: string[] = [];
    for (let r = 0; r < c.rows; r++) {
      for (let k = 0; k < c.cols; k++) {
        const v = Math.min(1, Math.max(0, c.values[r * c.cols + k]!));
        // blue (0) to white (0.5) to red (1), pale so that the points stay visible
        const [R, G, B] = v < 0.5 ? [255 - (0.5 - v) * 180, 255 - (0.5 - v) * 120, 255] : [255, 255 - (v - 0.5) * 180, 255 - (v - 0.5) * 180];
        const xa = X(c.x0 + k * c.dx);
        const ya = Y(c.y0 + (r + 1) * c.dy);
        rects.push(`<rect x="${f(xa)}" y="${f(ya)}" width="${f(X(c.x0 + (k + 1) * c.dx) - xa + 0.5)}" height="${f(Y(c.y0 + r * c.dy) - ya + 0.5)}" fill="rgb(${Math.round(R)},${Math.round(G)},${Math.round(B)})"/>`);
      }
    }
    out.push(`<g clip-path="url(#plot)">${rects.join('')}</g>`);
  }
  out.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#444"/>`);
  for (const v of ticks(x0, x1, !!o.logX)) {
    out.push(`<path d="M${f(X(v))} ${m.t + ph}v5" stroke="#444"/><path d="M${f(X(v))} ${m.t}v${ph}" stroke="#ddd" stroke-dasharray="2,3"/>`);
    out.push(`<text x="${f(X(v))}" y="${m.t + ph + 17}" text-anchor="middle">${tickLabel(v, !!o.logX)}</text>`);
  }
  for (const v of ticks(y0, y1, !!o.logY)) {
    out.push(`<path d="M${m.l - 5} ${f(Y(v))}h5" stroke="#444"/><path d="M${m.l} ${f(Y(v))}h${pw}" stroke="#ddd" stroke-dasharray="2,3"/>`);
    out.push(`<text x="${m.l - 8}" y="${f(Y(v) + 4)}" text-anchor="end">${tickLabel(v, !!o.logY)}</text>`);
  }
  if (o.xlabel) out.push(`<text x="${m.l + pw / 2}" y="${H - 8}" text-anchor="middle">${esc(o.xlabel)}</text>`);
  if (o.ylabel) out.push(`<text transform="translate(14 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle">${esc(o.ylabel)}</text>`);
  const g: string[] = [];
  if (o.unitCircle) g.push(`<ellipse cx="${f(X(0))}" cy="${f(Y(0))}" rx="${f(X(1) - X(0))}" ry="${f(Y(0) - Y(1))}" fill="none" stroke="#999" stroke-dasharray="4,3"/>`);
  for (const s of series) {
    if (!s.pts.length) continue;
    if ((s.kind ?? 'line') === 'line') {
      g.push(`<path d="${s.pts.map(([x, y], i) => `${i ? 'L' : 'M'}${f(X(x))} ${f(Y(y))}`).join('')}" fill="none" stroke="${s.color}" stroke-width="1.8"${s.dash ? ' stroke-dasharray="5,3"' : ''}/>`);
    } else {
      g.push(`<path d="${s.pts.map(([x, y]) => `M${f(X(x))} ${f(Y(y))}h0.01`).join('')}" stroke="${s.color}" stroke-width="${s.size ?? 5}" stroke-linecap="round" fill="none"/>`);
    }
  }
  out.push(`<g clip-path="url(#plot)">${g.join('')}</g>`);
  if (legend.items.length) {
    out.push(`<g class="legend" transform="translate(${m.l} ${H})">`);
    for (const { s, x, y } of legend.items) {
      out.push((s.kind ?? 'line') === 'line'
        ? `<path d="M${x} ${y - 3}h18" stroke="${s.color}" stroke-width="2"${s.dash ? ' stroke-dasharray="5,3"' : ''}/>`
        : `<circle cx="${x + 9}" cy="${y - 3}" r="3" fill="${s.color}"/>`);
      out.push(`<text x="${x + 24}" y="${y + 1}">${esc(s.name)}</text>`);
    }
    out.push('</g>');
  }
  out.push('</svg>');
  return out.join('\n');
}

/** Legend entries in rows below the plot: a swatch and the name, wrapped at `width` (text width estimated at 6.5 px a character). */
function layoutLegend<S extends { name: string }>(named: S[], width: number): { items: { s: S; x: number; y: number }[]; height: number } {
  const items: { s: S; x: number; y: number }[] = [];
  let x = 0;
  let row = 0;
  for (const s of named) {
    const w = 24 + Math.ceil(6.5 * s.name.length) + 16;
    if (x > 0 && x + w > width) {
      x = 0;
      row++;
    }
    items.push({ s, x, y: 10 + row * 16 });
    x += w;
  }
  return { items, height: items.length ? 16 * (row + 1) + 4 : 0 };
}
