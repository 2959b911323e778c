import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseHash } from '../route';
import type { Monitor } from '../api';
import { ChannelsSettings } from '../components/Channels';
import { fmtValue, Monitors, rule } from './Monitors';
import { Overview } from './Overview';
import { Status } from './Status';

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
  muted_now: false,
  state: 'alert',
  value: 8,
  last_evaluated: '2026-11-21T09:00:00Z',
  state_since: '2026-11-21T09:00:00Z',
  ...over,
});

type Handler = (init: RequestInit | undefined, u: URL) => unknown;

/** serve stubs fetch with answers by path; an unknown path is a 404 the test sees. */
function serve(routes: Record<string, Handler | unknown>, seen: string[] = []) {
  vi.stubGlobal('fetch', async (u: URL, init?: RequestInit) => {
    const key = `${init?.method || 'GET'} ${u.pathname}`;
    seen.push(key);
    const h = routes[key] ?? routes[u.pathname];
    if (h === undefined) return new Response(JSON.stringify({ error: `no route ${key}` }), { status: 404 });
    const body = typeof h === 'function' ? (h as Handler)(init, u) : h;
    if (body instanceof Response) return body;
    return new Response(JSON.stringify(body));
  });
  return seen;
}

const noChannels = { '/api/v1/channels': { channels: [], types: ['webhook', 'slack', 'discord', 'email'] } };
const options = {
  '/api/v1/monitors/options': {
    kinds: ['query', 'latency', 'error_rate', 'issue', 'check', 'story', 'baseline'],
    group_by: ['service', 'endpoint', 'env', 'host'],
    signals: ['error_rate', 'p95_ms', 'retries', 'error_logs'],
    story_types: ['throttling', 'cascade'],
    severities: ['info', 'warning', 'critical'],
  },
};

/** serveCreate answers the form's POST /api/v1/monitors: a 400 with refuse's message, else monitor id; it returns the bodies posted. */
function serveCreate(id: number, refuse: (body: Record<string, unknown>) => string | { error: string; detail: unknown } | undefined): Record<string, unknown>[] {
  const posted: Record<string, unknown>[] = [];
  serve({
    ...noChannels,
    ...options,
    'POST /api/v1/monitors': (init?: RequestInit) => {
      const body = JSON.parse(String(init?.body));
      posted.push(body);
      const error = refuse(body);
      if (error) return new Response(JSON.stringify(typeof error === 'string' ? { error } : error), { status: 400 });
      return mon({ id, ...body, state: 'no_data', value: null });
    },
  });
  return posted;
}

