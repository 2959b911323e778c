// Notification channels, in Settings: where monitors send alerts and
// resolutions — a generic webhook, Slack, Discord, or email over SMTP.
// Each can be sent a test message, and shows its last delivery attempts.
// Secrets (an SMTP password, a Slack or Discord token) are never shown.
import { useState } from 'react';
import { ApiError, channelDeliveries, createChannel, deleteChannel, listChannels, testChannel, type Channel } from '../api';
import { fmtShort, useLoad } from '../util';
import { ErrorMessage, Loading } from './common';
import '../pages/monitors.css';

function message(e: unknown): string {
  return e instanceof ApiError ? e.message : String(e);
}

/** destination is where a channel sends, in one line. */
function destination(c: Channel): string {
  if (c.type === 'email') return `${(c.to || []).join(', ')} via ${c.smtp?.host}:${c.smtp?.port} (${c.smtp?.tls})`;
  return c.url || '';
}

export function ChannelsSettings() {
  const [reload, setReload] = useState(0);
  const list = useLoad((signal) => listChannels(signal), [reload]);
  const [error, setError] = useState('');
  const [tests, setTests] = useState<Record<number, string>>({});
  const [open, setOpen] = useState<number | null>(null);
  const chans = list.data?.channels || [];
  return (
    <section className="channels" aria-label="notification channels">
      <h3>Notification channels</h3>
      <p className="muted">
        Monitors notify the channels they name: when they alert, with the value against the threshold and links to the evidence, and when they are resolved.
        Delivery is retried with backoff; every attempt is logged below.
      </p>
      <ErrorMessage error={list.error || error} />
      <Loading on={list.loading && !list.data} />
      {chans.length > 0 && (
        <table className="chan-list">
          <thead>
            <tr>
              <th>name</th>
              <th>type</th>
              <th>sends to</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {chans.map((c) => (
              <ChannelRow
                key={c.id}
                c={c}
                test={tests[c.id]}
                open={open === c.id}
                onToggle={() => setOpen(open === c.id ? null : c.id)}
                onTest={async () => {
                  setTests((t) => ({ ...t, [c.id]: 'sending…' }));
                  const res = await testChannel(c.id).catch((e) => ({ ok: false, error: message(e) }));
                  setTests((t) => ({ ...t, [c.id]: res.ok ? 'sent: check that it arrived' : `failed: ${res.error}` }));
                }}
                onDelete={async () => {
                  setError('');
                  await deleteChannel(c.id).catch((e) => setError(message(e)));
                  setReload((n) => n + 1);
                }}
              />
            ))}
          </tbody>
        </table>
      )}
      {list.data && chans.length === 0 && <p>No channel yet: add one below, then choose it on a monitor.</p>}
      <ChannelForm onSaved={() => setReload((n) => n + 1)} />
    </section>
  );
}

function ChannelRow({ c, test, open, onToggle, onTest, onDelete }: { c: Channel; test?: string; open: boolean; onToggle: () => void; onTest: () => void; onDelete: () => void }) {
  return (
    <>
      <tr>
        <td className="chan-name">{c.name}</td>
        <td>{c.type}</td>
        <td className="chan-dest">
          <code>{destination(c)}</code>
          {test && <div className={test.startsWith('failed') ? 'err small' : 'ok small'}>{test}</div>}
        </td>
        <td className="actions">
          <button type="button" className="plain" aria-label={`test ${c.name}`} onClick={onTest}>
            send a test
          </button>
          <button type="button" className="plain" aria-label={`deliveries of ${c.name}`} onClick={onToggle}>
            {open ? 'hide deliveries' : 'deliveries'}
          </button>
          <button type="button" className="plain danger" aria-label={`delete ${c.name}`} onClick={onDelete}>
            delete
          </button>
        </td>
      </tr>
      {open && (
        <tr>
          <td colSpan={4}>
            <ChannelDeliveries id={c.id} />
          </td>
        </tr>
      )}
    </>
  );
}

