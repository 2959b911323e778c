// Services: the service map — services and external dependencies with
// their requests, error rate and latency, and the calls between them.
import { get, type MapEdge, type MapNode, type ServiceMap, type TraceBreakdown } from '../api';
import { ErrorMessage, FirstEvent, Loading } from '../components/common';
import { Figures } from '../components/Figures';
import { rangeOf } from '../components/TimeRange';
import { useState } from 'react';
import { href, keep, navigate, withParams, type Route } from '../route';
import { fmtDuration, fmtNum, fmtPct, useLoad } from '../util';

/** layers places each node in the column of its longest call path from a root. */
export function layers(nodes: MapNode[], edges: MapEdge[]): Map<string, number> {
  const depth = new Map(nodes.map((n) => [n.id, 0]));
  for (let pass = 0; pass < nodes.length; pass++) {
    let changed = false;
    for (const e of edges) {
      if (e.from === e.to) continue;
      const d = (depth.get(e.from) ?? 0) + 1;
      if (d > (depth.get(e.to) ?? 0) && d < nodes.length) {
        depth.set(e.to, d);
        changed = true;
      }
    }
    if (!changed) break;
  }
  return depth;
}

const W = 215;
const H = 54;

function ServiceMap({ nodes, edges, r }: { nodes: MapNode[]; edges: MapEdge[]; r: Route }) {
  const depth = layers(nodes, edges);
  const cols = new Map<number, MapNode[]>();
  for (const n of nodes) {
    const d = depth.get(n.id) ?? 0;
    cols.set(d, [...(cols.get(d) || []), n]);
  }
  const pos = new Map<string, { x: number; y: number }>();
  let rows = 0;
  for (const [d, ns] of cols) {
    ns.forEach((n, i) => pos.set(n.id, { x: 20 + d * (W + 90), y: 50 + i * (H + 30) }));
    rows = Math.max(rows, ns.length);
  }
  const width = 40 + cols.size * (W + 90);
  const height = 70 + rows * (H + 30);
  return (
    <svg className="svcmap" width={width} height={height} role="img" aria-label="service map">
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
          <path d="M 0 0 L 10 5 L 0 10 z" className="arrowhead" />
        </marker>
      </defs>
      {edges.map((e, i) => {
        const a = pos.get(e.from);
        const b = pos.get(e.to);
        if (!a || !b || e.from === e.to) return null;
        const x1 = a.x + W;
        const y1 = a.y + H / 2;
        const x2 = b.x;
        const y2 = b.y + H / 2;
        // An edge that skips a column (or runs back) would cross the nodes
        // between: it leaves from the top and arcs over them instead.
        const skips = b.x - a.x > W + 90 + 1 || b.x <= a.x;
        const d = skips
          ? `M ${a.x + W / 2} ${a.y} C ${a.x + W / 2} ${Math.min(a.y, b.y) - 40}, ${b.x + W / 2} ${Math.min(a.y, b.y) - 40}, ${b.x + W / 2} ${b.y}`
          : `M ${x1} ${y1} C ${x1 + 45} ${y1}, ${x2 - 45} ${y2}, ${x2} ${y2}`;
        return (
          <g key={i} className={`edge${e.error_rate >= 0.02 ? ' bad' : ''}${e.inferred ? ' inferred' : ''}`}>
            <path d={d} markerEnd="url(#arrow)" />
            <title>{`${e.from} → ${e.to}: ${e.calls} calls, ${fmtPct(e.error_rate)} errors, p95 ${Math.round(e.p95_ms)} ms`}</title>
          </g>
        );
      })}
      {nodes.map((n) => {
        const p = pos.get(n.id)!;
        return (
          <g key={n.id} className={`node ${n.kind}${n.error_rate >= 0.02 ? ' bad' : ''}`} transform={`translate(${p.x},${p.y})`}>
            <a href={href(['explore'], { ...keep(r), q: `service:${n.id}` })}>
              <rect width={W} height={H} rx="6" />
              <text x="10" y="20" className="name">
                {n.id}
              </text>
              <text x="10" y="40" className="stats">
                {n.requests ? `${fmtNum(n.requests)} req · ${fmtPct(n.error_rate)} err · p95 ${Math.round(n.p95_ms)}ms` : `${fmtNum(n.events || 0)} events`}
              </text>
            </a>
          </g>
        );
      })}
    </svg>
  );
}

