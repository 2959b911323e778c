// The answer of a query with pipes (GET /api/v1/query): for an aggregate,
// a chart — lines over time for timechart and stats … by bin(), bars per
// group for stats … by, top and rare — above its table; for rows of
// events, the table of the columns chosen. PipeError shows a query the
// server refused with the pipe at fault marked.
import { useMemo, useState } from 'react';
import { runQuery, type QueryAnswer, type QueryColumn, type QueryErrorDetail, type QueryValue } from '../api';
import { fmtTime, useLoad } from '../util';
import { ErrorMessage, Loading } from './common';
import { LineChart, palette, type Line } from './LineChart';
import { groupsOf, splitPipes } from './pipes';
import './query.css';

/** Shape is how an answer draws: its group columns, its measures, its chart. */
export interface Shape {
  keys: number[]; // column indexes naming a group (the time column first for lines)
  measures: number[]; // numeric columns that are not group keys
  chart: '' | 'line' | 'bar';
}

/** shapeOf reads an answer's shape from its columns and the query that made it. */
export function shapeOf(a: QueryAnswer, q: string): Shape {
  const g = groupsOf(q);
  let chart = a.chart ?? g.chart;
  if (a.aggregate === false) chart = '';
  const keys = a.columns.map((c, i) => (g.keys.includes(c.name) || (c.type === 'time' && chart === 'line') ? i : -1)).filter((i) => i >= 0);
  const measures = a.columns.map((c, i) => (c.type === 'number' && !keys.includes(i) ? i : -1)).filter((i) => i >= 0);
  if (!measures.length) chart = '';
  // Groups in time order are a line, whatever the answer says.
  if (chart === 'bar' && a.columns[keys[0]]?.type === 'time') chart = 'line';
  if (chart === 'line' && a.columns[keys[0]]?.type !== 'time') chart = keys.length ? 'bar' : '';
  return { keys, measures, chart };
}

/** fmtValue writes a cell: times in the zone setting, numbers rounded, null as a dash, an
 * estimated count (before sampling) as ≈ and a whole number, an approximate value with ≈. */
export function fmtValue(v: QueryValue, c: QueryColumn): string {
  if (v === null || v === undefined) return '—';
  if (c.type === 'time' && typeof v === 'string') return fmtTime(v);
  if (c.estimated && typeof v === 'number') return '≈' + Math.round(v).toLocaleString('en-US');
  if (typeof v === 'number') return (c.approximate ? '≈' : '') + (Number.isInteger(v) ? v.toLocaleString('en-US') : v.toLocaleString('en-US', { maximumFractionDigits: 3 }));
  return String(v);
}

/** markOf is what a column's name is followed by when its figures are not exact counts
 * ("n (estimated)", "p95(duration_ms) (approximate)") and the title saying why; '' for exact. */
export function markOf(c: QueryColumn): { suffix: string; title: string } {
  if (c.estimated) return { suffix: ' (estimated)', title: 'estimated before sampling: each event a sampling rule kept weighs 1/lore.sample_rate' };
  if (c.approximate) return { suffix: ' (approximate)', title: 'approximate: the exact answer needed more memory than --store-memory' };
  return { suffix: '', title: '' };
}

const maxLines = 10;

