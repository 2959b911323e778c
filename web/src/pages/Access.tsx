// Access (project admins): the project's members and their roles, its API
// keys (create with a scope and an expiry, rotate with an overlap, revoke at
// once; a new key is shown once) and the audit log of who did what; for
// server admins, the server's projects and a form to make one.
import { useState } from 'react';
import {
  ApiError,
  allowedOrigins,
  auditLog,
  setAllowedOrigins,
  createKey,
  createProject,
  keys,
  members,
  projects,
  removeMember,
  revokeKey,
  rotateKey,
  setMember,
  setProject,
  type Me,
  type NewProject,
} from '../api';
import { ErrorMessage, Loading } from '../components/common';
import { fmtShort, useLoad } from '../util';
import './access.css';

function message(e: unknown): string {
  return e instanceof ApiError ? e.message : String(e);
}

function Members({ me }: { me: Me }) {
  const [reload, setReload] = useState(0);
  const list = useLoad((s) => members(s), [reload]);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState('member');
  const [error, setError] = useState('');
  const [link, setLink] = useState('');
  return (
    <section aria-label="members">
      <h2>Members</h2>
      <p className="muted small">Viewers read; members also change monitors, checks, dashboards, saved searches and issues; admins also manage members, keys, settings and channels.</p>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          setError('');
          setLink('');
          setMember(email, role).then(
            (a) => {
              if (a.login_link) setLink(location.origin + location.pathname.replace(/\/$/, '') + a.login_link);
              setEmail('');
              setReload((n) => n + 1);
            },
            (err) => setError(message(err)),
          );
        }}
      >
        <label>
          Email
          <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} required placeholder="ann@example.com" />
        </label>
        <label>
          Role
          <select value={role} onChange={(e) => setRole(e.target.value)} aria-label="member role">
            <option value="viewer">viewer</option>
            <option value="member">member</option>
            <option value="admin">admin</option>
          </select>
        </label>
        <button type="submit">Add or change</button>
      </form>
      {link && (
        <div className="secret" role="status">
          New user: send them this one-time login link (valid 7 days, shown once): <span data-testid="login-link">{link}</span>
        </div>
      )}
      <ErrorMessage error={error || list.error} />
      <Loading on={list.loading && !list.data} />
      <table>
        <thead>
          <tr>
            <th>Email</th>
            <th>Role</th>
            <th>Since</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(list.data || []).map((m) => (
            <tr key={m.id}>
              <td>
                {m.email}
                {m.server_admin ? <span className="muted small"> · server admin</span> : null}
                {!m.has_password ? <span className="muted small"> · no password yet</span> : null}
              </td>
              <td>{m.role}</td>
              <td>{fmtShort(m.created_at)}</td>
              <td>
                {m.id !== me.user?.id && (
                  <button
                    type="button"
                    onClick={() => removeMember(m.id).then(() => setReload((n) => n + 1), (err) => setError(message(err)))}
                  >
                    Remove
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Keys() {
  const [reload, setReload] = useState(0);
  const list = useLoad((s) => keys(s), [reload]);
  const [role, setRole] = useState('read');
  const [expires, setExpires] = useState('');
  const [error, setError] = useState('');
  const [shown, setShown] = useState('');
  const done = (a: { key: string }) => {
    setShown(a.key);
    setReload((n) => n + 1);
  };
  return (
    <section aria-label="keys">
      <h2>API keys</h2>
      <p className="muted small">
        Ingest keys only send events; browser keys are the public key of your web pages (the SDKs' endpoints only, from the allowed origins below); read keys only read; member and admin keys act with those roles, for scripts. Lore keeps only a hash: a new key is shown once. Revoking
        takes effect at once; rotating keeps the old key working for the overlap.
      </p>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          setError('');
          createKey(role, expires).then(done, (err) => setError(message(err)));
        }}
      >
        <label>
          Scope
          <select value={role} onChange={(e) => setRole(e.target.value)} aria-label="key scope">
            <option value="ingest">ingest</option>
            <option value="browser">browser</option>
            <option value="read">read</option>
            <option value="member">member</option>
            <option value="admin">admin</option>
          </select>
        </label>
        <label>
          Expires in
          <select value={expires} onChange={(e) => setExpires(e.target.value)} aria-label="key expiry">
            <option value="">never</option>
            <option value="1d">1 day</option>
            <option value="30d">30 days</option>
            <option value="90d">90 days</option>
            <option value="365d">1 year</option>
          </select>
        </label>
        <button type="submit">Create key</button>
      </form>
      {shown && (
        <div className="secret" role="status">
          New key (shown once, keep it safe): <span data-testid="new-key">{shown}</span>
        </div>
      )}
      <ErrorMessage error={error || list.error} />
      <table>
        <thead>
          <tr>
            <th>Id</th>
            <th>Scope</th>
            <th>Key</th>
            <th>Created</th>
            <th>Expires</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(list.data || []).map((k) => (
            <tr key={k.id}>
              <td>{k.id}</td>
              <td>{k.role}</td>
              <td>
                <code>{k.hint}</code>
              </td>
              <td>{fmtShort(k.created_at)}</td>
              <td>{k.expires_at ? fmtShort(k.expires_at) : 'never'}</td>
              <td>
                <button type="button" onClick={() => rotateKey(k.id, '24h').then(done, (err) => setError(message(err)))} title="A new key now; this one works 24 more hours">
                  Rotate
                </button>{' '}
                <button type="button" onClick={() => revokeKey(k.id).then(() => setReload((n) => n + 1), (err) => setError(message(err)))}>
                  Revoke
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Audit() {
  const log = useLoad((s) => auditLog(s), []);
  return (
    <section aria-label="audit log">
      <h2>Audit log</h2>
      <p className="muted small">Every change by a member, an admin or a key with those scopes, and every sign-in: who, what, when and from where.</p>
      <ErrorMessage error={log.error} />
      <Loading on={log.loading && !log.data} />
      <table>
        <thead>
          <tr>
            <th>When</th>
            <th>Who</th>
            <th>What</th>
            <th>Path</th>
            <th>From</th>
            <th>Status</th>
          </tr>
        </thead>
        <tbody>
          {(log.data?.entries || []).map((e) => (
            <tr key={e.id}>
              <td>{fmtShort(e.ts)}</td>
              <td>{e.actor}</td>
              <td>{e.action}</td>
              <td>
                <code>{e.target}</code>
              </td>
              <td>{e.remote}</td>
              <td>{e.status}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** Origins edits the pages browser keys are accepted from. */
function Origins() {
  const [reload, setReload] = useState(0);
  const list = useLoad((s) => allowedOrigins(s), [reload]);
  const [text, setText] = useState<string | null>(null);
  const [error, setError] = useState('');
  const [saved, setSaved] = useState(false);
  const current = list.data ? list.data.allowed_origins.join('\n') : '';
  return (
    <section aria-label="allowed origins">
      <h2>Allowed origins</h2>
      <p className="muted small">
        Browser keys work only from pages at these origins (one a line, like <code>https://shop.example.com</code> or <code>https://*.example.com</code>). None: from any
        page.
      </p>
      <form
        className="column"
        onSubmit={(e) => {
          e.preventDefault();
          setError('');
          setSaved(false);
          const origins = (text ?? current)
            .split(/[\s,]+/)
            .map((o) => o.trim())
            .filter(Boolean);
          setAllowedOrigins(origins).then(
            () => {
              setText(null);
              setSaved(true);
              setReload((n) => n + 1);
            },
            (err) => setError(message(err)),
          );
        }}
      >
        <textarea aria-label="allowed origins" rows={3} value={text ?? current} onChange={(e) => setText(e.target.value)} placeholder="https://shop.example.com" />
        <button type="submit">Save origins</button>
      </form>
      {saved && <p role="status">Saved.</p>}
      <ErrorMessage error={error || list.error} />
    </section>
  );
}

/** openProject makes id the project the UI shows, from its Overview. */
function openProject(id: number) {
  setProject(id);
  location.hash = '#/overview';
  location.reload();
}

/** Projects (server admins) lists the server's projects and makes new ones, showing a new project's keys once. */
function Projects({ me }: { me: Me }) {
  const [reload, setReload] = useState(0);
  const list = useLoad((s) => projects(s), [reload]);
  const [name, setName] = useState('');
  const [error, setError] = useState('');
  const [made, setMade] = useState<NewProject | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <section aria-label="projects">
      <h2>Projects</h2>
      <p className="muted small">
        Each project has its own events, keys, members, settings and audit log. As a server admin you are admin of every project; switch between them in the header.
      </p>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          setError('');
          setMade(null);
          setBusy(true);
          createProject(name).then(
            (p) => {
              setBusy(false);
              setMade(p);
              setName('');
              setReload((n) => n + 1);
            },
            (err) => {
              setBusy(false);
              setError(message(err));
            },
          );
        }}
      >
        <label>
          Project name
          <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} placeholder="shop (production)" />
        </label>
        <button type="submit" disabled={busy}>
          Create project
        </button>
      </form>
      {made && (
        <div className="secret" role="status" aria-label="new project">
          <div>
            Project {made.id} “{made.name}” is made. Its keys, shown once (keep them safe; more under API keys once you open it):
          </div>
          <div>
            ingest key: <span data-testid="new-project-ingest-key">{made.ingest_key}</span>
          </div>
          <div>
            read key: <span data-testid="new-project-read-key">{made.read_key}</span>
          </div>
          <button type="button" onClick={() => openProject(made.id)}>
            Open {made.name}
          </button>
        </div>
      )}
      <ErrorMessage error={error || list.error} />
      <table>
        <thead>
          <tr>
            <th>Id</th>
            <th>Name</th>
            <th>Created</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(list.data || []).map((p) => (
            <tr key={p.id}>
              <td>{p.id}</td>
              <td>{p.name}</td>
              <td>{fmtShort(p.created_at)}</td>
              <td>
                {p.id === me.project ? (
                  <span className="muted small">open now</span>
                ) : (
                  <button type="button" onClick={() => openProject(p.id)}>
                    Open
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export function Access({ me }: { me: Me }) {
  if (!me.can.admin) return <div className="msg">Only a project admin sees members, keys and the audit log.</div>;
  return (
    <div className="access">
      {me.can['server-admin'] && <Projects me={me} />}
      <Members me={me} />
      <Keys />
      <Origins />
      <Audit />
    </div>
  );
}
