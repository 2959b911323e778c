// The monitor form: what it watches (fields by kind), when it alerts,
// how patiently (pending, cooldown, timeout), whom it tells (channels, its
// own webhook) and when it keeps quiet (muted, mute windows).
import { useState } from 'react';
import { ApiError, listChannels, listChecks, monitorOptions, saveMonitor, type Monitor, type MonitorKind, type MonitorRule, type MuteWindow } from '../api';
import { href } from '../route';
import { useLoad } from '../util';
import { ErrorMessage } from './common';
import { kindOptions } from './MonitorFormat';
import { PipeError } from './QueryAnswer';

/** refusal is what the form shows of a failed save: the message, and the pipe and column when the API names them. */
function refusal(e: unknown): { error: string; detail?: unknown } {
  return e instanceof ApiError ? { error: e.message, detail: e.detail } : { error: String(e) };
}

/** blankRule is a new monitor's rule; kind and check may come from the URL (#/monitors/new?kind=check&check=3). */
export function blankRule(kind?: string, check?: number): MonitorRule {
  const m: MonitorRule = { name: '', kind: 'query', query: 'level:error', measure: 'count', op: '>', threshold: 10, window: '5m', interval: '1m', webhook: '', muted: false };
  if (kind) return { ...m, ...kindDefaults(kind as MonitorKind), kind: kind as MonitorKind, check: check || undefined };
  return m;
}

/** kindDefaults are the fields a change of kind resets to sensible values. */
function kindDefaults(kind: MonitorKind): Partial<MonitorRule> {
  const none = { group_by: undefined, check: undefined, story_type: undefined, severity: undefined, signal: undefined, service: undefined };
  switch (kind) {
    case 'query':
      return { ...none, measure: 'count', op: '>', threshold: 10, query: 'level:error', window: '5m' };
    case 'latency':
      return { ...none, measure: undefined, op: '>', threshold: 800, query: 'kind:span', window: '5m' };
    case 'error_rate':
      return { ...none, measure: undefined, op: '>', threshold: 0.05, query: '', window: '5m' };
    case 'issue':
      return { ...none, measure: 'new', op: '>', threshold: 0, query: '', window: '15m' };
    case 'check':
      return { ...none, measure: 'down', op: '>=', threshold: 1, query: '', window: '5m', interval: '30s' };
    case 'story':
      return { ...none, measure: undefined, op: '>', threshold: 0, query: '', severity: 'warning', window: '15m' };
    case 'baseline':
      return { ...none, measure: undefined, op: '>', threshold: 0, query: '', signal: 'error_rate', severity: 'warning', window: '15m' };
    case 'aggregate':
      return { ...none, measure: 'p95', op: '>', threshold: 800, query: 'service:payment-service | stats p95(duration_ms) as p95 by endpoint', window: '5m' };
  }
}

/** ruleBody is what is sent: only the fields the kind takes. */
function ruleBody(m: MonitorRule): MonitorRule {
  const out: MonitorRule = { ...m, threshold: Number(m.threshold) };
  const takesQuery = ['query', 'latency', 'error_rate', 'aggregate'].includes(m.kind) || (m.kind === 'issue' && m.measure !== 'new');
  if (!takesQuery) out.query = '';
  if (!['query', 'latency', 'error_rate'].includes(m.kind)) out.group_by = undefined;
  if (!['query', 'issue', 'check', 'aggregate'].includes(m.kind)) out.measure = undefined;
  if (m.kind === 'aggregate' && !m.measure?.trim()) out.measure = undefined;
  if (m.kind !== 'check') out.check = undefined;
  if (m.kind !== 'story') out.story_type = undefined;
  if (m.kind !== 'story' && m.kind !== 'baseline') {
    out.severity = undefined;
    out.service = undefined;
  }
  if (m.kind !== 'baseline') out.signal = undefined;
  for (const k of ['group_by', 'pending', 'cooldown', 'timeout', 'webhook', 'story_type', 'service'] as const) {
    if (!out[k]) out[k] = undefined;
  }
  return out;
}

