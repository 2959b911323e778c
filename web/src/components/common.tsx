// Shared pieces: messages, sparklines, severity badges, the time range.
import type { ReactNode } from 'react';
import { href, keep, withParams, type Route } from '../route';
import { rangeLabel, zoomOut } from '../time';

export function ErrorMessage({ error }: { error?: string }) {
  if (!error) return null;
  return (
    <div className="msg error" role="alert">
      {error}
    </div>
  );
}

export function Loading({ on }: { on: boolean }) {
  return on ? <div className="muted loading">Loading…</div> : null;
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>;
}

/** FirstEvent is the empty state: how to send the first event. */
export function FirstEvent({ lead }: { lead?: ReactNode }) {
  return (
    <Empty>
      {lead ?? 'Nothing here in this time range.'} Widen the range, or send a first event:
      <pre>{`curl -H "Authorization: Bearer $INGEST_KEY" \\
  --data '{"level":"info","service":"web","message":"hello"}' \\
  ${location.origin}/api/v1/ingest`}</pre>
      The ingest key is printed by <code>lore serve</code> (or <code>lore demo</code>). OpenTelemetry (OTLP/HTTP on <code>/v1/logs</code> and <code>/v1/traces</code>), Sentry SDKs, PostHog
      and Segment clients and the browser snippet (<code>/sdk.js</code>) send to the same address.
    </Empty>
  );
}

/**
 * NoEvents is the empty state of a search: what found nothing, and what to
 * do. When the range was picked or zoomed into (it has an end), the range
 * is the likely cause, so it offers to zoom out rather than to send data.
 */
export function NoEvents({ q, r }: { q: string; r?: Route }) {
  const raw = r ? { from: r.params.get('from') || 'now-24h', to: r.params.get('to') || 'now' } : undefined;
  if (r && raw && raw.to !== 'now') {
    const out = zoomOut(raw);
    return (
      <Empty>
        Nothing {q.trim() ? <>matches <code>{q}</code></> : 'happened'} between {rangeLabel(raw)}.{' '}
        <a href={withParams(r, { from: out.from, to: out.to === 'now' ? undefined : out.to, event: undefined })}>Zoom out</a>, or pick a wider range at the top right.
      </Empty>
    );
  }
  if (!q.trim()) return <FirstEvent />;
  return (
    <FirstEvent
      lead={
        <>
          Nothing matches <code>{q}</code> in this time range: remove a term.
        </>
      }
    />
  );
}

export function Sparkline({ values, width = 120, height = 24, tone = 'err' }: { values: number[]; width?: number; height?: number; tone?: 'err' | 'neutral' }) {
  if (!values.length) return null;
  const max = Math.max(1, ...values);
  const w = width / values.length;
  return (
    <svg className={`spark spark-${tone}`} width={width} height={height} viewBox={`0 0 ${width} ${height}`} aria-hidden="true">
      {values.map((v, i) => {
        const h = v === 0 ? 0 : Math.max(1, (v / max) * height);
        return <rect key={i} x={i * w} y={height - h} width={Math.max(1, w - 1)} height={h} />;
      })}
    </svg>
  );
}

export function Severity({ s }: { s?: string }) {
  return <span className={`sev sev-${s || 'info'}`}>{s || 'info'}</span>;
}

export function Level({ l }: { l?: string }) {
  if (!l) return null;
  return <span className={`lvl lvl-${l}`}>{l}</span>;
}

/** Moment is what a journey link opens at: an instant, or a search that finds it, and why it matters. */
export interface Moment {
  at?: string;
  mq?: string;
  why?: string;
}

/** JourneyLink opens the story of a trace, user or session at a moment, keeping the time range. */
export function JourneyLink({ r, by, id, at, children }: { r: Route; by: string; id?: string; at?: Moment; children?: ReactNode }) {
  if (!id) return null;
  return (
    <a className="journey-link" href={journeyLink(r, by, id, at)}>
      {children ?? `open ${by} journey`}
    </a>
  );
}

/** journeyLink is the page link of a journey at a moment, with the time range. */
export function journeyLink(r: Route, by: string, id: string, at?: Moment): string {
  return href(['journey', by, id], { ...keep(r), ...at });
}

/** journeyHref turns an API journey link (/api/v1/journeys/trace/ID?…) into a page link with the range and moment. */
export function journeyHref(api: string, r?: Route, at?: Moment): string {
  const m = api.match(/\/journeys\/(trace|user|session)\/([^?]+)(?:\?(.*))?/);
  if (!m) return '#/';
  // The API link's own moment (?at=) unless one is given.
  const own = new URLSearchParams(m[3] || '').get('at');
  return href(['journey', m[1], decodeURIComponent(m[2])], { ...(r ? keep(r) : {}), ...(own ? { at: own } : {}), ...at });
}

/** heat is a cell's background: the accent colour at the rate's strength. */
export function heat(rate: number): string {
  const pct = Math.round(8 + Math.min(1, Math.max(0, rate)) * 82);
  return `color-mix(in srgb, var(--accent) ${pct}%, transparent)`;
}
