// The span waterfall of a trace, like Jaeger's and Sentry's: the span tree
// with collapse, bars over the full width on a time axis, the critical
// path, each span's logs and errors placed in its row, and a span's detail
// (attributes, its logs, its errors) opened under its row.
import { useMemo, useState } from 'react';
import type { LoreEvent } from '../api';
import { flatten, isError, isFailedSpan, ms, spanTree, ticks, type SpanNode } from '../journey';
import { fmtClock, fmtDuration, summary } from '../util';
import { Level } from './common';

function offset(d: number): string {
  return d === 0 ? '0' : fmtDuration(d);
}

export function Waterfall({ events, sel, onSelect }: { events: LoreEvent[]; sel: number; onSelect: (ref: number) => void }) {
  const { roots, loose } = useMemo(() => spanTree(events), [events]);
  const [collapsed, setCollapsed] = useState<Set<string>>(new Set());
  const [open, setOpen] = useState<number | undefined>();
  const t0 = Math.min(...events.map(ms));
  const t1 = Math.max(...events.map((e) => ms(e) + (e.kind === 'span' ? e.duration_ms || 0 : 0)));
  const span = Math.max(1, t1 - t0);
  const pct = (t: number) => ((t - t0) / span) * 100;
  const rows = flatten(roots, collapsed);
  // The row holding the selected event: its span, or the span its log belongs to.
  const selRow = rows.find((n) => n.i === sel || n.logs.includes(sel));
  const axis = ticks(span);
  const toggle = (id: string) => {
    const n = new Set(collapsed);
    if (n.has(id)) n.delete(id);
    else n.add(id);
    setCollapsed(n);
  };
  const critical = rows.filter((n) => n.critical).length;
  return (
    <div className="wf2" role="tree" aria-label="span waterfall">
      <div className="wf2-head">
        <div className="wf2-name muted">
          {rows.length} span{rows.length === 1 ? '' : 's'} · {fmtDuration(span)}
          {critical > 0 && <span className="crit-key"> · critical path</span>}
        </div>
        <div className="wf2-lane wf2-axis">
          {axis.map((t) => (
            <span key={t} style={{ left: `${(t / span) * 100}%` }}>
              {offset(t)}
            </span>
          ))}
        </div>
      </div>
      {rows.map((n) => (
        <SpanRow
          key={n.i}
          n={n}
          events={events}
          pct={pct}
          axis={axis.map((t) => (t / span) * 100)}
          selected={selRow === n}
          sel={sel}
          collapsed={collapsed.has(n.e.span_id || '')}
          onToggle={() => toggle(n.e.span_id || '')}
          open={open === n.i}
          onOpen={() => {
            setOpen(open === n.i ? undefined : n.i);
            onSelect(n.i);
          }}
          onSelect={onSelect}
          t0={t0}
        />
      ))}
      {loose.length > 0 && (
        <>
          <div className="wf2-group muted">events outside the spans</div>
          {loose.map((i) => {
            const e = events[i];
            return (
              <div key={i} id={`ev-${i}`} className={`wf2-row${i === sel ? ' selected' : ''}${isError(e) ? ' err' : ''}`} onClick={() => onSelect(i)} role="treeitem" data-ref={i}>
                <div className="wf2-name" title={summary(e)}>
                  <span className="svc">{e.service}</span> <span className="nm">{summary(e)}</span>
                </div>
                <div className="wf2-lane">
                  <span className={`wf2-dot kind-${e.kind}${isError(e) ? ' err' : ''}`} style={{ left: `${pct(ms(e))}%` }} title={`${fmtClock(e.ts)} ${summary(e)}`} />
                </div>
              </div>
            );
          })}
        </>
      )}
    </div>
  );
}

