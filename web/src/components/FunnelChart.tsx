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
              {persons(s.persons)} · {fmtPct(s.conversion_rate)}
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
                      <a href={href(['explore'], { ...keep(r), q: dropoffQuery(e, s.sample_persons || []) })} title="these errors of the persons who stopped here (the sampled ones), in Explore">
                        <code>{e.label}</code>
                      </a>{' '}
                      in {e.service}: {persons(e.persons)}, {fmtNum(e.events)} event{e.events === 1 ? '' : 's'}
                      {e.median_ms ? ` (median ${fmtDuration(e.median_ms)})` : ''}
                    </li>
                  ))}
                </ul>
              )}
              {(s.sample_persons || []).length > 0 && (
                <div className="samples">
                  their journeys:{' '}
                  {(s.sample_persons || []).map((p, k) => (
                    <a
                      key={p}
                      className="journey-link"
                      href={href(['journey', 'person', p], { ...keep(r), mq: term('name', s.name), why: `Stopped after ${s.name}` })}
                      title={`${p}: the journey opened where they last did ${s.name}`}
                    >
                      {p.length > 14 ? p.slice(0, 8) + '…' : p}
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

/** persons is "1 person", "3 persons". */
export function persons(n: number): string {
  return `${fmtNum(n)} ${n === 1 ? 'person' : 'persons'}`;
}

/**
 * dropoffQuery finds a drop-off's errors (by type) or slow requests (by
 * endpoint) in Explore, of the given persons (those who stopped) when known.
 */
export function dropoffQuery(e: { kind: string; label: string; service?: string }, who: string[] = []): string {
  const svc = e.service ? term('service', e.service) + ' ' : '';
  const what = e.kind === 'slow' ? `${svc}kind:span ${term('endpoint', e.label)} duration_ms:>1000` : `${svc}${term('error_type', e.label)}`;
  if (!who.length) return what;
  return `${what} (${who.map((p) => `${term('user_id', p)} OR ${term('anonymous_id', p)}`).join(' OR ')})`;
}
