// Paths: the most common sequences after a start event or before an end
// event ("$error": what people did before an error), drawn as a flow
// diagram: one column per step, nodes sized by persons, links as bands.
import { post, type PathsAnswer } from '../api';
import { useState } from 'react';
import { ErrorMessage, Loading } from '../components/common';
import { Figures } from '../components/Figures';
import { EventNames, eventNamesId } from '../components/EventNames';
import { rangeOf } from '../components/TimeRange';
import { href, keep, navigate, withParams, type Route } from '../route';
import { fmtNum, term, useLoad } from '../util';

export interface FlowNode {
  id: string;
  col: number;
  name: string;
  persons: number;
  x: number;
  y: number;
  h: number;
}

export interface FlowLink {
  from: FlowNode;
  to: FlowNode;
  persons: number;
  y0: number;
  y1: number;
  w: number;
}

export const other = '(other)';

/**
 * flow lays paths out in columns: with alignEnd the paths' last steps
 * share the last column (paths before an end event), otherwise their first
 * steps share the first. Beyond perCol names a column's rarer steps merge
 * into "(other)".
 */
export function flow(paths: { steps: string[]; persons: number }[], opts: { alignEnd: boolean; width: number; height: number; perCol?: number }) {
  const perCol = opts.perCol ?? 7;
  const cols = Math.max(1, ...paths.map((p) => p.steps.length));
  const placed = paths.map((p) => ({ persons: p.persons, at: p.steps.map((s, i) => ({ col: opts.alignEnd ? cols - p.steps.length + i : i, name: s })) }));
  // The most followed names of each column keep their own node.
  const totals = new Map<string, number>();
  for (const p of placed) for (const s of p.at) totals.set(`${s.col}\u0000${s.name}`, (totals.get(`${s.col}\u0000${s.name}`) || 0) + p.persons);
  const keepName = new Set<string>();
  for (let c = 0; c < cols; c++) {
    const inCol = [...totals.entries()].filter(([k]) => k.startsWith(`${c}\u0000`)).sort((a, b) => b[1] - a[1]);
    for (const [k] of inCol.slice(0, perCol)) keepName.add(k);
  }
  const nodes = new Map<string, FlowNode>();
  const links = new Map<string, { from: string; to: string; persons: number }>();
  for (const p of placed) {
    let prev = '';
    for (const s of p.at) {
      const name = keepName.has(`${s.col}\u0000${s.name}`) ? s.name : other;
      const id = `${s.col}\u0000${name}`;
      const n = nodes.get(id) || { id, col: s.col, name, persons: 0, x: 0, y: 0, h: 0 };
      n.persons += p.persons;
      nodes.set(id, n);
      if (prev) {
        const lk = `${prev}\u0001${id}`;
        const l = links.get(lk) || { from: prev, to: id, persons: 0 };
        l.persons += p.persons;
        links.set(lk, l);
      }
      prev = id;
    }
  }
  const nodeW = 14;
  const gap = 10;
  const colStep = cols > 1 ? (opts.width - nodeW) / (cols - 1) : 0;
  const byCol: FlowNode[][] = Array.from({ length: cols }, () => []);
  for (const n of nodes.values()) byCol[n.col].push(n);
  let scale = Infinity;
  for (const c of byCol) {
    const sum = c.reduce((a, n) => a + n.persons, 0);
    if (sum > 0) scale = Math.min(scale, (opts.height - gap * (c.length - 1)) / sum);
  }
  if (!isFinite(scale) || scale <= 0) scale = 1;
  for (const [ci, c] of byCol.entries()) {
    c.sort((a, b) => (a.name === other ? 1 : b.name === other ? -1 : b.persons - a.persons));
    let y = 0;
    for (const n of c) {
      n.x = ci * colStep;
      n.y = y;
      n.h = Math.max(2, n.persons * scale);
      y += n.h + gap;
    }
  }
  // Bands leave and enter their nodes stacked, widest first.
  const out = new Map<string, number>();
  const inn = new Map<string, number>();
  const laid: FlowLink[] = [];
  const sorted = [...links.values()].sort((a, b) => b.persons - a.persons);
  for (const l of sorted) {
    const from = nodes.get(l.from)!;
    const to = nodes.get(l.to)!;
    const w = Math.max(1, l.persons * scale);
    const o = out.get(l.from) || 0;
    const i = inn.get(l.to) || 0;
    out.set(l.from, o + w);
    inn.set(l.to, i + w);
    laid.push({ from, to, persons: l.persons, y0: from.y + o + w / 2, y1: to.y + i + w / 2, w });
  }
  return { nodes: [...nodes.values()], links: laid, cols, nodeW };
}

