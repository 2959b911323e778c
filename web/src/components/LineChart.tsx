// A time-series line chart (uPlot) for trends: one line per series, a
// dashed line for a previous period, a legend with the series' names.
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { TrendsAnswer } from '../api';
import { timeAxis, tzDate } from './chartTime';

export interface Line {
  label: string;
  values: (number | null)[];
  dashed?: boolean;
}

export const palette = ['#4c6ef5', '#f76707', '#2f9e44', '#e64980', '#7950f2', '#1098ad', '#f59f00', '#868e96', '#c92a2a', '#5c940d'];

export function LineChart({ xs, lines, height = 240 }: { xs: number[]; lines: Line[]; height?: number }) {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!el.current) return;
    const u = new uPlot(
      {
        width: el.current.clientWidth || 800,
        height,
        legend: { show: true },
        tzDate,
        scales: { x: { time: true } },
        axes: [timeAxis, { stroke: '#8a91a3', size: 56 }],
        series: [
          {},
          ...lines.map((l, i) => ({
            label: l.label,
            stroke: palette[i % palette.length],
            width: 2,
            dash: l.dashed ? [6, 4] : undefined,
            // a value between two gaps has no line to be part of: drawn as a dot
            points: { show: false, filter: (u: uPlot, si: number, show: boolean) => (show ? null : lonePoints(u.data[si] as (number | null)[])) },
          })),
        ],
      },
      [xs, ...lines.map((l) => l.values)] as uPlot.AlignedData,
      el.current,
    );
    const ro = new ResizeObserver(() => el.current && u.setSize({ width: el.current.clientWidth, height }));
    ro.observe(el.current);
    return () => {
      ro.disconnect();
      u.destroy();
    };
  }, [xs, lines, height]);
  return <div className="linechart" ref={el} />;
}

/** lonePoints are the indexes of the values with a gap (null) or the chart's edge on both
 * sides, which a line alone does not show (null when there are none). */
export function lonePoints(values: (number | null)[]): number[] | null {
  const out: number[] = [];
  const gap = (i: number) => i < 0 || i >= values.length || values[i] === null;
  for (let i = 0; i < values.length; i++) if (!gap(i) && gap(i - 1) && gap(i + 1)) out.push(i);
  return out.length ? out : null;
}

/** trendLines turns an answer into chart columns; the previous period is shifted onto the current one. */
export function trendLines(a: TrendsAnswer): { xs: number[]; lines: Line[] } {
  const series = a.series || [];
  const xs = (series[0]?.points || []).map((p) => new Date(p.start).getTime() / 1000);
  const lines: Line[] = series.map((s) => ({ label: s.breakdown || 'current', values: (s.points || []).map((p) => p.value) }));
  for (const s of a.previous || []) {
    const vals = (s.points || []).map((p) => p.value);
    lines.push({ label: `${s.breakdown || 'previous'} (previous period)`, values: xs.map((_, i) => vals[i] ?? null), dashed: true });
  }
  return { xs, lines };
}
