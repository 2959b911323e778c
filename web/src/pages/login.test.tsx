import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Me } from '../api';
import { parseHash } from '../route';
import { Account } from './Account';
import { Login } from './Login';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

function json(v: unknown, status = 200) {
  return new Response(JSON.stringify(v), { status, headers: { 'Content-Type': 'application/json' } });
}

describe('Login', () => {
  it('offers single sign-on when the server has a provider', async () => {
    vi.stubGlobal('fetch', async (u: URL) => {
      expect(u.pathname).toBe('/api/v1/auth/methods');
      return json({ password: true, oidc: { name: 'Acme ID', start: '/api/v1/auth/oidc/start' } });
    });
    render(<Login r={parseHash('#/login')} onSignedIn={() => {}} />);
    const a = await screen.findByRole('link', { name: 'Sign in with Acme ID' });
    expect(a.getAttribute('href')).toBe('/api/v1/auth/oidc/start');
    // The password form stays.
    expect(screen.getByLabelText('Password')).toBeTruthy();
  });
  it('shows no sign-on button without a provider', async () => {
    const fetchMock = vi.fn(async () => json({ password: true }));
    vi.stubGlobal('fetch', fetchMock);
    render(<Login r={parseHash('#/login')} onSignedIn={() => {}} />);
    await waitFor(() => expect(fetchMock).toHaveBeenCalled());
    expect(screen.queryByRole('link', { name: /Sign in with/ })).toBeNull();
  });
  it('shows why a single sign-on was refused', async () => {
    vi.stubGlobal('fetch', async () => json({ password: true, oidc: { name: 'Acme ID', start: '/api/v1/auth/oidc/start' } }));
    render(<Login r={parseHash('#/login?error=' + encodeURIComponent('eve@evil.test has no Lore account: ask an admin to add you'))} onSignedIn={() => {}} />);
    expect((await screen.findByRole('alert')).textContent).toBe('eve@evil.test has no Lore account: ask an admin to add you');
  });
});

const me = (hasPassword: boolean): Me => ({
  signed_in: true,
  user: { id: 2, email: 'ann@example.com', server_admin: false, has_password: hasPassword, created_at: '' },
  project: 1,
  role: 'member',
  projects: [],
  can: { read: true, write: true },
});

function fill(label: string, value: string) {
  fireEvent.change(screen.getByLabelText(label), { target: { value } });
}

describe('Account', () => {
  it('changes the password with the current one', async () => {
    const sent: { method?: string; body: unknown }[] = [];
    vi.stubGlobal('fetch', async (u: URL, init: RequestInit) => {
      expect(u.pathname).toBe('/api/v1/auth/password');
      sent.push({ method: init.method, body: JSON.parse(String(init.body)) });
      return json({ user: {} });
    });
    render(<Account me={me(true)} />);
    fill('Current password', 'old-password-1');
    fill('New password (at least 10 characters)', 'new-password-22');
    fill('New password again', 'new-password-22');
    fireEvent.click(screen.getByRole('button', { name: 'Change password' }));
    expect((await screen.findByRole('status')).textContent).toContain('Password changed');
    expect(sent).toEqual([{ method: 'PUT', body: { current: 'old-password-1', new: 'new-password-22' } }]);
    expect((screen.getByLabelText('Current password') as HTMLInputElement).value).toBe('');
  });
  it('says a wrong current password plainly, and sends nothing when the new ones differ', async () => {
    const fetchMock = vi.fn(async () => json({ error: 'the current password is wrong' }, 403));
    vi.stubGlobal('fetch', fetchMock);
    render(<Account me={me(true)} />);
    fill('Current password', 'wrong-password');
    fill('New password (at least 10 characters)', 'new-password-22');
    fill('New password again', 'new-password-23');
    fireEvent.click(screen.getByRole('button', { name: 'Change password' }));
    expect((await screen.findByRole('alert')).textContent).toBe('The new passwords differ.');
    expect(fetchMock).not.toHaveBeenCalled();
    fill('New password again', 'new-password-22');
    fireEvent.click(screen.getByRole('button', { name: 'Change password' }));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toBe('The current password is wrong.'));
    expect(screen.queryByRole('status')).toBeNull();
  });
  it('lets a user without a password (login link, single sign-on) set one', async () => {
    const sent: unknown[] = [];
    vi.stubGlobal('fetch', async (_u: URL, init: RequestInit) => {
      sent.push(JSON.parse(String(init.body)));
      return json({ user: {} });
    });
    render(<Account me={me(false)} />);
    expect(screen.queryByLabelText('Current password')).toBeNull();
    fill('New password (at least 10 characters)', 'new-password-22');
    fill('New password again', 'new-password-22');
    fireEvent.click(screen.getByRole('button', { name: 'Set password' }));
    await screen.findByRole('status');
    expect(sent).toEqual([{ current: '', new: 'new-password-22' }]);
  });
});
