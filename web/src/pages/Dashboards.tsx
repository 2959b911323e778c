// Dashboards: the list of dashboards and saved searches, one dashboard's
// panels drawn with the charts of the pages they were pinned from, YAML
// export and import (to keep them in version control), and the
// investigation templates.
import { useState, type ReactNode } from 'react';
import { ApiError, get, post, type Facets, type FunnelAnswer, type Histogram as H, type RetentionAnswer, type TrendsAnswer } from '../api';
import { ErrorMessage, Loading, heat } from '../components/common';
import { Figures } from '../components/Figures';
import { Histogram } from '../components/Histogram';
import { Count, counted } from '../components/Estimated';
import { LineChart, trendLines } from '../components/LineChart';
import { QueryView } from '../components/QueryAnswer';
import { rangeOf } from '../components/TimeRange';
import {
  deleteDashboard,
  deleteSearch,
  download,
  exportYAML,
  getDashboard,
  importYAML,
  listDashboards,
  listSearches,
  saveDashboard,
  slug,
  templates,
  type Panel,
  type Template,
} from '../dashboards';
import { href, keep, navigate, type Route } from '../route';
import { fmtNum, fmtPct, fmtShort, useLoad } from '../util';
import { FunnelChart } from '../components/FunnelChart';
import './meta.css';

function message(e: unknown): string {
  return e instanceof ApiError ? e.message : String(e);
}

export function Dashboards({ r }: { r: Route }) {
  const id = Number(r.path[1]);
  if (id > 0) return <DashboardView id={id} r={r} />;
  return <DashboardList r={r} />;
}

