import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseHash } from '../route';
import type { Monitor } from '../api';
import { fmtValue, Monitors, rule } from './Monitors';
import { Overview } from './Overview';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const mon = (over: Partial<Monitor>): Monitor => ({
  id: 1,
  name: 'payment errors',
  kind: 'query',
  query: 'level:error service:payment-service',
  measure: 'count',
  op: '>',
  threshold: 5,
  window: '5m',
  interval: '1m',
  muted: false,
  state: 'alert',
  value: 8,
  last_evaluated: '2026-11-21T09:00:00Z',
  state_since: '2026-11-21T09:00:00Z',
  ...over,
});

describe('Monitors', () => {
  it('formats values in the unit of their kind', () => {
    expect(fmtValue('error_rate', 0.0512)).toBe('5.12%');
    expect(fmtValue('latency', 1234.4)).toBe('1234 ms');
    expect(fmtValue('query', 2.5, 'rate')).toBe('2.50/min');
    expect(fmtValue('query', null)).toBe('no data');
    expect(rule(mon({}))).toBe('count > 5 over 5m');
    expect(rule(mon({ kind: 'error_rate', threshold: 0.1 }))).toBe('error rate > 10.0% over 5m');
  });

  it('lists monitors with their state, last value against the threshold, and evaluates on demand', async () => {
    let evaluated = 0;
    vi.stubGlobal('fetch', async (u: URL, init?: RequestInit) => {
      if (u.pathname === '/api/v1/monitors/2/evaluate') {
        expect(init?.method).toBe('POST');
        evaluated++;
        return new Response('{}');
      }
      expect(u.pathname).toBe('/api/v1/monitors');
      return new Response(
        JSON.stringify({
          alerting: 1,
          monitors: [mon({}), mon({ id: 2, name: 'checkout p95', kind: 'latency', measure: undefined, state: 'ok', value: 240, threshold: 800, query: 'service:checkout' })],
        }),
      );
    });
    render(<Monitors r={parseHash('#/monitors')} />);
    expect(await screen.findByText('1 of 2 alerting')).toBeTruthy();
    const row = screen.getByText('payment errors').closest('tr')!;
    expect(row.textContent).toContain('alert');
    expect(row.textContent).toContain('count > 5 over 5m');
    expect(screen.getByText('payment errors').getAttribute('href')).toBe('#/monitors/1');
    expect(screen.getByText('240 ms')).toBeTruthy();
    expect(screen.getByText('p95 > 800 ms over 5m')).toBeTruthy();
    fireEvent.click(screen.getByLabelText('evaluate checkout p95'));
    await waitFor(() => expect(evaluated).toBe(1));
  });

  it('says how to start when there is no monitor', async () => {
    vi.stubGlobal('fetch', async () => new Response(JSON.stringify({ alerting: 0, monitors: [] })));
    render(<Monitors r={parseHash('#/monitors')} />);
    expect(await screen.findByText(/No monitor yet/)).toBeTruthy();
  });

  it('creates a monitor from the form and shows the API refusal in words', async () => {
    const posted: unknown[] = [];
    vi.stubGlobal('fetch', async (u: URL, init?: RequestInit) => {
      expect(u.pathname).toBe('/api/v1/monitors');
      const body = JSON.parse(String(init?.body));
      posted.push(body);
      if (body.window === '0s') return new Response(JSON.stringify({ error: 'invalid: window "0s" must be above zero (e.g. 5m)' }), { status: 400 });
      return new Response(JSON.stringify(mon({ id: 7, ...body, state: 'no_data', value: null })));
    });
    render(<Monitors r={parseHash('#/monitors/new')} />);
    fireEvent.change(screen.getByLabelText('monitor name'), { target: { value: 'slow checkout' } });
    fireEvent.change(screen.getByLabelText('monitor kind'), { target: { value: 'latency' } });
    fireEvent.change(screen.getByLabelText('monitor query'), { target: { value: 'service:checkout' } });
    fireEvent.change(screen.getByLabelText('monitor threshold'), { target: { value: '800' } });
    fireEvent.change(screen.getByLabelText('monitor window'), { target: { value: '0s' } });
    fireEvent.click(screen.getByText('Create monitor'));
    expect(await screen.findByText(/window "0s" must be above zero/)).toBeTruthy();
    fireEvent.change(screen.getByLabelText('monitor window'), { target: { value: '10m' } });
    fireEvent.click(screen.getByText('Create monitor'));
    await waitFor(() => expect(location.hash).toBe('#/monitors/7'));
    expect(posted[1]).toMatchObject({ name: 'slow checkout', kind: 'latency', query: 'service:checkout', threshold: 800, window: '10m', op: '>' });
    expect((posted[1] as { measure?: string }).measure).toBeUndefined();
  });

  it('shows a monitor with its history of state changes', async () => {
    vi.stubGlobal('fetch', async (u: URL) => {
      expect(u.pathname).toBe('/api/v1/monitors/1');
      return new Response(
        JSON.stringify(
          mon({
            history: [
              { id: 2, at: '2026-11-21T09:00:00Z', from: 'ok', to: 'alert', value: 8, threshold: 5, monitor_id: 1 },
              { id: 1, at: '2026-11-21T08:59:00Z', from: 'no_data', to: 'ok', value: 3, threshold: 5, monitor_id: 1 },
            ],
          }),
        ),
      );
    });
    render(<Monitors r={parseHash('#/monitors/1')} />);
    expect(await screen.findByText('State changes')).toBeTruthy();
    const rows = document.querySelectorAll('.mon-history tr');
    expect(rows.length).toBe(2);
    expect(rows[0].textContent).toContain('ok → alert');
    expect(rows[0].textContent).toContain('8 vs 5');
    expect((screen.getByLabelText('monitor name') as HTMLInputElement).value).toBe('payment errors');
    expect(screen.getByText('Save monitor')).toBeTruthy();
  });

  it('puts the number of monitors in alert on the Overview', async () => {
    vi.stubGlobal('fetch', async (u: URL) => {
      const answers: Record<string, unknown> = {
        '/api/v1/stories': { stories: [] },
        '/api/v1/histogram': { buckets: [{ ts: '', count: 10, by: { info: 10 } }] },
        '/api/v1/issues': { issues: [] },
        '/api/v1/monitors': { alerting: 2, monitors: [mon({}), mon({ id: 2, name: 'b' }), mon({ id: 3, name: 'c', state: 'ok' })] },
      };
      return new Response(JSON.stringify(answers[u.pathname]));
    });
    render(<Overview r={parseHash('#/overview')} />);
    const down = (await screen.findByText('monitors down')).closest('a')!;
    await waitFor(() => expect(down.textContent).toBe('2monitors down'));
    expect(down.getAttribute('href')).toBe('#/monitors');
  });
});
