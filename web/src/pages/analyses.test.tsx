import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { moveRow, useKeys } from '../components/Keys';
import { apply, fieldSuggestions, SearchInput, tokenAt } from '../components/SearchInput';
import { applyTheme, ThemeToggle } from '../components/Theme';
import { parseHash } from '../route';
import { eventId } from '../util';
import { Explore } from './Explore';
import type { Anomaly, StoryCard, TrendsAnswer } from '../api';
import { dropoffQuery } from '../components/FunnelChart';
import { heat } from '../components/common';
import { trendLines } from '../components/LineChart';
import { pickOf } from '../components/StoryCard';
import { Incident, signalQuery } from './Incident';
import { Issues } from './Issues';
import { flow, Flow, other } from './Paths';
import { future, Retention } from './Retention';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  vi.useRealTimers();
  localStorage.clear();
  delete document.documentElement.dataset.theme;
});

const json = (v: unknown, status = 200) => new Response(JSON.stringify(v), { status });

describe('Retention', () => {
  it('shades by rate and leaves periods not yet reached blank', () => {
    expect(heat(0)).toContain('8%');
    expect(heat(1)).toContain('90%');
    expect(future('2026-11-20T00:00:00Z', 1, 'day', '2026-11-21T12:00:00Z')).toBe(false);
    expect(future('2026-11-20T00:00:00Z', 2, 'day', '2026-11-21T12:00:00Z')).toBe(true);
    expect(future('2026-11-20T00:00:00Z', 1, 'week', '2026-11-21T12:00:00Z')).toBe(true);
  });
  it('asks the API the question in the URL and draws one row per cohort', async () => {
    const bodies: unknown[] = [];
    vi.stubGlobal('fetch', async (u: URL, init?: RequestInit) => {
      if (u.pathname === '/api/v1/retention') {
        bodies.push(JSON.parse(String(init?.body)));
        return json({
          period: 'day',
          range: { from: '2026-11-19T00:00:00Z', to: '2026-11-21T12:00:00Z' },
          cohorts: [
            { start: '2026-11-19T00:00:00Z', size: 100, returned: [100, 20, 5], rates: [1, 0.2, 0.05] },
            { start: '2026-11-20T00:00:00Z', size: 50, returned: [50, 10, 0], rates: [1, 0.2, 0] },
          ],
        });
      }
      return json({ field: 'name', total: 0, distinct: 0, values: [] });
    });
    const { container } = render(<Retention r={parseHash('#/product/retention?start=Signed+Up&periods=3')} />);
    await screen.findByText('5.0%');
    expect(bodies[0]).toMatchObject({ start_event: 'Signed Up', periods: 3, period: 'day' });
    expect(container.querySelectorAll('table.heat tbody tr').length).toBe(2);
    // Day 2 of the second cohort ends after the range: blank, not 0%.
    expect(container.querySelectorAll('table.heat tbody tr')[1].querySelectorAll('td.future').length).toBe(1);
  });
});

describe('Paths flow', () => {
  const paths = [
    { steps: ['a', 'b', 'error: X'], persons: 6 },
    { steps: ['c', 'error: X'], persons: 3 },
    { steps: ['d', 'b', 'error: Y'], persons: 1 },
  ];
  it('aligns paths on their last step before an end event', () => {
    const f = flow(paths, { alignEnd: true, width: 300, height: 100 });
    expect(f.cols).toBe(3);
    const col = (name: string) => f.nodes.find((n) => n.name === name)!.col;
    expect(col('error: X')).toBe(2);
    expect(col('c')).toBe(1);
    expect(f.nodes.find((n) => n.name === 'b')!.persons).toBe(7);
    // One link per consecutive pair, as wide as the persons who followed it.
    const bx = f.links.find((l) => l.from.name === 'b' && l.to.name === 'error: X')!;
    const cx = f.links.find((l) => l.from.name === 'c' && l.to.name === 'error: X')!;
    expect(bx.w / cx.w).toBeCloseTo(2);
  });
  it('aligns on the first step after a start event and merges rare steps', () => {
    const f = flow(paths, { alignEnd: false, width: 300, height: 100, perCol: 1 });
    expect(f.nodes.filter((n) => n.col === 0).map((n) => n.name).sort()).toEqual([other, 'a']);
    expect(f.nodes.find((n) => n.col === 0 && n.name === other)!.persons).toBe(4);
  });
  it('draws nodes that open Explore', () => {
    const { container } = render(<Flow paths={paths} alignEnd r={parseHash('#/product/paths?from=now-3d')} />);
    expect(container.querySelectorAll('.fnode').length).toBe(6);
    const link = [...container.querySelectorAll('a')].find((a) => a.textContent?.startsWith('error: X'))!;
    expect(link.getAttribute('href')).toBe('#/explore?from=now-3d&q=error_type%3AX');
  });
});

