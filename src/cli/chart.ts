// The demo's trade-off curves as SVG, drawn by Vega-Lite (a well-kept, declarative charting
// library that renders to SVG in Node without a browser or canvas). Vega is an optional
// dependency: without it the demo still prints its table and says how to get the picture.
import { LowbitError } from '../errors.js';

export interface ChartPoint {
  label: string;
  bytes: number;
  accuracy: number;
  latencyMs: number;
}

/** Two panels side by side: accuracy vs bytes and latency vs bytes, one labelled point per setting. */
export async function tradeoffSvg(points: ChartPoint[], title: string): Promise<string> {
  let vega: typeof import('vega'), vl: typeof import('vega-lite');
  try {
    [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
  } catch {
    throw new LowbitError('ERR_LOWBIT_NO_CHART', 'the chart needs the optional packages vega and vega-lite (npm install vega vega-lite)');
  }
  const values = points.map((p) => ({ ...p, kib: p.bytes / 1024, accuracyPct: p.accuracy * 100 }));
  const kib = values.map((v) => v.kib);
  const domain = [Math.min(...kib) / 1.3, Math.max(...kib) * 1.6];  // room for the labels
  const panel = (field: string, axis: string) => ({
    width: 420, height: 300,
    encoding: {
      x: { field: 'kib', type: 'quantitative', title: 'parameter bytes (KiB, log scale)', scale: { type: 'log', domain, nice: false } },
      y: { field, type: 'quantitative', title: axis, scale: { zero: false } },
    },
    layer: [
      { mark: { type: 'point', filled: true, size: 70 }, encoding: { color: { field: 'label', type: 'nominal', legend: null } } },
      { mark: { type: 'text', align: 'left', dx: 6, dy: -6, fontSize: 10 }, encoding: { text: { field: 'label' } } },
    ],
  });
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title, data: { values },
    hconcat: [panel('accuracyPct', 'test accuracy (%)'), panel('latencyMs', 'latency per batch (ms)')],
  };
  const view = new vega.View(vega.parse(vl.compile(spec as never).spec), { renderer: 'none' });
  return view.toSVG();
}
