// Incident: pick a moment (now, a story card's incident, or any time) and
// read what left its baseline first in the window before it, as an ordered
// timeline with the narrative; every service and signal opens Explore on
// the matching search and time range. The moment is kept in the URL.
import { useEffect, useState } from 'react';
import { get, type Anomaly, type StoryCard, type TimelineAnswer } from '../api';
import { Figures } from '../components/Figures';
import { ErrorMessage, Loading } from '../components/common';
import { pickOf } from '../components/StoryCard';
import { rangeOf } from '../components/TimeRange';
import { parseInput, toInput, zoneName } from '../time';
import { href, navigate, withParams, type Route } from '../route';
import { fmtClock, fmtDuration, fmtNum, fmtPct, fmtShort, fmtTime, term, useLoad } from '../util';

const befores = ['15m', '30m', '1h', '2h', '6h', '12h', '24h'];

/** signalQuery is the search that shows a signal's evidence in Explore. */
export function signalQuery(a: Anomaly): string {
  const svc = term('service', a.service);
  switch (a.signal) {
    case 'error_rate':
      return `${svc} (level:error OR level:fatal)`;
    case 'p95_ms':
      return `${svc} kind:span duration_ms:>${Math.round(a.baseline.warning_above)}`;
    case 'retries':
      return `${svc} retry_attempt:>=1`;
    case 'error_logs':
      return `${svc} (kind:log OR kind:error) (level:error OR level:fatal)`;
    case 'new_error':
    case 'new_pattern': {
      const tpl = a.text.replace(/^.*? at \d\d:\d\d: /, '');
      const words = tpl
        .split('<*>')
        .map((w) => w.trim())
        .sort((x, y) => y.length - x.length)[0];
      const lvl = a.signal === 'new_error' ? ' (level:error OR level:fatal)' : '';
      return words ? `${svc}${lvl} "${words.replace(/"/g, '\\"')}"` : svc + lvl;
    }
  }
  return svc;
}

const signalNames: Record<string, string> = {
  error_rate: 'error rate',
  p95_ms: 'p95 latency',
  retries: 'retries',
  error_logs: 'error logs',
  new_pattern: 'new log pattern',
  new_error: 'new error',
};

/** fmtSignal shows a signal's value in its unit. */
export function fmtSignal(sig: string, v: number): string {
  if (sig === 'error_rate') return fmtPct(v);
  if (sig === 'p95_ms') return fmtDuration(v);
  return fmtNum(v);
}