describe('Trends', () => {
  it('lays the previous period under the current one', () => {
    const t = trendLines({
      measure: 'count',
      interval_seconds: 3600,
      series: [{ breakdown: '', total: 3, points: [{ start: '2026-11-20T00:00:00Z', value: 1 }, { start: '2026-11-20T01:00:00Z', value: 2 }] }],
      previous: [{ breakdown: '', total: 1, points: [{ start: '2026-11-19T00:00:00Z', value: 1 }] }],
    } as TrendsAnswer);
    expect(t.xs).toEqual([Date.parse('2026-11-20T00:00:00Z') / 1000, Date.parse('2026-11-20T01:00:00Z') / 1000]);
    expect(t.lines.map((l) => l.label)).toEqual(['current', 'previous (previous period)']);
    expect(t.lines[1].values).toEqual([1, null]);
    expect(t.lines[1].dashed).toBe(true);
  });
});

describe('Funnel drop-off', () => {
  it('finds errors by type and slow requests by endpoint', () => {
    expect(dropoffQuery({ kind: 'error', label: 'RateLimited', service: 'payment-service' })).toBe('service:payment-service error_type:RateLimited');
    expect(dropoffQuery({ kind: 'slow', label: '/cart/checkout', service: 'cart' })).toBe('service:cart kind:span endpoint:/cart/checkout duration_ms:>1000');
    expect(dropoffQuery({ kind: 'rage_click', label: 'Pay now', service: 'web' }, ['u1'])).toBe('name:"$rageclick" (user_id:u1 OR anonymous_id:u1)');
  });
});

const anomaly = (over: Partial<Anomaly>): Anomaly => ({
  service: 'inventory',
  signal: 'p95_ms',
  at: '2026-11-20T14:01:00Z',
  value: 186,
  peak: 5000,
  baseline: { median: 8, mad: 1, warning_above: 67.7, critical_above: 127 },
  crossed: ['warning'],
  text: 'inventory latency rose at 14:01 (p95 186ms, usually 8ms)',
  ...over,
});

