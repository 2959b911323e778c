// Issues: the list with sparklines, filters and bulk status changes, and
// an issue's detail with its stack trace, breadcrumbs, tags and the related
// trace.
import { useState } from 'react';
import { ApiError, api, get, type Frame, type Issue, type IssueDetail } from '../api';
import { ErrorMessage, JourneyLink, Level, Loading, Sparkline, journeyHref } from '../components/common';
import { href, keep, navigate, useParam, withParams, type Route } from '../route';
import { fmtNum, fmtTime, useLoad, summary } from '../util';

const statuses = ['unresolved', 'resolved', 'ignored', 'all'];
const sorts = ['last_seen', 'count', 'users', 'first_seen'];

export function Issues({ r }: { r: Route }) {
  return r.path[1] ? <IssuePage r={r} id={r.path[1]} /> : <IssueList r={r} />;
}

/** setStatus changes the status of issues one PATCH each; it answers how many changed and the first error. */
export async function setStatus(ids: number[], status: string): Promise<{ done: number; error?: string }> {
  let done = 0;
  let error: string | undefined;
  await Promise.all(
    ids.map((id) =>
      api(`/api/v1/issues/${id}`, undefined, { method: 'PATCH', body: JSON.stringify({ status }) }).then(
        () => done++,
        (e: unknown) => (error ??= e instanceof ApiError ? e.message : String(e)),
      ),
    ),
  );
  return { done, error };
}

const actions: [string, string][] = [
  ['resolved', 'Resolve'],
  ['ignored', 'Ignore'],
  ['unresolved', 'Unresolve'],
];

/** parseSelection reads the selected issue ids of "sel=1,2". */
function parseSelection(sel: string): Set<number> {
  return new Set(sel.split(',').filter(Boolean).map(Number).filter((n) => n > 0));
}