export function MonitorForm({ initial, onSaved, onDelete }: { initial: MonitorRule; onSaved: (m: Monitor) => void; onDelete?: () => void }) {
  const [m, setM] = useState<MonitorRule>({ ...initial, webhook: initial.webhook || '' });
  const [{ error, detail }, setError] = useState<{ error: string; detail?: unknown }>({ error: '' });
  const [busy, setBusy] = useState(false);
  const opts = useLoad((signal) => monitorOptions(signal), []);
  const checks = useLoad((signal) => (m.kind === 'check' ? listChecks(signal) : Promise.resolve(undefined)), [m.kind]);
  const channels = useLoad((signal) => listChannels(signal), []);
  const set = (change: Partial<MonitorRule>) => setM((p) => ({ ...p, ...change }));
  const o = opts.data;
  const takesQuery = ['query', 'latency', 'error_rate'].includes(m.kind) || (m.kind === 'issue' && m.measure !== 'new');
  const ownThreshold = m.kind === 'baseline' || (m.kind === 'check' && m.measure !== 'tls_days');
  return (
    <form
      className="mon-form"
      onSubmit={async (e) => {
        e.preventDefault();
        setError({ error: '' });
        setBusy(true);
        try {
          onSaved(await saveMonitor(ruleBody(m)));
        } catch (err) {
          setError(refusal(err));
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
        <select aria-label="monitor kind" value={m.kind} onChange={(e) => set({ kind: e.target.value as MonitorKind, ...kindDefaults(e.target.value as MonitorKind) })}>
          {kindOptions.map(([k, label]) => (
            <option key={k} value={k}>
              {label}
            </option>
          ))}
        </select>
      </label>
      {m.kind === 'issue' && (
        <label>
          Measure
          <select aria-label="monitor measure" value={m.measure || 'new'} onChange={(e) => set({ measure: e.target.value })}>
            <option value="new">new and regressed issues</option>
            <option value="events">events of each issue (one alert per issue)</option>
            <option value="users">users of each issue (one alert per issue)</option>
          </select>
        </label>
      )}
      {takesQuery && (
        <label>
          Search
          <input aria-label="monitor query" value={m.query} onChange={(e) => set({ query: e.target.value })} placeholder="level:error service:payment-service (empty: every event)" />
        </label>
      )}
      {m.kind === 'aggregate' && (
        <>
          <label>
            Query with pipes (one alert per group of its stats)
            <input
              aria-label="monitor query"
              value={m.query}
              onChange={(e) => set({ query: e.target.value })}
              placeholder="service:payment-service | stats p95(duration_ms) as p95 by endpoint"
            />
          </label>
          {/* A refused pipeline is shown under it, its pipe marked (while the query is the one refused). */}
          {error && detail !== undefined && <PipeError q={m.query} error={error} detail={detail} />}
          <label>
            Column compared with the threshold
            <input aria-label="monitor measure" value={m.measure || ''} onChange={(e) => set({ measure: e.target.value })} placeholder="p95 (empty: the first number)" size={16} />
          </label>
        </>
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
      {['query', 'latency', 'error_rate'].includes(m.kind) && (
        <label>
          One alert per
          <select aria-label="monitor group by" value={m.group_by || ''} onChange={(e) => set({ group_by: e.target.value || undefined })}>
            <option value="">— (one alert for all)</option>
            {(o?.group_by || ['service', 'endpoint']).map((g) => (
              <option key={g} value={g}>
                {g}
              </option>
            ))}
          </select>
        </label>
      )}
      {m.kind === 'check' && (
        <>
          <label>
            Check
            <select aria-label="monitor check" value={m.check || ''} onChange={(e) => set({ check: Number(e.target.value) || undefined })} required>
              <option value="">choose a check…</option>
              {(checks.data?.checks || []).map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name} — {c.url}
                </option>
              ))}
            </select>
          </label>
          {checks.data && !checks.data.checks?.length && (
            <p className="muted small">
              No uptime check yet: add one on the <a href={href(['status'])}>Status</a> page.
            </p>
          )}
          <label>
            Alert when
            <select
              aria-label="monitor measure"
              value={m.measure || 'down'}
              onChange={(e) => set(e.target.value === 'tls_days' ? { measure: 'tls_days', op: '<', threshold: 14 } : { measure: 'down', op: '>=', threshold: 1 })}
            >
              <option value="down">the check is down</option>
              <option value="tls_days">its TLS certificate expires soon</option>
            </select>
          </label>
        </>
      )}
      {m.kind === 'story' && (
        <div className="mon-cond">
          <label>
            Card type
            <select aria-label="monitor story type" value={m.story_type || ''} onChange={(e) => set({ story_type: e.target.value || undefined })}>
              <option value="">any</option>
              {(o?.story_types || []).map((t) => (
                <option key={t} value={t}>
                  {t.replaceAll('_', ' ')}
                </option>
              ))}
            </select>
          </label>
          <label>
            Severity at least
            <select aria-label="monitor severity" value={m.severity || 'warning'} onChange={(e) => set({ severity: e.target.value })}>
              {(o?.severities || ['info', 'warning', 'critical']).map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          </label>
        </div>
      )}
      {m.kind === 'baseline' && (
        <div className="mon-cond">
          <label>
            Signal
            <select aria-label="monitor signal" value={m.signal || 'error_rate'} onChange={(e) => set({ signal: e.target.value })}>
              {(o?.signals || ['error_rate', 'p95_ms', 'retries', 'error_logs']).map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          </label>
          <label>
            Level
            <select aria-label="monitor severity" value={m.severity || 'warning'} onChange={(e) => set({ severity: e.target.value })}>
              <option value="warning">warning (median + 3 spreads)</option>
              <option value="critical">critical (median + 6 spreads)</option>
            </select>
          </label>
        </div>
      )}
      {(m.kind === 'story' || m.kind === 'baseline') && (
        <label>
          Service (empty: every service, one alert each)
          <input aria-label="monitor service" value={m.service || ''} onChange={(e) => set({ service: e.target.value })} placeholder="payment-service" />
        </label>
      )}
      <div className="mon-cond">
        {!ownThreshold && (
          <>
            <label>
              Alert when value
              <select aria-label="monitor comparison" value={m.op} onChange={(e) => set({ op: e.target.value })}>
                {['>', '>=', '<', '<='].map((x) => (
                  <option key={x}>{x}</option>
                ))}
              </select>
            </label>
            <label>
              Threshold{m.kind === 'latency' ? ' (ms)' : m.kind === 'error_rate' ? ' (0–1)' : m.kind === 'check' ? ' (days)' : ''}
              <input aria-label="monitor threshold" type="number" step="any" value={m.threshold} onChange={(e) => set({ threshold: e.target.value as unknown as number })} />
            </label>
          </>
        )}
        {m.kind !== 'check' && (
          <label>
            over
            <input aria-label="monitor window" value={m.window} onChange={(e) => set({ window: e.target.value })} size={5} />
          </label>
        )}
        <label>
          every
          <input aria-label="monitor interval" value={m.interval} onChange={(e) => set({ interval: e.target.value })} size={5} />
        </label>
      </div>
      <div className="mon-cond">
        <label title="The condition must hold this long before the monitor alerts (ok → pending → alert)">
          pending
          <input aria-label="monitor pending" value={m.pending || ''} onChange={(e) => set({ pending: e.target.value })} size={5} placeholder="0" />
        </label>
        <label title="The least time between two alerts of one series: a flapping alert notifies once">
          cooldown
          <input aria-label="monitor cooldown" value={m.cooldown || ''} onChange={(e) => set({ cooldown: e.target.value })} size={5} placeholder="0" />
        </label>
        <label title="An evaluation longer than this is cut off and shown as an error">
          timeout
          <input aria-label="monitor timeout" value={m.timeout || ''} onChange={(e) => set({ timeout: e.target.value })} size={5} placeholder="30s" />
        </label>
      </div>
      <fieldset className="mon-notify">
        <legend>Notify</legend>
        {(channels.data?.channels || []).map((c) => (
          <label className="check" key={c.id}>
            <input
              type="checkbox"
              aria-label={`notify ${c.name}`}
              checked={(m.channels || []).includes(c.id)}
              onChange={(e) => set({ channels: e.target.checked ? [...(m.channels || []), c.id] : (m.channels || []).filter((x) => x !== c.id) })}
            />
            {c.name} <span className="muted">({c.type})</span>
          </label>
        ))}
        {channels.data && !channels.data.channels?.length && (
          <p className="muted small">
            No channel yet: add Slack, Discord, email or a webhook in <a href={href(['settings'])}>Settings</a>.
          </p>
        )}
        <label>
          and this webhook (optional)
          <input aria-label="monitor webhook" value={m.webhook || ''} onChange={(e) => set({ webhook: e.target.value })} placeholder="https://hooks.example.com/lore" />
        </label>
      </fieldset>
      <fieldset className="mon-notify">
        <legend>Keep quiet</legend>
        <label className="check">
          <input type="checkbox" aria-label="monitor muted" checked={m.muted} onChange={(e) => set({ muted: e.target.checked })} /> muted (evaluate, but notify nobody)
        </label>
        <MuteWindows windows={m.mute || []} onChange={(mute) => set({ mute })} />
      </fieldset>
      {!(m.kind === 'aggregate' && detail !== undefined) && <ErrorMessage error={error} />}
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

const days = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** MuteWindows edits a monitor's mute windows: recurring hours (on some days, in a time zone) or one-off periods. */
function MuteWindows({ windows, onChange }: { windows: MuteWindow[]; onChange: (w: MuteWindow[]) => void }) {
  const put = (i: number, w: MuteWindow) => onChange(windows.map((x, j) => (j === i ? w : x)));
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  return (
    <div className="mute-windows">
      {windows.map((w, i) => (
        <div className="mute-window" key={i}>
          {w.start !== undefined ? (
            <>
              <input aria-label={`mute ${i + 1} start`} value={w.start} onChange={(e) => put(i, { ...w, start: e.target.value })} size={5} placeholder="22:00" />
              –
              <input aria-label={`mute ${i + 1} end`} value={w.end || ''} onChange={(e) => put(i, { ...w, end: e.target.value })} size={5} placeholder="06:00" />
              <input aria-label={`mute ${i + 1} time zone`} value={w.tz || ''} onChange={(e) => put(i, { ...w, tz: e.target.value })} size={14} placeholder="UTC" />
              <span className="mute-days">
                {days.map((d) => (
                  <label key={d} className="check small">
                    <input
                      type="checkbox"
                      aria-label={`mute ${i + 1} on ${d}`}
                      checked={(w.days || []).includes(d)}
                      onChange={(e) => put(i, { ...w, days: e.target.checked ? [...(w.days || []), d] : (w.days || []).filter((x) => x !== d) })}
                    />
                    {d}
                  </label>
                ))}
              </span>
            </>
          ) : (
            <>
              <input aria-label={`mute ${i + 1} from`} value={w.from || ''} onChange={(e) => put(i, { ...w, from: e.target.value })} size={20} placeholder="2026-12-24T18:00:00Z" />
              –
              <input aria-label={`mute ${i + 1} to`} value={w.to || ''} onChange={(e) => put(i, { ...w, to: e.target.value })} size={20} placeholder="2026-12-26T08:00:00Z" />
            </>
          )}
          <button type="button" className="plain" aria-label={`remove mute ${i + 1}`} onClick={() => onChange(windows.filter((_, j) => j !== i))}>
            ×
          </button>
        </div>
      ))}
      <div className="inline-form">
        <button type="button" className="plain" onClick={() => onChange([...windows, { start: '22:00', end: '06:00', tz }])}>
          + every day (or some days) between hours
        </button>
        <button
          type="button"
          className="plain"
          onClick={() => {
            const from = new Date();
            const to = new Date(from.getTime() + 2 * 3600e3);
            const iso = (d: Date) => d.toISOString().replace(/\.\d+Z$/, 'Z');
            onChange([...windows, { from: iso(from), to: iso(to) }]);
          }}
        >
          + a one-off period
        </button>
      </div>
    </div>
  );
}