function stepQuery(name: string): string {
  if (name.startsWith('error: ')) return term('error_type', name.slice(7));
  if (name.startsWith('/')) return `kind:pageview ${term('name', name)}`;
  return term('name', name);
}

export function Flow({ paths, alignEnd, r }: { paths: { steps: string[]; persons: number }[]; alignEnd: boolean; r: Route }) {
  const width = 1100;
  const height = 380;
  const labelRoom = 150;
  const f = flow(paths, { alignEnd, width: width - labelRoom, height });
  return (
    <div className="flow-wrap">
      <svg className="flow" viewBox={`-4 -4 ${width + 8} ${height + 8}`} width="100%" role="img" aria-label="paths as a flow diagram">
        {f.links.map((l, i) => {
          const x0 = l.from.x + f.nodeW;
          const x1 = l.to.x;
          const xm = (x0 + x1) / 2;
          return (
            <path key={i} className="band" d={`M${x0},${l.y0} C${xm},${l.y0} ${xm},${l.y1} ${x1},${l.y1}`} strokeWidth={l.w}>
              <title>{`${l.from.name} → ${l.to.name}: ${fmtNum(l.persons)} persons`}</title>
            </path>
          );
        })}
        {f.nodes.map((n) => (
          <g key={n.id} className={`fnode${n.name.startsWith('error: ') ? ' err' : ''}`}>
            <rect x={n.x} y={n.y} width={f.nodeW} height={n.h} rx={2}>
              <title>{`${n.name}: ${fmtNum(n.persons)} persons`}</title>
            </rect>
            {n.name === other ? (
              <text x={n.x + f.nodeW + 4} y={n.y + n.h / 2 + 4}>
                {other} {fmtNum(n.persons)}
              </text>
            ) : (
              <a href={href(['explore'], { ...keep(r), q: stepQuery(n.name) })}>
                <text x={n.x + f.nodeW + 4} y={n.y + n.h / 2 + 4}>
                  {n.name.length > 22 ? n.name.slice(0, 21) + '…' : n.name} {fmtNum(n.persons)}
                </text>
              </a>
            )}
          </g>
        ))}
      </svg>
    </div>
  );
}

export function Paths({ r }: { r: Route }) {
  const { from, to } = rangeOf(r);
  const dir = r.params.get('dir') === 'start' ? 'start' : 'end';
  const ev = r.params.get('event') || (dir === 'end' ? '$error' : 'Product Viewed');
  const depth = Number(r.params.get('depth')) || 5;
  const [d, setD] = useState({ dir, ev, depth: String(depth) });
  const a = useLoad(
    (signal) => post<PathsAnswer>('/api/v1/paths', { [dir === 'start' ? 'start_event' : 'end_event']: ev, depth, limit: 40, from, to }, signal),
    [dir, ev, depth, from, to],
  );
  const paths = (a.data?.paths || []).map((p) => ({ steps: p.steps || [], persons: p.persons }));
  return (
    <div className="paths">
      <EventNames from={from} to={to} />
      <form
        className="controls"
        onSubmit={(e) => {
          e.preventDefault();
          navigate(withParams(r, { dir: d.dir, event: d.ev.trim() || undefined, depth: d.depth }));
        }}
      >
        <label>
          what people did{' '}
          <select aria-label="direction" value={d.dir} onChange={(e) => setD({ ...d, dir: e.target.value as 'start' | 'end' })}>
            <option value="end">before</option>
            <option value="start">after</option>
          </select>
        </label>
        <input aria-label="event" list={eventNamesId} value={d.ev} onChange={(e) => setD({ ...d, ev: e.target.value })} title="$error: any error" />
        <label>
          steps <input aria-label="depth" type="number" min={2} max={20} value={d.depth} onChange={(e) => setD({ ...d, depth: e.target.value })} style={{ width: 60 }} />
        </label>
        <button type="submit">Show paths</button>
      </form>
      <ErrorMessage error={a.error} />
      <Loading on={a.loading && !a.data} />
      <Figures loads={[a]} label="paths">
        {a.data && paths.length === 0 && <div className="empty">No paths {dir === 'end' ? 'end in' : 'start with'} “{ev}” in this time range.</div>}
        {paths.length > 0 && (
          <>
            <Flow paths={paths} alignEnd={dir === 'end'} r={r} />
            <h3>Most followed</h3>
            <table className="path-list">
              <tbody>
                {paths.slice(0, 10).map((p, i) => (
                  <tr key={i}>
                    <td className="n">{fmtNum(p.persons)}</td>
                    <td>
                      {p.steps.map((s, k) => (
                        <span key={k} className={`pstep${s.startsWith('error: ') ? ' err' : ''}`}>
                          {s}
                        </span>
                      ))}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </Figures>
    </div>
  );
}