describe('Monitors', () => {
  it('formats values in the unit of their kind', () => {
    expect(fmtValue('error_rate', 0.0512)).toBe('5.12%');
    expect(fmtValue('latency', 1234.4)).toBe('1234 ms');
    expect(fmtValue('query', 2.5, 'rate')).toBe('2.50/min');
    expect(fmtValue('query', null)).toBe('no data');
    expect(fmtValue('check', 1, 'down')).toBe('down');
    expect(fmtValue('baseline', 912, undefined, 'p95_ms')).toBe('912 ms');
    expect(rule(mon({}))).toBe('count > 5 over 5m');
    expect(rule(mon({ kind: 'error_rate', threshold: 0.1 }))).toBe('error rate > 10.0% over 5m');
    expect(rule(mon({ kind: 'check', measure: 'down' }))).toBe('the check is down');
    expect(rule(mon({ kind: 'issue', measure: 'users', threshold: 50, window: '1h' }))).toBe('users of an issue > 50 over 1h');
  });

  it('lists monitors with their state, series in alert, channels, and evaluates on demand', async () => {
    let evaluated = 0;
    serve({
      'POST /api/v1/monitors/2/evaluate': () => {
        evaluated++;
        return mon({ id: 2 });
      },
      '/api/v1/monitors': {
        alerting: 1,
        monitors: [
          mon({
            group_by: 'service',
            channels: [4],
            webhook: 'https://hooks.example.com/x',
            series: [
              { key: 'payment-service', state: 'alert', value: 8, firing: true },
              { key: 'cart', state: 'ok', value: 1, firing: false },
            ],
          }),
          mon({ id: 2, name: 'checkout p95', kind: 'latency', measure: undefined, state: 'pending', value: 240, threshold: 800, query: 'service:checkout' }),
        ],
      },
      '/api/v1/channels': { channels: [{ id: 4, name: 'ops slack', type: 'slack' }], types: [] },
      '/api/v1/checks': { checks: [], down: 0 },
    });
    render(<Monitors r={parseHash('#/monitors')} />);
    expect(await screen.findByText('1 of 2 alerting')).toBeTruthy();
    const row = screen.getByText('payment errors').closest('tr')!;
    expect(row.textContent).toContain('alert');
    expect(row.textContent).toContain('count > 5 over 5m');
    expect(row.textContent).toContain('per service');
    expect(row.querySelector('.mon-hot')!.textContent).toBe('payment-service'); // only the series in alert
    await waitFor(() => expect(row.querySelector('.mon-to')!.textContent).toBe('ops slack, webhook'));
    expect(screen.getByText('payment errors').getAttribute('href')).toBe('#/monitors/1');
    const p95 = screen.getByText('checkout p95').closest('tr')!;
    expect(p95.querySelector('.mstate')!.textContent).toBe('pending');
    expect(p95.querySelector('.mon-to')!.textContent).toBe('nobody');
    fireEvent.click(screen.getByLabelText('evaluate checkout p95'));
    await waitFor(() => expect(evaluated).toBe(1));
  });

  it('says how to start when there is no monitor', async () => {
    serve({ '/api/v1/monitors': { alerting: 0, monitors: [] }, '/api/v1/checks': { checks: [], down: 0 }, ...noChannels });
    render(<Monitors r={parseHash('#/monitors')} />);
    expect(await screen.findByText(/No monitor yet/)).toBeTruthy();
  });

  it('creates an aggregate monitor: a query with pipes and the column its threshold applies to', async () => {
    const posted = serveCreate(9, (body) =>
      body.measure === 'p99'
        ? 'invalid: bad query: measure "p99" is not a numeric column of the answer (want one of p95)'
        : String(body.query).includes('nope')
          ? {
              error: 'bad query "service:payment-service | stats p95(duration_ms) as p95 by endpoint | sort nope": pipe 2 (sort), column 76: no column "nope"',
              detail: { q: String(body.query), pipe: 2, name: 'sort', column: 76 },
            }
          : undefined,
    );
    render(<Monitors r={parseHash('#/monitors/new')} />);
    fireEvent.change(screen.getByLabelText('monitor name'), { target: { value: 'slow endpoints' } });
    fireEvent.change(screen.getByLabelText('monitor kind'), { target: { value: 'aggregate' } });
    expect((screen.getByLabelText('monitor query') as HTMLInputElement).value).toBe('service:payment-service | stats p95(duration_ms) as p95 by endpoint');
    expect(screen.queryByLabelText('monitor group by')).toBeNull();
    const query = screen.getByLabelText('monitor query');
    fireEvent.change(query, { target: { value: 'service:payment-service | stats p95(duration_ms) as p95 by endpoint | sort nope' } });
    fireEvent.click(screen.getByText('Create monitor'));
    // The refusal is shown under the query, its pipe marked, and not again under the form.
    const refused = await screen.findByRole('alert', { name: 'query error' });
    expect(refused.textContent).toContain('pipe 2 (sort), column 76: no column "nope"');
    expect(refused.querySelector('mark')!.textContent).toBe('| sort nope');
    expect(refused.querySelector('.caret')!.textContent).toBe('\n' + ' '.repeat(75) + '^');
    expect(screen.getAllByText(/no column "nope"/).length).toBe(1);
    fireEvent.change(query, { target: { value: 'service:payment-service | stats p95(duration_ms) as p95 by endpoint' } });
    fireEvent.change(screen.getByLabelText('monitor measure'), { target: { value: 'p99' } });
    fireEvent.click(screen.getByText('Create monitor'));
    expect(await screen.findByText(/measure "p99" is not a numeric column/)).toBeTruthy();
    fireEvent.change(screen.getByLabelText('monitor measure'), { target: { value: 'p95' } });
    fireEvent.change(screen.getByLabelText('monitor threshold'), { target: { value: '500' } });
    fireEvent.click(screen.getByText('Create monitor'));
    await waitFor(() => expect(location.hash).toBe('#/monitors/9'));
    expect(posted[2]).toMatchObject({
      kind: 'aggregate',
      query: 'service:payment-service | stats p95(duration_ms) as p95 by endpoint',
      measure: 'p95',
      threshold: 500,
      op: '>',
    });
    expect(posted[2].group_by).toBeUndefined();
    expect(rule(mon({ kind: 'aggregate', measure: 'p95', threshold: 500, op: '>', window: '5m' }))).toBe('p95 > 500 over 5m');
  });

  it('creates a monitor from the form and shows the API refusal in words', async () => {
    const posted = serveCreate(7, (body) => (body.window === '0s' ? 'invalid: window "0s" must be above zero (e.g. 5m)' : undefined));
    render(<Monitors r={parseHash('#/monitors/new')} />);
    fireEvent.change(screen.getByLabelText('monitor name'), { target: { value: 'slow checkout' } });
    fireEvent.change(screen.getByLabelText('monitor kind'), { target: { value: 'latency' } });
    fireEvent.change(screen.getByLabelText('monitor query'), { target: { value: 'service:checkout' } });
    fireEvent.change(screen.getByLabelText('monitor group by'), { target: { value: 'endpoint' } });
    fireEvent.change(screen.getByLabelText('monitor threshold'), { target: { value: '800' } });
    fireEvent.change(screen.getByLabelText('monitor pending'), { target: { value: '2m' } });
    fireEvent.change(screen.getByLabelText('monitor window'), { target: { value: '0s' } });
    fireEvent.click(screen.getByText('Create monitor'));
    expect(await screen.findByText(/window "0s" must be above zero/)).toBeTruthy();
    fireEvent.change(screen.getByLabelText('monitor window'), { target: { value: '10m' } });
    fireEvent.click(screen.getByText('+ every day (or some days) between hours'));
    fireEvent.click(screen.getByLabelText('mute 1 on sat'));
    fireEvent.change(screen.getByLabelText('mute 1 time zone'), { target: { value: 'Europe/Paris' } });
    fireEvent.click(screen.getByText('Create monitor'));
    await waitFor(() => expect(location.hash).toBe('#/monitors/7'));
    expect(posted[1]).toMatchObject({
      name: 'slow checkout',
      kind: 'latency',
      query: 'service:checkout',
      threshold: 800,
      window: '10m',
      op: '>',
      group_by: 'endpoint',
      pending: '2m',
      mute: [{ start: '22:00', end: '06:00', tz: 'Europe/Paris', days: ['sat'] }],
    });
    expect(posted[1].measure).toBeUndefined();
    expect(posted[1].check).toBeUndefined();
  });

  it('asks for a check, a card type or a signal by kind, and names channels', async () => {
    const posted: Record<string, unknown>[] = [];
    serve({
      ...options,
      '/api/v1/channels': { channels: [{ id: 3, name: 'ops mail', type: 'email' }], types: [] },
      '/api/v1/checks': { checks: [{ id: 9, name: 'shop', url: 'https://shop.test/health', status: 'up' }], down: 0 },
      'POST /api/v1/monitors': (init?: RequestInit) => {
        posted.push(JSON.parse(String(init?.body)));
        return mon({ id: 8 });
      },
    });
    render(<Monitors r={parseHash('#/monitors/new?kind=check&check=9')} />);
    const check = (await screen.findByLabelText('monitor check')) as HTMLSelectElement;
    await screen.findByText('shop — https://shop.test/health');
    expect(check.value).toBe('9');
    expect(screen.queryByLabelText('monitor threshold')).toBeNull(); // "down" has no threshold to set
    fireEvent.change(screen.getByLabelText('monitor name'), { target: { value: 'shop down' } });
    fireEvent.click(await screen.findByLabelText('notify ops mail'));
    fireEvent.click(screen.getByText('Create monitor'));
    await waitFor(() => expect(posted.length).toBe(1));
    expect(posted[0]).toMatchObject({ name: 'shop down', kind: 'check', check: 9, measure: 'down', channels: [3], query: '' });

    fireEvent.change(screen.getByLabelText('monitor kind'), { target: { value: 'story' } });
    expect((await screen.findByText('throttling')).tagName).toBe('OPTION');
    expect(screen.getByLabelText('monitor severity')).toBeTruthy();
    expect(screen.queryByLabelText('monitor query')).toBeNull();
    fireEvent.change(screen.getByLabelText('monitor kind'), { target: { value: 'baseline' } });
    expect((screen.getByLabelText('monitor signal') as HTMLSelectElement).value).toBe('error_rate');
  });

  it('shows a monitor with its series, history with notes, and deliveries', async () => {
    serve({
      ...noChannels,
      ...options,
      '/api/v1/monitors/1/deliveries': {
        attempts: [
          { id: 2, notification_id: 1, channel_id: 0, monitor_id: 1, attempt: 2, at: '2026-11-21T09:00:05Z', ok: true, duration_ms: 12 },
          { id: 1, notification_id: 1, channel_id: 0, monitor_id: 1, attempt: 1, at: '2026-11-21T09:00:01Z', ok: false, duration_ms: 30, error: 'status 502' },
        ],
      },
      '/api/v1/monitors/1': mon({
        group_by: 'service',
        series: [{ key: 'payment-service', state: 'alert', value: 8, firing: true, since: '2026-11-21T09:00:00Z' }],
        history: [
          { id: 2, at: '2026-11-21T09:00:00Z', series: 'payment-service', from: 'ok', to: 'alert', value: 8, threshold: 5, monitor_id: 1, note: 'notified' },
          { id: 1, at: '2026-11-21T08:59:00Z', series: 'payment-service', from: 'no_data', to: 'ok', value: 3, threshold: 5, monitor_id: 1 },
          // The group of events without the field is named as in the series table.
          { id: 0, at: '2026-11-21T08:58:00Z', from: 'no_data', to: 'ok', value: 1, threshold: 5, monitor_id: 1 },
        ],
      }),
    });
    render(<Monitors r={parseHash('#/monitors/1')} />);
    expect(await screen.findByText('State changes')).toBeTruthy();
    const rows = document.querySelectorAll('.mon-history tr');
    expect(rows.length).toBe(3);
    expect(rows[0].textContent).toContain('ok → alert');
    expect(rows[2].textContent).toContain('(none)');
    expect(rows[0].textContent).toContain('8 vs 5');
    expect(rows[0].textContent).toContain('notified');
    expect(document.querySelector('.mon-series-table')!.textContent).toContain('payment-service');
    expect(await screen.findByText('status 502')).toBeTruthy();
    expect(document.querySelectorAll('.mon-deliveries tr').length).toBe(2);
    expect((screen.getByLabelText('monitor name') as HTMLInputElement).value).toBe('payment errors');
    expect(screen.getByText('Save monitor')).toBeTruthy();
  });

  it('says in its history when nobody was notified or a notification failed, and calls no series notified without a destination', async () => {
    const failed = 'notification to webhook failed: post webhook "http://hook.test": status 500 Internal Server Error';
    const page = (over: Partial<Monitor>) =>
      serve({
        ...noChannels,
        ...options,
        '/api/v1/monitors/1/deliveries': { attempts: [] },
        '/api/v1/monitors/1': mon({
          group_by: 'service',
          series: [{ key: 'shop', state: 'alert', value: 8, firing: true }],
          history: [
            { id: 3, at: '2026-11-21T09:02:00Z', series: 'shop', from: 'ok', to: 'alert', value: 8, threshold: 5, monitor_id: 1, note: failed },
            { id: 2, at: '2026-11-21T09:01:00Z', series: 'shop', from: 'alert', to: 'ok', value: 1, threshold: 5, monitor_id: 1, note: 'resolved: no channel' },
            { id: 1, at: '2026-11-21T09:00:00Z', series: 'shop', from: 'ok', to: 'alert', value: 8, threshold: 5, monitor_id: 1, note: 'no channel: not notified' },
          ],
          ...over,
        }),
      });
    page({});
    render(<Monitors r={parseHash('#/monitors/1')} />);
    expect(await screen.findByText('State changes')).toBeTruthy();
    const notes = [...document.querySelectorAll('.mon-history .mon-note')];
    expect(notes.map((n) => n.textContent)).toEqual([failed, 'resolved: no channel', 'no channel: not notified']);
    // A failure is marked as the deliveries mark theirs; a note of nobody to notify is no failure.
    expect(notes.map((n) => n.classList.contains('err'))).toEqual([true, false, false]);
    const series = document.querySelector('.mon-series-table tbody tr')!;
    expect(series.textContent).not.toContain('notified');
    cleanup();
    page({ webhook: 'http://hook.test' });
    render(<Monitors r={parseHash('#/monitors/1')} />);
    expect(await screen.findByText('State changes')).toBeTruthy();
    expect(document.querySelector('.mon-series-table tbody tr')!.textContent).toContain('notified');
  });

  it('marks an approximate value with ≈ and says it is estimated from sampled events, an exact one not', async () => {
    serve({
      '/api/v1/monitors': {
        alerting: 2,
        monitors: [
          mon({ name: 'shop traffic', value: 3120, approximate: true, sampled: 309, threshold: 1000 }),
          mon({ id: 2, name: 'shop errors', value: 30, threshold: 10 }),
        ],
      },
      '/api/v1/checks': { checks: [], down: 0 },
      ...noChannels,
    });
    render(<Monitors r={parseHash('#/monitors')} />);
    const approx = (await screen.findByText('shop traffic')).closest('tr')!.querySelector('.mon-value')!;
    expect(approx.textContent).toBe('≈3120');
    expect(approx.querySelector('[title]')!.getAttribute('title')).toMatch(/^estimated from sampled events: 309 of the events measured were kept/);
    const exact = screen.getByText('shop errors').closest('tr')!.querySelector('.mon-value')!;
    expect(exact.textContent).toBe('30');
    expect(exact.querySelector('[title]')).toBeNull();
  });

  it('marks approximate values on a monitor’s page: its value, series and history', async () => {
    serve({
      ...noChannels,
      ...options,
      '/api/v1/monitors/1/deliveries': { attempts: [] },
      '/api/v1/monitors/1': mon({
        group_by: 'service',
        value: 3120,
        approximate: true,
        sampled: 309,
        series: [
          { key: 'shop', state: 'alert', value: 3120, approximate: true, sampled: 309, firing: true },
          { key: 'cart', state: 'ok', value: 4, firing: false },
        ],
        history: [
          { id: 2, at: '2026-11-21T09:00:00Z', series: 'shop', from: 'ok', to: 'alert', value: 3120, approximate: true, threshold: 5, monitor_id: 1, note: 'notified' },
          { id: 1, at: '2026-11-21T08:59:00Z', series: 'cart', from: 'no_data', to: 'ok', value: 4, threshold: 5, monitor_id: 1 },
        ],
      }),
    });
    render(<Monitors r={parseHash('#/monitors/1')} />);
    expect(await screen.findByText('State changes')).toBeTruthy();
    const head = document.querySelector('.mon-value.big')!;
    expect(head.textContent).toBe('≈3120');
    expect(head.querySelector('[title]')!.getAttribute('title')).toContain('estimated from sampled events: 309');
    const series = document.querySelectorAll('.mon-series-table tbody tr');
    expect(series[0].textContent).toContain('≈3120');
    expect(series[1].textContent).not.toContain('≈');
    const changes = document.querySelectorAll('.mon-history tr');
    expect(changes[0].textContent).toContain('≈3120 vs 5');
    expect(changes[0].querySelector('[title]')!.getAttribute('title')).toMatch(/^approximate/);
    expect(changes[1].textContent).toContain('4 vs 5');
    expect(changes[1].textContent).not.toContain('≈');
  });

  it('puts the number of monitors in alert on the Overview', async () => {
    serve({
      '/api/v1/stories': { stories: [] },
      '/api/v1/histogram': { buckets: [{ ts: '', count: 10, by: { info: 10 } }] },
      '/api/v1/issues': { issues: [] },
      '/api/v1/latency': { spans: 0, p50: 0, p95: 0, p99: 0 },
      '/api/v1/facets': { total: 0, values: [] },
      '/api/v1/monitors': { alerting: 2, monitors: [mon({}), mon({ id: 2, name: 'b' }), mon({ id: 3, name: 'c', state: 'ok' })] },
    });
    render(<Overview r={parseHash('#/overview')} />);
    const down = (await screen.findByText('monitors down')).closest('a')!;
    await waitFor(() => expect(down.textContent).toBe('2monitors down'));
    expect(down.getAttribute('href')).toBe('#/monitors');
  });
});

