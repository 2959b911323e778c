// Journey: one trace, user or session as a story beside its events, opened
// at the moment a link came for (at=, or mq= a search that finds it),
// scrolled to and highlighted there, with a headline about that moment's
// outcome. A person's journey is grouped by session, with the list of
// sessions and their dates; a trace's events are a span waterfall. The
// story and the events scroll together.
import { useEffect, useMemo, useRef, useState } from 'react';
import { get, type Journey as J, type LoreEvent, type SearchResult, type StoryLine } from '../api';
import { ErrorMessage, Level, Loading } from '../components/common';
import { ReplayView } from '../components/ReplayView';
import { rangeOf } from '../components/TimeRange';
import { Waterfall } from '../components/Waterfall';
import { firstFailure, headline, isError, isFailedSpan, momentIndex, ms, sessions, storyOf, type Session } from '../journey';
import { loadReplays, timeline } from '../replay';
import { href, keep, navigate, withParams, type Route } from '../route';
import { fmtDay, fmtRow, spansDays } from '../time';
import { fmtDuration, fmtTime, summary, term, useLoad } from '../util';

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
 * the user's, else the anonymous visitor's sessions.
 */
async function personJourney(id: string, signal: AbortSignal): Promise<{ by: string; id: string; note?: string }> {
  const u = await get<SearchResult>('/api/v1/search', { q: term('user_id', id), from: 'now-31d', limit: 1 }, signal);
  if (u.events.length) return { by: 'user', id };
  const a = await get<SearchResult>('/api/v1/search', { q: term('anonymous_id', id), from: 'now-31d', limit: 1 }, signal);
  const sid = a.events[0]?.session_id;
  if (sid) return { by: 'session', id: sid, note: `${id} never signed in: this is their session.` };
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
  return <JourneyOf r={r} by={p.data.by} id={p.data.id} note={p.data.note} person={id} />;
}

/** idTerm is the search term of a journey's id. */
function idTerm(by: string, id: string, person?: string): string {
  if (person) return `(${term('user_id', person)} OR ${term('anonymous_id', person)})`;
  return term(by === 'trace' ? 'trace_id' : by === 'user' ? 'user_id' : 'session_id', id);
}

