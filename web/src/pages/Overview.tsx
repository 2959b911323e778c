// Overview: what the system is telling you (story cards) first, then the
// few numbers that matter.
import { useMemo } from 'react';
import { get, type Facets, type Histogram, type IssueList, type Latency, type MonitorList, type Stories } from '../api';
import { ErrorMessage, FirstEvent, Sparkline } from '../components/common';
import { DiskWarning } from '../components/DiskCard';
import { Figures } from '../components/Figures';
import { rangeOf, rawRangeOf } from '../components/TimeRange';
import { bounds, rangeLabel } from '../time';
import { href, keep, type Route } from '../route';
import { Card } from '../components/StoryCard';
import { fmtDuration, fmtNum, fmtPct, useLoad, type Loaded } from '../util';

/** previous is the range of the same length just before [from, to). */
export function previous(from: string, to: string): { from: string; to: string } {
  const [a, b] = bounds({ from, to });
  return { from: new Date(a - (b - a)).toISOString(), to: new Date(a).toISOString() };
}

/** delta says how a number moved against the previous period: "+12%", "−3%", "new", or "". */
export function delta(now?: number, before?: number): string {
  if (now === undefined || before === undefined || isNaN(now) || isNaN(before)) return '';
  if (before === 0) return now === 0 ? '±0' : 'new';
  const d = (now - before) / before;
  if (Math.abs(d) < 0.005) return '±0%';
  return `${d > 0 ? '+' : '−'}${Math.abs(d * 100) < 10 ? Math.abs(d * 100).toFixed(1) : Math.round(Math.abs(d * 100))}%`;
}

interface Totals {
  total: number;
  errors: number;
  perStep: number[];
  errPerStep: number[];
  /** some of the events were kept by the project's sampling: the numbers are estimates before sampling */
  estimated: boolean;
}

export function totals(h?: Histogram): Totals | undefined {
  if (!h) return undefined;
  const t: Totals = { total: 0, errors: 0, perStep: [], errPerStep: [], estimated: !!h.sampled };
  for (const b of h.buckets || []) {
    // Errors are the issues' events (kind error): every error-level log and failed span with an error type.
    // A bucket with sampled events carries its estimates before sampling.
    const n = b.estimate ?? b.count;
    const e = (b.estimate !== undefined ? b.by_estimate?.error : b.by?.error) || 0;
    t.total += n;
    t.errors += e;
    t.perStep.push(n);
    t.errPerStep.push(e);
  }
  return t;
}

/** approx marks an estimated number: "≈12.3k". */
function approx(s: string, estimated?: boolean): string {
  return estimated ? `≈${s}` : s;
}