describe('Incident', () => {
  it('searches the evidence of each signal', () => {
    expect(signalQuery(anomaly({}))).toBe('service:inventory kind:span duration_ms:>68');
    expect(signalQuery(anomaly({ signal: 'retries' }))).toBe('service:inventory retry_attempt:>=1');
    expect(signalQuery(anomaly({ signal: 'new_pattern', text: 'inventory logged a new message pattern at 14:14: query timed out after <*>' }))).toBe(
      'service:inventory "query timed out after"',
    );
  });
  it('picks a story card\'s moment: its end or an hour in, looking back over it', () => {
    const card = (from: string, to: string) => ({ type: 'x', title: 't', severity: 'critical', from, to }) as StoryCard;
    expect(pickOf(card('2026-11-20T14:00:00Z', '2026-11-20T14:20:00Z'))).toEqual({ at: '2026-11-20T14:20:00.000Z', before: '35m' });
    expect(pickOf(card('2026-11-20T14:00:00Z', '2026-11-21T09:00:00Z'))).toEqual({ at: '2026-11-20T15:00:00.000Z', before: '75m' });
  });
  it('shows the departures in order with the narrative, each linked to Explore', async () => {
    const asked: URL[] = [];
    vi.stubGlobal('fetch', async (u: URL) => {
      asked.push(u);
      if (u.pathname === '/api/v1/stories') return json({ stories: [] });
      return json({
        at: '2026-11-20T14:30:00Z',
        from: '2026-11-20T14:00:00Z',
        baseline: 'median and MAD',
        step: '1m0s',
        narrative: ['First, inventory latency rose at 14:01.', 'Then cart errors rose at 14:03.'],
        events: [anomaly({}), anomaly({ service: 'cart', signal: 'error_rate', at: '2026-11-20T14:03:00Z', text: 'cart errors rose at 14:03' })],
      });
    });
    const { container } = render(<Incident r={parseHash('#/incident?at=2026-11-20T14:30:00Z&before=30m')} />);
    await screen.findByText('Then cart errors rose at 14:03.');
    const tl = asked.find((u) => u.pathname === '/api/v1/incidents/timeline')!;
    expect(tl.searchParams.get('at')).toBe('2026-11-20T14:30:00Z');
    expect(tl.searchParams.get('before')).toBe('30m');
    const rows = container.querySelectorAll('.tl-row');
    expect([...rows].map((r) => r.querySelector('.order')?.textContent)).toEqual(['#1 14:01', '#2 14:03']);
    const sig = rows[1].querySelector('a.signal')!.getAttribute('href')!;
    const p = parseHash(sig);
    expect(p.path).toEqual(['explore']);
    expect(p.params.get('q')).toBe('service:cart (level:error OR level:fatal)');
    expect(p.params.get('from')).toBe('2026-11-20T14:00:00Z');
    expect(p.params.get('to')).toBe('2026-11-20T14:30:00Z');
  });
});

describe('Search autocomplete', () => {
  it('finds the term under the caret', () => {
    expect(tokenAt('level:error serv', 16)).toEqual({ start: 12, end: 16, prefix: 'serv' });
    expect(tokenAt('-service:ca', 11)).toEqual({ start: 1, end: 11, field: 'service', prefix: 'ca' });
    expect(tokenAt('"rate lim', 9)).toBeUndefined();
  });
  it('suggests fields, aliases and attribute keys', () => {
    expect(fieldSuggestions('serv', []).map((s) => s.label)).toEqual(['service']);
    expect(fieldSuggestions('stat', []).map((s) => s.label)).toEqual(['status', 'http_status']);
    expect(fieldSuggestions('plan', ['user.plan']).map((s) => s.label)).toEqual(['user.plan']);
  });
  it('replaces the term, quoting values and ending them with a space', () => {
    const t = tokenAt('level:error ser', 15)!;
    expect(apply('level:error ser', t, { text: 'service:', label: 'service' })).toEqual({ text: 'level:error service:', caret: 20 });
    const v = tokenAt('service:pa', 10)!;
    expect(apply('service:pa', v, { text: 'service:payment-service', label: '' }).text).toBe('service:payment-service ');
  });
  it('offers a field\'s values from the facets endpoint', async () => {
    const asked: URL[] = [];
    vi.stubGlobal('fetch', async (u: URL) => {
      asked.push(u);
      return json({ field: 'service', total: 9, distinct: 2, values: [{ value: 'cart', count: 5 }, { value: 'payment service', count: 4 }] });
    });
    let value = '';
    const { rerender } = render(<SearchInput value={value} onChange={(v) => (value = v)} from="now-1h" to="now" attrKeys={[]} />);
    const input = screen.getByRole('combobox') as HTMLInputElement;
    fireEvent.change(input, { target: { value: 'service:pa', selectionStart: 10 } });
    rerender(<SearchInput value="service:pa" onChange={(v) => (value = v)} from="now-1h" to="now" attrKeys={[]} />);
    const opt = await screen.findByText('payment service');
    expect(asked[0].searchParams.get('field')).toBe('service');
    fireEvent.mouseDown(opt);
    expect(value).toBe('service:"payment service" ');
  });
});

