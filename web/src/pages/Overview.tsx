// Overview: what the system is telling you (story cards) first, then the
// few numbers that matter.
import { get, type Facets, type Histogram, type IssueList, type Latency, type MonitorList, type Stories } from '../api';
import { ErrorMessage, FirstEvent, Loading } from '../components/common';
import { rangeOf } from '../components/TimeRange';
import { href, keep, type Route } from '../route';
import { Card } from '../components/StoryCard';
import { fmtDuration, fmtNum, fmtPct, useLoad } from '../util';

export function Overview({ r }: { r: Route }) {
  const { from, to } = rangeOf(r);
  const stories = useLoad((signal) => get<Stories>('/api/v1/stories', { from, to }, signal), [from, to]);
  const hist = useLoad((signal) => get<Histogram>('/api/v1/histogram', { from, to, by: 'level' }, signal), [from, to]);
  const issues = useLoad((signal) => get<IssueList>('/api/v1/issues', { status: 'unresolved', from: 'now-14d' }, signal), []);
  const monitors = useLoad((signal) => get<MonitorList>('/api/v1/monitors', undefined, signal), []);
  const latency = useLoad((signal) => get<Latency>('/api/v1/latency', { from, to }, signal), [from, to]);
  const users = useLoad((signal) => get<Facets>('/api/v1/facets', { from, to, field: 'user_id', limit: 1 }, signal), [from, to]);
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