function SpanRow(p: {
  n: SpanNode;
  events: LoreEvent[];
  pct: (t: number) => number;
  axis: number[];
  selected: boolean;
  sel: number;
  collapsed: boolean;
  onToggle: () => void;
  open: boolean;
  onOpen: () => void;
  onSelect: (ref: number) => void;
  t0: number;
}) {
  const { n, events, pct } = p;
  const e = n.e;
  const left = pct(n.start);
  const width = Math.max(0.15, pct(n.end) - left);
  const failed = isFailedSpan(e);
  const name = e.name || `${e.http_method || ''} ${e.endpoint || ''}`.trim() || 'span';
  return (
    <>
      <div
        id={`ev-${n.i}`}
        data-ref={n.i}
        className={`wf2-row${p.selected ? ' selected' : ''}${failed ? (isError(e) ? ' err' : ' warn') : ''}`}
        role="treeitem"
        aria-expanded={n.children.length ? !p.collapsed : undefined}
        aria-selected={p.selected}
      >
        <div className="wf2-name" style={{ paddingLeft: 6 + n.depth * 14 }}>
          {n.children.length > 0 ? (
            <button type="button" className="plain tw" aria-label={`${p.collapsed ? 'expand' : 'collapse'} ${name}`} onClick={p.onToggle}>
              {p.collapsed ? '▸' : '▾'}
            </button>
          ) : (
            <span className="tw" />
          )}
          <button type="button" className="plain span-name" onClick={p.onOpen} title={`${e.service} ${name}`}>
            <span className="svc">{e.service}</span> <span className="nm">{name}</span>
            {e.http_status ? <span className={`code${e.http_status >= 400 ? ' bad' : ''}`}>{e.http_status}</span> : null}
            {p.collapsed && <span className="muted"> +{n.children.length}</span>}
          </button>
        </div>
        <div className="wf2-lane" onClick={p.onOpen}>
          {p.axis.map((x) => (
            <i key={x} className="grid" style={{ left: `${x}%` }} />
          ))}
          <span className={`wf2-bar${n.critical ? ' crit' : ''}${failed ? (isError(e) ? ' err' : ' warn') : ''}`} style={{ left: `${left}%`, width: `${width}%` }} />
          <span className="wf2-dur" style={left > 70 ? { right: `${100 - left + 0.5}%` } : { left: `calc(${left + width}% + 4px)` }}>
            {fmtDuration(e.duration_ms || 0)}
          </span>
          {n.logs.map((i) => (
            <span
              key={i}
              id={`ev-${i}`}
              data-ref={i}
              className={`wf2-dot kind-${events[i].kind}${isError(events[i]) ? ' err' : events[i].level === 'warn' ? ' warn' : ''}${i === p.sel ? ' selected' : ''}`}
              style={{ left: `${pct(ms(events[i]))}%` }}
              title={`${fmtClock(events[i].ts)} ${summary(events[i])}`}
              onClick={(x) => {
                x.stopPropagation();
                p.onSelect(i);
              }}
            />
          ))}
        </div>
      </div>
      {p.open && <SpanDetail n={n} events={events} t0={p.t0} onSelect={p.onSelect} sel={p.sel} />}
    </>
  );
}

function SpanDetail({ n, events, t0, onSelect, sel }: { n: SpanNode; events: LoreEvent[]; t0: number; onSelect: (ref: number) => void; sel: number }) {
  const e = n.e;
  const logs = n.logs.map((i) => ({ i, e: events[i] }));
  const errors = [...(isError(e) ? [{ i: n.i, e }] : []), ...logs.filter((x) => isError(x.e))];
  const fields: [string, unknown][] = [
    ['service', e.service],
    ['span id', e.span_id],
    ['parent', e.parent_span_id],
    ['start', `${fmtClock(e.ts)} (+${fmtDuration(n.start - t0)})`],
    ['duration', fmtDuration(e.duration_ms || 0)],
    ['status', e.http_status],
    ['level', e.level],
    ['critical path', n.critical ? 'yes' : 'no'],
    ...Object.entries(e.attributes || {}),
  ];
  return (
    <div className="span-detail" role="region" aria-label="span detail">
      <h4>
        {e.service} · {e.name}
      </h4>
      <div className="span-cols">
        <table className="kv">
          <tbody>
            {fields
              .filter(([, v]) => v !== undefined && v !== '')
              .map(([k, v]) => (
                <tr key={k}>
                  <th>{k}</th>
                  <td>{typeof v === 'object' ? JSON.stringify(v) : String(v)}</td>
                </tr>
              ))}
          </tbody>
        </table>
        <div>
          <h5>Errors ({errors.length})</h5>
          {errors.length === 0 && <p className="muted">None in this span.</p>}
          {errors.map(({ i, e: x }) => (
            <p key={i} className="lvl-error">
              {x.error_type || x.http_status} {x.message}
            </p>
          ))}
          <h5>Logs of this span ({logs.length})</h5>
          {logs.length === 0 && <p className="muted">None.</p>}
          <table className="events">
            <tbody>
              {logs.map(({ i, e: x }) => (
                <tr key={i} className={i === sel ? 'selected' : ''} onClick={() => onSelect(i)}>
                  <td className="ts">+{fmtDuration(ms(x) - t0)}</td>
                  <td>
                    <Level l={x.level} />
                  </td>
                  <td className="msg">{summary(x)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>
    </div>
  );
}
