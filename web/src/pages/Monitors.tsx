// Monitors: alert rules over a search, a latency, an error rate or new
// issues. The list shows each monitor's state and its last value against
// the threshold; a monitor's page shows its rule (editable) and the history
// of its state changes. "#/monitors/new" opens an empty rule.
import { useState } from 'react';
import { ApiError, api, get, type Monitor, type MonitorChange, type MonitorKind, type MonitorList, type MonitorRule, type MonitorState } from '../api';
import { ErrorMessage, Loading } from '../components/common';
import { href, keep, navigate, type Route } from '../route';
import { fmtShort, useLoad } from '../util';
import './monitors.css';

export const listMonitors = (signal?: AbortSignal) => get<MonitorList>('/api/v1/monitors', undefined, signal);
const getMonitor = (id: number, signal?: AbortSignal) => get<Monitor>(`/api/v1/monitors/${id}`, undefined, signal);
const evaluate = (id: number) => api<Monitor>(`/api/v1/monitors/${id}/evaluate`, undefined, { method: 'POST' });

function saveMonitor(m: MonitorRule): Promise<Monitor> {
  const body = JSON.stringify({
    name: m.name,
    kind: m.kind,
    query: m.query,
    measure: m.kind === 'query' ? m.measure || 'count' : undefined,
    op: m.op,
    threshold: Number(m.threshold),
    window: m.window,
    interval: m.interval,
    webhook: m.webhook || undefined,
    muted: m.muted,
  });
  return m.id ? api<Monitor>(`/api/v1/monitors/${m.id}`, undefined, { method: 'PUT', body }) : api<Monitor>('/api/v1/monitors', undefined, { method: 'POST', body });
}

/** kindText says in words what a kind measures. */
export const kindText: Record<MonitorKind, string> = {
  query: 'matching events',
  latency: 'p95 latency of matching spans (ms)',
  error_rate: 'error rate of matching events',
  issue: 'new and regressed issues',
};

/** fmtValue renders a monitor's value in the unit of its kind. */
export function fmtValue(kind: MonitorKind, v: number | null | undefined, measure?: string): string {
  if (v === null || v === undefined) return 'no data';
  if (kind === 'error_rate') return `${(v * 100).toFixed(v < 0.1 ? 2 : 1)}%`;
  if (kind === 'latency') return `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`;
  if (measure === 'rate') return `${v.toFixed(2)}/min`;
  return String(Math.round(v * 100) / 100);
}

/** rule is the condition in one line: "count > 10 over 5m". */
export function rule(m: MonitorRule): string {
  const what = m.kind === 'query' ? (m.measure === 'rate' ? 'rate' : 'count') : m.kind === 'error_rate' ? 'error rate' : m.kind === 'latency' ? 'p95' : 'issues';
  return `${what} ${m.op} ${fmtValue(m.kind, m.threshold, m.measure)} over ${m.window}`;
}

function message(e: unknown): string {
  return e instanceof ApiError ? e.message : String(e);
}

export function StateBadge({ s, muted }: { s: MonitorState; muted?: boolean }) {
  const label = s === 'no_data' ? 'no data' : s;
  return (
    <span className={`mstate mstate-${s}`} title={muted ? 'muted: evaluated, never notifies' : undefined}>
      {label}
      {muted ? ' · muted' : ''}
    </span>
  );
}

export function Monitors({ r }: { r: Route }) {
  const sub = r.path[1];
  if (sub === 'new') return <MonitorPage r={r} />;
  const id = Number(sub);
  if (id > 0) return <MonitorPage r={r} id={id} />;
  return <MonitorsList r={r} />;
}