export function Overview({ r }: { r: Route }) {
  const { from, to } = rangeOf(r);
  // Computed once per range: "now" moves, and the previous period must not move with every render.
  const prev = useMemo(() => previous(from, to), [from, to]);
  const stories = useLoad((signal) => get<Stories>('/api/v1/stories', { from, to }, signal), [from, to]);
  const hist = useLoad((signal) => get<Histogram>('/api/v1/histogram', { from, to, by: 'kind', step: stepFor(from, to) }, signal), [from, to]);
  const histPrev = useLoad((signal) => get<Histogram>('/api/v1/histogram', { ...prev, by: 'kind', step: stepFor(from, to) }, signal), [prev.from, prev.to]);
  const issues = useLoad((signal) => get<IssueList>('/api/v1/issues', { status: 'unresolved', from, to }, signal), [from, to]);
  const monitors = useLoad((signal) => get<MonitorList>('/api/v1/monitors', undefined, signal), []);
  const latency = useLoad((signal) => get<Latency>('/api/v1/latency', { from, to }, signal), [from, to]);
  const latencyPrev = useLoad((signal) => get<Latency>('/api/v1/latency', prev, signal), [prev.from, prev.to]);
  const users = useLoad((signal) => get<Facets>('/api/v1/facets', { from, to, field: 'user_id', limit: 1 }, signal), [from, to]);
  const usersPrev = useLoad((signal) => get<Facets>('/api/v1/facets', { ...prev, field: 'user_id', limit: 1 }, signal), [prev.from, prev.to]);
  const cur = totals(hist.data);
  const old = totals(histPrev.data);
  const rate = (t?: Totals) => (t ? (t.total ? t.errors / t.total : 0) : undefined);
  const cards = stories.data?.stories || [];
  return (
    <div className="overview">
      <h2>What your system is telling you</h2>
      <DiskWarning />
      <ErrorMessage error={stories.error} />
      {/* A new range's cards load with the last range's on screen, dimmed; the message is for when there are none to dim. */}
      {stories.loading && cards.length === 0 && (
        <p className="analysing" role="status">
          Analysing {rangeLabel(rawRangeOf(r)).toLowerCase()}: the story detectors are reading the events…
        </p>
      )}
      {stories.data && !stories.loading && cards.length === 0 && (
        <p className="muted">
          {(stories.data.errors || []).length ? `Some detectors failed: ${stories.data.errors!.join('; ')}` : 'Nothing unusual in this time range.'}
        </p>
      )}
      {/* An answer with no cards shows nothing to dim (nor the loading bar over nothing). */}
      <Figures className="cards" loads={[cards.length ? stories : { ...stories, data: undefined }]} label="stories">
        {cards.map((c, i) => (
          <Card key={i} c={c} r={r} />
        ))}
      </Figures>
      <h2>
        Numbers <span className="muted small">against the previous {rangeLabel(rawRangeOf(r)).replace(/^Last /, '').toLowerCase()}</span>
      </h2>
      <ErrorMessage error={hist.error || issues.error} />
      {/* Each number is its own figure: it dims while its loads are under way and is bright again as soon as they are in. */}
      <div className="numbers" role="group" aria-label="numbers">
        <Num
          loads={[hist, histPrev]}
          label={cur?.estimated ? 'events (estimated)' : 'events'}
          title={cur?.estimated ? 'Some events were kept by the project’s sampling: the total is estimated before sampling' : undefined}
          value={cur ? approx(fmtNum(cur.total), cur.estimated) : '…'}
          change={delta(cur?.total, old?.total)}
          spark={cur?.perStep}
          link={href(['explore'], keep(r))}
        />
        <Num
          loads={[hist, histPrev]}
          label="errors"
          value={cur ? fmtNum(cur.errors) : '…'}
          change={delta(cur?.errors, old?.errors)}
          bad
          spark={cur?.errPerStep}
          tone="err"
          link={href(['explore'], { ...keep(r), q: 'kind:error' })}
        />
        <Num
          loads={[hist, histPrev]}
          label={cur?.estimated ? 'error rate (estimated)' : 'error rate'}
          value={cur ? approx(fmtPct(rate(cur)), cur.estimated) : '…'}
          change={delta(rate(cur), rate(old))}
          bad
          spark={cur?.perStep.map((n, i) => (n ? cur.errPerStep[i] / n : 0))}
          tone="err"
        />
        <Num
          loads={[latency, latencyPrev]}
          label="p95 latency"
          value={latency.data ? (latency.data.spans ? fmtDuration(latency.data.p95_ms) : 'no spans') : latency.error ? '–' : '…'}
          change={latency.data?.spans && latencyPrev.data?.spans ? delta(latency.data.p95_ms, latencyPrev.data.p95_ms) : ''}
          bad
          link={href(['services'], keep(r))}
        />
        <Num
          loads={[users, usersPrev]}
          label="active users"
          value={users.data ? fmtNum(users.data.distinct) : users.error ? '–' : '…'}
          change={delta(users.data?.distinct, usersPrev.data?.distinct)}
        />
        <Num loads={[issues]} label="open issues" value={issues.data ? fmtNum(issues.data.total ?? (issues.data.issues || []).length) : '…'} link={href(['issues'], keep(r))} />
        <Num loads={[monitors]} label="monitors down" value={monitors.data ? fmtNum(monitors.data.alerting) : monitors.error ? '–' : '…'} link={href(['monitors'], keep(r))} />
      </div>
      {hist.data && cur?.total === 0 && <FirstEvent />}
    </div>
  );
}

/** stepFor splits a range into about 24 steps, so both periods' charts line up. */
function stepFor(from: string, to: string): string {
  const [a, b] = bounds({ from, to });
  return `${Math.max(60, Math.round((b - a) / 24 / 1000))}s`;
}

/** Num is one number: its value, its change against the previous period and its small chart, dimmed while its loads are under way. */
function Num({
  loads,
  label,
  title,
  value,
  link,
  change,
  bad,
  spark,
  tone,
}: {
  loads: Loaded<unknown>[];
  label: string;
  title?: string;
  value: string;
  link?: string;
  change?: string;
  bad?: boolean;
  spark?: number[];
  tone?: 'err' | 'neutral';
}) {
  const up = change?.startsWith('+') || change === 'new';
  const down = change?.startsWith('−');
  // Up is worse for errors and latency, better for the rest.
  const cls = !change || (!up && !down) ? '' : up === !!bad ? 'worse' : 'better';
  const body = (
    <>
      <b>{value}</b>
      <span>{label}</span>
      {change && (
        <span className={`delta ${cls}`} title="against the previous period of the same length">
          {change}
        </span>
      )}
      {spark && spark.length > 0 && <Sparkline values={spark} width={130} height={22} tone={tone || 'neutral'} />}
    </>
  );
  return (
    <Figures loads={loads}>
      {link ? (
        <a className="num" href={link} title={title}>
          {body}
        </a>
      ) : (
        <div className="num" title={title}>
          {body}
        </div>
      )}
    </Figures>
  );
}