describe('Explore live tail', () => {
  it('puts events newer than the newest shown on top, once each', async () => {
    const old = { ts: '2026-11-20T10:00:00.000001Z', kind: 'log', service: 'cart', message: 'old one' };
    const neu = { ts: '2026-11-20T10:00:05Z', kind: 'log', service: 'cart', message: 'new one' };
    const polls: string[] = [];
    vi.stubGlobal('fetch', async (u: URL) => {
      if (u.pathname === '/api/v1/search') {
        const from = u.searchParams.get('from')!;
        if (from === old.ts) {
          polls.push(from);
          return json({ events: [neu, old] });
        }
        return json({ events: [old] });
      }
      if (u.pathname === '/api/v1/histogram') return json({ error: 'no' }, 500);
      return json({ field: 'x', total: 0, distinct: 0, values: [] });
    });
    const { container } = render(<Explore r={parseHash('#/explore?live=1')} />);
    await screen.findByText('new one');
    const msgs = [...container.querySelectorAll('table.events tbody td.msg')].map((t) => t.textContent);
    expect(msgs).toEqual(['new one', 'old one']);
    expect(polls[0]).toBe(old.ts);
    expect(screen.getByText('live')).toBeTruthy();
  });
});

describe('Explore live tail pauses', () => {
  it('does not poll while the page is scrolled down', async () => {
    const old = { ts: '2026-11-20T10:00:00Z', kind: 'log', service: 'cart', message: 'old one' };
    let polls = 0;
    vi.stubGlobal('fetch', async (u: URL) => {
      if (u.pathname === '/api/v1/search') {
        if (u.searchParams.get('from') === old.ts) polls++;
        return json({ events: [old] });
      }
      if (u.pathname === '/api/v1/histogram') return json({ error: 'no' }, 500);
      return json({ field: 'x', total: 0, distinct: 0, values: [] });
    });
    Object.defineProperty(window, 'scrollY', { value: 400, configurable: true });
    try {
      render(<Explore r={parseHash('#/explore?live=1')} />);
      await screen.findByText('paused (scrolled)');
      expect(polls).toBe(0);
    } finally {
      Object.defineProperty(window, 'scrollY', { value: 0, configurable: true });
    }
  });
});

describe('Issues bulk', () => {
  it('changes the status of the selected issues and reloads the list', async () => {
    const patches: [string, string][] = [];
    let lists = 0;
    vi.stubGlobal('fetch', async (u: URL, init?: RequestInit) => {
      if (init?.method === 'PATCH') {
        patches.push([u.pathname, String(init.body)]);
        return json({});
      }
      if (u.pathname !== '/api/v1/issues') return json({ field: 'service', total: 0, distinct: 0, values: [] });
      lists++;
      return json({
        issues: [
          { id: 7, title: 'TypeError: boom', status: 'unresolved', count: 2, users: 1, first_seen: '', last_seen: '', count_24h: [1] },
          { id: 9, title: 'RangeError: bad', status: 'unresolved', count: 2, users: 1, first_seen: '', last_seen: '', count_24h: [1] },
        ],
      });
    });
    location.hash = '#/issues?sel=7,9';
    const { rerender } = render(<Issues r={parseHash(location.hash)} />);
    await screen.findByText('2 selected');
    fireEvent.click(screen.getByText('Resolve'));
    await waitFor(() => expect(lists).toBe(2));
    expect(patches.sort()).toEqual([
      ['/api/v1/issues/7', '{"status":"resolved"}'],
      ['/api/v1/issues/9', '{"status":"resolved"}'],
    ]);
    // The selection is cleared in the URL.
    expect(location.hash).toBe('#/issues');
    rerender(<Issues r={parseHash(location.hash)} />);
    await screen.findByText('Resolved 2 issues.');
  });
});

