'use client';

import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/**
 * Y tick labels. A small range (0–1.1 B/s) gets ticks closer than the formatter's precision, so two
 * ticks would read "1 B/s, 1 B/s": a label equal to the one below it is left blank. The shown labels
 * are kept on the chart element for tests (the axis itself is canvas).
 */
function yTicks(vals: number[], format: (v: number) => string, el: HTMLElement | null): string[] {
  let prev = '';
  const out = vals.map((v) => {
    const label = format(v);
    if (label === prev) return '';
    prev = label;
    return label;
  });
  el?.setAttribute('data-yticks', out.filter(Boolean).join('|'));
  return out;
}

export interface Series {
  label: string;
  color: string;
  dash?: number[];
}

/**
 * A uPlot time chart. `data` is [times (s), ...one array per series]; new points redraw the same
 * chart (setData), so a long-running view does not rebuild anything.
 */
export function TimeChart({ title, series, data, format, testId }: { title: string; series: Series[]; data: number[][]; format: (v: number) => string; testId?: string }) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  useEffect(() => {
    if (!host.current) return;
    const opts: uPlot.Options = {
      width: host.current.clientWidth || 400,
      height: 180,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      axes: [{ stroke: '#64748b' }, { stroke: '#64748b', size: 70, values: (_u, vals) => yTicks(vals, format, host.current) }],
      series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 1.5, dash: s.dash, value: (_u: uPlot, v: number | null) => (v === null ? '—' : format(v)) }))],
    };
    const u = new uPlot(opts, data as uPlot.AlignedData, host.current);
    plot.current = u;
    const ro = new ResizeObserver(() => host.current && u.setSize({ width: host.current.clientWidth, height: 180 }));
    ro.observe(host.current);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
    // The chart is built once; data flows in through setData below.
  }, []); // eslint-disable-line react-hooks/exhaustive-deps

  useEffect(() => {
    plot.current?.setData(data as uPlot.AlignedData);
  }, [data]);

  return (
    <section className="rounded-lg border border-slate-200 bg-white p-3 dark:border-slate-800 dark:bg-slate-900">
      <h3 className="mb-1 text-sm font-semibold">{title}</h3>
      <div ref={host} data-testid={testId} data-points={data[0]?.length ?? 0} />
    </section>
  );
}
