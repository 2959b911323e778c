import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Me } from '../api';
import { DeleteProject } from './DeleteProject';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const root: Me = {
  signed_in: true,
  user: { id: 1, email: 'root@example.com', server_admin: true, has_password: true, created_at: '' },
  project: 2,
  role: 'admin',
  projects: [
    { id: 2, name: 'shop', role: 'admin', created_at: '' },
    { id: 1, name: 'default', role: 'admin', created_at: '' },
  ],
  can: { read: true, write: true, admin: true, 'server-admin': true },
};

describe('DeleteProject', () => {
  it('enables the button once the name is typed, deletes with it as the confirmation, then switches to another project', async () => {
    const calls: { method?: string; url: string }[] = [];
    vi.stubGlobal('fetch', async (u: URL, init?: RequestInit) => {
      calls.push({ method: init?.method, url: u.pathname + u.search });
      if (u.pathname === '/api/v1/projects/2' && init?.method === 'DELETE') {
        if (u.searchParams.get('confirm') !== 'shop') return new Response(JSON.stringify({ error: 'wrong name' }), { status: 400 });
        return new Response(JSON.stringify({ id: 2, name: 'shop', deleted_events: 90, events_pending: false }), { status: 200 });
      }
      return new Response('{}', { status: 404 });
    });
    const deleted: unknown[] = [];
    render(<DeleteProject project={{ id: 2, name: 'shop' }} me={root} onDeleted={(next, done) => deleted.push([next, done.deleted_events])} />);
    const button = screen.getByRole('button', { name: 'Delete project' }) as HTMLButtonElement;
    const input = screen.getByLabelText('project name to confirm');
    expect(button.disabled).toBe(true);
    fireEvent.change(input, { target: { value: 'sho' } });
    expect(button.disabled).toBe(true);
    fireEvent.submit(button.closest('form')!);
    expect(calls).toEqual([]); // a submit before the name is typed sends nothing
    fireEvent.change(input, { target: { value: 'shop' } });
    expect(button.disabled).toBe(false);
    fireEvent.click(button);
    await waitFor(() => expect(deleted).toEqual([[1, 90]]));
    expect(calls).toEqual([{ method: 'DELETE', url: '/api/v1/projects/2?confirm=shop' }]);
  });

  it('shows the refusal, and offers nothing to a project admin or for the default project', async () => {
    vi.stubGlobal('fetch', async () => new Response(JSON.stringify({ error: 'project 2 is busy' }), { status: 409 }));
    const { unmount } = render(<DeleteProject project={{ id: 2, name: 'shop' }} me={root} onDeleted={() => {}} />);
    fireEvent.change(screen.getByLabelText('project name to confirm'), { target: { value: 'shop' } });
    fireEvent.click(screen.getByRole('button', { name: 'Delete project' }));
    expect((await screen.findByRole('alert')).textContent).toContain('project 2 is busy');
    unmount();

    const admin = { ...root, can: { read: true, write: true, admin: true } };
    const { container, unmount: un2 } = render(<DeleteProject project={{ id: 2, name: 'shop' }} me={admin} />);
    expect(container.textContent).toBe('');
    un2();
    render(<DeleteProject project={{ id: 1, name: 'default' }} me={root} />);
    expect(screen.queryByRole('button')).toBeNull();
    expect(screen.getByText(/never deleted/)).toBeTruthy();
  });
});
