// Shared pieces: messages, sparklines, severity badges, the time range.
import type { ReactNode } from 'react';
import { href, keep, type Route } from '../route';

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

/** NoEvents is the empty state of a search: what found nothing, and how to send events. */
export function NoEvents({ q }: { q: string }) {
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

/** JourneyLink opens the story of a trace, user or session, keeping the time range. */
export function JourneyLink({ r, by, id, children }: { r: Route; by: string; id?: string; children?: ReactNode }) {
  if (!id) return null;
  return (
    <a className="journey-link" href={href(['journey', by, id], keep(r))}>
      {children ?? `open ${by} journey`}
    </a>
  );
}

/** journeyHref turns an API journey link (/api/v1/journeys/trace/ID?…) into a page link. */
export function journeyHref(api: string): string {
  const m = api.match(/\/journeys\/(trace|user|session)\/([^?]+)/);
  return m ? href(['journey', m[1], decodeURIComponent(m[2])]) : '#/';
}

/** heat is a cell's background: the accent colour at the rate's strength. */
export function heat(rate: number): string {
  const pct = Math.round(8 + Math.min(1, Math.max(0, rate)) * 82);
  return `color-mix(in srgb, var(--accent) ${pct}%, transparent)`;
}
