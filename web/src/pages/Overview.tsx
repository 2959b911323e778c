// Overview: what the system is telling you (story cards) first, then the
// few numbers that matter.
import { api, type Histogram, type Issue, type StoryCard } from '../api';
import { ErrorMessage, FirstEvent, Loading, Severity, journeyHref } from '../components/common';
import { rangeOf } from '../components/TimeRange';
import { href, keep, type Route } from '../route';
import { pickOf } from './Incident';
import { listMonitors } from './Monitors';
import { fmtDuration, fmtNum, fmtPct, fmtShort, useLoad } from '../util';

export function Overview({ r }: { r: Route }) {
  const { from, to } = rangeOf(r);
  const stories = useLoad(() => api<{ stories: StoryCard[] | null }>('/api/v1/stories', { from, to }), [from, to]);
  const hist = useLoad(() => api<Histogram>('/api/v1/histogram', { from, to, by: 'level' }), [from, to]);
  const issues = useLoad(() => api<{ issues: Issue[] | null }>('/api/v1/issues', { status: 'unresolved', from: 'now-14d' }), []);
  const monitors = useLoad(listMonitors, []);
  const latency = useLoad(() => api<{ spans: number; p95_ms: number }>('/api/v1/latency', { from, to }), [from, to]);
  const users = useLoad(() => api<{ distinct: number }>('/api/v1/facets', { from, to, field: 'user_id', limit: 1 }), [from, to]);
  let total = 0;
  let errors = 0;
  for (const b of hist.data?.buckets || []) {
    total += b.count;
    errors += (b.by?.error || 0) + (b.by?.fatal || 0);
  }
  const cards = stories.data?.stories || [];
  return (
    <div className="overview">
      <h2>What your system is telling you</h2>
      <ErrorMessage error={stories.error} />
      <Loading on={stories.loading} />
      {stories.data && cards.length === 0 && <p className="muted">Nothing unusual in this time range.</p>}
      <div className="cards">
        {cards.map((c, i) => (
          <Card key={i} c={c} r={r} />
        ))}
      </div>
      <h2>Numbers</h2>
      <ErrorMessage error={hist.error || issues.error} />
      <div className="numbers">
        <Num label="events" value={hist.data ? fmtNum(total) : '…'} link={href(['explore'], keep(r))} />
        <Num label="errors" value={hist.data ? fmtNum(errors) : '…'} link={href(['explore'], { ...keep(r), q: 'level:>=error' })} />
        <Num label="error rate" value={hist.data ? fmtPct(total ? errors / total : 0) : '…'} />
        <Num
          label="p95 latency"
          value={latency.data ? (latency.data.spans ? fmtDuration(latency.data.p95_ms) : 'no spans') : latency.error ? '–' : '…'}
          link={href(['services'], keep(r))}
        />
        <Num label="active users" value={users.data ? fmtNum(users.data.distinct) : users.error ? '–' : '…'} />
        <Num label="open issues" value={issues.data ? fmtNum((issues.data.issues || []).length) : '…'} link={href(['issues'], keep(r))} />
        <Num label="monitors down" value={monitors.data ? fmtNum(monitors.data.alerting) : monitors.error ? '–' : '…'} link={href(['monitors'], keep(r))} />
      </div>
      {hist.data && total === 0 && <FirstEvent />}
    </div>
  );
}

function Num({ label, value, link }: { label: string; value: string; link?: string }) {
  const body = (
    <>
      <b>{value}</b>
      <span>{label}</span>
    </>
  );
  return link ? (
    <a className="num" href={link}>
      {body}
    </a>
  ) : (
    <div className="num">{body}</div>
  );
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
          <a key={name} href={href(['explore'], { q, from: c.from, to: c.to })}>
            search: {name}
          </a>
        ))}
        {journeys.slice(0, 3).map((j, i) => (
          <a key={j} className="journey-link" href={journeyHref(j)}>
            journey {i + 1}
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
