// Monitors: alert rules over a search, a latency, an error rate, issues,
// an uptime check, story cards or a service's baseline. The list shows
// each monitor's state (and, when grouped, its series in alert), its last
// value against the threshold and whom it notifies; a monitor's page
// shows its rule (editable), its series, the history of its state changes
// with what was sent, and every delivery attempt. "#/monitors/new" opens
// an empty rule (?kind=check&check=ID preselects a check).
import { useState } from 'react';
import {
  ApiError,
  deleteMonitor,
  evaluateMonitor,
  getMonitor,
  listChannels,
  listChecks,
  listMonitors,
  monitorDeliveries,
  type Monitor,
  type MonitorChange,
  type MonitorRule,
  type MonitorSeries,
} from '../api';
import { ErrorMessage, Loading } from '../components/common';
import { fmtValue, groupWord, kindText, MonitorValue, rule, StateBadge } from '../components/MonitorFormat';
import { blankRule, MonitorForm } from '../components/MonitorForm';
import { href, keep, navigate, type Route } from '../route';
import { fmtShort, useLoad } from '../util';
import './monitors.css';

// Kept for the pages and tests that read monitors' values and rules.
export { fmtValue, rule, StateBadge };

function message(e: unknown): string {
  return e instanceof ApiError ? e.message : String(e);
}

export function Monitors({ r }: { r: Route }) {
  const sub = r.path[1];
  if (sub === 'new') return <MonitorPage r={r} />;
  const id = Number(sub);
  if (id > 0) return <MonitorPage r={r} id={id} />;
  return <MonitorsList r={r} />;
}

/** watches says what a monitor watches, with its search or check. */
function Watches({ m, checkName }: { m: Monitor; checkName?: string }) {
  let detail = m.query ? <code>{m.query}</code> : null;
  if (m.kind === 'check') detail = <span>{checkName || `check #${m.check}`}</span>;
  if (m.kind === 'story') detail = <span>{m.story_type ? m.story_type.replaceAll('_', ' ') : 'any type'}</span>;
  if (m.kind === 'baseline') detail = <code>{m.signal}</code>;
  const by = groupWord(m);
  return (
    <>
      <span className="muted">{kindText[m.kind] || m.kind}</span> {detail}
      {(m.service || by) && <span className="muted small"> · {m.service ? `service ${m.service}` : `per ${by}`}</span>}
    </>
  );
}

