// The funnel chart: each step's persons and conversion, and for each
// drop-off the errors and slow requests those persons hit, with their
// journeys. Drawn on the Funnel page and in dashboard panels.
import type { FunnelAnswer } from '../api';
import { href, keep, type Route } from '../route';
import { fmtDuration, fmtNum, fmtPct, term } from '../util';

export function FunnelChart({ a, r }: { a: FunnelAnswer; r: Route }) {
  const steps = a.steps || [];
  const first = steps[0]?.persons || 0;
  if (!first) return <div className="empty">Nobody did the first step in this time range.</div>;
  return (
    <div className="funnel">
      {steps.map((s, i) => (
        <div className="fstep" key={i}>
          <div className="fhead">
            <b>
              {i + 1}. {s.name}
            </b>
            <span>
              {fmtNum(s.persons)} persons · {fmtPct(s.conversion_rate)}
              {i > 0 && s.median_seconds_to_convert ? ` · median ${fmtDuration(s.median_seconds_to_convert * 1000)} to get here` : ''}
            </span>
          </div>
          <div className="fbar-track">
            <div className="fbar" style={{ width: `${(s.persons / first) * 100}%` }} />
          </div>
          {i < steps.length - 1 && s.dropped_after > 0 && (
            <div className="dropoff">
              <b>{fmtNum(s.dropped_after)}</b> stopped here ({fmtPct(s.dropped_after / Math.max(1, s.persons))} of this step).
              {(s.dropoff_errors || []).length > 0 && (
                <ul>
                  {(s.dropoff_errors || []).slice(0, 5).map((e, k) => (
                    <li key={k} className={e.kind}>
                      {e.kind === 'slow' ? 'slow' : 'error'}{' '}
                      <a href={href(['explore'], { ...keep(r), q: dropoffQuery(e) })} title="the events in Explore">
                        <code>{e.label}</code>
                      </a>{' '}
                      in {e.service}: {fmtNum(e.persons)} persons, {fmtNum(e.events)} events
                      {e.median_ms ? ` (median ${fmtDuration(e.median_ms)})` : ''}
                    </li>
                  ))}
                </ul>
              )}
              {(s.sample_persons || []).length > 0 && (
                <div className="samples">
                  their journeys:{' '}
                  {(s.sample_persons || []).map((p, k) => (
                    <a key={p} className="journey-link" href={href(['journey', 'person', p])}>
                      person {k + 1}
                    </a>
                  ))}
                </div>
              )}
            </div>
          )}
        </div>
      ))}
    </div>
  );
}

/** dropoffQuery finds a drop-off's errors (by type) or slow requests (by endpoint) in Explore. */
export function dropoffQuery(e: { kind: string; label: string; service?: string }): string {
  const svc = e.service ? term('service', e.service) + ' ' : '';
  return e.kind === 'slow' ? `${svc}kind:span ${term('endpoint', e.label)} duration_ms:>1000` : `${svc}${term('error_type', e.label)}`;
}
