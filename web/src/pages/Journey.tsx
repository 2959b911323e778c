// Journey: one trace, user or session as a story beside its events, with
// the gaps marked and the outcome stated.
import { useEffect } from 'react';
import { get, type Journey as J, type LoreEvent, type SearchResult, type StoryLine } from '../api';
import { ErrorMessage, Level, Loading } from '../components/common';
import { href, withParams, type Route } from '../route';
import { fmtClock, fmtDuration, fmtTime, useLoad, summary } from '../util';

export function outcomeSentence(j: J): string {
  const s = j.summary || {};
  const who = s.services?.length ? ` across ${s.services.join(', ')}` : '';
  const took = s.duration_ms !== undefined ? ` in ${fmtDuration(s.duration_ms)}` : '';
  const errs = s.errors ? `, ${s.errors} error${s.errors === 1 ? '' : 's'}` : '';
  const retries = s.retries ? `, ${s.retries} retr${s.retries === 1 ? 'y' : 'ies'}` : '';
  const out = s.outcome || 'unknown';
  return `Outcome: ${out}${took}${who}${errs}${retries}.`;
}

/**
 * personJourney resolves a product-analytics person — a user id, or the
 * anonymous id of a visitor who never signed in — to the journey to show:
 * the user's, else the anonymous visitor's latest session.
 */
async function personJourney(id: string, signal: AbortSignal): Promise<{ by: string; id: string; note?: string }> {
  const u = await get<SearchResult>('/api/v1/search', { q: `user_id:"${id}"`, from: 'now-31d', limit: 1 }, signal);
  if (u.events.length) return { by: 'user', id };
  const a = await get<SearchResult>('/api/v1/search', { q: `anonymous_id:"${id}"`, from: 'now-31d', limit: 1 }, signal);
  const sid = a.events[0]?.session_id;
  if (sid) return { by: 'session', id: sid, note: `${id} never signed in: this is their latest session.` };
  return { by: 'user', id };
}

export function Journey({ r }: { r: Route }) {
  // Keyed by the journey, so another journey never shows the last one's story while it loads.
  if (r.path[1] === 'person') return <PersonJourney key={r.path[2]} r={r} id={r.path[2]} />;
  return <JourneyOf key={`${r.path[1]}/${r.path[2]}`} r={r} by={r.path[1]} id={r.path[2]} />;
}

function PersonJourney({ r, id }: { r: Route; id: string }) {
  const p = useLoad((signal) => personJourney(id, signal), [id]);
  if (p.error) return <ErrorMessage error={p.error} />;
  if (!p.data) return <Loading on />;
  return <JourneyOf r={r} by={p.data.by} id={p.data.id} note={p.data.note} />;
}

function JourneyOf({ r, by, id, note }: { r: Route; by: string; id: string; note?: string }) {
  const from = r.params.get('jfrom') || undefined;
  const j = useLoad((signal) => get<J>(`/api/v1/journeys/${encodeURIComponent(by)}/${encodeURIComponent(id)}`, { from }, signal), [by, id, from]);
  const sel = Number(r.params.get('ref') ?? -1);
  useEffect(() => {
    if (sel >= 0) document.getElementById(`ev-${sel}`)?.scrollIntoView({ block: 'center' });
  }, [sel, j.data]);
  return (
    <div className="journey">
      <h2>
        {by} <code>{id}</code>
      </h2>
      {by === 'trace' && (
        <p>
          <a href={href(['services'], { trace: id })}>Latency breakdown by service →</a>
        </p>
      )}
      {note && <p className="muted">{note}</p>}
      <ErrorMessage error={j.error} />
      <Loading on={j.loading} />
      {j.data && j.data.events.length === 0 && <div className="empty">No events for this {by} in the last 31 days.</div>}
      {j.data && j.data.events.length > 0 && (
        <>
          <p className={`outcome outcome-${j.data.summary.outcome || 'unknown'}`}>{outcomeSentence(j.data)}</p>
          <div className="journey-body">
            <section className="story" aria-label="story">
              <h3>Story</h3>
              {j.data.story.map((l, i) => (
                <StoryRow key={i} l={l} r={r} sel={sel} />
              ))}
            </section>
            <section className="waterfall" aria-label="events">
              <h3>Events ({j.data.events.length})</h3>
              <Waterfall events={j.data.events} sel={sel} />
            </section>
          </div>
        </>
      )}
    </div>
  );
}

function StoryRow({ l, r, sel }: { l: StoryLine; r: Route; sel: number }) {
  if (l.kind === 'gap') return <p className="line gap">{l.text}</p>;
  return (
    <p className={`line line-${l.kind}${l.ref === sel ? ' selected' : ''}`} data-row tabIndex={-1}>
      <span className="ts">{fmtClock(l.ts)}</span> <span className="svc">{l.service}</span>{' '}
      <a href={withParams(r, { ref: String(l.ref) })}>{l.text}</a>
    </p>
  );
}

/** Waterfall places each event on the journey's time axis; spans get their duration as a bar. */
function Waterfall({ events, sel }: { events: LoreEvent[]; sel: number }) {
  const t0 = Math.min(...events.map((e) => new Date(e.ts).getTime()));
  const t1 = Math.max(...events.map((e) => new Date(e.ts).getTime() + (e.duration_ms || 0)));
  const span = Math.max(1, t1 - t0);
  return (
    <table className="events wf">
      <tbody>
        {events.map((e, i) => {
          const start = new Date(e.ts).getTime();
          const left = ((start - t0) / span) * 100;
          const width = e.duration_ms ? Math.max(0.5, (e.duration_ms / span) * 100) : 0.5;
          const err = e.level === 'error' || e.level === 'fatal' || e.kind === 'error';
          return (
            <tr key={i} id={`ev-${i}`} className={`${i === sel ? 'selected' : ''}${err ? ' err' : ''}`}>
              <td className="ts" title={fmtTime(e.ts)}>
                {fmtClock(e.ts)}
              </td>
              <td>{e.service}</td>
              <td>
                <Level l={e.level} />
              </td>
              <td className="msg">{summary(e)}</td>
              <td className="bar-cell">
                <div className={`bar kind-${e.kind}`} style={{ marginLeft: `${Math.min(left, 99.5)}%`, width: `${width}%` }} />
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
