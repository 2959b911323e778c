// A story card: what a detector found, in words, with its evidence (the
// searches and journeys behind it) and a link to what left its baseline
// first. Shown on the Overview.
import type { StoryCard } from '../api';
import { href, keep, type Route } from '../route';
import { fmtShort } from '../util';
import { Severity, journeyHref } from './common';

/**
 * pickOf turns a story card into a moment: at most an hour into the
 * incident (what left first matters, not what followed for a day), looking
 * back over it and 15 minutes before.
 */
export function pickOf(c: StoryCard): { at: string; before: string } {
  const from = new Date(c.from).getTime();
  const at = Math.min(new Date(c.to).getTime(), from + 3600000);
  const min = Math.max(15, Math.ceil((at - from) / 60000) + 15);
  return { at: new Date(at).toISOString(), before: `${min}m` };
}

const levels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

/**
 * searchable spells a story's evidence query so search reads it: the
 * detectors write "level:>=warn", which the search syntax does not (yet)
 * compare, as the levels it means.
 */
export function searchable(q: string): string {
  return q.replace(/(^|\s)level:>=(\w+)/g, (m, pre: string, l: string) => {
    const from = levels.indexOf(l);
    if (from < 0) return m;
    return `${pre}(${levels.slice(from).map((x) => `level:${x}`).join(' OR ')})`;
  });
}

export function Card({ c, r }: { c: StoryCard; r: Route }) {
  const queries = Object.entries(c.evidence?.queries || {});
  const journeys = c.evidence?.journeys || [];
  return (
    <article className={`card card-${c.severity}`}>
      <header>
        <Severity s={c.severity} />
        <span className="muted">{c.type.replace(/_/g, ' ')}</span>
        <span className="muted when">
          {fmtShort(c.from)} → {fmtShort(c.to)}
        </span>
      </header>
      <h3>{c.title}</h3>
      {(c.narrative || []).map((n, i) => (
        <p key={i}>{n}</p>
      ))}
      {c.recommendation && <p className="rec">{c.recommendation}</p>}
      <div className="evidence">
        {queries.map(([name, q]) => (
          <a key={name} href={href(['explore'], { q: searchable(q), from: c.from, to: c.to })} title={`${name.replace(/_/g, ' ')}: the events in Explore`}>
            <code>{searchable(q).length > 90 ? searchable(q).slice(0, 89) + '…' : searchable(q)}</code>
          </a>
        ))}
        {journeys.slice(0, 3).map((j) => {
          const id = decodeURIComponent(j.replace(/.*\/journeys\/\w+\//, '').replace(/\?.*/, ''));
          return (
            <a key={j} className="journey-link" href={journeyHref(j, r)} title="the journey, opened at its first failure">
              trace {id.slice(0, 8)}…
            </a>
          );
        })}
        {(c.evidence.replays || []).slice(0, 3).map((j) => (
          <a key={j} className="replay-link" href={journeyHref(j, r)} title="the session's replay, at the moment: what the user saw">
            ▶ replay {decodeURIComponent(j.replace(/.*\/journeys\/session\//, '').replace(/\?.*/, '')).slice(0, 8)}…
          </a>
        ))}
        {c.severity !== 'info' && (
          <a className="incident-link" href={href(['incident'], { ...keep(r), ...pickOf(c) })}>
            what left its baseline first
          </a>
        )}
      </div>
    </article>
  );
}
