import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { pin, templates, type Panel } from '../dashboards';
import { parseHash } from '../route';
import { Dashboards, panelLink } from './Dashboards';
import type { FieldInfo } from '../api';
import { Fields, matches, presentQuery } from './Fields';
import { snippets } from './Settings';

// jsdom draws no canvas: uPlot is replaced by a recorder of what each chart was given.
const plots = vi.hoisted(() => [] as { labels: string[]; data: unknown[][] }[]);
vi.mock('uplot', () => ({
  default: class {
    constructor(opts: { series: { label?: string }[] }, data: unknown[][]) {
      plots.push({ labels: opts.series.slice(1).map((x) => x.label || ''), data });
    }
    setSize() {}
    destroy() {}
  },
}));

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const field = (over: Partial<FieldInfo>): FieldInfo => ({
  name: 'order_id',
  column: false,
  type: 'number',
  types: [{ type: 'number', count: 30, first_seen: '', last_seen: '' }],
  count: 30,
  cardinality: 30,
  examples: ['1000', '1001'],
  services: [{ service: 'cart', count: 30 }],
  first_seen: '2026-11-20T10:00:00Z',
  last_seen: '2026-11-20T11:00:00Z',
  first_seen_ever: '2026-11-20T10:00:00Z',
  ...over,
});

describe('Fields', () => {
  it('filters by name, type, service, example and drift badge', () => {
    const f = field({ drift: [{ kind: 'type_changed', at: '', note: 'seen as number (30) and, since 11:00, as string (10)' }] });
    expect(matches(f, 'order')).toBe(true);
    expect(matches(f, 'number cart')).toBe(true);
    expect(matches(f, '1001')).toBe(true);
    expect(matches(f, 'type changed'.split(' ')[0])).toBe(false);
    expect(matches(f, 'type_changed')).toBe(true);
    expect(matches(f, 'web')).toBe(false);
  });
  it('searches an attribute named like an alias or a column with "@"', () => {
    expect(presentQuery({ name: 'method', column: false })).toBe('@method:*');
    expect(presentQuery({ name: 'service', column: false })).toBe('@service:*');
    expect(presentQuery({ name: 'service', column: true })).toBe('service:*');
    expect(presentQuery({ name: 'url.full', column: false })).toBe('url.full:*');
  });
  it('lists the dictionary with drift badges and links each field to a search', async () => {
    const dict = {
      from: '',
      to: '',
      cardinality_method: 'approximate',
      drift: 1,
      fields: [
        field({ name: 'service', column: true, type: 'string', services: [] }),
        field({ drift: [{ kind: 'type_changed', at: '', note: 'seen as number (30) and, since 11:00, as string (10)' }] }),
      ],
    };
    vi.stubGlobal('fetch', async (u: URL) => {
      expect(u.pathname).toBe('/api/v1/fields');
      return new Response(JSON.stringify(dict));
    });
    render(<Fields r={parseHash('#/fields?from=now-1h')} />);
    const link = await screen.findByText('order_id');
    expect(link.getAttribute('href')).toContain('q=order_id%3A*');
    expect(screen.getByText('type changed')).toBeTruthy();
    expect(screen.getByText('2 of 2 fields · 1 with drift')).toBeTruthy();
    fireEvent.change(screen.getByLabelText('filter fields'), { target: { value: 'service' } });
    expect(screen.queryByText('order_id')).toBeNull();
  });
});

describe('Settings snippets', () => {
  it('fill in the host and project', () => {
    const s = Object.fromEntries(snippets('https://lore.example.com', 3).map((x) => [x.id, x.code]));
    expect(s.sentry).toContain('dsn: "https://LORE_INGEST_KEY@lore.example.com/3"');
    expect(s.otel).toContain('OTEL_EXPORTER_OTLP_ENDPOINT=https://lore.example.com');
    expect(s.browser).toContain('<script src="https://lore.example.com/sdk.js"></script>');
    expect(s.fluentbit).toContain('Port               443');
    expect(s.fluentbit).toContain('tls                On');
    expect(s.vector).toContain('endpoints = ["https://lore.example.com"]');
    expect(s.filebeat).toContain('hosts: ["https://lore.example.com"]');
    expect(s.alloy).toContain('url          = "https://lore.example.com/loki/api/v1/push"');
    expect(s['collector-grpc']).toContain('endpoint: lore.example.com:4317');
    expect(s.rsyslog).toContain('serverport="443"');
    expect(s.gosdk).toContain('Endpoint: "https://lore.example.com"');
  });
});