function JourneyOf({ r, by, id, note, person }: { r: Route; by: string; id: string; note?: string; person?: string }) {
  const { from, to } = rangeOf(r);
  const j = useLoad((signal) => get<J>(`/api/v1/journeys/${encodeURIComponent(by)}/${encodeURIComponent(id)}`, undefined, signal), [by, id]);
  // The moment: given (at), or the newest event of the journey matching mq in the time range.
  const atParam = r.params.get('at') || '';
  const mq = r.params.get('mq') || '';
  const found = useLoad(
    (signal) =>
      mq && !atParam ? get<SearchResult>('/api/v1/search', { q: `${idTerm(by, id, person)} ${mq}`, from, to, limit: 1 }, signal) : Promise.resolve(undefined),
    [mq, atParam, by, id, person, from, to],
  );
  const at = atParam || found.data?.events[0]?.ts || '';
  const events = j.data?.events || [];
  // A trace opened without a moment opens at its first failure.
  const moment = useMemo(() => (at ? momentIndex(events, at) : by === 'trace' ? firstFailure(events) : -1), [events, at, by]);
  const refParam = r.params.get('ref');
  const sel = refParam !== null ? Number(refParam) : moment;
  const groups = useMemo(() => (by === 'trace' ? [] : sessions(events)), [by, events]);
  const sParam = r.params.get('s');
  const session: Session | undefined =
    by === 'trace'
      ? undefined
      : groups.find((g, k) => String(k) === sParam) || groups.find((g) => g.refs.includes(sel)) || groups[groups.length - 1];
  const refs = useMemo(() => (session ? session.refs : events.map((_, i) => i)), [session, events]);
  const story = useMemo(() => storyOf(j.data?.story || [], new Set(refs)), [j.data, refs]);
  const why = r.params.get('why') || undefined;
  const focus = refs.includes(moment) ? moment : refs.includes(sel) ? sel : -1;
  const select = (ref: number) => navigate(withParams(r, { ref: String(ref) }));
  const waiting = j.loading || (mq && !atParam && found.loading);
  // The sessions' recordings: a session with one plays it beside its story.
  const sessionIds = groups.map((g) => g.id).filter(Boolean);
  const recs = useLoad((signal) => (sessionIds.length ? loadReplays(sessionIds, signal) : Promise.resolve(new Map())), [sessionIds.join(',')]);
  const rec = session?.id ? recs.data?.get(session.id) : undefined;
  const lines = useMemo(() => (rec ? timeline(events, refs, j.data?.story || [], rec) : []), [rec, events, refs, j.data]);
  const [playingRef, setPlayingRef] = useState(-1);
  return (
    <div className="journey">
      <h2>
        {person ? 'person' : by} <code>{person || id}</code>
        {by === 'trace' && (
          <a className="h-link" href={href(['services'], { ...keep(r), trace: id })}>
            latency by service →
          </a>
        )}
        <a className="h-link" href={href(['explore'], { ...keep(r), q: idTerm(by, id, person) })}>
          in Explore →
        </a>
      </h2>
      {note && <p className="muted">{note}</p>}
      <ErrorMessage error={j.error || found.error} />
      <Loading on={!!waiting} />
      {mq && !atParam && found.data && !found.data.events.length && (
        <p className="muted">
          No event matching <code>{mq}</code> in the time range: showing the {by === 'trace' ? 'trace' : 'latest session'}.
        </p>
      )}
      {j.data && events.length === 0 && <div className="empty">No events for this {by} in the last 31 days.</div>}
      {j.data && events.length > 0 && !waiting && (
        <>
          <p className={`outcome ${focus >= 0 ? (isError(events[focus]) || isFailedSpan(events[focus]) ? 'outcome-failed' : 'outcome-moment') : `outcome-${j.data.summary.outcome || 'unknown'}`}`}>
            {focus >= 0 ? headline(events, refs, focus, why, j.data.story) : by === 'trace' ? outcomeSentence(j.data) : headline(events, refs, refs[refs.length - 1], 'Last event', j.data.story)}
          </p>
          {rec && session && (
            <ReplayView
              key={session.id}
              session={session.id}
              rec={rec}
              lines={lines}
              seekTo={sel >= 0 && refs.includes(sel) ? ms(events[sel]) : undefined}
              onLine={select}
              onActive={setPlayingRef}
              linkParams={keep(r)}
            />
          )}
          <div className={`journey-body${session ? ' with-sessions' : ''}${by === 'trace' ? ' trace' : ''}`}>
            {session && <Sessions r={r} groups={groups} current={session} events={events} moment={moment} replays={recs.data} />}
            <Synced
              story={<StoryColumn lines={story} r={r} sel={sel} moment={moment} playing={rec ? playingRef : -1} />}
              events={
                by === 'trace' ? (
                  <Waterfall events={events} sel={sel} onSelect={select} />
                ) : (
                  <EventRows events={events} refs={refs} sel={sel} moment={moment} onSelect={select} />
                )
              }
              sel={sel}
              title={by === 'trace' ? `Spans (${events.filter((e) => e.kind === 'span').length}) and events (${events.length})` : `Events (${refs.length})`}
            />
          </div>
        </>
      )}
    </div>
  );
}

function Sessions({
  r,
  groups,
  current,
  events,
  moment,
  replays,
}: {
  r: Route;
  groups: Session[];
  current: Session;
  events: LoreEvent[];
  moment: number;
  replays?: Map<string, unknown>;
}) {
  let day = '';
  return (
    <aside className="sessions" aria-label="sessions">
      <h3>Sessions ({groups.length})</h3>
      <ol>
        {groups.map((g, k) => {
          const d = fmtDay(g.start);
          const head = d !== day ? <li className="day">{d}</li> : null;
          day = d;
          // Named by its first page or action (its recording's kind:replay event starts with it).
          const first = events[g.refs.find((i) => events[i].kind !== 'replay') ?? g.refs[0]];
          return (
            <FragmentRow key={k} head={head}>
              <li className={g === current ? 'current' : ''}>
                <a href={withParams(r, { s: String(k), ref: undefined })} aria-current={g === current ? 'true' : undefined}>
                  <span className="ts">{fmtRow(g.start, false).slice(0, 5)}</span> {fmtDuration(g.end - g.start)} · {g.refs.length} events
                  {g.errors > 0 && <span className="lvl-error"> · {g.errors} err</span>}
                  {g.refs.includes(moment) && <span className="moment-tag"> · the moment</span>}
                  {g.id && replays?.has(g.id) && (
                    <span className="replay-tag" title="this session was recorded: its replay plays beside its story">
                      {' '}
                      · ▶ replay
                    </span>
                  )}
                  <div className="muted small">{g.id ? (first?.name || first?.endpoint || g.id.slice(0, 8)) : 'outside a session'}</div>
                </a>
              </li>
            </FragmentRow>
          );
        })}
      </ol>
    </aside>
  );
}

function FragmentRow({ head, children }: { head: React.ReactNode; children: React.ReactNode }) {
  return (
    <>
      {head}
      {children}
    </>
  );
}

/**
 * Synced shows the story and the events side by side, each scrolling on
 * its own but together: scrolling one brings the other's matching line
 * to the same height.
 */