function IssueList({ r }: { r: Route }) {
  const status = r.params.get('status') || 'unresolved';
  const sort = r.params.get('sort') || 'last_seen';
  const from = r.params.get('from') || 'now-14d';
  const [version, setVersion] = useState(0);
  const [done, setDone] = useState<{ text?: string; error?: string }>({});
  const list = useLoad((signal) => get<{ issues: Issue[] | null }>('/api/v1/issues', { status: status === 'all' ? undefined : status, sort, from }, signal),
    [status, sort, from, version],
  );
  const issues = list.data?.issues || [];
  const [selParam, setSelParam] = useParam(r, 'sel');
  const sel = parseSelection(selParam);
  const select = (ids: Set<number>) => setSelParam([...ids].sort((a, b) => a - b).join(','));
  const toggle = (id: number) => {
    const n = new Set(sel);
    if (n.has(id)) n.delete(id);
    else n.add(id);
    select(n);
  };
  const shown = issues.filter((i) => sel.has(i.id)).map((i) => i.id);
  const bulk = async (to: string, label: string) => {
    const res = await setStatus(shown, to);
    setDone({ text: `${label.replace(/e$/, '')}ed ${res.done} issue${res.done === 1 ? '' : 's'}.`, error: res.error });
    select(new Set());
    setVersion((v) => v + 1);
  };
  return (
    <div className="issues">
      <div className="filters">
        <label>
          status{' '}
          <select value={status} onChange={(e) => navigate(withParams(r, { status: e.target.value }))}>
            {statuses.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          sort{' '}
          <select value={sort} onChange={(e) => navigate(withParams(r, { sort: e.target.value }))}>
            {sorts.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
      </div>
      <div className="bulk" aria-label="bulk actions">
        {shown.length > 0 ? (
          <>
            <b>{shown.length} selected</b>
            {actions
              .filter(([to]) => to !== status)
              .map(([to, label]) => (
                <button key={to} type="button" onClick={() => bulk(to, label)}>
                  {label}
                </button>
              ))}
            <button type="button" className="plain" onClick={() => select(new Set())}>
              Clear
            </button>
          </>
        ) : (
          done.text && <span className="muted">{done.text}</span>
        )}
        {!shown.length && !done.text && issues.length > 0 && <span className="muted">Tick issues (or press x on a row) to resolve, ignore or unresolve them together.</span>}
      </div>
      <ErrorMessage error={list.error || done.error} />
      <Loading on={list.loading && !list.data} />
      {list.data && issues.length === 0 && (
        <div className="empty">
          No {status === 'all' ? '' : status} issues. Errors arrive from any Sentry SDK (DSN <code>{`http://INGEST_KEY@${location.host}/1`}</code>), from
          logs with a stack trace, or from OpenTelemetry exceptions.
        </div>
      )}
      {issues.length > 0 && (
        <table className="issue-list">
          <thead>
            <tr>
              <th className="check">
                <input
                  type="checkbox"
                  aria-label="select all"
                  checked={shown.length === issues.length}
                  onChange={(e) => select(e.target.checked ? new Set(issues.map((i) => i.id)) : new Set())}
                />
              </th>
              <th>issue</th>
              <th>last 24 h</th>
              <th>events</th>
              <th>users</th>
              <th>last seen</th>
              <th>status</th>
            </tr>
          </thead>
          <tbody>
            {issues.map((i) => (
              <tr
                key={i.id}
                data-row
                tabIndex={-1}
                className={sel.has(i.id) ? 'selected' : ''}
                onKeyDown={(e) => {
                  if (e.key === 'x' && e.target === e.currentTarget) {
                    e.preventDefault();
                    toggle(i.id);
                  }
                }}
              >
                <td className="check">
                  <input type="checkbox" aria-label={`select ${i.title}`} checked={sel.has(i.id)} onChange={() => toggle(i.id)} />
                </td>
                <td>
                  <a className="issue-title" href={href(['issues', String(i.id)], keep(r))}>
                    {i.title}
                  </a>
                  <div className="muted">
                    {i.culprit} {i.last_release && <>· {i.last_release}</>}
                  </div>
                </td>
                <td>
                  <Sparkline values={i.count_24h || []} />
                </td>
                <td>{fmtNum(i.count)}</td>
                <td>{fmtNum(i.users)}</td>
                <td className="ts">{fmtTime(i.last_seen)}</td>
                <td>{i.status}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function IssuePage({ r, id }: { r: Route; id: string }) {
  const [version, setVersion] = useState(0);
  const [changed, setChanged] = useState<string | undefined>();
  const d = useLoad((signal) => get<IssueDetail>(`/api/v1/issues/${encodeURIComponent(id)}`, undefined, signal), [id, version]);
  const i = d.data;
  const ev = i?.latest_event;
  const exc = ev?.exception?.[0];
  const frames: Frame[] = (exc?.stacktrace?.frames || ev?.stacktrace?.frames || []).slice().reverse();
  return (
    <div className="issue">
      <a href={href(['issues'], keep(r))}>← issues</a>
      <ErrorMessage error={d.error || changed} />
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
          </div>
          <div className="sparks">
            <span>
              last 24 h <Sparkline values={i.count_24h || []} width={240} height={36} />
            </span>
            <span>
              last 14 days <Sparkline values={i.count_14d || []} width={240} height={36} />
            </span>
          </div>
          <div className="issue-body">
            <div className="issue-main">
              <section>
                <h3>Stack trace</h3>
                {exc && (
                  <p className="exc">
                    <b>{exc.type}</b>: {exc.value}
                  </p>
                )}
                {frames.length === 0 && <p className="muted">No stack trace in the latest event.</p>}
                <ol className="frames">
                  {frames.map((f, k) => (
                    <li key={k} className={f.in_app ? 'in-app' : 'lib'}>
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
                    {(ev?.breadcrumbs || []).map((b, k) => (
                      <tr key={k}>
                        <td className="ts">{typeof b.timestamp === 'number' ? fmtTime(new Date(b.timestamp * 1000).toISOString()) : fmtTime(b.timestamp)}</td>
                        <td>{b.category || b.type}</td>
                        <td className="msg">{b.message || (b.data ? JSON.stringify(b.data) : '')}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </section>
              {i.related && (
                <section>
                  <h3>
                    Related trace {i.related.trace_id && <code>{i.related.trace_id.slice(0, 12)}…</code>}{' '}
                    {i.related.trace_url && (
                      <a className="journey-link" href={journeyHref(i.related.trace_url)}>
                        open trace journey
                      </a>
                    )}{' '}
                    {i.related.journey_url && (
                      <a href={journeyHref(i.related.journey_url)}>open user journey</a>
                    )}
                  </h3>
                  <table className="events">
                    <tbody>
                      {(i.related.events || []).map((e, k) => (
                        <tr key={k}>
                          <td className="ts">{fmtTime(e.ts)}</td>
                          <td>{e.service}</td>
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
            <aside className="issue-side">
              <h3>Latest event</h3>
              <p>
                {fmtTime(ev?.ts)} · {ev?.service} {ev?.endpoint && <code>{ev.endpoint}</code>}
              </p>
              <p>
                <JourneyLink r={r} by="user" id={ev?.user_id} />
              </p>
              <h3>Tags</h3>
              {Object.entries(i.tags || {}).map(([k, vs]) => (
                <div key={k} className="tag">
                  <b>{k}</b>
                  {vs.slice(0, 3).map((v) => (
                    <span key={v.value}>
                      {v.value} <span className="muted">({v.count})</span>
                    </span>
                  ))}
                </div>
              ))}
              <h3>Releases</h3>
              {(i.releases || []).map((v) => (
                <div key={v.value}>
                  {v.value} <span className="muted">({v.count})</span>
                </div>
              ))}
              <h3>Affected users</h3>
              {(i.affected_users || []).slice(0, 10).map((v) => (
                <div key={v.value}>
                  <a href={href(['journey', 'user', v.value])}>{v.value}</a> <span className="muted">({v.count})</span>
                </div>
              ))}
            </aside>
          </div>
        </>
      )}
    </div>
  );
}