function DashboardList({ r }: { r: Route }) {
  const [reload, setReload] = useState(0);
  const boards = useLoad((signal) => listDashboards(signal), [reload]);
  const searches = useLoad((signal) => listSearches(signal), [reload]);
  const [name, setName] = useState('');
  const [error, setError] = useState('');
  return (
    <div className="dashboards">
      <div className="dash-cols">
        <section>
          <h2>Dashboards</h2>
          <ErrorMessage error={boards.error || error} />
          <Loading on={boards.loading && !boards.data} />
          {boards.data && boards.data.length === 0 && (
            <div className="empty">
              No dashboard yet. Pin a chart from Explore (the histogram) or Product (the funnel), create an empty one below, or import a YAML file.
            </div>
          )}
          {(boards.data || []).length > 0 && (
            <table className="dash-list">
              <thead>
                <tr>
                  <th>name</th>
                  <th>panels</th>
                  <th>updated</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {(boards.data || []).map((d) => (
                  <tr key={d.id}>
                    <td>
                      <a className="dash-name" href={href(['dashboards', String(d.id)], keep(r))}>
                        {d.name}
                      </a>
                      {d.description && <div className="muted">{d.description}</div>}
                    </td>
                    <td>{d.panels.length}</td>
                    <td className="ts">{fmtShort(d.updated_at)}</td>
                    <td className="actions">
                      <button type="button" className="plain" onClick={async () => download(slug(d.name) + '.yaml', await exportYAML('dashboards', d.id))}>
                        export YAML
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <form
            className="inline-form"
            onSubmit={async (e) => {
              e.preventDefault();
              setError('');
              try {
                const d = await saveDashboard({ name, panels: [] });
                navigate(href(['dashboards', String(d.id)], keep(r)));
              } catch (err) {
                setError(message(err));
              }
            }}
          >
            <input aria-label="new dashboard name" placeholder="new dashboard name" value={name} onChange={(e) => setName(e.target.value)} required />
            <button type="submit">Create dashboard</button>
            {(boards.data || []).length > 0 && (
              <button type="button" className="plain" onClick={async () => download('dashboards.yaml', await exportYAML('dashboards'))}>
                export all as YAML
              </button>
            )}
          </form>

          <h2>Saved searches</h2>
          <ErrorMessage error={searches.error} />
          {searches.data && searches.data.length === 0 && <div className="empty">No saved search yet: use “Save search” on Explore.</div>}
          {(searches.data || []).length > 0 && (
            <table className="dash-list searches">
              <tbody>
                {(searches.data || []).map((s) => (
                  <tr key={s.id}>
                    <td>
                      <a href={href(['explore'], { q: s.query, from: s.from, to: s.to })}>{s.name}</a>
                    </td>
                    <td>
                      <code>{s.query}</code>
                    </td>
                    <td className="actions">
                      <button
                        type="button"
                        className="plain"
                        aria-label={`delete search ${s.name}`}
                        onClick={async () => {
                          await deleteSearch(s.id).catch((e) => setError(message(e)));
                          setReload((n) => n + 1);
                        }}
                      >
                        delete
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {(searches.data || []).length > 0 && (
            <button type="button" className="plain" onClick={async () => download('searches.yaml', await exportYAML('searches'))}>
              export saved searches as YAML
            </button>
          )}
          <ImportBox onDone={() => setReload((n) => n + 1)} />
        </section>
        <aside>
          <h2>Investigate</h2>
          <p className="muted">Built-in searches for the common questions: fill in the blank and open.</p>
          {templates.map((t) => (
            <TemplateForm key={t.id} t={t} r={r} />
          ))}
        </aside>
      </div>
    </div>
  );
}

function ImportBox({ onDone }: { onDone: () => void }) {
  const [text, setText] = useState('');
  const [what, setWhat] = useState<'dashboards' | 'searches'>('dashboards');
  const [state, setState] = useState<{ ok?: string; error?: string }>({});
  return (
    <form
      className="import"
      onSubmit={async (e) => {
        e.preventDefault();
        try {
          const n = await importYAML(what, text);
          setState({ ok: `Imported ${n} ${what === 'dashboards' ? 'dashboard' : 'saved search'}${n === 1 ? '' : 's'}.` });
          setText('');
          onDone();
        } catch (err) {
          setState({ error: message(err) });
        }
      }}
    >
      <h3>Import YAML</h3>
      <p className="muted">
        Paste or load the YAML that <code>lore dashboards export</code> (or an export link) wrote; a dashboard or search of the same name is replaced.
      </p>
      <div className="inline-form">
        <select aria-label="import kind" value={what} onChange={(e) => setWhat(e.target.value as 'dashboards' | 'searches')}>
          <option value="dashboards">dashboards</option>
          <option value="searches">saved searches</option>
        </select>
        <input
          type="file"
          aria-label="YAML file"
          accept=".yaml,.yml,text/yaml"
          onChange={async (e) => {
            const f = e.target.files?.[0];
            if (f) setText(await f.text());
          }}
        />
      </div>
      <textarea aria-label="YAML" rows={6} value={text} onChange={(e) => setText(e.target.value)} placeholder={'name: Checkout\npanels:\n  - kind: histogram\n    query: level:error'} />
      <div className="inline-form">
        <button type="submit" disabled={!text.trim()}>
          Import
        </button>
        {state.ok && <span role="status">{state.ok}</span>}
      </div>
      <ErrorMessage error={state.error} />
    </form>
  );
}

function TemplateForm({ t, r }: { t: Template; r: Route }) {
  const [vals, setVals] = useState<Record<string, string>>(Object.fromEntries(t.params.map((p) => [p.name, p.value || ''])));
  return (
    <form
      className="template"
      aria-label={t.title}
      onSubmit={(e) => {
        e.preventDefault();
        const l = t.link(vals);
        navigate(href(l.path, { ...keep(r), ...l.params }));
      }}
    >
      <h3>{t.title}</h3>
      <p className="muted">{t.help}</p>
      <div className="inline-form">
        {t.params.map((p) => (
          <input
            key={p.name}
            aria-label={p.label}
            placeholder={p.placeholder || p.label}
            title={p.label}
            value={vals[p.name]}
            required={!p.label.includes('optional')}
            onChange={(e) => setVals({ ...vals, [p.name]: e.target.value })}
          />
        ))}
        <button type="submit">Open</button>
      </div>
    </form>
  );
}

function DashboardView({ id, r }: { id: number; r: Route }) {
  const [reload, setReload] = useState(0);
  const d = useLoad((signal) => getDashboard(id, signal), [id, reload]);
  const [error, setError] = useState('');
  const range = rangeOf(r);
  // The time range picker wins when set; else the dashboard's own default.
  const from = r.params.get('from') ? range.from : d.data?.from || range.from;
  const to = range.to;
  const remove = async (i: number) => {
    if (!d.data) return;
    try {
      await saveDashboard({ ...d.data, panels: d.data.panels.filter((_, k) => k !== i) });
      setReload((n) => n + 1);
    } catch (e) {
      setError(message(e));
    }
  };
  return (
    <div className="dashboard">
      <div className="dash-head">
        <a href={href(['dashboards'], keep(r))}>← dashboards</a>
        <h2>{d.data?.name || 'Dashboard'}</h2>
        <span className="grow" />
        {d.data && (
          <>
            <span className="muted">{r.params.get('from') ? '' : d.data.from ? `range ${d.data.from} (the dashboard's default)` : ''}</span>
            <button type="button" className="plain" onClick={async () => download(slug(d.data!.name) + '.yaml', await exportYAML('dashboards', id))}>
              export YAML
            </button>
            <button
              type="button"
              className="plain danger"
              onClick={async () => {
                if (!confirm(`Delete the dashboard “${d.data!.name}”?`)) return;
                await deleteDashboard(id).catch((e) => setError(message(e)));
                navigate(href(['dashboards'], keep(r)));
              }}
            >
              delete
            </button>
          </>
        )}
      </div>
      {d.data?.description && <p className="muted">{d.data.description}</p>}
      <ErrorMessage error={d.error || error} />
      <Loading on={d.loading && !d.data} />
      {d.data && d.data.panels.length === 0 && (
        <div className="empty">This dashboard has no panel yet: pin the histogram or a query with stats on Explore, or the funnel on Product, to it.</div>
      )}
      <div className="panels">
        {(d.data?.panels || []).map((p, i) => (
          <PanelView key={`${reload}-${i}`} p={p} from={p.from || from} to={p.to || to} onRemove={() => remove(i)} r={r} />
        ))}
      </div>
    </div>
  );
}

/** panelLink is the page a panel's chart came from, to open it there. */
export function panelLink(p: Panel, from: string, to: string): string {
  const t = to === 'now' ? undefined : to;
  const params = p.params || {};
  switch (p.kind) {
    case 'histogram':
    case 'facet':
    case 'query':
      return href(['explore'], { q: p.query, from, to: t });
    case 'funnel':
      return href(['product'], { f: JSON.stringify(params.steps || []), window: String(params.window || '1h'), from, to: t });
    case 'trend':
      return href(['product', 'trends'], { event: String(params.event || ''), measure: params.measure as string, from, to: t });
    case 'retention':
      return href(['product', 'retention'], { start: String(params.start_event || ''), return: params.return_event as string, period: params.period as string, from, to: t });
  }
  return '#/dashboards';
}

function PanelView({ p, from, to, onRemove, r }: { p: Panel; from: string; to: string; onRemove: () => void; r: Route }) {
  let body: ReactNode;
  switch (p.kind) {
    case 'histogram':
      body = <HistogramPanel p={p} from={from} to={to} />;
      break;
    case 'facet':
      body = <FacetPanel p={p} from={from} to={to} />;
      break;
    case 'trend':
      body = <TrendPanel p={p} from={from} to={to} />;
      break;
    case 'funnel':
      body = <FunnelPanel p={p} from={from} to={to} r={r} />;
      break;
    case 'retention':
      body = <RetentionPanel p={p} from={from} to={to} />;
      break;
    case 'query':
      body = <QueryView q={p.query || ''} from={from} to={to} height={180} />;
      break;
    default:
      body = <div className="empty">Lore cannot draw a “{String(p.kind)}” panel.</div>;
  }
  return (
    <section className={`dpanel dpanel-${p.kind}`} aria-label={p.title}>
      <header>
        <h3>{p.title}</h3>
        <span className="muted kind">{p.kind}</span>
        {p.query && <code className="pq">{p.query}</code>}
        <span className="grow" />
        <a href={panelLink(p, from, to)}>open</a>
        <button type="button" className="plain" aria-label={`remove panel ${p.title}`} onClick={onRemove}>
          ×
        </button>
      </header>
      <Figures>{body}</Figures>
    </section>
  );
}

function HistogramPanel({ p, from, to }: { p: Panel; from: string; to: string }) {
  const by = String(p.params?.by || 'level');
  const h = useLoad((signal) => get<H>('/api/v1/histogram', { q: p.query, from, to, by }, signal), [p.query, from, to, by]);
  return (
    <>
      <ErrorMessage error={h.error} />
      <Loading on={h.loading && !h.data} />
      {h.data && <Histogram data={h.data} onZoom={(a, b) => navigate(href(['explore'], { q: p.query, from: a.toISOString(), to: b.toISOString() }))} />}
      {h.data && (
        <div className="muted small">
          {h.data.sampled ? `≈${fmtNum(h.data.sampled.estimated_total)} events (estimated)` : `${fmtNum((h.data.buckets || []).reduce((n, b) => n + b.count, 0))} events`}
        </div>
      )}
    </>
  );
}

function FacetPanel({ p, from, to }: { p: Panel; from: string; to: string }) {
  const field = String(p.params?.field || 'service');
  const f = useLoad((signal) => get<Facets>('/api/v1/facets', { q: p.query, from, to, field, limit: Number(p.params?.limit) || 10 }, signal), [p.query, from, to, field]);
  const max = Math.max(1, ...(f.data?.values || []).map(counted));
  return (
    <>
      <ErrorMessage error={f.error} />
      <Loading on={f.loading && !f.data} />
      {f.data && !f.data.values?.length && <div className="empty">No events with {field} in this range.</div>}
      {f.data?.sampled && <div className="muted small">Counts estimated before sampling.</div>}
      <ul className="facet-bars">
        {(f.data?.values || []).map((v) => (
          <li key={v.value}>
            <a href={href(['explore'], { q: [p.query, `${field}:${JSON.stringify(v.value)}`].filter(Boolean).join(' '), from })}>{v.value || '(empty)'}</a>
            <span className="fbar-bg">
              <span className="fbar-fg" style={{ width: `${(counted(v) / max) * 100}%` }} />
            </span>
            <span className="fc">
              <Count v={v} format={fmtNum} />
            </span>
          </li>
        ))}
      </ul>
    </>
  );
}

function TrendPanel({ p, from, to }: { p: Panel; from: string; to: string }) {
  const key = JSON.stringify(p.params);
  const a = useLoad((signal) => post<TrendsAnswer>('/api/v1/trends', { ...p.params, from, to }, signal), [key, from, to]);
  const lines = a.data ? trendLines(a.data) : undefined;
  return (
    <>
      <ErrorMessage error={a.error} />
      <Loading on={a.loading && !a.data} />
      {lines && lines.xs.length > 0 && <LineChart xs={lines.xs} lines={lines.lines} height={180} />}
      {a.data && (a.data.series || []).length === 0 && <div className="empty">No “{String(p.params?.event)}” in this range.</div>}
    </>
  );
}

function FunnelPanel({ p, from, to, r }: { p: Panel; from: string; to: string; r: Route }) {
  const key = JSON.stringify(p.params);
  const a = useLoad((signal) => post<FunnelAnswer>('/api/v1/funnels', { steps: p.params?.steps, window: p.params?.window || '1h', from, to }, signal), [key, from, to]);
  return (
    <>
      <ErrorMessage error={a.error} />
      <Loading on={a.loading && !a.data} />
      {a.data && <FunnelChart a={a.data} r={r} />}
    </>
  );
}

function RetentionPanel({ p, from, to }: { p: Panel; from: string; to: string }) {
  const key = JSON.stringify(p.params);
  const a = useLoad((signal) => post<RetentionAnswer>('/api/v1/retention', { periods: 8, ...p.params, from, to }, signal), [key, from, to]);
  const cohorts = a.data?.cohorts || [];
  return (
    <>
      <ErrorMessage error={a.error} />
      <Loading on={a.loading && !a.data} />
      {a.data && cohorts.length === 0 && <div className="empty">No cohort in this range.</div>}
      {cohorts.length > 0 && (
        <table className="heat">
          <thead>
            <tr>
              <th>cohort</th>
              <th>persons</th>
              {(cohorts[0].rates || []).map((_, k) => (
                <th key={k}>{k}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {cohorts.map((c) => (
              <tr key={c.start + (c.breakdown || '')}>
                <td className="ts">{fmtShort(c.start)}</td>
                <td>{fmtNum(c.size)}</td>
                {(c.rates || []).map((x, k) => (
                  <td key={k} style={{ background: heat(x) }}>
                    {fmtPct(x)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
