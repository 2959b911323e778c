// Status: is the application up? The project's uptime checks with their
// last day (uptime, one bar per hour, the last answer, the certificate's
// days left) and the monitors alerting now, from GET /api/v1/status; and
// the form that adds a check. The same summary is JSON at /api/v1/status.
import { useState } from 'react';
import { ApiError, createCheck, deleteCheck, getStatus, runCheck, type CheckRule, type StatusSummary } from '../api';
import { ErrorMessage, Loading } from '../components/common';
import { href, keep, type Route } from '../route';
import { fmtShort, useLoad } from '../util';
import './monitors.css';

type CheckStatus = NonNullable<StatusSummary['checks']>[number];

function message(e: unknown): string {
  return e instanceof ApiError ? e.message : String(e);
}

const headline: Record<string, string> = {
  up: 'All systems up',
  degraded: 'Something is wrong',
  down: 'Down',
  unknown: 'Waiting for the first checks',
};

/** pct renders an uptime ratio: 99.95%. */
export function pct(v: number | null | undefined): string {
  if (v === null || v === undefined) return '–';
  const p = v * 100;
  return `${p === 100 ? '100' : p >= 99 ? p.toFixed(2) : p.toFixed(1)}%`;
}

export function Status({ r }: { r: Route }) {
  const [reload, setReload] = useState(0);
  const s = useLoad((signal) => getStatus(signal), [reload]);
  const [error, setError] = useState('');
  const [adding, setAdding] = useState(false);
  const st = s.data;
  const checks = st?.checks || [];
  return (
    <div className="status-page">
      <div className="mon-head">
        <h2>Status</h2>
        <span className="grow" />
        <button type="button" className="plain" onClick={() => setReload((n) => n + 1)}>
          refresh
        </button>
        <span className="muted small" title="The same summary as JSON, with the read key">
          JSON: <code>GET /api/v1/status</code>
        </span>
        <button type="button" onClick={() => setAdding((a) => !a)}>
          {adding ? 'Close' : 'Add a check'}
        </button>
      </div>
      <ErrorMessage error={s.error || error} />
      <Loading on={s.loading && !st} />
      {adding && (
        <CheckForm
          onSaved={() => {
            setAdding(false);
            setReload((n) => n + 1);
          }}
        />
      )}
      {st && (
        <div className={`status-banner status-${st.status}`} role="status">
          <b>{headline[st.status] || st.status}</b>
          <span>
            {st.up} up · {st.down} down
            {st.tls_expiring > 0 && <> · {st.tls_expiring} certificate{st.tls_expiring > 1 ? 's' : ''} expiring</>} · {(st.alerting || []).length} of {st.monitors}{' '}
            monitors alerting
          </span>
          <span className="muted small">as of {fmtShort(st.generated_at)}</span>
        </div>
      )}
      {st && checks.length === 0 && !adding && (
        <div className="empty">
          No uptime check yet. A check fetches a URL every few seconds or minutes and keeps whether it answered, how fast, and how long its TLS certificate has
          left; every result is a <code>kind:check</code> event you can search and chart.{' '}
          <button type="button" className="plain" onClick={() => setAdding(true)}>
            Add the first one.
          </button>
        </div>
      )}
      {checks.length > 0 && (
        <section className="status-checks">
          {checks.map((c) => (
            <CheckRow
              key={c.id}
              c={c}
              r={r}
              onRun={async () => {
                setError('');
                await runCheck(c.id).catch((e) => setError(message(e)));
                setReload((n) => n + 1);
              }}
              onDelete={async () => {
                setError('');
                await deleteCheck(c.id).catch((e) => setError(message(e)));
                setReload((n) => n + 1);
              }}
            />
          ))}
        </section>
      )}
      {st && (st.alerting || []).length > 0 && (
        <section className="status-alerting">
          <h3>Alerting now</h3>
          <ul>
            {(st.alerting || []).map((a) => (
              <li key={a.id}>
                <span className="mstate mstate-alert">alert</span>{' '}
                <a href={href(['monitors', String(a.id)], keep(r))}>{a.name}</a>
                {a.series && a.series.length > 0 && <span className="muted"> ({a.series.join(', ')})</span>}
                {a.since && <span className="muted small"> since {fmtShort(a.since)}</span>}
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}

function CheckRow({ c, r, onRun, onDelete }: { c: CheckStatus; r: Route; onRun: () => void; onDelete: () => void }) {
  const last = c.last_check;
  const hours = (c.hours || []) as (number | null)[];
  return (
    <div className={`status-check check-${c.status}`} aria-label={`check ${c.name}`}>
      <div className="check-head">
        <span className={`dot dot-${c.status}`} aria-hidden="true" />
        <b className="check-name">{c.name}</b>
        <span className="check-state">{c.status}</span>
        <a className="muted small check-url" href={c.url} target="_blank" rel="noreferrer">
          {c.url}
        </a>
        <span className="grow" />
        <span className="check-uptime" title="share of up results over the last 24 hours">
          {pct(c.uptime)} <span className="muted small">24 h</span>
        </span>
      </div>
      <div className="uptime-bars" aria-label={`uptime per hour of ${c.name}`}>
        {hours.map((h, i) => (
          <span
            key={i}
            className={`ubar ${h === null || h === undefined ? 'ubar-none' : h >= 0.999 ? 'ubar-up' : h >= 0.9 ? 'ubar-partial' : 'ubar-down'}`}
            title={`${24 - i} h ago: ${h === null || h === undefined ? 'no results' : pct(h)}`}
          />
        ))}
      </div>
      <div className="check-foot small">
        {last ? (
          <>
            <span>
              last {fmtShort(last.at)}: {last.status_code ? `${last.status_code} in ${Math.round(last.latency_ms)} ms` : `no answer after ${Math.round(last.latency_ms)} ms`}
            </span>
            {last.error && <span className="err"> — {last.error}</span>}
            {last.tls_days_left !== undefined && (
              <span className={last.tls_expiring ? 'tls-expiring' : 'muted'}>
                {' '}
                · certificate: {last.tls_days_left} days left{last.tls_expiring ? ' (renew it)' : ''}
              </span>
            )}
          </>
        ) : (
          <span className="muted">not run yet</span>
        )}
        <span className="muted">
          {' '}
          · every {c.interval}, timeout {c.timeout}
          {c.expect_status ? `, wants ${c.expect_status}` : ''}
          {c.expect_body ? `, “${c.expect_body}” in the body` : ''}
        </span>
        <span className="grow" />
        <a href={href(['explore'], { q: `kind:check service:"${c.name}"`, from: 'now-24h' })}>results</a>
        <a href={href(['monitors', 'new'], { ...keep(r), kind: 'check', check: String(c.id) })}>alert on it</a>
        <button type="button" className="plain" aria-label={`run ${c.name}`} onClick={onRun}>
          run now
        </button>
        <button type="button" className="plain danger" aria-label={`delete ${c.name}`} onClick={onDelete}>
          delete
        </button>
      </div>
    </div>
  );
}

function CheckForm({ onSaved }: { onSaved: () => void }) {
  const [c, setC] = useState<CheckRule>({ name: '', url: 'https://', interval: '1m', timeout: '10s', expect_status: 200, expect_body: '' });
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const set = (change: Partial<CheckRule>) => setC((p) => ({ ...p, ...change }));
  return (
    <form
      className="mon-form check-form"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setError('');
        try {
          await createCheck({ ...c, expect_status: Number(c.expect_status) || undefined, expect_body: c.expect_body || undefined });
          onSaved();
        } catch (err) {
          setError(message(err));
        } finally {
          setBusy(false);
        }
      }}
    >
      <div className="mon-cond">
        <label>
          Name
          <input aria-label="check name" value={c.name} onChange={(e) => set({ name: e.target.value })} required placeholder="shop" />
        </label>
        <label className="grow">
          URL
          <input aria-label="check url" value={c.url} onChange={(e) => set({ url: e.target.value })} required size={40} />
        </label>
      </div>
      <div className="mon-cond">
        <label>
          every
          <input aria-label="check interval" value={c.interval} onChange={(e) => set({ interval: e.target.value })} size={5} />
        </label>
        <label>
          timeout
          <input aria-label="check timeout" value={c.timeout} onChange={(e) => set({ timeout: e.target.value })} size={5} />
        </label>
        <label>
          expected status
          <input aria-label="check expected status" type="number" value={c.expect_status || ''} onChange={(e) => set({ expect_status: Number(e.target.value) || undefined })} size={5} placeholder="2xx/3xx" />
        </label>
        <label className="grow">
          body contains (optional)
          <input aria-label="check expected body" value={c.expect_body || ''} onChange={(e) => set({ expect_body: e.target.value })} placeholder="ok" />
        </label>
      </div>
      <ErrorMessage error={error} />
      <div className="inline-form">
        <button type="submit" disabled={busy}>
          Create check
        </button>
        <span className="muted small">Checks may watch internal addresses (loopback, private networks), never the cloud metadata service.</span>
      </div>
    </form>
  );
}
