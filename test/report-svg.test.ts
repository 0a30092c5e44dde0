// The report's SVG plots: the legend sits below the plot area, never over the data, and dashed
// series (validation beside training) are drawn dashed in the plot and in the legend.
import { describe, expect, it } from 'vitest';
import { plot } from '../cli/report/svg.js';

/** The plot area (the framed rect) and the legend's offset and entries. */
function parse(svg: string) {
  const frame = /<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)" fill="none" stroke="#444"\/>/.exec(svg)!;
  const [x, y, w, h] = frame.slice(1).map(Number) as [number, number, number, number];
  const legend = /<g class="legend" transform="translate\(([\d.]+) ([\d.]+)\)">([\s\S]*?)<\/g>/.exec(svg);
  const height = Number(/^<svg [^>]*height="(\d+)"/.exec(svg)![1]);
  const width = Number(/^<svg [^>]*width="(\d+)"/.exec(svg)![1]);
  return { area: { x, y, w, h }, legend, height, width };
}

// data filling the whole plot, the top right corner included (where the legend used to be)
const everywhere = Array.from({ length: 21 }, (_, i) => [i / 20, 1 - Math.abs(1 - i / 10) / 2] as [number, number]);

describe('report plots', () => {
  it('puts the legend below the plot area, with the SVG taller by its rows', () => {
    const base = parse(plot({ title: 't', series: [{ name: '', points: everywhere }] }));
    expect(base.legend).toBeNull();
    const names = ['resnet train', 'resnet val', 'node train', 'node val', 'resnet+stiffness train', 'resnet+stiffness val'];
    const svg = plot({ title: 't', xlabel: 'step', series: names.map((name, i) => ({ name, points: everywhere.map(([x, y]) => [x, y * (1 + i / 10)] as [number, number]), dash: name.endsWith('val') })) });
    const p = parse(svg);
    expect(p.legend).not.toBeNull();
    const [, lx, ly, body] = p.legend!;
    // below the plot area and its x label
    expect(Number(ly)).toBeGreaterThanOrEqual(p.area.y + p.area.h + 30);
    const ys = [...body!.matchAll(/<text x="([\d.]+)" y="([\d.]+)"/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(ys.length).toBe(names.length);
    // entries wrap into rows within the width
    expect(new Set(ys.map(([, y]) => y)).size).toBeGreaterThan(1);
    for (const [x] of ys) expect(Number(lx) + x! + 6.5 * 22).toBeLessThanOrEqual(p.width + 1);
    expect(p.height).toBe(base.height + 16 * new Set(ys.map(([, y]) => y)).size + 4);
    // dashed: 3 of the curves and their 3 swatches
    expect(svg.match(/stroke-dasharray="5,3"/g)!.length).toBe(6);
  });
});
