// Explore: the search bar (with autocomplete), the histogram, facets that
// filter on click, the result list with live tail, and an event panel with
// links to the event's journeys. A search followed by pipes is answered as
// a table (GET /api/v1/query), with a chart when a pipe aggregates, and can
// be pinned to a dashboard.
import { useEffect, useMemo, useRef, useState } from 'react';
import { api, get, runQuery, type Facets, type Histogram as H, type LoreEvent, type QueryAnswer, type SearchResult } from '../api';
import { ErrorMessage, JourneyLink, Level, Loading, NoEvents } from '../components/common';
import { Figures } from '../components/Figures';
import { PinButton, SaveSearchButton } from '../components/Pin';
import { Count, Estimated } from '../components/Estimated';
import { Histogram } from '../components/Histogram';
import { aggregates, drillQuery, hasPipes } from '../components/pipes';
import { AnswerView, PipeError } from '../components/QueryAnswer';
import { SearchInput } from '../components/SearchInput';
import { rangeOf } from '../components/TimeRange';
import { href, navigate, useFlag, withParams, type Route } from '../route';
import { bounds, fmtRow, spansDays, zoneName } from '../time';
import { eventId, fmtTime, idMillis, summary, term, useLoad, waiting, type Loaded } from '../util';

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
  // Each answer carries the search it answers, so the histogram and facets
  // start once per search, after its first page is in.
  const key = JSON.stringify([q, from, to]);
  // A search with pipes is answered as a table; the search, histogram and facets wait for a plain search.
  const piped = hasPipes(q);
  const res = useLoad(
    async (signal) => (piped ? waiting<never>() : { key, ...(await get<SearchResult>('/api/v1/search', { q, from, to, limit: 100 }, signal)) }),
    [key],
  );
  const answer = useLoad((signal) => (piped ? runQuery(q, from, to, signal) : Promise.resolve(undefined)), [key]);
  const [live, setLive] = useFlag(r, 'live');
  // With live tail on, the histogram is redrawn every 10 s.
  const [beat, setBeat] = useState(0);
  // The histogram and facets scan the whole range; they start once the
  // first page of results is in, so they do not compete with it.
  const searched = !res.loading && res.data?.key === key;
  // A search that failed leaves the histogram and facets nothing to count: none are shown, rather
  // than the last search's, dimmed as if the new ones were coming.
  const failed = !res.loading && res.error !== undefined;
  // Like the results, the histogram carries the search it answers.
  const hist = useLoad<(H & { key: string }) | undefined>(
    async (signal) => (failed ? undefined : searched ? { key, ...(await get<H>('/api/v1/histogram', { q, from, to, by: 'level' }, signal)) } : waiting<never>()),
    [q, from, to, beat, searched, failed],
  );
  // With live tail on, the histogram is redrawn every 10 s for the same search and range: a refresh, not stale figures.
  const histLoad: Loaded<unknown> = { ...hist, refresh: hist.loading && hist.data?.key === key };
  useEffect(() => {
    setMore([]);
    setCursor(res.data?.next_cursor);
  }, [res.data]);
  const selId = r.params.get('event') || '';
  const tail = useLiveTail({ on: live && res.data !== undefined, q, base: res.data?.events, hold: selId !== '' });
  useEffect(() => {
    if (!live || tail.paused) return;
    const t = setInterval(() => setBeat((b) => b + 1), 10000);
    return () => clearInterval(t);
  }, [live, tail.paused]);
  const events = [...tail.events, ...(res.data?.events || []), ...more];
  const attrKeys = useMemo(() => {
    const ks = new Set<string>();
    for (const e of res.data?.events || []) for (const k of Object.keys(e.attributes || {})) ks.add(k);
    return [...ks].sort();
  }, [res.data]);
  const ids = useMemo(() => events.map(eventId), [events]);
  const sel = selId ? ids.indexOf(selId) : -1;
  // A shared link names an event that may not be on the first page: it is read from its own millisecond.
  const lookup = useLoad(
    (signal) =>
      selId && sel < 0 && res.data
        ? get<SearchResult>('/api/v1/search', { from: new Date(idMillis(selId)).toISOString(), to: new Date(idMillis(selId) + 1).toISOString(), limit: 1000 }, signal)
        : Promise.resolve(undefined),
    [selId, sel < 0, res.data === undefined],
  );
  const selected = sel >= 0 ? events[sel] : lookup.data?.events.find((e) => eventId(e) === selId);
  // Opening an event pins the range to absolute times, so the link names the same event later.
  const open = (e: LoreEvent) => navigate(withParams(r, { event: eventId(e), ...absolute(from, to) }));
  // Times alone when all are today; with their date otherwise.
  const multi = spansDays([...events.map((e) => e.ts), new Date().toISOString()]);

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
        <SearchInput
          value={draft}
          onChange={setDraft}
          from={from}
          to={to}
          attrKeys={attrKeys}
          placeholder='level:error service:payment-service "rate limited" | stats count() by endpoint'
        />
        <button type="submit">Search</button>
        {!piped && (
          <label className={`live ${live ? (tail.paused ? 'paused' : 'on') : ''}`} title="Poll for new events every 2 s, newest first; pauses while you scroll, select text or read an event">
            <input type="checkbox" aria-label="live tail" checked={live} onChange={(e) => setLive(e.target.checked, { event: undefined })} />
            <span className="dot" />
            {live ? (tail.paused ? `paused (${tail.paused})` : 'live') : 'live tail'}
          </label>
        )}
      </form>
      {piped && <PipeAnswer q={q} from={from} to={to} answer={answer} r={r} />}
      {!piped && <ErrorMessage error={res.error || hist.error} />}
      {!piped && hist.data && (
        <Figures loads={[res, histLoad]} label="histogram">
          <Histogram
            data={hist.data}
            onZoom={(a, b) => navigate(withParams(r, { from: a.toISOString(), to: b.toISOString(), event: undefined }))}
          />
          <Estimated sampled={hist.data.sampled} />
        </Figures>
      )}
      {!piped && hist.data && (
        <div className="pins">
          <PinButton panel={{ title: q || 'All events', kind: 'histogram', query: q || undefined, params: { by: 'level' } }} />
          <SaveSearchButton query={q} from={from} to={to} />
        </div>
      )}
      {!piped && (
        <div className="explore-body">
          <Figures label="facets">
            <aside className="facets">
              {facetFields.map((f) => (
                <FacetBox key={f} field={f} q={q} from={from} to={to} r={r} ready={searched} failed={failed} beat={beat} />
              ))}
            </aside>
          </Figures>
          <Figures className="results" loads={[res]} label="events">
            <Loading on={res.loading && !res.data} />
            {res.data && events.length === 0 && <NoEvents q={q} r={r} />}
            {events.length > 0 && (
              <table className="events">
                <thead>
                  <tr>
                    <th>{multi ? 'date, time' : 'time'} ({zoneName()})</th>
                    <th>level</th>
                    <th>service</th>
                    <th>message</th>
                  </tr>
                </thead>
                <tbody>
                  {events.map((e, i) => (
                    <tr
                      key={i}
                      className={i === sel ? 'selected' : i < tail.fresh ? 'fresh' : ''}
                      tabIndex={0}
                      onClick={() => open(e)}
                      onKeyDown={(k) => k.key === 'Enter' && open(e)}
                    >
                      <td className="ts" title={fmtTime(e.ts)}>
                        {fmtRow(e.ts, multi)}
                      </td>
                      <td>
                        <Level l={e.level} />
                      </td>
                      <td className="svc">{e.service}</td>
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
          </Figures>
          {selected && <EventPanel e={selected} r={r} q={q} />}
          {selId && !selected && !lookup.loading && res.data && (
            <aside className="panel" aria-label="event">
              <p className="muted">This link names an event that is no longer stored (or not readable with this key).</p>
              <a href={withParams(r, { event: undefined })}>close</a>
            </aside>
          )}
        </div>
      )}
    </div>
  );
}

/** PipeAnswer is a piped query's answer: the refusal pointing at its pipe, or its chart and table, and the pin. */
function PipeAnswer({ q, from, to, answer, r }: { q: string; from: string; to: string; answer: Loaded<QueryAnswer | undefined>; r: Route }) {
  const a = answer.data;
  // A bar opens its group's events.
  const link = (field: string, value: string) => {
    const d = drillQuery(q, field, value);
    return d === undefined ? undefined : withParams(r, { q: d, event: undefined });
  };
  return (
    <>
      {answer.error && <PipeError q={q} error={answer.error} detail={answer.detail} />}
      <Loading on={answer.loading && !a} />
      <Figures loads={[answer]} label="answer">
        {a && !answer.error && (a.aggregate ?? aggregates(q)) && (
          <div className="pins">
            <PinButton panel={{ title: q, kind: 'query', query: q }} />
            <SaveSearchButton query={q} from={from} to={to} />
          </div>
        )}
        {a && !answer.error && <AnswerView a={a} q={q} link={link} />}
      </Figures>
    </>
  );
}

/**
 * FacetBox shows a field's top values for the search. With live tail on it
 * is counted again at each of the histogram's 10 s beats: a refresh of the
 * same search and range (its counts carry the search they answer), marked
 * without dimming, as the histogram's.
 */
function FacetBox({
  field,
  q,
  from,
  to,
  r,
  ready,
  failed,
  beat,
}: {
  field: string;
  q: string;
  from: string;
  to: string;
  r: Route;
  ready: boolean;
  failed: boolean;
  beat: number;
}) {
  const key = JSON.stringify([q, from, to]);
  const f = useLoad<(Facets & { key: string }) | undefined>(
    async (signal) =>
      failed ? undefined : ready ? { key, ...(await get<Facets>('/api/v1/facets', { q, from, to, field, limit: 8 }, signal)) } : waiting<never>(),
    [field, q, from, to, ready, failed, beat],
    (shown) => shown?.key === key,
  );
  if (!f.data?.values?.length) return null;
  return (
    <div className="facet">
      <h4>
        {field}
        {f.data.sampled && <span className="muted small"> (estimated)</span>}
      </h4>
      <ul>
        {f.data.values.map((v) => (
          <li key={v.value}>
            <a href={withParams(r, { q: addTerm(q, field, v.value), event: undefined })} title={`only ${field}:${v.value}`}>
              <span className="fv">{v.value || '(empty)'}</span>
              <span className="fc">
                <Count v={v} format={String} />
              </span>
            </a>
            <a className="neg" href={withParams(r, { q: addTerm(q, field, v.value, true), event: undefined })} title={`exclude ${field}:${v.value}`}>
              −
            </a>
          </li>
        ))}
      </ul>
      <PinButton panel={{ title: `${field}${q ? ` of ${q}` : ''}`, kind: 'facet', query: q || undefined, params: { field, limit: 10 } }} label="Pin" />
    </div>
  );
}

function EventPanel({ e, r, q }: { e: LoreEvent; r: Route; q: string }) {
  const [json, setJson] = useState(false);
  const [copied, setCopied] = useState('');
  const fields = Object.entries(e).filter(([k, v]) => k !== 'attributes' && v !== undefined && v !== '');
  const attrs = Object.entries(e.attributes || {});
  const ts = new Date(e.ts).getTime();
  const around = {
    q: e.service ? term('service', e.service) : undefined,
    from: new Date(ts - 60000).toISOString(),
    to: new Date(ts + 60000).toISOString(),
  };
  const copy = (k: string, v: string) => {
    void navigator.clipboard?.writeText(v).catch(() => undefined);
    setCopied(k);
  };
  const at = { at: e.ts };
  return (
    <aside className="panel" aria-label="event">
      <div className="panel-head">
        <h3>Event</h3>
        <button type="button" className="plain" aria-pressed={json} onClick={() => setJson(!json)}>
          {json ? 'fields' : 'JSON'}
        </button>
        <a href={withParams(r, { event: undefined })} aria-label="close">
          ×
        </a>
      </div>
      <div className="panel-links">
        <JourneyLink r={r} by="trace" id={e.trace_id} at={at} />
        <JourneyLink r={r} by="user" id={e.user_id} at={at} />
        <JourneyLink r={r} by="session" id={e.session_id} at={at} />
        <a href={href(['explore'], around)}>show surrounding lines</a>
      </div>
      {json ? (
        <>
          <button type="button" className="plain" onClick={() => copy('json', JSON.stringify(e, null, 2))}>
            {copied === 'json' ? 'copied' : 'copy JSON'}
          </button>
          <pre className="json" aria-label="event JSON">
            {JSON.stringify(e, null, 2)}
          </pre>
        </>
      ) : (
        <table className="kv fields">
          <tbody>
            {[
              ...fields.map(([k, v]) => [k, v, k] as const),
              // An attribute named like a column is searched as "@name".
              ...attrs.map(([k, v]) => (k in e && k !== 'attributes' ? ([`${k} (attribute)`, v, '@' + k] as const) : ([k, v, k] as const))),
            ].map(([k, v, f]) => {
              const text = typeof v === 'object' ? JSON.stringify(v) : String(v);
              const filterable = f !== 'ts' && f !== 'received_at' && typeof v !== 'object';
              return (
                <tr key={k}>
                  <th>{k}</th>
                  <td>{text}</td>
                  <td className="acts">
                    {filterable && (
                      <>
                        <a href={withParams(r, { q: addTerm(q, f, text), event: undefined })} title={`filter: only ${f}:${text}`} aria-label={`filter ${k}`}>
                          +
                        </a>
                        <a href={withParams(r, { q: addTerm(q, f, text, true), event: undefined })} title={`exclude ${f}:${text}`} aria-label={`exclude ${k}`}>
                          −
                        </a>
                      </>
                    )}
                    <button type="button" className="plain" title="copy the value" aria-label={`copy ${k}`} onClick={() => copy(k, text)}>
                      {copied === k ? 'copied' : 'copy'}
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </aside>
  );
}

/** absolute turns the range into instants now, for a link that must name the same events later. */
function absolute(from: string, to: string): { from: string; to: string | undefined } {
  const [a, b] = bounds({ from, to });
  return { from: new Date(a).toISOString(), to: new Date(b).toISOString() };
}

/**
 * useLiveTail polls for events newer than the newest shown, every 2 s,
 * newest first. It holds while the user reads: the page is scrolled down,
 * text is selected, or an event is open (hold), and catches up after.
 */
export function useLiveTail({ on, q, base, hold }: { on: boolean; q: string; base?: LoreEvent[]; hold: boolean }) {
  const [events, setEvents] = useState<LoreEvent[]>([]);
  const [fresh, setFresh] = useState(0);
  const [paused, setPaused] = useState('');
  const since = useRef<string | undefined>(undefined);
  const seen = useRef(new Set<string>());
  // A new answer to the search restarts the tail after its newest event.
  useEffect(() => {
    setEvents([]);
    setFresh(0);
    if (!base) return;
    since.current = base[0]?.ts ?? new Date().toISOString();
    seen.current = new Set(base.filter((e) => e.ts === since.current).map(eventKey));
  }, [base]);
  useEffect(() => {
    if (!on) {
      setPaused('');
      return;
    }
    let stop = false;
    const tick = async () => {
      const why = hold ? 'reading an event' : window.scrollY > 60 ? 'scrolled' : String(window.getSelection() || '') ? 'selecting' : '';
      setPaused(why);
      if (why || !since.current) return;
      try {
        const p = await api<SearchResult>('/api/v1/search', { q, from: since.current, to: 'now', limit: 200 });
        if (stop) return;
        const add = p.events.filter((e) => {
          const k = eventKey(e);
          if (seen.current.has(k)) return false;
          seen.current.add(k);
          return true;
        });
        if (p.events[0]) since.current = p.events[0].ts;
        if (add.length) {
          setEvents((old) => [...add, ...old].slice(0, 1000));
          setFresh(add.length);
        }
      } catch {
        /* the next tick tries again */
      }
    };
    const t = setInterval(tick, 2000);
    void tick();
    return () => {
      stop = true;
      clearInterval(t);
    };
  }, [on, q, hold]);
  return { events, fresh, paused };
}

function eventKey(e: LoreEvent): string {
  return [e.ts, e.kind, e.service, e.span_id, e.trace_id, e.message, e.name].join('\u0000');
}