describe('Dashboards', () => {
  it('builds the investigation templates into searches', () => {
    const t = Object.fromEntries(templates.map((x) => [x.id, x]));
    expect(t.slow.link({ ms: '750', service: 'cart' }).params.q).toBe('kind:span duration_ms:>750 service:cart');
    expect(t.retries.link({ peer: 'payment-gateway', caller: 'payment-service' }).params.q).toBe(
      '(peer.service:payment-gateway (http_status:429 OR http_status:>=500 OR retry_attempt:>=1)) OR (service:payment-service retry_attempt:>=1)',
    );
    expect(t.journey.link({ user: 'user_1' }).path).toEqual(['journey', 'user', 'user_1']);
  });
  it('links a panel back to its page', () => {
    const f: Panel = { title: 'f', kind: 'funnel', params: { steps: [{ event: 'A' }, { event: 'B' }], window: '2h' } };
    expect(panelLink(f, 'now-7d', 'now')).toBe('#/product?f=%5B%7B%22event%22%3A%22A%22%7D%2C%7B%22event%22%3A%22B%22%7D%5D&window=2h&from=now-7d');
    expect(panelLink({ title: 'h', kind: 'histogram', query: 'level:error' }, 'now-1h', 'now')).toBe('#/explore?q=level%3Aerror&from=now-1h');
  });
  it('draws a query panel from GET /api/v1/query, in the dashboard range', async () => {
    const asked: URLSearchParams[] = [];
    const q = 'level:error | top 5 endpoint';
    vi.stubGlobal('fetch', async (u: URL) => {
      if (u.pathname === '/api/v1/dashboards/3') return new Response(JSON.stringify({ id: 3, name: 'Pipes', from: 'now-6h', panels: [{ title: 'worst', kind: 'query', query: q }] }));
      if (u.pathname === '/api/v1/query') {
        asked.push(u.searchParams);
        return new Response(
          JSON.stringify({ columns: [{ name: 'endpoint', type: 'string' }, { name: 'count', type: 'number' }], rows: [['/pay', 9], ['/cart', 2]], took_ms: 4, aggregate: true, chart: 'bar' }),
        );
      }
      return new Response(JSON.stringify({ error: 'unexpected' }), { status: 500 });
    });
    const { container } = render(<Dashboards r={parseHash('#/dashboards/3')} />);
    await waitFor(() => expect(container.querySelectorAll('.dpanel-query .qbars li').length).toBe(2));
    expect(asked[0].get('q')).toBe(q);
    expect(asked[0].get('from')).toBe('now-6h');
    expect(container.querySelectorAll('.dpanel-query table.qtable tbody tr').length).toBe(2);
    expect(panelLink({ title: 'worst', kind: 'query', query: q }, 'now-6h', 'now')).toBe('#/explore?q=level%3Aerror+%7C+top+5+endpoint&from=now-6h');
  });
  it('draws a timechart panel as lines, and a panel the server refuses with its pipe marked, beside the others', async () => {
    const line = 'level:error | timechart span=1h count() by service';
    const bad = 'level:error | stats count() by endpoint | sort nope desc';
    vi.stubGlobal('fetch', async (u: URL) => {
      if (u.pathname === '/api/v1/dashboards/5')
        return new Response(
          JSON.stringify({ id: 5, name: 'Mixed', panels: [{ title: 'errors by service', kind: 'query', query: line }, { title: 'stale', kind: 'query', query: bad }] }),
        );
      if (u.pathname === '/api/v1/query' && u.searchParams.get('q') === line)
        return new Response(
          JSON.stringify({
            columns: [{ name: 'time', type: 'time' }, { name: 'service', type: 'string' }, { name: 'count', type: 'number' }],
            rows: [
              ['2026-12-05T10:00:00.000000Z', 'cart', 3],
              ['2026-12-05T10:00:00.000000Z', 'payment-service', 9],
              ['2026-12-05T11:00:00.000000Z', 'payment-service', 4],
            ],
            took_ms: 3,
            aggregate: true,
            chart: 'line',
          }),
        );
      if (u.pathname === '/api/v1/query')
        return new Response(
          JSON.stringify({
            error: `bad query "${bad}": pipe 2 (sort), column 46: no column "nope"`,
            detail: { q: bad, pipe: 2, name: 'sort', column: 46 },
          }),
          { status: 400 },
        );
      return new Response(JSON.stringify({ error: 'unexpected' }), { status: 500 });
    });
    vi.stubGlobal('ResizeObserver', class { observe() {} disconnect() {} });
    plots.length = 0;
    const { container } = render(<Dashboards r={parseHash('#/dashboards/5')} />);
    await waitFor(() => expect(container.querySelector('.dpanel-query [data-chart="line"] .linechart')).toBeTruthy());
    await waitFor(() => expect(container.querySelector('.dpanel-query [aria-label="query error"]')).toBeTruthy());
    const [first, second] = container.querySelectorAll('.dpanel-query');
    // One line per service (the busiest first), over the two hours; an hour without a service is a gap.
    expect(plots.at(-1)!.labels).toEqual(['payment-service', 'cart']);
    expect(plots.at(-1)!.data).toEqual([[Date.parse('2026-12-05T10:00:00Z') / 1000, Date.parse('2026-12-05T11:00:00Z') / 1000], [9, 4], [3, null]]);
    expect(first.querySelectorAll('table.qtable tbody tr').length).toBe(3);
    expect(first.querySelector('[data-chart="bar"]')).toBeNull();
    // The refused panel marks its pipe; the other panel is drawn all the same.
    expect(second.querySelector('[aria-label="query error"] mark')!.textContent).toBe('| sort nope desc');
    expect(second.textContent).toContain('pipe 2 (sort), column 46: no column "nope"');
    expect(first.querySelector('[aria-label="query error"]')).toBeNull();
  });
  it('pins a panel by appending it to the dashboard', async () => {
    const calls: { method: string; path: string; body?: string }[] = [];
    vi.stubGlobal('fetch', async (u: URL, init?: RequestInit) => {
      calls.push({ method: init?.method || 'GET', path: u.pathname, body: init?.body as string });
      const existing = { id: 4, name: 'Ops', panels: [{ title: 'a', kind: 'histogram' }] };
      if (!init?.method) return new Response(JSON.stringify(existing));
      return new Response(init.body as string);
    });
    const d = await pin({ title: 'b', kind: 'facet', params: { field: 'service' } }, { id: 4 });
    expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual(['GET /api/v1/dashboards/4', 'PUT /api/v1/dashboards/4']);
    expect(d.panels.map((p) => p.title)).toEqual(['a', 'b']);
  });
  it('lists dashboards and saved searches, with an empty state', async () => {
    vi.stubGlobal('fetch', async (u: URL) => {
      if (u.pathname === '/api/v1/dashboards') return new Response(JSON.stringify({ dashboards: [{ id: 2, name: 'Checkout', panels: [{}, {}] }] }));
      return new Response(JSON.stringify({ searches: [] }));
    });
    render(<Dashboards r={parseHash('#/dashboards')} />);
    expect((await screen.findByText('Checkout')).getAttribute('href')).toBe('#/dashboards/2');
    expect(await screen.findByText(/No saved search yet/)).toBeTruthy();
    expect(screen.getByRole('form', { name: "Trace a user's journey" })).toBeTruthy();
  });
});