/** linesOf pivots an answer into a chart's x values (seconds) and one line per group (or per measure when ungrouped). */
export function linesOf(a: QueryAnswer, s: Shape, measure: number): { xs: number[]; lines: Line[] } {
  const [t, ...groups] = s.keys;
  const seen = [...new Set(a.rows.map((r) => Date.parse(String(r[t])) / 1000))].sort((x, y) => x - y);
  // Buckets without events have no row: the x axis keeps their place (a gap in the line).
  let step = Infinity;
  for (let i = 1; i < seen.length; i++) step = Math.min(step, seen[i] - seen[i - 1]);
  const xs = step > 0 && step < Infinity && (seen[seen.length - 1] - seen[0]) / step <= 5000 ? Array.from({ length: Math.round((seen[seen.length - 1] - seen[0]) / step) + 1 }, (_, i) => seen[0] + i * step) : seen;
  const index = new Map(xs.map((x, i) => [x, i]));
  const at = { get: (v: string) => index.get(Date.parse(v) / 1000) };
  if (!groups.length) {
    const ms = s.measures.slice(0, maxLines);
    const lines = ms.map((m) => ({ label: a.columns[m].name + markOf(a.columns[m]).suffix, values: xs.map((): number | null => null) }));
    for (const r of a.rows) ms.forEach((m, k) => (lines[k].values[at.get(String(r[t]))!] = num(r[m])));
    return { xs, lines };
  }
  const byGroup = new Map<string, { values: (number | null)[]; total: number }>();
  for (const r of a.rows) {
    const g = groups.map((i) => (r[i] === null ? '(none)' : String(r[i]))).join(', ');
    let l = byGroup.get(g);
    if (!l) byGroup.set(g, (l = { values: xs.map(() => null), total: 0 }));
    const v = num(r[measure]);
    l.values[at.get(String(r[t]))!] = v;
    l.total += v ?? 0;
  }
  // The biggest groups, in the chart's colours; the rest are in the table.
  const lines = [...byGroup.entries()]
    .sort((x, y) => y[1].total - x[1].total)
    .slice(0, maxLines)
    .map(([label, l]) => ({ label, values: l.values }));
  return { xs, lines };
}

function num(v: QueryValue): number | null {
  return typeof v === 'number' ? v : null;
}

const maxBars = 30;

/** BarChart draws one bar per row (a group), its length the measure. */
function BarChart({ a, s, measure, link }: { a: QueryAnswer; s: Shape; measure: number; link?: (column: string, value: string) => string | undefined }) {
  const rows = a.rows.slice(0, maxBars);
  const max = Math.max(0, ...rows.map((r) => num(r[measure]) ?? 0));
  const label = (r: QueryValue[]) => (s.keys.length ? s.keys.map((i) => (r[i] === '' ? '(empty)' : fmtValue(r[i], a.columns[i]))).join(', ') : a.columns[measure].name);
  return (
    <ul className="qbars" aria-label={`${a.columns[measure].name}${markOf(a.columns[measure]).suffix} by ${s.keys.map((i) => a.columns[i].name).join(', ') || 'all'}`}>
      {rows.map((r, k) => {
        const v = num(r[measure]);
        return (
          <li key={k}>
            <span className="qlabel" title={label(r)}>
              {(() => {
                const to = s.keys.length === 1 && link ? link(a.columns[s.keys[0]].name, String(r[s.keys[0]] ?? '')) : undefined;
                return to ? <a href={to}>{label(r)}</a> : label(r);
              })()}
            </span>
            <span className="qbar-bg">
              <span className="qbar-fg" style={{ width: `${max > 0 && v !== null ? Math.max(0.5, (v / max) * 100) : 0}%`, background: palette[0] }} />
            </span>
            <span className="qval">{fmtValue(v, a.columns[measure])}</span>
          </li>
        );
      })}
    </ul>
  );
}

