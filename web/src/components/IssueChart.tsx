// An issue's events over the time range: bars with a time axis and a count
// axis, and a marker where each release first shows the error. Dragging
// across it zooms the range.
import { useRef, useState } from 'react';
import type { Histogram } from '../api';
import { fmtNum } from '../util';
import { timeTicks } from './chartTime';

export interface ReleaseMark {
  release: string;
  at: number; // ms: the first bucket with an event of the release
}

/** releaseMarks finds the first bucket each release appears in, oldest first. */
export function releaseMarks(h: Histogram): ReleaseMark[] {
  const seen = new Map<string, number>();
  for (const b of h.buckets || []) {
    for (const [rel, n] of Object.entries(b.by || {})) {
      if (n > 0 && rel && !seen.has(rel)) seen.set(rel, Date.parse(b.ts));
    }
  }
  return [...seen.entries()].map(([release, at]) => ({ release, at })).sort((a, b) => a.at - b.at);
}

const W = 1000;
const H = 120;
const L = 40; // room for the count axis
const B = 20; // room for the time axis

export function IssueChart({ h, onZoom }: { h: Histogram; onZoom: (from: string, to: string) => void }) {
  const buckets = h.buckets || [];
  const t0 = Date.parse(h.from);
  const t1 = Date.parse(h.to);
  const span = Math.max(1, t1 - t0);
  const x = (t: number) => L + ((t - t0) / span) * (W - L);
  const max = Math.max(1, ...buckets.map((b) => b.count));
  const y = (n: number) => (H - B) * (1 - n / max);
  const bw = Math.max(1, ((h.step_ms || span) / span) * (W - L) - 1);
  const marks = releaseMarks(h);
  const nTicks = 6;
  const tickTs = Array.from({ length: nTicks }, (_, i) => t0 + (i * span) / (nTicks - 1));
  const labels = timeTicks(
    tickTs.map((t) => t / 1000),
    span / nTicks / 1000,
  );
  const svg = useRef<SVGSVGElement>(null);
  const [drag, setDrag] = useState<[number, number] | undefined>();
  const at = (clientX: number) => {
    const r = svg.current!.getBoundingClientRect();
    return t0 + (((clientX - r.left) / r.width) * W - L) / (W - L) * span;
  };
  return (
    <figure className="issue-chart" aria-label="events over time">
      <svg
        ref={svg}
        viewBox={`0 0 ${W} ${H}`}
        preserveAspectRatio="none"
        onMouseDown={(e) => setDrag([at(e.clientX), at(e.clientX)])}
        onMouseMove={(e) => drag && setDrag([drag[0], at(e.clientX)])}
        onMouseUp={() => {
          if (drag && Math.abs(drag[1] - drag[0]) > span / 100) {
            const [a, b] = drag[0] < drag[1] ? drag : [drag[1], drag[0]];
            onZoom(new Date(Math.max(a, t0)).toISOString(), new Date(Math.min(b, t1)).toISOString());
          }
          setDrag(undefined);
        }}
      >
        <line x1={L} x2={W} y1={H - B} y2={H - B} className="axis" />
        <line x1={L} x2={L} y1={0} y2={H - B} className="axis" />
        <text x={L - 4} y={10} className="tick" textAnchor="end">
          {fmtNum(max)}
        </text>
        <text x={L - 4} y={H - B} className="tick" textAnchor="end">
          0
        </text>
        {buckets.map((b) =>
          b.count ? <rect key={b.ts} x={x(Date.parse(b.ts))} y={y(b.count)} width={bw} height={H - B - y(b.count)} className="ic-bar" /> : null,
        )}
        {tickTs.map((t, i) => (
          <text key={t} x={x(t)} y={H - 5} className="tick" textAnchor={i === 0 ? 'start' : i === nTicks - 1 ? 'end' : 'middle'}>
            {labels[i]}
          </text>
        ))}
        {marks.map((m) => (
          <g key={m.release} className="release">
            <line x1={x(m.at)} x2={x(m.at)} y1={0} y2={H - B} />
            <text x={x(m.at) + 3} y={10}>
              {m.release}
            </text>
          </g>
        ))}
        {drag && <rect className="sel" x={x(Math.min(...drag))} width={Math.abs(x(drag[1]) - x(drag[0]))} y={0} height={H - B} />}
      </svg>
      <figcaption className="muted small">
        {fmtNum(buckets.reduce((n, b) => n + b.count, 0))} events in the range{marks.length ? `; dashed lines: the first event of each release (${marks.map((m) => m.release).join(', ')})` : ''}. Drag to zoom.
      </figcaption>
    </figure>
  );
}
