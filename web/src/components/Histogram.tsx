// The event histogram (uPlot): all events and errors per step; dragging
// across it zooms the time range.
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Histogram as H } from '../api';
import { countAxis, timeAxis, tzDate } from './chartTime';

/** histogramSeries places each bucket's bar at the middle of its step. */
export function histogramSeries(h: H): [number[], number[], number[]] {
  const xs: number[] = [];
  const all: number[] = [];
  const errs: number[] = [];
  const half = (h.step_ms || 0) / 2000;
  for (const b of h.buckets || []) {
    xs.push(new Date(b.ts).getTime() / 1000 + half);
    all.push(b.count || (null as unknown as number));
    const by = b.by || {};
    // No bar (not a zero-height dash) where there is no error.
    errs.push((by.error || 0) + (by.fatal || 0) || (null as unknown as number));
  }
  return [xs, all, errs];
}

export function Histogram({ data, onZoom }: { data: H; onZoom: (from: Date, to: Date) => void }) {
  const el = useRef<HTMLDivElement>(null);
  const zoom = useRef(onZoom);
  zoom.current = onZoom;
  useEffect(() => {
    if (!el.current) return;
    const bars = uPlot.paths.bars!({ size: [0.9, 40] });
    const width = el.current.clientWidth || 800;
    // Bars stand at their steps' middles: the x range reaches half a step
    // beyond the first and last, so those are drawn whole.
    const half = (data.step_ms || 0) / 2000;
    const u = new uPlot(
      {
        width,
        height: 140,
        cursor: { drag: { x: true, y: false, setScale: false } },
        legend: { show: true, live: false },
        tzDate,
        scales: { x: { time: true, range: (_u, min, max) => [min - half, max + half] }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
        axes: [timeAxis, countAxis],
        series: [
          {},
          { label: 'events', stroke: '#5c7cfa', fill: 'rgba(92,124,250,0.45)', paths: bars, points: { show: false } },
          { label: 'errors', stroke: '#e03131', fill: 'rgba(224,49,49,0.7)', paths: bars, points: { show: false } },
        ],
        hooks: {
          setSelect: [
            (u) => {
              if (u.select.width < 3) return;
              const a = u.posToVal(u.select.left, 'x');
              const b = u.posToVal(u.select.left + u.select.width, 'x');
              zoom.current(new Date(a * 1000), new Date(b * 1000));
            },
          ],
        },
      },
      histogramSeries(data),
      el.current,
    );
    const ro = new ResizeObserver(() => el.current && u.setSize({ width: el.current.clientWidth, height: 140 }));
    ro.observe(el.current);
    return () => {
      ro.disconnect();
      u.destroy();
    };
  }, [data]);
  return <div className="hist" ref={el} title="Drag across the chart to zoom into that time" />;
}
