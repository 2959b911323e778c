import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Me } from '../api';
import { Access } from './Access';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  localStorage.clear();
});

const serverAdmin: Me = {
  signed_in: true,
  user: { id: 1, email: 'root@example.com', server_admin: true, has_password: true, created_at: '' },
  project: 1,
  role: 'admin',
  projects: [],
  can: { read: true, write: true, admin: true, 'server-admin': true },
};

// stubAPI answers the Access page's calls; POST /api/v1/projects makes a
// project (or refuses a blank name as the server does).
function stubAPI() {
  const list = [{ id: 1, name: 'default', created_at: '2026-12-01T00:00:00Z', role: 'admin' }];
  const posts: unknown[] = [];
  vi.stubGlobal('fetch', async (u: URL, init?: RequestInit) => {
    const ok = (v: unknown) => new Response(JSON.stringify(v), { status: 200 });
    switch (u.pathname) {
      case '/api/v1/members':
      case '/api/v1/keys':
        return ok([]);
      case '/api/v1/audit':
        return ok({ entries: [] });
      case '/api/v1/origins':
        return ok({ allowed_origins: [] });
      case '/api/v1/projects':
        if (init?.method === 'POST') {
          const body = JSON.parse(String(init.body));
          posts.push(body);
          if (!body.name.trim()) return new Response(JSON.stringify({ error: 'project name "": give 1 to 100 characters' }), { status: 400 });
          const p = { id: list.length + 1, name: body.name, created_at: '2026-12-05T17:00:00Z' };
          list.push({ ...p, role: 'admin' });
          return ok({ ...p, ingest_key: 'lore_in_' + 'a'.repeat(40), read_key: 'lore_rd_' + 'b'.repeat(40) });
        }
        return ok(list);
    }
    return new Response('{}', { status: 404 });
  });
  return posts;
}

describe('Access: projects', () => {
  it('lets a server admin make a project, shows its keys once and opens it', async () => {
    const posts = stubAPI();
    const reload = vi.fn();
    vi.stubGlobal('location', { ...window.location, hash: '#/access', reload });
    render(<Access me={serverAdmin} />);
    const section = screen.getByRole('region', { name: 'projects' });
    await within(section).findByText('default');
    expect(within(section).getByText('open now')).toBeTruthy();

    fireEvent.change(within(section).getByLabelText('Project name'), { target: { value: 'shop' } });
    fireEvent.click(within(section).getByRole('button', { name: 'Create project' }));
    const made = await within(section).findByRole('status', { name: 'new project' });
    expect(posts).toEqual([{ name: 'shop' }]);
    expect(made.textContent).toContain('Project 2 “shop”');
    expect(screen.getByTestId('new-project-ingest-key').textContent).toBe('lore_in_' + 'a'.repeat(40));
    expect(screen.getByTestId('new-project-read-key').textContent).toBe('lore_rd_' + 'b'.repeat(40));
    // The list shows it, to open later.
    await waitFor(() => expect(within(section).getAllByRole('row').map((r) => r.textContent)).toContainEqual(expect.stringContaining('shop')));
    expect((within(section).getByLabelText('Project name') as HTMLInputElement).value).toBe('');

    fireEvent.click(within(made).getByRole('button', { name: 'Open shop' }));
    expect(localStorage.getItem('lore.project')).toBe('2');
    expect(location.hash).toBe('#/overview');
    expect(reload).toHaveBeenCalled();
  }, 30_000);

  it('says why a project was refused', async () => {
    stubAPI();
    render(<Access me={serverAdmin} />);
    const section = screen.getByRole('region', { name: 'projects' });
    fireEvent.change(within(section).getByLabelText('Project name'), { target: { value: '   ' } });
    fireEvent.click(within(section).getByRole('button', { name: 'Create project' }));
    expect((await within(section).findByRole('alert')).textContent).toContain('give 1 to 100 characters');
    expect(within(section).queryByRole('status')).toBeNull();
  }, 30_000);

  it('is not shown to a project admin who is not a server admin', async () => {
    stubAPI();
    render(<Access me={{ ...serverAdmin, user: { ...serverAdmin.user!, server_admin: false }, can: { read: true, write: true, admin: true } }} />);
    await screen.findByRole('region', { name: 'members' });
    expect(screen.queryByRole('region', { name: 'projects' })).toBeNull();
  }, 30_000);
});
