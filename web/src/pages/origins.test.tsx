import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Me } from '../api';
import { Access } from './Access';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const admin: Me = {
  signed_in: true,
  user: { id: 1, email: 'root@example.com', server_admin: true, has_password: true, created_at: '' },
  project: 1,
  role: 'admin',
  projects: [],
  can: { read: true, write: true, admin: true },
};

describe('Access: browser keys', () => {
  it('offers the browser scope and edits the allowed origins', async () => {
    const puts: unknown[] = [];
    let origins = ['https://shop.example.com'];
    vi.stubGlobal('fetch', async (u: URL, init?: RequestInit) => {
      const ok = (v: unknown) => new Response(JSON.stringify(v), { status: 200 });
      switch (u.pathname) {
        case '/api/v1/members':
        case '/api/v1/keys':
          return ok([]);
        case '/api/v1/audit':
          return ok({ entries: [] });
        case '/api/v1/origins':
          if (init?.method === 'PUT') {
            const body = JSON.parse(String(init.body));
            puts.push(body);
            if (body.allowed_origins.includes('shop.example.com/x'))
              return new Response(JSON.stringify({ error: 'allowed origin "shop.example.com/x": want scheme://host[:port]' }), { status: 400 });
            origins = body.allowed_origins;
          }
          return ok({ allowed_origins: origins });
      }
      return new Response('{}', { status: 404 });
    });
    render(<Access me={admin} />);
    const scope = screen.getByLabelText('key scope') as HTMLSelectElement;
    expect([...scope.options].map((o) => o.value)).toContain('browser');
    const area = (await waitFor(() => {
      const a = screen.getByRole('textbox', { name: 'allowed origins' }) as HTMLTextAreaElement;
      expect(a.value).toBe('https://shop.example.com');
      return a;
    })) as HTMLTextAreaElement;
    fireEvent.change(area, { target: { value: 'https://shop.example.com\n https://*.example.org ' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save origins' }));
    await screen.findByText('Saved.');
    expect(puts[0]).toEqual({ allowed_origins: ['https://shop.example.com', 'https://*.example.org'] });
    fireEvent.change(area, { target: { value: 'shop.example.com/x' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save origins' }));
    expect((await screen.findByRole('alert')).textContent).toContain('want scheme://host');
  }, 30_000);
});
