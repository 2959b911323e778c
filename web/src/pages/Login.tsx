// Signing in: email and password, single sign-on through the server's
// OpenID Connect provider (a "Sign in with …" link, shown when
// /api/v1/auth/methods names one; a refused sign-in comes back as
// #/login?error=…), or a one-time login link (#/login?link=…, printed by
// the first start or made by an admin for a new member), after which the
// user sets a password.
import { useEffect, useState } from 'react';
import { ApiError, authMethods, login, setPassword, useLink, type AuthMethods } from '../api';
import { ErrorMessage } from '../components/common';
import type { Route } from '../route';
import './access.css';

function message(e: unknown): string {
  return e instanceof ApiError ? e.message.replace(/^You are not signed in: sign in to go on\.$/, 'Wrong email or password.') : String(e);
}

export function Login({ r, onSignedIn }: { r: Route; onSignedIn: () => void }) {
  const link = r.params.get('link') || '';
  const [email, setEmail] = useState('');
  const [pw, setPw] = useState('');
  const refused = r.params.get('error') || '';
  const [error, setError] = useState(refused);
  useEffect(() => {
    if (refused) setError(refused);
  }, [refused]);
  const [busy, setBusy] = useState(false);
  const [methods, setMethods] = useState<AuthMethods>({ password: true });
  useEffect(() => {
    const ac = new AbortController();
    authMethods(ac.signal).then(setMethods, () => {});
    return () => ac.abort();
  }, []);
  // After a login link: the user chooses a password.
  const [choose, setChoose] = useState(false);
  useEffect(() => {
    if (!link) return;
    setBusy(true);
    useLink(link).then(
      (a) => {
        setBusy(false);
        history.replaceState(null, '', location.pathname + location.search + '#/login');
        if (a.user.has_password) onSignedIn();
        else setChoose(true);
      },
      (e) => {
        setBusy(false);
        setError(message(e).replace(/^You are not signed in: sign in to go on\.$/, 'This login link was used already or expired: ask an admin for a new one.'));
      },
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [link]);
  if (choose) {
    return (
      <div className="login">
        <h1>Choose a password</h1>
        <p className="muted">You are signed in by a one-time link. Choose a password (at least 10 characters) to sign in next time.</p>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            setBusy(true);
            setPassword('', pw).then(onSignedIn, (err) => {
              setBusy(false);
              setError(message(err));
            });
          }}
        >
          <label>
            New password
            <input type="password" autoComplete="new-password" value={pw} onChange={(e) => setPw(e.target.value)} minLength={10} required />
          </label>
          <button type="submit" disabled={busy}>
            Set password
          </button>
          <button type="button" className="link" onClick={onSignedIn}>
            Later
          </button>
        </form>
        <ErrorMessage error={error} />
      </div>
    );
  }
  return (
    <div className="login">
      <h1>Sign in to Lore</h1>
      {methods.oidc && (
        <>
          <a className="button sso" href={methods.oidc.start}>
            Sign in with {methods.oidc.name}
          </a>
          <p className="or muted">or with your email and password</p>
        </>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setBusy(true);
          setError('');
          login(email, pw).then(onSignedIn, (err) => {
            setBusy(false);
            setError(message(err));
          });
        }}
      >
        <label>
          Email
          <input type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} required autoFocus />
        </label>
        <label>
          Password
          <input type="password" autoComplete="current-password" value={pw} onChange={(e) => setPw(e.target.value)} required />
        </label>
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <ErrorMessage error={error} />
      <p className="muted small">
        The first start of <code>lore serve</code> prints a one-time link for the first admin; <code>lore demo</code> prints its user and password. An admin adds people under
        Access, or with <code>lore users add</code>.
      </p>
    </div>
  );
}