function MonitorsList({ r }: { r: Route }) {
  const [reload, setReload] = useState(0);
  const list = useLoad((signal) => listMonitors(signal), [reload]);
  const [error, setError] = useState('');
  const ms = list.data?.monitors || [];
  return (
    <div className="monitors">
      <div className="mon-head">
        <h2>Monitors</h2>
        {list.data && (
          <span className={list.data.alerting ? 'mon-down' : 'muted'}>
            {list.data.alerting} of {ms.length} alerting
          </span>
        )}
        <span className="grow" />
        <a className="button" href={href(['monitors', 'new'], keep(r))}>
          New monitor
        </a>
      </div>
      <ErrorMessage error={list.error || error} />
      <Loading on={list.loading && !list.data} />
      {list.data && ms.length === 0 && (
        <div className="empty">
          No monitor yet. A monitor watches a search (<code>level:error service:payment-service</code>), a p95 latency, an error rate or new issues, and
          alerts — on this page and at a webhook — when it crosses a threshold. <a href={href(['monitors', 'new'], keep(r))}>Create the first one.</a>
        </div>
      )}
      {ms.length > 0 && (
        <table className="mon-list">
          <thead>
            <tr>
              <th>state</th>
              <th>name</th>
              <th>watches</th>
              <th className="n">last value</th>
              <th>alerts when</th>
              <th>since</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {ms.map((m) => (
              <tr key={m.id} className={`mon-row mon-${m.state}`}>
                <td>
                  <StateBadge s={m.state} muted={m.muted} />
                </td>
                <td>
                  <a className="mon-name" href={href(['monitors', String(m.id)], keep(r))}>
                    {m.name}
                  </a>
                  {m.last_error && <div className="err small">{m.last_error}</div>}
                </td>
                <td>
                  <span className="muted">{kindText[m.kind]}</span> {m.query && <code>{m.query}</code>}
                </td>
                <td className="n mon-value">{fmtValue(m.kind, m.value, m.measure)}</td>
                <td className="mon-rule">{rule(m)}</td>
                <td className="ts">{m.last_evaluated ? fmtShort(m.state_since) : 'not evaluated yet'}</td>
                <td className="actions">
                  <button
                    type="button"
                    className="plain"
                    aria-label={`evaluate ${m.name}`}
                    onClick={async () => {
                      setError('');
                      await evaluate(m.id).catch((e) => setError(message(e)));
                      setReload((n) => n + 1);
                    }}
                  >
                    evaluate now
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

const blank: MonitorRule = { name: '', kind: 'query', query: 'level:error', measure: 'count', op: '>', threshold: 10, window: '5m', interval: '1m', webhook: '', muted: false };

function MonitorPage({ r, id }: { r: Route; id?: number }) {
  const [reload, setReload] = useState(0);
  const m = useLoad((signal) => (id ? getMonitor(id, signal) : Promise.resolve(undefined)), [id, reload]);
  const [error, setError] = useState('');
  if (id && !m.data) {
    return (
      <div className="monitors">
        <ErrorMessage error={m.error} />
        <Loading on={m.loading} />
      </div>
    );
  }
  const mon = m.data;
  return (
    <div className="monitors">
      <p>
        <a href={href(['monitors'], keep(r))}>← all monitors</a>
      </p>
      {mon ? (
        <div className="mon-head">
          <h2>{mon.name}</h2>
          <StateBadge s={mon.state} muted={mon.muted} />
          <span className="mon-value big">{fmtValue(mon.kind, mon.value, mon.measure)}</span>
          <span className="muted">
            alerts when {rule(mon)}
            {mon.last_evaluated && <> · evaluated {fmtShort(mon.last_evaluated)}</>}
          </span>
          <span className="grow" />
          <button
            type="button"
            onClick={async () => {
              setError('');
              await evaluate(mon.id).catch((e) => setError(message(e)));
              setReload((n) => n + 1);
            }}
          >
            Evaluate now
          </button>
          {mon.query && mon.kind !== 'issue' && (
            <a className="button plain" href={href(['explore'], { q: mon.query, from: `now-${mon.window}` })}>
              open in Explore
            </a>
          )}
        </div>
      ) : (
        <h2>New monitor</h2>
      )}
      <ErrorMessage error={error || mon?.last_error} />
      <div className="mon-cols">
        <MonitorForm
          key={mon ? `${mon.id}-${reload}` : 'new'}
          initial={mon || blank}
          onSaved={(saved) => {
            if (!id) navigate(href(['monitors', String(saved.id)], keep(r)));
            else setReload((n) => n + 1);
          }}
          onDelete={
            mon
              ? async () => {
                  await api(`/api/v1/monitors/${mon.id}`, undefined, { method: 'DELETE' }).catch((e) => setError(message(e)));
                  navigate(href(['monitors'], keep(r)));
                }
              : undefined
          }
        />
        {mon && <History changes={mon.history || []} m={mon} />}
      </div>
    </div>
  );
}

export function History({ changes, m }: { changes: MonitorChange[]; m: MonitorRule }) {
  return (
    <section className="mon-history">
      <h3>State changes</h3>
      {changes.length === 0 ? (
        <p className="muted">None yet: the monitor is evaluated every {m.interval}, or now with “Evaluate now”.</p>
      ) : (
        <table>
          <tbody>
            {changes.map((c) => (
              <tr key={c.id}>
                <td className="ts">{fmtShort(c.at)}</td>
                <td>
                  <StateBadge s={c.from} /> → <StateBadge s={c.to} />
                </td>
                <td className="n">
                  {fmtValue(m.kind, c.value, m.measure)} <span className="muted">vs {fmtValue(m.kind, c.threshold, m.measure)}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function MonitorForm({ initial, onSaved, onDelete }: { initial: MonitorRule; onSaved: (m: Monitor) => void; onDelete?: () => void }) {
  const [m, setM] = useState<MonitorRule>({ ...initial, webhook: initial.webhook || '' });
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const set = (change: Partial<MonitorRule>) => setM((p) => ({ ...p, ...change }));
  return (
    <form
      className="mon-form"
      onSubmit={async (e) => {
        e.preventDefault();
        setError('');
        setBusy(true);
        try {
          onSaved(await saveMonitor(m));
        } catch (err) {
          setError(message(err));
        } finally {
          setBusy(false);
        }
      }}
    >
      <label>
        Name
        <input aria-label="monitor name" value={m.name} onChange={(e) => set({ name: e.target.value })} required placeholder="payment errors" />
      </label>
      <label>
        Watches
        <select aria-label="monitor kind" value={m.kind} onChange={(e) => set({ kind: e.target.value as MonitorKind, threshold: e.target.value === 'error_rate' ? 0.05 : m.threshold })}>
          <option value="query">events matching a search</option>
          <option value="latency">p95 latency of matching spans</option>
          <option value="error_rate">error rate</option>
          <option value="issue">new and regressed issues</option>
        </select>
      </label>
      {m.kind !== 'issue' && (
        <label>
          Search
          <input aria-label="monitor query" value={m.query} onChange={(e) => set({ query: e.target.value })} placeholder="level:error service:payment-service (empty: every event)" />
        </label>
      )}
      {m.kind === 'query' && (
        <label>
          Measure
          <select aria-label="monitor measure" value={m.measure || 'count'} onChange={(e) => set({ measure: e.target.value })}>
            <option value="count">count over the window</option>
            <option value="rate">rate per minute</option>
          </select>
        </label>
      )}
      <div className="mon-cond">
        <label>
          Alert when value
          <select aria-label="monitor comparison" value={m.op} onChange={(e) => set({ op: e.target.value })}>
            {['>', '>=', '<', '<='].map((o) => (
              <option key={o}>{o}</option>
            ))}
          </select>
        </label>
        <label>
          Threshold{m.kind === 'latency' ? ' (ms)' : m.kind === 'error_rate' ? ' (0–1)' : ''}
          <input aria-label="monitor threshold" type="number" step="any" value={m.threshold} onChange={(e) => set({ threshold: Number(e.target.value) })} />
        </label>
        <label>
          over
          <input aria-label="monitor window" value={m.window} onChange={(e) => set({ window: e.target.value })} size={5} />
        </label>
        <label>
          every
          <input aria-label="monitor interval" value={m.interval} onChange={(e) => set({ interval: e.target.value })} size={5} />
        </label>
      </div>
      <label>
        Webhook (optional)
        <input aria-label="monitor webhook" value={m.webhook} onChange={(e) => set({ webhook: e.target.value })} placeholder="https://hooks.example.com/lore" />
      </label>
      <label className="check">
        <input type="checkbox" checked={m.muted} onChange={(e) => set({ muted: e.target.checked })} /> muted (evaluate, but do not notify)
      </label>
      <ErrorMessage error={error} />
      <div className="inline-form">
        <button type="submit" disabled={busy}>
          {m.id ? 'Save monitor' : 'Create monitor'}
        </button>
        {onDelete && (
          <button type="button" className="plain danger" onClick={onDelete}>
            delete
          </button>
        )}
      </div>
    </form>
  );
}
