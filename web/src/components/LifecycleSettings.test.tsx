import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LifecycleSettings, lines } from './LifecycleSettings';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const docs: Record<string, unknown> = {
  retention: { logs_days: 30, spans_days: 14, errors_days: 90, events_days: 730, checks_days: 90, replays_days: 0 },
  sampling: { debug_logs: 0, info_logs: 0, traces: 0 },
  privacy: { disabled: false, emails: false, keep_card_numbers: false, ip_addresses: 'keep', deny_fields: [], allow_fields: [], patterns: [] },
};

function serve(role: string, calls: string[]) {
  vi.stubGlobal('fetch', async (u: URL, init?: RequestInit) => {
    const method = init?.method || 'GET';
    calls.push(`${method} ${u.pathname} ${init?.body || ''}`.trim());
    if (u.pathname === '/api/v1/auth/me') return new Response(JSON.stringify({ signed_in: true, role, project: 1, projects: [], can: {} }));
    const name = u.pathname.split('/').pop() || '';
    if (method === 'PUT') {
      if (role !== 'admin') return new Response(JSON.stringify({ error: 'forbidden' }), { status: 403 });
      return new Response(init?.body as string);
    }
    return new Response(JSON.stringify(docs[name]));
  });
}

describe('LifecycleSettings', () => {
  it('splits lists by lines and commas', () => {
    expect(lines('ssn, tax_id\n\n  iban ')).toEqual(['ssn', 'tax_id', 'iban']);
  });

  it('lets an admin change retention, sampling and privacy', async () => {
    const calls: string[] = [];
    serve('admin', calls);
    render(<LifecycleSettings />);
    const logs = (await screen.findByLabelText('logs')) as HTMLInputElement;
    await waitFor(() => expect(logs.disabled).toBe(false));
    fireEvent.change(logs, { target: { value: '7' } });
    fireEvent.click(screen.getByText('Save retention'));
    await screen.findByText(/saved; applies/);
    expect(calls).toContainEqual(expect.stringContaining('PUT /api/v1/settings/retention {"logs_days":7,'));
    fireEvent.change(screen.getByLabelText('info logs'), { target: { value: '0.1' } });
    fireEvent.click(screen.getByText('Save sampling'));
    await waitFor(() => expect(calls).toContainEqual(expect.stringContaining('PUT /api/v1/settings/sampling {"debug_logs":0,"info_logs":0.1,"traces":0}')));
    fireEvent.click(screen.getByLabelText(/scrub e-mail addresses/));
    fireEvent.change(screen.getByLabelText('IP addresses'), { target: { value: 'truncate' } });
    fireEvent.blur(screen.getByLabelText('deny fields'), { target: { value: 'ssn, iban' } });
    fireEvent.click(screen.getByText('Save privacy'));
    await waitFor(() => expect(calls).toContainEqual(expect.stringMatching(/PUT \/api\/v1\/settings\/privacy .*"emails":true.*"ip_addresses":"truncate","deny_fields":\["ssn","iban"\]/)));
  });

  it('shows a viewer the settings read-only', async () => {
    const calls: string[] = [];
    serve('viewer', calls);
    render(<LifecycleSettings />);
    const logs = (await screen.findByLabelText('logs')) as HTMLInputElement;
    expect(logs.value).toBe('30');
    expect(logs.disabled).toBe(true);
    expect(screen.getByText(/Only a project admin may change/)).toBeTruthy();
    expect((screen.getByText('Save retention') as HTMLButtonElement).disabled).toBe(true);
    expect(calls.filter((c) => c.startsWith('PUT'))).toEqual([]);
  });
});