describe('Status', () => {
  it('shows the overall status, each check with its uptime bars, and adds a check', async () => {
    const hours = Array.from({ length: 24 }, (_, i) => (i < 2 ? null : i === 23 ? 0.5 : 1));
    let created: Record<string, unknown> | undefined;
    serve({
      '/api/v1/status': {
        project: 1,
        status: 'degraded',
        up: 1,
        down: 1,
        tls_expiring: 1,
        monitors: 3,
        generated_at: '2026-11-21T09:00:00Z',
        alerting: [{ id: 5, name: 'shop down', kind: 'check', state: 'alert', value: 1, since: '2026-11-21T08:58:00Z' }],
        checks: [
          {
            id: 1,
            name: 'shop',
            url: 'https://shop.test/health',
            interval: '30s',
            timeout: '5s',
            status: 'down',
            uptime: 0.9583,
            hours,
            last_check: { at: '2026-11-21T08:59:30Z', status_code: 503, latency_ms: 41, error: 'status 503, want 200' },
          },
          {
            id: 2,
            name: 'api',
            url: 'https://api.test/',
            interval: '1m',
            timeout: '10s',
            status: 'up',
            uptime: 1,
            hours,
            last_check: { at: '2026-11-21T08:59:40Z', status_code: 200, latency_ms: 88, error: '', tls_days_left: 6, tls_expiring: true },
          },
        ],
      },
      'POST /api/v1/checks': (init?: RequestInit) => {
        created = JSON.parse(String(init?.body));
        return { id: 3, ...created };
      },
    });
    render(<Status r={parseHash('#/status')} />);
    expect(await screen.findByText('Something is wrong')).toBeTruthy();
    const shop = screen.getByLabelText('check shop');
    expect(shop.textContent).toContain('95.8%');
    expect(shop.textContent).toContain('status 503, want 200');
    expect(shop.querySelectorAll('.uptime-bars .ubar').length).toBe(24);
    expect(shop.querySelectorAll('.ubar-none').length).toBe(2);
    expect(shop.querySelectorAll('.ubar-down').length).toBe(1);
    expect(screen.getByLabelText('check api').textContent).toContain('6 days left (renew it)');
    expect(screen.getByText('shop down').getAttribute('href')).toBe('#/monitors/5');
    fireEvent.click(screen.getByText('Add a check'));
    fireEvent.change(screen.getByLabelText('check name'), { target: { value: 'docs' } });
    fireEvent.change(screen.getByLabelText('check url'), { target: { value: 'https://docs.test/' } });
    fireEvent.change(screen.getByLabelText('check interval'), { target: { value: '5s' } });
    fireEvent.change(screen.getByLabelText('check timeout'), { target: { value: '2s' } });
    fireEvent.change(screen.getByLabelText('check expected body'), { target: { value: 'Docs' } });
    fireEvent.click(screen.getByText('Create check'));
    await waitFor(() => expect(created).toMatchObject({ name: 'docs', url: 'https://docs.test/', interval: '5s', timeout: '2s', expect_status: 200, expect_body: 'Docs' }));
  });
});

