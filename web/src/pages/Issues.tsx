// Issues: the stream of grouped errors in the header's time range, with a
// search, filters (service, release, environment, level, status), sorting,
// sparklines and bulk status changes. An issue's page is Issue.tsx.
import { useEffect, useState } from 'react';
import { get, type Facets, type IssueList } from '../api';
import { Figures } from '../components/Figures';
import { ErrorMessage, Level, Loading, Sparkline } from '../components/common';
import { actions, setStatus } from '../components/IssueActions';
import { rangeOf } from '../components/TimeRange';
import { href, keep, navigate, useParam, withParams, type Route } from '../route';
import { fmtRow, spansDays } from '../time';
import { fmtNum, term, useLoad } from '../util';

const statuses = ['unresolved', 'resolved', 'ignored', 'all'];
const sorts = ['last_seen', 'count', 'users', 'first_seen'];

/** parseSelection reads the selected issue ids of "sel=1,2". */
function parseSelection(sel: string): Set<number> {
  return new Set(sel.split(',').filter(Boolean).map(Number).filter((n) => n > 0));
}

// The filters, each a field of the issues' events, kept in the URL.
const filters: [string, string][] = [
  ['service', 'service'],
  ['release', 'release'],
  ['env', 'environment'],
  ['level', 'level'],
];

/** issueQuery is the search the list sends: the typed words and each filter. */
export function issueQuery(r: Route): string {
  const parts = [r.params.get('q') || ''];
  for (const [f] of filters) {
    const v = r.params.get(f);
    if (v) parts.push(term(f, v));
  }
  return parts.filter(Boolean).join(' ');
}

export function Issues({ r }: { r: Route }) {
  const status = r.params.get('status') || 'unresolved';
  const sort = r.params.get('sort') || 'last_seen';
  const { from, to } = rangeOf(r);
  const q = issueQuery(r);
  const [version, setVersion] = useState(0);
  const [done, setDone] = useState<{ text?: string; error?: string }>({});
  const list = useLoad(
    (signal) => get<IssueList>('/api/v1/issues', { status: status === 'all' ? undefined : status, sort, from, to, q: q || undefined }, signal),
    [status, sort, from, to, q, version],
  );
  const [draft, setDraft] = useState(r.params.get('q') || '');
  const typed = r.params.get('q') || '';
  useEffect(() => setDraft(typed), [typed]);
  // Times alone when all are today; with their date otherwise.
  const multi = spansDays([...(list.data?.issues || []).map((i) => i.last_seen), new Date().toISOString()]);
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
      <form
        className="searchbar"
        onSubmit={(e) => {
          e.preventDefault();
          navigate(withParams(r, { q: draft.trim() || undefined, sel: undefined }));
        }}
      >
        <input aria-label="search issues" value={draft} onChange={(e) => setDraft(e.target.value)} placeholder='search the errors: words, or fields like http_status:>=500 "timeout"' />
        <button type="submit">Search</button>
      </form>
      <div className="filters">
        {filters.map(([f, label]) => (
          <FilterSelect key={f} r={r} field={f} label={label} from={from} to={to} />
        ))}
        <label>
          status{' '}
          <select aria-label="status" value={status} onChange={(e) => navigate(withParams(r, { status: e.target.value }))}>
            {statuses.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          sort{' '}
          <select aria-label="sort" value={sort} onChange={(e) => navigate(withParams(r, { sort: e.target.value }))}>
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
      <Figures loads={[list]} label="issues">
        {list.data && issues.length === 0 && (
          <div className="empty">
            No {status === 'all' ? '' : status} issues{q ? <> matching <code>{q}</code></> : ''} in this time range: widen it, or change the filters. Errors arrive from any Sentry SDK (DSN <code>{`http://INGEST_KEY@${location.host}/1`}</code>), from
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
                <th>last seen ({multi ? 'date, ' : ''}time)</th>
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
                      <Level l={i.level} /> {i.culprit} {i.last_release && <>· {i.last_release}</>}
                    </div>
                  </td>
                  <td>
                    <Sparkline values={i.count_24h || []} />
                  </td>
                  <td>{fmtNum(i.count)}</td>
                  <td>{fmtNum(i.users)}</td>
                  <td className="ts">{fmtRow(i.last_seen, multi)}</td>
                  <td>{i.status}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Figures>
    </div>
  );
}

/** FilterSelect picks a value of a field among the errors' values in the range. */
function FilterSelect({ r, field, label, from, to }: { r: Route; field: string; label: string; from: string; to: string }) {
  const v = r.params.get(field) || '';
  const f = useLoad((signal) => get<Facets>('/api/v1/facets', { q: '(level:error OR level:fatal)', field, from, to, limit: 30 }, signal), [field, from, to]);
  const values = (f.data?.values || []).filter((x) => x.value);
  return (
    <label>
      {label}{' '}
      <select aria-label={label} value={v} onChange={(e) => navigate(withParams(r, { [field]: e.target.value || undefined, sel: undefined }))}>
        <option value="">all</option>
        {v && !values.some((x) => x.value === v) && <option value={v}>{v}</option>}
        {values.map((x) => (
          <option key={x.value} value={x.value}>
            {x.value} ({fmtNum(x.count)})
          </option>
        ))}
      </select>
    </label>
  );
}