function ChannelDeliveries({ id }: { id: number }) {
  const d = useLoad((signal) => channelDeliveries(id, signal), [id]);
  const list = d.data?.attempts || [];
  if (d.loading && !d.data) return <Loading on />;
  if (d.error) return <ErrorMessage error={d.error} />;
  if (!list.length) return <p className="muted small">No notification sent to this channel yet (tests are not logged).</p>;
  return (
    <table className="chan-deliveries small">
      <tbody>
        {list.map((a) => (
          <tr key={a.id} className={a.ok ? '' : 'mon-failed'}>
            <td className="ts">{fmtShort(a.at)}</td>
            <td>monitor #{a.monitor_id}</td>
            <td>
              try {a.attempt}: {a.ok ? 'sent' : a.final === 'failed' ? 'gave up' : 'failed, retrying'}
            </td>
            <td className="muted">{Math.round(a.duration_ms)} ms</td>
            <td className="err">{a.error}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const placeholders: Record<string, string> = {
  webhook: 'https://hooks.example.com/lore',
  slack: 'https://hooks.slack.com/services/T000/B000/XXXX',
  discord: 'https://discord.com/api/webhooks/123/abc',
};

function ChannelForm({ onSaved }: { onSaved: () => void }) {
  const blank = { name: '', type: 'slack', url: '', to: '', host: '', port: '', tls: 'starttls', username: '', password: '', from: '' };
  const [f, setF] = useState(blank);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const set = (change: Partial<typeof blank>) => setF((p) => ({ ...p, ...change }));
  const email = f.type === 'email';
  return (
    <form
      className="mon-form chan-form"
      aria-label="new channel"
      onSubmit={async (e) => {
        e.preventDefault();
        setError('');
        setBusy(true);
        try {
          await createChannel(
            email
              ? {
                  name: f.name,
                  type: 'email',
                  to: f.to.split(',').map((x) => x.trim()).filter(Boolean),
                  smtp: { host: f.host, port: Number(f.port) || undefined, tls: f.tls, username: f.username || undefined, password: f.password || undefined, from: f.from },
                }
              : { name: f.name, type: f.type, url: f.url },
          );
          setF(blank);
          onSaved();
        } catch (err) {
          setError(message(err));
        } finally {
          setBusy(false);
        }
      }}
    >
      <h4>Add a channel</h4>
      <div className="mon-cond">
        <label>
          Name
          <input aria-label="channel name" value={f.name} onChange={(e) => set({ name: e.target.value })} required placeholder="ops on call" />
        </label>
        <label>
          Type
          <select aria-label="channel type" value={f.type} onChange={(e) => set({ type: e.target.value })}>
            <option value="slack">Slack incoming webhook</option>
            <option value="discord">Discord webhook</option>
            <option value="webhook">generic webhook (JSON)</option>
            <option value="email">email (SMTP)</option>
          </select>
        </label>
      </div>
      {!email && (
        <label>
          Webhook URL
          <input aria-label="channel url" value={f.url} onChange={(e) => set({ url: e.target.value })} required placeholder={placeholders[f.type]} />
        </label>
      )}
      {email && (
        <>
          <label>
            To (separated by commas)
            <input aria-label="channel to" value={f.to} onChange={(e) => set({ to: e.target.value })} required placeholder="oncall@example.com, ops@example.com" />
          </label>
          <div className="mon-cond">
            <label className="grow">
              SMTP server
              <input aria-label="smtp host" value={f.host} onChange={(e) => set({ host: e.target.value })} required placeholder="smtp.example.com" />
            </label>
            <label>
              port
              <input aria-label="smtp port" value={f.port} onChange={(e) => set({ port: e.target.value })} size={5} placeholder={f.tls === 'tls' ? '465' : f.tls === 'none' ? '25' : '587'} />
            </label>
            <label>
              security
              <select aria-label="smtp tls" value={f.tls} onChange={(e) => set({ tls: e.target.value })}>
                <option value="starttls">STARTTLS</option>
                <option value="tls">TLS (465)</option>
                <option value="none">none (trusted relay only)</option>
              </select>
            </label>
          </div>
          <div className="mon-cond">
            <label>
              user
              <input aria-label="smtp username" value={f.username} onChange={(e) => set({ username: e.target.value })} autoComplete="off" />
            </label>
            <label>
              password
              <input aria-label="smtp password" type="password" value={f.password} onChange={(e) => set({ password: e.target.value })} autoComplete="new-password" />
            </label>
            <label className="grow">
              from
              <input aria-label="smtp from" value={f.from} onChange={(e) => set({ from: e.target.value })} required placeholder="Lore <lore@example.com>" />
            </label>
          </div>
        </>
      )}
      <ErrorMessage error={error} />
      <div className="inline-form">
        <button type="submit" disabled={busy}>
          Add channel
        </button>
      </div>
    </form>
  );
}