function Synced({ story, events, sel, title }: { story: React.ReactNode; events: React.ReactNode; sel: number; title: string }) {
  const a = useRef<HTMLDivElement>(null);
  const b = useRef<HTMLDivElement>(null);
  const driver = useRef<'a' | 'b' | ''>('');
  // Open at the selected moment, in both columns.
  useEffect(() => {
    if (sel < 0) return;
    for (const box of [a.current, b.current]) {
      const el = box?.querySelector<HTMLElement>(`[data-ref="${sel}"]`) || nearest(box, sel);
      if (box && el) box.scrollTop = Math.max(0, el.offsetTop - box.clientHeight / 3);
    }
  }, [sel]);
  const follow = (from: HTMLDivElement | null, to: HTMLDivElement | null) => {
    if (!from || !to) return;
    const top = [...from.querySelectorAll<HTMLElement>('[data-ref]')].find((el) => el.offsetTop + el.offsetHeight > from.scrollTop);
    if (!top) return;
    const ref = Number(top.dataset.ref);
    const other = to.querySelector<HTMLElement>(`[data-ref="${ref}"]`) || nearest(to, ref);
    if (other) to.scrollTop = other.offsetTop - (top.offsetTop - from.scrollTop);
  };
  return (
    <>
      <section className="story" aria-label="story">
        <h3>Story</h3>
        <div className="scroll" ref={a} onMouseEnter={() => (driver.current = 'a')} onScroll={() => driver.current === 'a' && follow(a.current, b.current)}>
          {story}
        </div>
      </section>
      <section className="waterfall" aria-label="events">
        <h3>{title}</h3>
        <div className="scroll" ref={b} onMouseEnter={() => (driver.current = 'b')} onScroll={() => driver.current === 'b' && follow(b.current, a.current)}>
          {events}
        </div>
      </section>
    </>
  );
}

/** nearest is the first element about an event at or after ref. */
function nearest(box: HTMLElement | null, ref: number): HTMLElement | undefined {
  if (!box) return undefined;
  let best: HTMLElement | undefined;
  let bestRef = Infinity;
  for (const el of box.querySelectorAll<HTMLElement>('[data-ref]')) {
    const x = Number(el.dataset.ref);
    if (x >= ref && x < bestRef) {
      bestRef = x;
      best = el;
    }
  }
  return best;
}

function StoryColumn({ lines, r, sel, moment, playing = -1 }: { lines: StoryLine[]; r: Route; sel: number; moment: number; playing?: number }) {
  const multi = spansDays(lines.map((l) => l.ts));
  // The line that tells the moment: its own, or the first after it (a story folds some events into the next line).
  const told = moment < 0 ? -1 : lines.reduce((best, l) => (l.kind !== 'gap' && l.ref >= moment && (best < 0 || l.ref < best) ? l.ref : best), -1);
  return (
    <>
      {lines.map((l, i) =>
        l.kind === 'gap' ? (
          <p key={i} className="line gap">
            {l.text}
          </p>
        ) : (
          <p key={i} className={`line line-${l.kind}${l.ref === sel ? ' selected' : ''}${l.ref === told ? ' moment' : ''}${l.ref === playing ? ' playing' : ''}`} data-ref={l.ref}>
            <span className="ts" title={fmtTime(l.ts)}>
              {fmtRow(l.ts, multi)}
            </span>{' '}
            <span className="svc">{l.service}</span> <a href={withParams(r, { ref: String(l.ref) })}>{l.text}</a>
          </p>
        ),
      )}
    </>
  );
}

/** EventRows lists a session's events, with the date where the list spans days. */
function EventRows({ events, refs, sel, moment, onSelect }: { events: LoreEvent[]; refs: number[]; sel: number; moment: number; onSelect: (ref: number) => void }) {
  const multi = spansDays(refs.map((i) => events[i].ts));
  return (
    <table className="events jrows">
      <tbody>
        {refs.map((i) => {
          const e = events[i];
          const err = isError(e) || isFailedSpan(e);
          return (
            <tr key={i} id={`ev-${i}`} data-ref={i} className={`${i === sel ? 'selected' : ''}${i === moment ? ' moment' : ''}${err ? ' err' : ''}`} onClick={() => onSelect(i)}>
              <td className="ts" title={fmtTime(e.ts)}>
                {fmtRow(e.ts, multi)}
              </td>
              <td className="svc">{e.service}</td>
              <td>
                <Level l={e.level} />
              </td>
              <td className="msg">{summary(e)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** momentOf is a link's moment parameters for an event: its instant. */
export function momentOf(e: { ts: string }): { at: string } {
  return { at: new Date(ms(e)).toISOString() };
}