export function Incident({ r }: { r: Route }) {
  const at = r.params.get('at') || '';
  const before = r.params.get('before') || '30m';
  const { from, to } = rangeOf(r);
  const [draft, setDraft] = useState('');
  const [bad, setBad] = useState('');
  useEffect(() => setDraft(at && !isNaN(Date.parse(at)) ? toInput(Date.parse(at)) : ''), [at]);
  const t = useLoad((signal) => get<TimelineAnswer>('/api/v1/incidents/timeline', { at: at || undefined, before }, signal), [at, before]);
  const stories = useLoad((signal) => get<{ stories: StoryCard[] | null }>('/api/v1/stories', { from, to }, signal), [from, to]);
  // The incidents in time order, as on a timeline.
  const picks = (stories.data?.stories || [])
    .filter((c) => c.severity !== 'info')
    .slice(0, 8)
    .sort((x, y) => Date.parse(x.from) - Date.parse(y.from));
  const events = t.data?.events || [];
  const w0 = t.data ? new Date(t.data.from).getTime() : 0;
  const w1 = t.data ? new Date(t.data.at).getTime() : 1;
  const pos = (ts: string) => `${Math.min(100, Math.max(0, ((new Date(ts).getTime() - w0) / Math.max(1, w1 - w0)) * 100))}%`;
  // Explore opens on the window, from a little before the first departure.
  const exploreRange = t.data ? { from: t.data.from, to: t.data.at } : {};
  return (
    <div className="incident">
      <h2>What left its baseline first</h2>
      <form
        className="controls"
        onSubmit={(e) => {
          e.preventDefault();
          const t = draft.trim() ? parseInput(draft) : undefined;
          if (draft.trim() && !t) return setBad(`cannot read "${draft}": write 2026-12-04 10:59 (${zoneName()})`);
          setBad('');
          navigate(withParams(r, { at: t && t !== 'now' ? t : undefined }));
        }}
      >
        <label>
          before{' '}
          <input aria-label="moment" value={draft} onChange={(e) => setDraft(e.target.value)} placeholder="2026-12-04 10:59 (empty: now)" title={`24-hour time in ${zoneName()}; empty means now`} size={24} />
        </label>
        <span className="muted">{zoneName()}</span>
        <button type="submit">Show timeline</button>
        <a href={withParams(r, { at: undefined })}>now</a>
        <label>
          looking back{' '}
          <select aria-label="looking back" value={before} onChange={(e) => navigate(withParams(r, { before: e.target.value }))}>
            {(befores.includes(before) ? befores : [before, ...befores]).map((b) => (
              <option key={b}>{b}</option>
            ))}
          </select>
        </label>
      </form>
      {picks.length > 0 && (
        <Figures className="picks" loads={[stories]} label="incidents in the time range">
          <span className="muted">incidents in the time range:</span>
          {picks.map((c, i) => {
            const p = pickOf(c);
            return (
              <a key={i} href={withParams(r, p)} title={c.title}>
                {fmtShort(c.from)} {c.title.length > 48 ? c.title.slice(0, 47) + '…' : c.title}
              </a>
            );
          })}
        </Figures>
      )}
      <ErrorMessage error={bad || t.error} />
      <Loading on={t.loading && !t.data} />
      <Figures loads={[t]} label="timeline">
        {t.data && (
          <>
            <p className="muted">
              {fmtTime(t.data.from)} → {fmtTime(t.data.at)}, in steps of {t.data.step}.
            </p>
            <div className={`narrative${events.length ? '' : ' calm'}`} aria-label="narrative">
              {(t.data.narrative || []).map((n, i) => (
                <p key={i}>{n}</p>
              ))}
              {events.length === 0 && (
                <p className="muted">
                  Pick {picks.length ? 'an incident above, ' : ''}another moment, or look back further; the story cards on the Overview link here for each incident.
                </p>
              )}
            </div>
            {events.length > 0 && (
              <div className="tl" role="list">
                <div className="tl-axis">
                  <div>order</div>
                  <div>service · signal</div>
                  <div>
                    <span>{fmtShort(t.data.from)}</span>
                    <span>{fmtShort(t.data.at)}</span>
                  </div>
                </div>
                {events.map((a, i) => {
                  const critical = (a.crossed || []).includes('critical');
                  const isNew = (a.crossed || []).includes('new');
                  const q = signalQuery(a);
                  return (
                    <div key={i} className="tl-row" role="listitem" data-row tabIndex={0}>
                      <span className="order">
                        #{i + 1} {fmtClock(a.at).slice(0, 5)}
                      </span>
                      <span>
                        <a href={href(['explore'], { ...exploreRange, q: term('service', a.service) })}>
                          <b>{a.service}</b>
                        </a>{' '}
                        ·{' '}
                        <a className="signal" href={href(['explore'], { ...exploreRange, q })} title={q}>
                          {signalNames[a.signal] || a.signal}
                        </a>
                      </span>
                      <div className="tl-track" title={a.text}>
                        <span className={`tl-run ${isNew ? 'new' : critical ? 'critical' : ''}`} style={{ left: pos(a.at), width: `calc(100% - ${pos(a.at)})` }} />
                        {a.critical_at && a.critical_at !== a.at && <span className="tl-run critical" style={{ left: pos(a.critical_at), width: `calc(100% - ${pos(a.critical_at)})` }} />}
                      </div>
                      <span />
                      <span className="tl-text">
                        {a.text}
                        {!isNew && (
                          <span className="muted">
                            {' '}
                            · peak {fmtSignal(a.signal, a.peak)}, warning above {fmtSignal(a.signal, a.baseline.warning_above)}
                          </span>
                        )}
                      </span>
                    </div>
                  );
                })}
              </div>
            )}
            <p className="muted small">{t.data.baseline}</p>
          </>
        )}
      </Figures>
    </div>
  );
}
