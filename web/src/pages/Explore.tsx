// Explore: the search bar, the histogram, facets that filter on click, the
// result list and an event panel with links to the event's journeys.
import { useEffect, useState } from 'react';
import { api, type Facets, type Histogram as H, type LoreEvent, type SearchResult } from '../api';
import { ErrorMessage, FirstEvent, JourneyLink, Level, Loading } from '../components/common';
import { Histogram } from '../components/Histogram';
import { rangeOf } from '../components/TimeRange';
import { href, navigate, withParams, type Route } from '../route';
import { fmtDuration, fmtTime, term, useLoad } from '../util';

const facetFields = ['service', 'level', 'kind', 'endpoint', 'http_status', 'error_type'];

/** addTerm appends field:value to a query unless it is already there. */
export function addTerm(q: string, field: string, value: string, negate = false): string {
  const t = (negate ? '-' : '') + term(field, value);
  if (q.split(/\s+/).includes(t)) return q;
  return (q.trim() + ' ' + t).trim();
}

export function Explore({ r }: { r: Route }) {
  const q = r.params.get('q') || '';
  const { from, to } = rangeOf(r);
  const [draft, setDraft] = useState(q);
  useEffect(() => setDraft(q), [q]);
  const [more, setMore] = useState<LoreEvent[]>([]);
  const [cursor, setCursor] = useState<string | undefined>();
  const res = useLoad(() => api<SearchResult>('/api/v1/search', { q, from, to, limit: 100 }), [q, from, to]);
  const hist = useLoad(() => api<H>('/api/v1/histogram', { q, from, to, by: 'level' }), [q, from, to]);
  useEffect(() => {
    setMore([]);
    setCursor(res.data?.next_cursor);
  }, [res.data]);
  const sel = Number(r.params.get('event') ?? -1);
  const events = [...(res.data?.events || []), ...more];
  const selected = sel >= 0 ? events[sel] : undefined;

  const loadMore = async () => {
    if (!cursor) return;
    const p = await api<SearchResult>('/api/v1/search', { q, from, to, limit: 100, cursor });
    setMore((m) => [...m, ...p.events]);
    setCursor(p.next_cursor);
  };

  return (
    <div className="explore">
      <form
        className="searchbar"
        onSubmit={(e) => {
          e.preventDefault();
          navigate(withParams(r, { q: draft.trim() || undefined, event: undefined }));
        }}
      >
        <input
          aria-label="search"
          name="q"
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          placeholder='level:error service:payment-service "rate limited" http_status:>=500'
          autoComplete="off"
          spellCheck={false}
        />
        <button type="submit">Search</button>
      </form>
      <ErrorMessage error={res.error || hist.error} />
      {hist.data && (
        <Histogram
          data={hist.data}
          onZoom={(a, b) => navigate(withParams(r, { from: a.toISOString(), to: b.toISOString(), event: undefined }))}
        />
      )}
      <div className="explore-body">
        <aside className="facets">
          {facetFields.map((f) => (
            <FacetBox key={f} field={f} q={q} from={from} to={to} r={r} />
          ))}
        </aside>
        <section className="results">
          <Loading on={res.loading && !res.data} />
          {res.data && events.length === 0 && <FirstEvent />}
          {events.length > 0 && (
            <table className="events">
              <thead>
                <tr>
                  <th>time</th>
                  <th>level</th>
                  <th>service</th>
                  <th>message</th>
                </tr>
              </thead>
              <tbody>
                {events.map((e, i) => (
                  <tr
                    key={i}
                    className={i === sel ? 'selected' : ''}
                    tabIndex={0}
                    onClick={() => navigate(withParams(r, { event: String(i) }))}
                    onKeyDown={(k) => k.key === 'Enter' && navigate(withParams(r, { event: String(i) }))}
                  >
                    <td className="ts">{fmtTime(e.ts)}</td>
                    <td>
                      <Level l={e.level} />
                    </td>
                    <td>{e.service}</td>
                    <td className="msg">{summary(e)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {cursor && events.length > 0 && (
            <button className="more" onClick={loadMore}>
              Load more
            </button>
          )}
        </section>
        {selected && <EventPanel e={selected} r={r} />}
      </div>
    </div>
  );
}

/** summary is the one line shown for an event in the list. */
export function summary(e: LoreEvent): string {
  const parts: string[] = [];
  if (e.kind !== 'log') parts.push(`[${e.kind}]`);
  if (e.kind === 'span' || !e.message) {
    if (e.name) parts.push(e.name);
    if (e.http_method || e.endpoint) parts.push(`${e.http_method || ''} ${e.endpoint || ''}`.trim());
    if (e.http_status) parts.push(String(e.http_status));
    if (e.duration_ms !== undefined) parts.push(fmtDuration(e.duration_ms));
  }
  if (e.message) parts.push(e.message);
  if (e.error_type && !e.message?.includes(e.error_type)) parts.push(e.error_type);
  return parts.join(' ');
}

function FacetBox({ field, q, from, to, r }: { field: string; q: string; from: string; to: string; r: Route }) {
  const f = useLoad(() => api<Facets>('/api/v1/facets', { q, from, to, field, limit: 8 }), [field, q, from, to]);
  if (!f.data || f.data.values.length === 0) return null;
  return (
    <div className="facet">
      <h4>{field}</h4>
      <ul>
        {f.data.values.map((v) => (
          <li key={v.value}>
            <a href={withParams(r, { q: addTerm(q, field, v.value), event: undefined })} title={`only ${field}:${v.value}`}>
              <span className="fv">{v.value || '(empty)'}</span>
              <span className="fc">{v.count}</span>
            </a>
            <a className="neg" href={withParams(r, { q: addTerm(q, field, v.value, true), event: undefined })} title={`exclude ${field}:${v.value}`}>
              −
            </a>
          </li>
        ))}
      </ul>
    </div>
  );
}

function EventPanel({ e, r }: { e: LoreEvent; r: Route }) {
  const fields = Object.entries(e).filter(([k, v]) => k !== 'attributes' && v !== undefined && v !== '');
  const attrs = Object.entries(e.attributes || {});
  const ts = new Date(e.ts).getTime();
  const around = {
    q: e.service ? term('service', e.service) : undefined,
    from: new Date(ts - 60000).toISOString(),
    to: new Date(ts + 60000).toISOString(),
  };
  return (
    <aside className="panel" aria-label="event">
      <div className="panel-head">
        <h3>Event</h3>
        <a href={withParams(r, { event: undefined })} aria-label="close">
          ×
        </a>
      </div>
      <div className="panel-links">
        <JourneyLink r={r} by="trace" id={e.trace_id} />
        <JourneyLink r={r} by="user" id={e.user_id} />
        <JourneyLink r={r} by="session" id={e.session_id} />
        <a href={href(['explore'], around)}>show surrounding lines</a>
      </div>
      <table className="kv">
        <tbody>
          {[...fields, ...attrs].map(([k, v]) => (
            <tr key={k}>
              <th>{k}</th>
              <td>{typeof v === 'object' ? JSON.stringify(v) : String(v)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </aside>
  );
}