describe('Channels', () => {
  it('lists channels, sends a test and adds an email channel with its SMTP settings', async () => {
    let created: Record<string, unknown> | undefined;
    serve({
      '/api/v1/channels': {
        channels: [
          { id: 1, name: 'ops slack', type: 'slack', url: 'https://hooks.slack.com/…' },
          { id: 2, name: 'pager', type: 'webhook', url: 'https://pager.test/hook' },
        ],
        types: [],
      },
      'POST /api/v1/channels/2/test': { ok: false, error: 'post webhook "https://pager.test/hook": status 500' },
      'POST /api/v1/channels': (init?: RequestInit) => {
        created = JSON.parse(String(init?.body));
        return { id: 3, ...created };
      },
    });
    render(<ChannelsSettings />);
    expect(await screen.findByText('ops slack')).toBeTruthy();
    fireEvent.click(screen.getByLabelText('test pager'));
    expect(await screen.findByText(/failed: post webhook/)).toBeTruthy();
    fireEvent.change(screen.getByLabelText('channel name'), { target: { value: 'oncall mail' } });
    fireEvent.change(screen.getByLabelText('channel type'), { target: { value: 'email' } });
    fireEvent.change(screen.getByLabelText('channel to'), { target: { value: 'a@shop.test, b@shop.test' } });
    fireEvent.change(screen.getByLabelText('smtp host'), { target: { value: 'smtp.shop.test' } });
    fireEvent.change(screen.getByLabelText('smtp username'), { target: { value: 'lore' } });
    fireEvent.change(screen.getByLabelText('smtp password'), { target: { value: 'pw' } });
    fireEvent.change(screen.getByLabelText('smtp from'), { target: { value: 'lore@shop.test' } });
    fireEvent.click(screen.getByText('Add channel'));
    await waitFor(() =>
      expect(created).toMatchObject({
        name: 'oncall mail',
        type: 'email',
        to: ['a@shop.test', 'b@shop.test'],
        smtp: { host: 'smtp.shop.test', tls: 'starttls', username: 'lore', password: 'pw', from: 'lore@shop.test' },
      }),
    );
  });
});