/** Breakdown shows where one trace's time went: each service's self time. */
function TraceTime({ r, trace }: { r: Route; trace: string }) {
  const b = useLoad((signal) => get<TraceBreakdown>('/api/v1/services/map', { trace_id: trace }, signal), [trace]);
  const services = b.data?.services || [];
  return (
    <div className="breakdown">
      <h3>
        Latency breakdown of trace <a href={href(['journey', 'trace', trace], keep(r))}>{trace.slice(0, 16)}…</a>
      </h3>
      <ErrorMessage error={b.error} />
      <Loading on={b.loading} />
      {b.data && (
        <>
          <p className="muted">
            {fmtDuration(b.data.duration_ms)} from the first span's start to the last span's end; each service's own time
            (its spans minus the calls they wait on):
          </p>
          <table className="time-list">
            <tbody>
              {services.map((s) => (
                <tr key={s.service} data-row tabIndex={-1}>
                  <td>{s.service}</td>
                  <td className="bar-cell">
                    <span className="bar" style={{ width: `${Math.max(1, s.share * 100)}%` }} />
                  </td>
                  <td>{fmtDuration(s.self_ms)}</td>
                  <td>{fmtPct(s.share)}</td>
                  <td className="muted">
                    {s.spans} span{s.spans === 1 ? '' : 's'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}

export function Services({ r }: { r: Route }) {
  const { from, to } = rangeOf(r);
  const trace = r.params.get('trace') || '';
  const [draft, setDraft] = useState(trace);
  const m = useLoad((signal) => get<ServiceMap>('/api/v1/services/map', { from, to }, signal), [from, to]);
  const nodes = m.data?.nodes || [];
  const edges = m.data?.edges || [];
  return (
    <div className="services">
      <h2>Service map</h2>
      <form
        className="trace-pick"
        onSubmit={(e) => {
          e.preventDefault();
          navigate(withParams(r, { trace: draft.trim() || undefined }));
        }}
      >
        <input value={draft} onChange={(e) => setDraft(e.target.value)} placeholder="trace id: where did its time go?" aria-label="trace id" />
        <button type="submit">Break down</button>
      </form>
      {trace && <TraceTime r={r} trace={trace} />}
      <ErrorMessage error={m.error} />
      <Loading on={m.loading && !m.data} />
      <Figures loads={[m]} label="service map">
        {m.data && nodes.length === 0 && <FirstEvent />}
        {nodes.length > 0 && (
          <>
            <div className="map-wrap">
              <ServiceMap nodes={nodes} edges={edges} r={r} />
            </div>
            <h3>Calls</h3>
            <table className="edge-list">
              <thead>
                <tr>
                  <th>caller → callee</th>
                  <th>calls</th>
                  <th>errors</th>
                  <th>error rate</th>
                  <th>p95</th>
                </tr>
              </thead>
              <tbody>
                {edges.map((e, i) => (
                  <tr key={i} data-row tabIndex={-1}>
                    <td>
                      <a href={href(['explore'], { ...keep(r), q: `service:${e.from}` })}>{e.from}</a> → {e.to}
                      {e.inferred && <span className="muted"> (inferred from shared traces)</span>}
                    </td>
                    <td>{fmtNum(e.calls)}</td>
                    <td>{fmtNum(e.errors)}</td>
                    <td className={e.error_rate >= 0.02 ? 'lvl-error' : ''}>{fmtPct(e.error_rate)}</td>
                    <td>{Math.round(e.p95_ms)} ms</td>
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
