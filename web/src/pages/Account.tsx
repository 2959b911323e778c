// Account: the signed-in user's own settings — changing their password
// (the current one is asked for; a user who has none yet, signed in by a
// login link or single sign-on, sets one). Changing it signs out every
// other session of theirs.
import { useState } from 'react';
import { ApiError, setPassword, type Me } from '../api';
import { ErrorMessage } from '../components/common';
import './access.css';

// message says what went wrong with the password itself, without the
// general words for a refusal (a wrong current password is not a role).
function message(e: unknown): string {
  if (!(e instanceof ApiError)) return String(e);
  const m = e.message.replace(/^(Your role does not allow this|Lore could not understand the request): /, '');
  return m.charAt(0).toUpperCase() + m.slice(1) + (/[.!]$/.test(m) ? '' : '.');
}

export function Account({ me }: { me: Me }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState('');
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);
  const [hasPassword, setHasPassword] = useState(me.user?.has_password ?? true);
  if (!me.user) {
    return <div className="empty">This page is for people signed in with their own account; you are using a key.</div>;
  }
  return (
    <div className="access account-page">
      <h1>Your account</h1>
      <p className="muted">
        {me.user.email}
        {me.user.server_admin ? ' · server admin' : ''} · {me.role} in this project
      </p>
      <section aria-label="password">
        <h2>{hasPassword ? 'Change password' : 'Set a password'}</h2>
        <form
          className="column"
          onSubmit={(e) => {
            e.preventDefault();
            setError('');
            setDone(false);
            if (next !== again) {
              setError('The new passwords differ.');
              return;
            }
            setBusy(true);
            setPassword(current, next).then(
              () => {
                setBusy(false);
                setDone(true);
                setHasPassword(true);
                setCurrent('');
                setNext('');
                setAgain('');
              },
              (err) => {
                setBusy(false);
                setError(message(err));
              },
            );
          }}
        >
          {hasPassword && (
            <label>
              Current password
              <input type="password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} required />
            </label>
          )}
          <label>
            New password (at least 10 characters)
            <input type="password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} minLength={10} required />
          </label>
          <label>
            New password again
            <input type="password" autoComplete="new-password" value={again} onChange={(e) => setAgain(e.target.value)} minLength={10} required />
          </label>
          <button type="submit" disabled={busy}>
            {busy ? 'Saving…' : hasPassword ? 'Change password' : 'Set password'}
          </button>
        </form>
        {done && (
          <p role="status" className="ok">
            Password changed. Your other sessions are signed out.
          </p>
        )}
        <ErrorMessage error={error} />
      </section>
    </div>
  );
}