describe('Keyboard and theme', () => {
  it('g then m or , goes to Monitors or Settings, keeping the range', () => {
    function Keys() {
      useKeys();
      return null;
    }
    location.hash = '#/explore?from=now-3d';
    render(<Keys />);
    const press = (key: string) => act(() => void window.dispatchEvent(new KeyboardEvent('keydown', { key })));
    press('g');
    press('m');
    expect(location.hash).toBe('#/monitors?from=now-3d');
    press('g');
    press(',');
    expect(location.hash).toBe('#/settings?from=now-3d');
  });
  it('j and k move between the rows of the page', () => {
    render(
      <main>
        <div data-row tabIndex={-1}>
          one
        </div>
        <div data-row tabIndex={-1}>
          two
        </div>
      </main>,
    );
    Element.prototype.scrollIntoView = () => {};
    expect(moveRow(1)?.textContent).toBe('one');
    expect(moveRow(1)?.textContent).toBe('two');
    expect(moveRow(1)?.textContent).toBe('two');
    expect(moveRow(-1)?.textContent).toBe('one');
  });
  it('the toggle switches the theme and remembers it', () => {
    applyTheme('');
    render(<ThemeToggle />);
    act(() => fireEvent.click(screen.getByRole('button', { name: 'switch to dark mode' })));
    expect(document.documentElement.dataset.theme).toBe('dark');
    expect(localStorage.getItem('lore.theme')).toBe('dark');
    act(() => fireEvent.click(screen.getByRole('button', { name: 'switch to light mode' })));
    expect(document.documentElement.dataset.theme).toBe('light');
    // Light is what this system prefers: the choice is forgotten.
    expect(localStorage.getItem('lore.theme')).toBeNull();
  });
});

describe('Explore requests', () => {
  it('asks for the histogram and each facet once per search, after its first page', async () => {
    const asked: string[] = [];
    vi.stubGlobal('fetch', async (u: URL) => {
      asked.push(u.pathname + (u.searchParams.get('field') ? ':' + u.searchParams.get('field') : '') + ' q=' + u.searchParams.get('q'));
      if (u.pathname === '/api/v1/search') return json({ events: [{ ts: '2026-11-20T10:00:00Z', kind: 'log', service: 'cart', message: 'one' }] });
      // (jsdom cannot draw the chart: the request is what counts here.)
      if (u.pathname === '/api/v1/histogram') return json({ error: 'not drawn here' }, 500);
      return json({ field: 'x', total: 0, distinct: 0, values: [] });
    });
    const { rerender } = render(<Explore r={parseHash('#/explore?q=a')} />);
    await screen.findByText('one');
    rerender(<Explore r={parseHash('#/explore?q=b')} />);
    await waitFor(() => expect(asked.filter((a) => a === '/api/v1/histogram q=b')).toHaveLength(1));
    await new Promise((ok) => setTimeout(ok, 50));
    for (const q of ['a', 'b']) {
      expect(asked.filter((a) => a === `/api/v1/search q=${q}`)).toHaveLength(1);
      expect(asked.filter((a) => a === `/api/v1/histogram q=${q}`)).toHaveLength(1);
      expect(asked.filter((a) => a === `/api/v1/facets:service q=${q}`)).toHaveLength(1);
    }
    // Each search's page came first.
    expect(asked.indexOf('/api/v1/search q=b')).toBeLessThan(asked.indexOf('/api/v1/histogram q=b'));
  });
});

describe('Explore event links', () => {
  it('open the event they name even when it is no longer on the first page', async () => {
    const named = { ts: '2026-11-20T10:00:00.123456Z', kind: 'log', service: 'cart', message: 'the one' };
    const other = { ts: '2026-11-20T10:00:00.123900Z', kind: 'log', service: 'cart', message: 'same millisecond' };
    const asked: URL[] = [];
    vi.stubGlobal('fetch', async (u: URL) => {
      asked.push(u);
      if (u.pathname === '/api/v1/search') {
        if (u.searchParams.get('from') === '2026-11-20T10:00:00.123Z') return json({ events: [other, named] });
        return json({ events: [{ ts: '2026-11-20T11:00:00Z', kind: 'log', service: 'web', message: 'newer' }] });
      }
      if (u.pathname === '/api/v1/histogram') return json({ error: 'not drawn here' }, 500);
      return json({ field: 'x', total: 0, distinct: 0, values: [] });
    });
    const id = eventId(named);
    expect(id).toMatch(/^1795168800123456\.[0-9a-f]{8}$/);
    render(<Explore r={parseHash(`#/explore?from=2026-11-20T09:00:00.000Z&to=2026-11-20T12:00:00.000Z&event=${id}`)} />);
    await screen.findByText('the one');
    expect(screen.queryByText('same millisecond')).toBeNull();
    const lookup = asked.find((u) => u.searchParams.get('from') === '2026-11-20T10:00:00.123Z')!;
    expect(lookup.searchParams.get('to')).toBe('2026-11-20T10:00:00.124Z');
  });
});