function MonitorsList({ r }: { r: Route }) {
  const [reload, setReload] = useState(0);
  const list = useLoad((signal) => listMonitors(signal), [reload]);
  const chans = useLoad((signal) => listChannels(signal), []);
  const checks = useLoad((signal) => listChecks(signal), []);
  const [error, setError] = useState('');
  const ms = list.data?.monitors || [];
  const chanName = new Map((chans.data?.channels || []).map((c) => [c.id, c.name]));
  const checkName = new Map((checks.data?.checks || []).map((c) => [c.id, c.name]));
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
        <a className="button plain" href={href(['status'], keep(r))}>
          Status page
        </a>
        <a className="button" href={href(['monitors', 'new'], keep(r))}>
          New monitor
        </a>
      </div>
      <ErrorMessage error={list.error || error} />
      <Loading on={list.loading && !list.data} />
      {list.data && ms.length === 0 && (
        <div className="empty">
          No monitor yet. A monitor watches a search (<code>level:error service:payment-service</code>), a p95 latency, an error rate, issues, an uptime check, story
          cards or a service’s baseline, and alerts — on this page, in Slack, Discord, by email or at a webhook — when it crosses its threshold.{' '}
          <a href={href(['monitors', 'new'], keep(r))}>Create the first one.</a>
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
              <th>notifies</th>
              <th>since</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {ms.map((m) => {
              const hot = (m.series || []).filter((s) => s.key && (s.state === 'alert' || s.state === 'pending'));
              const to = [...(m.channels || []).map((id) => chanName.get(id) || `#${id}`), ...(m.webhook ? ['webhook'] : [])];
              return (
                <tr key={m.id} className={`mon-row mon-${m.state}`}>
                  <td>
                    <StateBadge s={m.state} muted={m.muted_now} />
                  </td>
                  <td>
                    <a className="mon-name" href={href(['monitors', String(m.id)], keep(r))}>
                      {m.name}
                    </a>
                    {m.last_error && <div className="err small">{m.last_error}</div>}
                    {hot.length > 0 && (
                      <div className="mon-hot small">
                        {hot.slice(0, 4).map((s) => (
                          <span key={s.key} className={`mon-series mon-series-${s.state}`}>
                            {s.key}
                          </span>
                        ))}
                        {hot.length > 4 && <span className="muted"> +{hot.length - 4}</span>}
                      </div>
                    )}
                  </td>
                  <td>
                    <Watches m={m} checkName={m.check ? checkName.get(m.check) : undefined} />
                  </td>
                  <td className="n mon-value">
                    <MonitorValue m={m} v={m} />
                  </td>
                  <td className="mon-rule">{rule(m)}</td>
                  <td className="mon-to small">{to.length ? to.join(', ') : <span className="muted">nobody</span>}</td>
                  <td className="ts">{m.last_evaluated ? fmtShort(m.state_since) : 'not evaluated yet'}</td>
                  <td className="actions">
                    <button
                      type="button"
                      className="plain"
                      aria-label={`evaluate ${m.name}`}
                      onClick={async () => {
                        setError('');
                        await evaluateMonitor(m.id).catch((e) => setError(message(e)));
                        setReload((n) => n + 1);
                      }}
                    >
                      evaluate now
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </div>
  );
}

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
  const initial: MonitorRule = mon || blankRule(r.params.get('kind') || undefined, Number(r.params.get('check')) || undefined);
  return (
    <div className="monitors">
      <p>
        <a href={href(['monitors'], keep(r))}>← all monitors</a>
      </p>
      {mon ? (
        <div className="mon-head">
          <h2>{mon.name}</h2>
          <StateBadge s={mon.state} muted={mon.muted_now} />
          <span className="mon-value big">
            <MonitorValue m={mon} v={mon} />
          </span>
          <span className="muted">
            alerts when {rule(mon)}
            {mon.pending && <> for {mon.pending}</>}
            {mon.last_evaluated && <> · evaluated {fmtShort(mon.last_evaluated)}</>}
          </span>
          <span className="grow" />
          <button
            type="button"
            onClick={async () => {
              setError('');
              await evaluateMonitor(mon.id).catch((e) => setError(message(e)));
              setReload((n) => n + 1);
            }}
          >
            Evaluate now
          </button>
          {mon.query && ['query', 'latency', 'error_rate'].includes(mon.kind) && (
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
          key={mon ? `${mon.id}-${reload}` : `new-${r.params.get('kind')}`}
          initial={initial}
          onSaved={(saved) => {
            if (!id) navigate(href(['monitors', String(saved.id)], keep(r)));
            else setReload((n) => n + 1);
          }}
          onDelete={
            mon
              ? async () => {
                  await deleteMonitor(mon.id).catch((e) => setError(message(e)));
                  navigate(href(['monitors'], keep(r)));
                }
              : undefined
          }
        />
        {mon && (
          <div className="mon-side">
            {groupWord(mon) && <SeriesTable m={mon} series={mon.series || []} />}
            <History changes={mon.history || []} m={mon} />
            <Deliveries id={mon.id} reload={reload} />
          </div>
        )}
      </div>
    </div>
  );
}

function SeriesTable({ m, series }: { m: Monitor; series: MonitorSeries[] }) {
  const by = groupWord(m);
  return (
    <section className="mon-series-table">
      <h3>By {by}</h3>
      {series.length === 0 ? (
        <p className="muted">No {by} measured yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>{by}</th>
              <th>state</th>
              <th className="n">value</th>
              <th>since</th>
            </tr>
          </thead>
          <tbody>
            {series.map((s) => (
              <tr key={s.key} className={`mon-${s.state}`}>
                <td>{s.key || <span className="muted">(none)</span>}</td>
                <td>
                  <StateBadge s={s.state} />
                  {s.firing && notifies(m) && <span className="muted small"> notified</span>}
                </td>
                <td className="n">
                  <MonitorValue m={m} v={s} />
                  {s.threshold !== undefined && s.threshold !== null && <span className="muted"> vs {fmtValue(m.kind, s.threshold, m.measure, m.signal)}</span>}
                </td>
                <td className="ts">{s.since ? fmtShort(s.since) : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** notifies says whether m has anywhere to send to: a channel or its own webhook. */
function notifies(m: MonitorRule): boolean {
  return !!m.webhook || (m.channels || []).length > 0;
}

/** failedNote: a history note saying a notification failed for good (as the deliveries' "gave up"). */
function failedNote(note?: string): boolean {
  return !!note && /notification to .* failed/.test(note);
}

export function History({ changes, m }: { changes: MonitorChange[]; m: MonitorRule }) {
  const grouped = !!groupWord(m);
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
                {grouped && <td>{c.series || <span className="muted">(none)</span>}</td>}
                <td>
                  <StateBadge s={c.from} /> → <StateBadge s={c.to} />
                </td>
                <td className="n">
                  <MonitorValue m={m} v={c} />
                  {!(m.kind === 'check' && m.measure !== 'tls_days') && <span className="muted"> vs {fmtValue(m.kind, c.threshold, m.measure, m.signal)}</span>}
                </td>
                <td className={`mon-note small${failedNote(c.note) ? ' err' : ''}`}>{c.note}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Deliveries({ id, reload }: { id: number; reload: number }) {
  const d = useLoad((signal) => monitorDeliveries(id, signal), [id, reload]);
  const chans = useLoad((signal) => listChannels(signal), []);
  const name = new Map((chans.data?.channels || []).map((c) => [c.id, c.name]));
  const list = d.data?.attempts || [];
  return (
    <section className="mon-deliveries">
      <h3>Deliveries</h3>
      <ErrorMessage error={d.error} />
      {list.length === 0 ? (
        <p className="muted">Nothing sent yet: alerts and resolutions go to the channels this monitor notifies.</p>
      ) : (
        <table>
          <tbody>
            {list.map((a) => (
              <tr key={a.id} className={a.ok ? '' : 'mon-failed'}>
                <td className="ts">{fmtShort(a.at)}</td>
                <td>{a.channel_id ? name.get(a.channel_id) || `channel #${a.channel_id}` : 'webhook'}</td>
                <td>
                  try {a.attempt}: {a.ok ? 'sent' : a.final === 'failed' ? 'gave up' : 'failed'}
                </td>
                <td className="n muted">{Math.round(a.duration_ms)} ms</td>
                <td className="err small">{a.error}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
