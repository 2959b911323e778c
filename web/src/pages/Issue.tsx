// An issue, like Sentry's: its events over the header's range on a chart
// with axes and release markers, older/newer event navigation, the event's
// stack trace, breadcrumbs and raw JSON, tag distributions as bars, the
// affected users (each opening their journey at this error) and the
// related trace; "all events in Explore" searches its fingerprint.
import { useState } from 'react';
import { get, type Frame, type Histogram, type IssueDetail, type IssueEvents, type TagValue } from '../api';
import { ErrorMessage, Level, Loading, journeyHref, journeyLink } from '../components/common';
import { Figures } from '../components/Figures';
import { IssueChart } from '../components/IssueChart';
import { loadReplays } from '../replay';
import { actions, setStatus } from '../components/IssueActions';
import { rangeOf } from '../components/TimeRange';
import { href, keep, navigate, withParams, type Route } from '../route';
import { fmtClock, fmtNum, fmtPct, fmtTime, summary, term, useLoad } from '../util';

export function Issue({ r, id }: { r: Route; id: string }) {
  const { from, to } = rangeOf(r);
  const [version, setVersion] = useState(0);
  const [changed, setChanged] = useState<string | undefined>();
  const d = useLoad((signal) => get<IssueDetail>(`/api/v1/issues/${encodeURIComponent(id)}`, { from, to }, signal), [id, version, from, to]);
  const evs = useLoad((signal) => get<IssueEvents>(`/api/v1/issues/${encodeURIComponent(id)}/events`, { from, to, limit: 100 }, signal), [id, from, to]);
  const i = d.data;
  const fq = i ? term('fingerprint', i.fingerprint) : '';
  const hist = useLoad(
    (signal) => (i ? get<Histogram>('/api/v1/histogram', { q: fq, from, to, by: 'release' }, signal) : Promise.resolve(undefined)),
    [fq, from, to],
  );
  const list = evs.data?.events || [];
  // The event shown: the one named by ev= (its index, newest first), else the latest.
  const k = Math.min(Math.max(0, Number(r.params.get('ev') || 0)), Math.max(0, list.length - 1));
  const ev = list[k] || i?.latest_event || undefined;
  // The session the event happened in (its own, or its trace's browser events'), and its recording.
  const sid = ev?.session_id || (ev?.trace_id && ev.trace_id === i?.related?.trace_id ? i.related.events?.find((e) => e.session_id)?.session_id : '') || '';
  const recorded = useLoad((signal) => (sid ? loadReplays([sid], signal) : Promise.resolve(new Map())), [sid]);
  const exc = ev?.exception?.[0];
  const frames: Frame[] = (exc?.stacktrace?.frames || ev?.stacktrace?.frames || []).slice().reverse();
  const [raw, setRaw] = useState(false);
  return (
    <div className="issue">
      <a href={href(['issues'], keep(r))}>← issues</a>
      <ErrorMessage error={d.error || evs.error || changed} />
      <Loading on={d.loading && !d.data} />
      {i && (
        <>
          <h2>
            <Level l={i.level} /> {i.title}
          </h2>
          <p className="muted">
            {i.culprit} · {i.status} · {fmtNum(i.count)} events · {fmtNum(i.users)} users · first seen {fmtTime(i.first_seen)}
            {i.first_release && ` in ${i.first_release}`} · last seen {fmtTime(i.last_seen)}
          </p>
          <div className="bulk">
            {actions
              .filter(([to]) => to !== i.status)
              .map(([to, label]) => (
                <button
                  key={to}
                  type="button"
                  className="plain"
                  onClick={async () => {
                    const res = await setStatus([i.id], to);
                    setChanged(res.error);
                    setVersion((v) => v + 1);
                  }}
                >
                  {label}
                </button>
              ))}
            <a className="explore-all" href={href(['explore'], { ...keep(r), q: fq })}>
              all events in Explore →
            </a>
          </div>
          <Figures loads={[hist]} label="events over time">
            {hist.data && <IssueChart h={hist.data} onZoom={(a, b) => navigate(withParams(r, { from: a, to: b, ev: undefined }))} />}
          </Figures>
          <div className="issue-body">
            <div className="issue-main">
              <div className="event-nav" aria-label="events of this issue">
                <button type="button" className="plain" disabled={k + 1 >= list.length} onClick={() => navigate(withParams(r, { ev: String(k + 1) }))} aria-label="older event">
                  ← older
                </button>
                <span>
                  event {list.length ? k + 1 : 0} of {list.length}
                  {evs.data?.next_cursor ? '+' : ''} {ev && <>· {fmtTime(ev.ts)}</>} {ev?.release && <>· {ev.release}</>}
                </span>
                <button type="button" className="plain" disabled={k === 0} onClick={() => navigate(withParams(r, { ev: k > 1 ? String(k - 1) : undefined }))} aria-label="newer event">
                  newer →
                </button>
                <button type="button" className="plain" onClick={() => setRaw(!raw)} aria-pressed={raw}>
                  {raw ? 'formatted' : 'raw JSON'}
                </button>
              </div>
              {raw && ev && (
                <section>
                  <button type="button" className="plain" onClick={() => void navigator.clipboard?.writeText(JSON.stringify(ev, null, 2))}>
                    copy
                  </button>
                  <pre className="json" aria-label="raw JSON">
                    {JSON.stringify(ev, null, 2)}
                  </pre>
                </section>
              )}
              {!raw && (
                <>
                  <section>
                    <h3>Stack trace</h3>
                    {exc && (
                      <p className="exc">
                        <b>{exc.type}</b>: {exc.value}
                      </p>
                    )}
                    {frames.length === 0 && <p className="muted">No stack trace in this event{ev?.message ? `: ${ev.message}` : ''}.</p>}
                    <ol className="frames">
                      {frames.map((f, n) => (
                        <li key={n} className={f.in_app ? 'in-app' : 'lib'}>
                          <code>{f.function || '?'}</code> <span className="muted">in</span>{' '}
                          <code>
                            {f.filename || f.abs_path || f.module}
                            {f.lineno ? `:${f.lineno}` : ''}
                          </code>
                          {f.context_line && <pre>{f.context_line}</pre>}
                        </li>
                      ))}
                    </ol>
                  </section>
                  <section>
                    <h3>Breadcrumbs</h3>
                    {(ev?.breadcrumbs || []).length === 0 && <p className="muted">None recorded.</p>}
                    <table className="events">
                      <tbody>
                        {(ev?.breadcrumbs || []).map((b, n) => (
                          <tr key={n}>
                            <td className="ts">{typeof b.timestamp === 'number' ? fmtTime(b.timestamp * 1000) : fmtTime(b.timestamp)}</td>
                            <td>{b.category || b.type}</td>
                            <td className="msg">{b.message || (b.data ? JSON.stringify(b.data) : '')}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </section>
                </>
              )}
              {i.related && (i.related.events || []).length > 0 && (
                <section>
                  <h3>
                    Related trace {i.related.trace_id && <code>{i.related.trace_id.slice(0, 12)}…</code>}{' '}
                    {i.related.trace_url && (
                      <a className="journey-link" href={journeyHref(i.related.trace_url, r, { at: i.latest_event?.ts, why: i.title })}>
                        open the trace at this error
                      </a>
                    )}
                  </h3>
                  <table className="events">
                    <tbody>
                      {(i.related.events || []).map((e, n) => (
                        <tr key={n}>
                          <td className="ts">{fmtClock(e.ts)}</td>
                          <td className="svc">{e.service}</td>
                          <td>
                            <Level l={e.level} />
                          </td>
                          <td className="msg">{summary(e)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </section>
              )}
            </div>
            <Figures loads={[d, evs]}>
              <aside className="issue-side">
                <h3>This event</h3>
                <p>
                  {fmtTime(ev?.ts)} · {ev?.service} {ev?.endpoint && <code>{ev.endpoint}</code>}
                </p>
                <p>
                  {ev?.trace_id && (
                    <a className="journey-link" href={journeyLink(r, 'trace', ev.trace_id, { at: ev.ts, why: i.title })}>
                      its trace
                    </a>
                  )}
                  {ev?.trace_id && ev?.user_id && ' · '}
                  {ev?.user_id && (
                    <a className="journey-link" href={journeyLink(r, 'user', ev.user_id, { at: ev.ts, why: i.title })}>
                      its user's journey
                    </a>
                  )}
                  {sid && recorded.data?.has(sid) && (
                    <>
                      {' · '}
                      <a className="replay-link" href={journeyLink(r, 'session', sid, { at: ev?.ts, why: i.title })} title="the session's replay at this error: what the user saw">
                        ▶ watch the replay
                      </a>
                    </>
                  )}
                </p>
                <h3>Tags</h3>
                {Object.entries(i.tags || {}).map(([name, vs]) => (
                  <TagBars key={name} name={name} values={vs} r={r} fq={fq} />
                ))}
                {!i.tags?.release && <TagBars name="release" values={i.releases || []} r={r} fq={fq} />}
                <h3>Affected users</h3>
                {(i.affected_users || []).length === 0 && <p className="muted">No user id on these events.</p>}
                {(i.affected_users || []).slice(0, 10).map((v) => (
                  <div key={v.value} className="user-row">
                    <a href={journeyLink(r, 'user', v.value, { mq: fq, why: i.title })} title="their journey, opened at their latest event of this issue">
                      {v.value}
                    </a>{' '}
                    <span className="muted">({v.count})</span>
                  </div>
                ))}
              </aside>
            </Figures>
          </div>
        </>
      )}
    </div>
  );
}

/** TagBars shows a tag's values as bars of their share, each opening its events in Explore. */
function TagBars({ name, values, r, fq }: { name: string; values: TagValue[]; r: Route; fq: string }) {
  if (!values.length) return null;
  const total = values.reduce((n, v) => n + v.count, 0) || 1;
  return (
    <div className="tag">
      <b>{name}</b>
      {values.slice(0, 5).map((v) => (
        <a key={v.value} className="tagbar" href={href(['explore'], { ...keep(r), q: `${fq} ${term(name, v.value)}` })} title={`${v.count} events with ${name} ${v.value}`}>
          <span className="tagbar-fill" style={{ width: `${(v.count / total) * 100}%` }} />
          <span className="tagbar-v">{v.value || '(empty)'}</span>
          <span className="tagbar-n">{fmtPct(v.count / total)}</span>
        </a>
      ))}
    </div>
  );
}
