// How monitors read: what a kind watches, values in their unit, the rule
// as a sentence, state badges.
import type { MonitorKind, MonitorRule, MonitorState } from '../api';
import { groupsOf } from './pipes';

/** kindText says in words what a kind measures. */
export const kindText: Record<MonitorKind, string> = {
  query: 'matching events',
  latency: 'p95 latency of matching spans (ms)',
  error_rate: 'error rate of matching events',
  issue: 'issues',
  check: 'an uptime check',
  story: 'story cards',
  baseline: 'a signal against its baseline',
  aggregate: 'a column of a query with pipes, per group',
};

/** kindOptions are the choices of the form's "Watches". */
export const kindOptions: [MonitorKind, string][] = [
  ['query', 'events matching a search'],
  ['latency', 'p95 latency of matching spans'],
  ['error_rate', 'error rate'],
  ['issue', 'issues (new ones, or one issue’s events or users)'],
  ['check', 'an uptime check'],
  ['story', 'story cards appearing (throttling, cascade…)'],
  ['baseline', 'a service leaving its baseline'],
  ['aggregate', 'any aggregate: a query with stats (one alert per group)'],
];

/** fmtValue renders a monitor's value in the unit of its kind. */
export function fmtValue(kind: MonitorKind, v: number | null | undefined, measure?: string, signal?: string): string {
  if (v === null || v === undefined) return 'no data';
  if (kind === 'error_rate' || (kind === 'baseline' && signal === 'error_rate')) return `${(v * 100).toFixed(v < 0.1 ? 2 : 1)}%`;
  if (kind === 'latency' || (kind === 'baseline' && signal === 'p95_ms')) return `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`;
  if (kind === 'check' && measure !== 'tls_days') return v >= 1 ? 'down' : 'up';
  if (kind === 'check') return `${v} days`;
  if (measure === 'rate') return `${v.toFixed(2)}/min`;
  return String(Math.round(v * 100) / 100);
}

/** approxTitle says what an approximate monitor value was estimated from. */
export function approxTitle(sampled?: number): string {
  if (sampled) return `estimated from sampled events: ${sampled.toLocaleString('en-US')} of the events measured were kept by the project’s sampling, each weighted by 1/lore.sample_rate`;
  return 'approximate: estimated from sampled events, or computed by the store in bounded memory';
}

/** MonitorValue shows a monitor's (or series', or change's) value in the
 * unit of its kind: "≈3120" titled with what it was estimated from when the
 * API marks it approximate, else the value as fmtValue writes it. */
export function MonitorValue({ m, v }: { m: Pick<MonitorRule, 'kind' | 'measure' | 'signal'>; v: { value: number | null | undefined; approximate?: boolean; sampled?: number } }) {
  const text = fmtValue(m.kind, v.value, m.measure, m.signal);
  if (!v.approximate || v.value === null || v.value === undefined) return <>{text}</>;
  return (
    <span className="estimated-count" title={approxTitle(v.sampled)}>
      ≈{text}
    </span>
  );
}

/** rule is the condition in one line: "count > 10 over 5m". */
export function rule(m: MonitorRule): string {
  switch (m.kind) {
    case 'check':
      return m.measure === 'tls_days' ? `certificate expires in ${m.op} ${m.threshold} days` : 'the check is down';
    case 'story':
      return `a ${m.story_type || 'story'} card, ${m.severity || 'warning'} or worse, ${m.threshold > 0 ? `${m.op} ${m.threshold} ` : ''}in ${m.window}`;
    case 'baseline':
      return `${m.signal} above its ${m.severity || 'warning'} level in ${m.window}`;
    case 'aggregate':
      return `${m.measure || 'value'} ${m.op} ${fmtValue(m.kind, m.threshold)} over ${m.window}`;
  }
  const what =
    m.kind === 'query'
      ? m.measure === 'rate'
        ? 'rate'
        : 'count'
      : m.kind === 'error_rate'
        ? 'error rate'
        : m.kind === 'latency'
          ? 'p95'
          : m.measure === 'events'
            ? 'events of an issue'
            : m.measure === 'users'
              ? 'users of an issue'
              : 'issues';
  return `${what} ${m.op} ${fmtValue(m.kind, m.threshold, m.measure)} over ${m.window}`;
}

/** groupWord names a grouped monitor's series: "service", "endpoint", "issue". */
export function groupWord(m: MonitorRule): string {
  if (m.group_by) return m.group_by;
  if (m.kind === 'story' || m.kind === 'baseline') return 'service';
  if (m.kind === 'issue' && (m.measure === 'events' || m.measure === 'users')) return 'issue';
  if (m.kind === 'aggregate') return groupsOf(m.query).keys.join(', ');
  return '';
}

const stateLabel: Record<MonitorState, string> = { ok: 'ok', pending: 'pending', alert: 'alert', no_data: 'no data', error: 'error' };

export function StateBadge({ s, muted }: { s: MonitorState; muted?: boolean }) {
  return (
    <span className={`mstate mstate-${s}`} title={muted ? 'muted: evaluated, notifies nobody now' : undefined}>
      {stateLabel[s] || s}
      {muted ? ' · muted' : ''}
    </span>
  );
}