/** AnswerTable is the answer's rows under its columns. */
export function AnswerTable({ a }: { a: QueryAnswer }) {
  return (
    <div className="qtable-wrap">
      <table className="qtable">
        <thead>
          <tr>
            {a.columns.map((c) => (
              <th
                key={c.name}
                className={c.type === 'number' ? 'qnum' : ''}
                title={markOf(c).title || c.type}
              >
                {c.name}
                {markOf(c).suffix}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {a.rows.map((r, k) => (
            <tr key={k}>
              {a.columns.map((c, i) => (
                <td key={c.name} className={c.type === 'number' ? 'qnum' : c.type === 'time' ? 'ts' : ''}>
                  {fmtValue(r[i], c)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** AnswerView draws an answer: its chart (when it aggregates) above its table. */
export function AnswerView({
  a,
  q,
  height = 240,
  table = true,
  link,
}: {
  a: QueryAnswer;
  q: string;
  height?: number;
  table?: boolean;
  /** link is where a bar's group leads (its events), given the group column and value; none: no link. */
  link?: (column: string, value: string) => string | undefined;
}) {
  const s = useMemo(() => shapeOf(a, q), [a, q]);
  const [pick, setPick] = useState<number | undefined>();
  const measure = pick !== undefined && s.measures.includes(pick) ? pick : s.measures[0];
  const lines = useMemo(() => (s.chart === 'line' ? linesOf(a, s, measure) : undefined), [a, s, measure]);
  const grouped = s.keys.length > (s.chart === 'line' ? 1 : 0);
  return (
    <div className="answer">
      <div className="answer-head muted small">
        <span>
          {a.rows.length.toLocaleString('en-US')} {a.rows.length === 1 ? 'row' : 'rows'}
          {a.truncated ? ' (cut at the row limit)' : ''} in {a.took_ms} ms
        </span>
        {s.chart && s.measures.length > 1 && (s.chart === 'bar' || grouped) && (
          <label>
            chart{' '}
            <select aria-label="chart measure" value={measure} onChange={(e) => setPick(Number(e.target.value))}>
              {s.measures.map((m) => (
                <option key={m} value={m}>
                  {a.columns[m].name}
                  {markOf(a.columns[m]).suffix}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      {s.chart === 'line' && lines && lines.xs.length > 0 && (
        <div className="answer-chart" data-chart="line">
          {grouped && markOf(a.columns[measure]).suffix && (
            // the legend names the groups: the measure's mark goes above it
            <div className="muted small chart-mark" title={markOf(a.columns[measure]).title}>
              {a.columns[measure].name}
              {markOf(a.columns[measure]).suffix}
            </div>
          )}
          <LineChart xs={lines.xs} lines={lines.lines} height={height} />
        </div>
      )}
      {s.chart === 'bar' && a.rows.length > 0 && (
        <div className="answer-chart" data-chart="bar">
          <BarChart a={a} s={s} measure={measure} link={link} />
        </div>
      )}
      {a.rows.length === 0 && <div className="empty">No rows: nothing matched in this range.</div>}
      {table && a.rows.length > 0 && <AnswerTable a={a} />}
    </div>
  );
}

/** QueryView loads a query's answer and draws it (a dashboard panel). */
export function QueryView({ q, from, to, height, table }: { q: string; from: string; to: string; height?: number; table?: boolean }) {
  const a = useLoad((signal) => runQuery(q, from, to, signal), [q, from, to]);
  return (
    <>
      {a.error && <PipeError q={q} error={a.error} detail={a.detail} />}
      <Loading on={a.loading && !a.data} />
      {a.data && !a.error && <AnswerView a={a.data} q={q} height={height} table={table} />}
    </>
  );
}

function isDetail(d: unknown): d is QueryErrorDetail {
  return typeof d === 'object' && d !== null && typeof (d as QueryErrorDetail).pipe === 'number';
}

/** PipeError shows a refused query with the pipe at fault (or its search) marked and the column pointed at. */
export function PipeError({ q, error, detail }: { q: string; error: string; detail?: unknown }) {
  if (!isDetail(detail) || detail.q !== q) return <ErrorMessage error={error} />;
  const { pipes } = splitPipes(q);
  const p = detail.pipe > 0 ? pipes[detail.pipe - 1] : undefined;
  const [a, b] = p ? [p.start - 1, p.end] : [0, pipes[0] ? pipes[0].start - 1 : q.length];
  const chars = [...q];
  const col = detail.column ? Math.min(detail.column - 1, chars.length) : -1;
  // The message without its repetition of the query.
  const msg = error.replace(/bad query ".*": (?=pipe \d|search:)/s, '');
  return (
    <div className="msg error pipe-error" role="alert" aria-label="query error">
      <div>{msg}</div>
      <pre className="pipe-at">
        <code>
          {q.slice(0, a)}
          <mark title={p ? `pipe ${detail.pipe} (${detail.name || p.name})` : 'the search'}>{q.slice(a, b)}</mark>
          {q.slice(b)}
        </code>
        {col >= 0 && (
          <span className="caret" aria-hidden>
            {'\n' + ' '.repeat(col) + '^'}
          </span>
        )}
      </pre>
    </div>
  );
}
