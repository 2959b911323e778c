// The funnel chart: each step's persons and conversion, and for each
// drop-off the errors and slow requests those persons hit and what session
// replay saw them do (rage clicks, dead clicks, errors after a click), with
// their journeys — "▶ replay" for those recorded, opened at the moment they
// stopped. Drawn on the Funnel page and in dashboard panels.
import { get, type DropoffCause, type FunnelAnswer, type ReplaysAnswer } from '../api';
import { href, keep, type Route } from '../route';
import { fmtDuration, fmtNum, fmtPct, term, useLoad } from '../util';

/** The replay detections a drop-off cause can be, as the funnel card says them. */
const detections: Record<string, { verb: string; name: string }> = {
  rage_click: { verb: 'rage-clicked', name: '$rageclick' },
  dead_click: { verb: 'clicked, to no effect,', name: '$dead_click' },
  error_after_click: { verb: 'got an error after clicking', name: '$error_after_click' },
};

export function FunnelChart({ a, r }: { a: FunnelAnswer; r: Route }) {
  const steps = a.steps || [];
  // Which of the sampled persons were recorded in the funnel's range.
  const sampled = [...new Set(steps.flatMap((s) => s.sample_persons || []))];
  const recs = useLoad(
    (signal) =>
      sampled.length
        ? get<ReplaysAnswer>('/api/v1/replays', { person: sampled.join(','), from: a.range.from, to: a.range.to, limit: 500 }, signal).catch(() => undefined)
        : Promise.resolve(undefined),
    [sampled.join(','), a.range.from, a.range.to],
  );
  const recorded = new Set<string>();
  for (const x of recs.data?.replays || []) {
    if (x.user_id) recorded.add(x.user_id);
    if (x.anonymous_id) recorded.add(x.anonymous_id);
  }
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
                  {[...(s.dropoff_errors || []).filter((e) => !detections[e.kind]).slice(0, 5), ...(s.dropoff_errors || []).filter((e) => detections[e.kind]).slice(0, 5)].map((e, k) =>
                    detections[e.kind] ? (
                      <li key={k} className="detection">
                        of those who stopped here, {persons(e.persons)}{' '}
                        <a href={href(['explore'], { ...keep(r), q: dropoffQuery(e, s.sample_persons || []) })} title="what session replay saw them do (the sampled persons), in Explore">
                          {detections[e.kind].verb} <q>{e.label}</q>
                        </a>{' '}
                        ({fmtNum(e.events)} time{e.events === 1 ? '' : 's'})
                      </li>
                    ) : (
                      <li key={k} className={e.kind}>
                        {e.kind === 'slow' ? 'slow' : 'error'}{' '}
                        <a href={href(['explore'], { ...keep(r), q: dropoffQuery(e, s.sample_persons || []) })} title="these errors of the persons who stopped here (the sampled ones), in Explore">
                          <code>{e.label}</code>
                        </a>{' '}
                        in {e.service}: {persons(e.persons)}, {fmtNum(e.events)} event{e.events === 1 ? '' : 's'}
                        {e.median_ms ? ` (median ${fmtDuration(e.median_ms)})` : ''}
                      </li>
                    ),
                  )}
                </ul>
              )}
              {(s.sample_persons || []).length > 0 && (
                <div className="samples">
                  their journeys:{' '}
                  {(s.sample_persons || []).map((p) => {
                    const to = href(['journey', 'person', p], { ...keep(r), mq: term('name', s.name), why: `Stopped after ${s.name}` });
                    return (
                      <span key={p}>
                        <a className="journey-link" href={to} title={`${p}: the journey opened where they last did ${s.name}`}>
                          {p.length > 14 ? p.slice(0, 8) + '…' : p}
                        </a>
                        {recorded.has(p) && (
                          <a className="replay-link" href={to} title={`watch ${p}'s session replay from the moment they last did ${s.name}`}>
                            {' '}
                            ▶ replay
                          </a>
                        )}
                      </span>
                    );
                  })}
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
 * dropoffQuery finds a drop-off's errors (by type), slow requests (by
 * endpoint) or replay detections (by name) in Explore, of the given persons (those who stopped) when known.
 */
export function dropoffQuery(e: Pick<DropoffCause, 'kind' | 'label' | 'service'>, who: string[] = []): string {
  const svc = e.service ? term('service', e.service) + ' ' : '';
  const what = detections[e.kind]
    ? term('name', detections[e.kind].name)
    : e.kind === 'slow'
      ? `${svc}kind:span ${term('endpoint', e.label)} duration_ms:>1000`
      : `${svc}${term('error_type', e.label)}`;
  if (!who.length) return what;
  return `${what} (${who.map((p) => `${term('user_id', p)} OR ${term('anonymous_id', p)}`).join(' OR ')})`;
}
