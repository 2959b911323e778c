// Explore with pipes: a search followed by pipes is answered as a table
// with a chart (bars per group, lines over time), a refusal marks the
// pipe at fault beside the search bar, the bar suggests pipes, aggregates
// and fields after '|', and an aggregate is pinned as a query panel.
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { QueryAnswer } from '../api';
import { applyPipe, drillQuery, groupsOf, pipeSuggestions, pipeTokenAt, splitPipes } from '../components/pipes';
import { AnswerView, linesOf, shapeOf } from '../components/QueryAnswer';
import { parseHash } from '../route';
import { Explore } from './Explore';

// jsdom has neither canvas nor ResizeObserver for uPlot: the chart is a
// list of its series' labels (what uPlot's legend shows); web/e2e/sampled.mjs
// looks at the real one in Chromium.
vi.mock(import('../components/LineChart'), async (original) => ({
  ...(await original()),
  LineChart: ({ lines }: { lines: { label: string }[] }) => (
    <ul className="stub-legend">
      {lines.map((l) => (
        <li key={l.label}>{l.label}</li>
      ))}
    </ul>
  ),
}));

// The histogram is drawn by uPlot too: here, its total.
vi.mock(import('../components/Histogram'), async (original) => ({
  ...(await original()),
  Histogram: ({ data }: { data: { buckets: { count: number }[] | null } }) => <p className="stub-hist">{(data.buckets || []).reduce((n, b) => n + b.count, 0)} in the histogram</p>,
}));

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const json = (v: unknown, status = 200) => new Response(JSON.stringify(v), { status });

const byEndpoint: QueryAnswer = {
  columns: [
    { name: 'endpoint', type: 'string' },
    { name: 'n', type: 'number' },
    { name: 'p95(duration_ms)', type: 'number' },
  ],
  rows: [
    ['/api/pay', 120, 950.5],
    ['/api/cart', 80, 120],
  ],
  took_ms: 12,
  aggregate: true,
  chart: 'bar',
};

describe('pipe text', () => {
  it('cuts at pipes outside quotes and reads what the answer groups by', () => {
    const q = 'message:"a|b" | stats count() as n, p95(duration_ms) by endpoint, service | sort n desc';
    const s = splitPipes(q);
    expect(s.search).toBe('message:"a|b" ');
    expect(s.pipes.map((p) => p.name)).toEqual(['stats', 'sort']);
    expect(groupsOf(q)).toEqual({ keys: ['endpoint', 'service'], chart: 'bar' });
    expect(groupsOf('x | stats count() by bin(5m), service')).toEqual({ keys: ['time', 'service'], chart: 'line' });
    expect(groupsOf('x | timechart span=5m count() by service')).toEqual({ keys: ['time', 'service'], chart: 'line' });
    expect(groupsOf('x | top 5 endpoint, http_status')).toEqual({ keys: ['endpoint', 'http_status'], chart: 'bar' });
    expect(groupsOf('x | where a > 1 | fields ts, message').chart).toBe('');
  });

  it('drills from a group to its events, unless a pipe made the column', () => {
    expect(drillQuery('service:pay | stats count() by endpoint', 'endpoint', '/api/pay')).toBe('service:pay endpoint:/api/pay');
    expect(drillQuery('a OR b | top 5 user_id', 'user_id', 'u 1')).toBe('(a OR b) user_id:"u 1"');
    expect(drillQuery('| stats count() by service', 'service', 'api')).toBe('service:api');
    expect(drillQuery('x | eval secs = duration_ms / 1000 | stats count() by secs', 'secs', '1')).toBeUndefined();
    expect(drillQuery('x | eval a = 1, secs = 2 | stats count() by secs', 'secs', '1')).toBeUndefined();
    expect(drillQuery('x | where secs == 1 | stats count() by secs', 'secs', '1')).toBe('x secs:1');
    expect(drillQuery('x | extract "user=<user> took" | stats count() by user', 'user', 'u1')).toBeUndefined();
    expect(drillQuery('x | stats count() by endpoint', 'endpoint', '')).toBeUndefined();
    expect(drillQuery('x | stats count() by lower(endpoint)', 'lower(endpoint)', 'a')).toBeUndefined();
  });

  it('suggests pipe names after |, aggregates in stats, functions in where, fields after by', () => {
    const at = (text: string) => pipeTokenAt(text, text.length)!;
    const fields = ['endpoint', 'duration_ms', 'error_type', 'payment.amount'];
    expect(pipeTokenAt('level:error', 11)).toBeUndefined();
    expect(pipeSuggestions(at('level:error | '), fields).map((s) => s.label)).toContain('timechart');
    expect(pipeSuggestions(at('level:error | st'), fields).map((s) => s.label)).toEqual(['stats']);
    expect(pipeSuggestions(at('x | stats p9'), fields).map((s) => s.label)).toEqual(['p90()', 'p95()', 'p99()']);
    expect(pipeSuggestions(at('x | stats p95(dur'), fields).map((s) => s.label)).toEqual(['duration_ms']);
    expect(pipeSuggestions(at('x | stats count() by '), fields).map((s) => s.label)).toEqual(fields);
    expect(pipeSuggestions(at('x | stats count() by e'), fields).map((s) => s.label)).toEqual(['endpoint', 'error_type']);
    expect(pipeSuggestions(at('x | where lo'), fields).map((s) => s.label)).toEqual(['lower()']);
    const t = at('x |st');
    expect(applyPipe('x |st', t, pipeSuggestions(t, fields)[0])).toEqual({ text: 'x | stats ', caret: 10 });
    const u = at('x | stats p9');
    expect(applyPipe('x | stats p9', u, { text: 'p95(', label: 'p95()' })).toEqual({ text: 'x | stats p95(', caret: 14 });
  });
});

describe('AnswerView', () => {
  it('draws a bar per group of the chosen measure above the table', () => {
    const q = 'level:error | stats count() as n, p95(duration_ms) by endpoint';
    const { container } = render(<AnswerView a={byEndpoint} q={q} />);
    expect(container.querySelector('[data-chart="bar"]')).toBeTruthy();
    const bars = [...container.querySelectorAll('.qbars li')].map((li) => li.textContent);
    expect(bars).toEqual(['/api/pay120', '/api/cart80']);
    fireEvent.change(screen.getByLabelText('chart measure'), { target: { value: '2' } });
    expect([...container.querySelectorAll('.qbars .qval')].map((x) => x.textContent)).toEqual(['950.5', '120']);
    const cells = [...container.querySelectorAll('table.qtable tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent));
    expect(cells).toEqual([
      ['/api/pay', '120', '950.5'],
      ['/api/cart', '80', '120'],
    ]);
    expect(screen.getByText(/2 rows in 12 ms/)).toBeTruthy();
  });

  it('pivots a timechart by a field into one line per group, the biggest first', () => {
    const a: QueryAnswer = {
      columns: [
        { name: 'time', type: 'time' },
        { name: 'service', type: 'string' },
        { name: 'count', type: 'number' },
      ],
      rows: [
        ['2026-11-21T09:00:00Z', 'api', 3],
        ['2026-11-21T09:00:00Z', 'pay', 10],
        ['2026-11-21T09:05:00Z', 'pay', 12],
      ],
      took_ms: 3,
      aggregate: true,
      chart: 'line',
    };
    const s = shapeOf(a, 'x | timechart span=5m count() by service');
    expect(s).toEqual({ keys: [0, 1], measures: [2], chart: 'line' });
    const l = linesOf(a, s, 2);
    expect(l.xs).toEqual([Date.parse('2026-11-21T09:00:00Z') / 1000, Date.parse('2026-11-21T09:05:00Z') / 1000]);
    expect(l.lines).toEqual([
      { label: 'pay', values: [10, 12] },
      { label: 'api', values: [3, null] },
    ]);
    // an hour without events keeps its place on the axis, as a gap
    const gap = linesOf({ ...a, rows: [...a.rows, ['2026-11-21T09:20:00Z', 'api', 1]] }, s, 2);
    expect(gap.xs.length).toBe(5);
    expect(gap.lines[1]).toEqual({ label: 'api', values: [3, null, null, null, 1] });
  });

  it('marks counts estimated before sampling, in the table and the bars', () => {
    const a: QueryAnswer = {
      columns: [
        { name: 'level', type: 'string' },
        { name: 'n', type: 'number', estimated: true },
        { name: 'p95(duration_ms)', type: 'number' },
      ],
      rows: [
        ['info', 3030.0000000000005, 12.5],
        ['error', 30, 80],
      ],
      took_ms: 2,
      aggregate: true,
      chart: 'bar',
    };
    const { container } = render(<AnswerView a={a} q="x | stats count() as n, p95(duration_ms) by level" />);
    expect([...container.querySelectorAll('table.qtable th')].map((th) => th.textContent)).toEqual(['level', 'n (estimated)', 'p95(duration_ms)']);
    const cells = [...container.querySelectorAll('table.qtable tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent));
    expect(cells).toEqual([
      ['info', '≈3,030', '12.5'],
      ['error', '≈30', '80'],
    ]);
    expect([...container.querySelectorAll('.qbars .qval')].map((x) => x.textContent)).toEqual(['≈3,030', '≈30']);
  });

  it('says so in a line chart legend when its measure is estimated or approximate', () => {
    // ungrouped: each line is a measure, its legend label marked
    const a: QueryAnswer = {
      columns: [
        { name: 'time', type: 'time' },
        { name: 'n', type: 'number', estimated: true },
        { name: 'p95(duration_ms)', type: 'number', approximate: true },
      ],
      rows: [
        ['2026-11-21T09:00:00Z', 3030.0000000000005, 12.5],
        ['2026-11-21T09:05:00Z', 2020, 14],
      ],
      took_ms: 2,
      aggregate: true,
      chart: 'line',
    };
    const s = shapeOf(a, 'x | timechart span=5m count() as n, p95(duration_ms)');
    expect(linesOf(a, s, 1).lines.map((l) => l.label)).toEqual(['n (estimated)', 'p95(duration_ms) (approximate)']);
    const { container } = render(<AnswerView a={a} q="x | timechart span=5m count() as n, p95(duration_ms)" />);
    expect([...container.querySelectorAll('.stub-legend li')].map((x) => x.textContent)).toEqual(['n (estimated)', 'p95(duration_ms) (approximate)']);
    const heads = [...container.querySelectorAll('table.qtable th')];
    expect(heads.map((th) => th.textContent)).toEqual(['time', 'n (estimated)', 'p95(duration_ms) (approximate)']);
    expect(heads[2].getAttribute('title')).toBe('approximate: the exact answer needed more memory than --store-memory');
    expect([...container.querySelectorAll('table.qtable tbody tr')][0].textContent).toContain('≈12.5');
    cleanup();

    // grouped: the legend names the groups, so the measure's mark is above it
    const g: QueryAnswer = {
      columns: [
        { name: 'time', type: 'time' },
        { name: 'service', type: 'string' },
        { name: 'count', type: 'number', estimated: true },
      ],
      rows: [
        ['2026-11-21T09:00:00Z', 'pay', 10],
        ['2026-11-21T09:05:00Z', 'api', 3],
      ],
      took_ms: 2,
      aggregate: true,
      chart: 'line',
    };
    const r = render(<AnswerView a={g} q="x | timechart span=5m count() by service" />);
    const mark = r.container.querySelector('[data-chart="line"] .chart-mark');
    expect(mark?.textContent).toBe('count (estimated)');
    expect(mark?.getAttribute('title')).toMatch(/^estimated before sampling/);
  });

  it('shows rows of events as a table alone', () => {
    const a: QueryAnswer = {
      columns: [
        { name: 'service', type: 'string' },
        { name: 'duration_ms', type: 'number' },
      ],
      rows: [['api', 5]],
      took_ms: 1,
      aggregate: false,
    };
    const { container } = render(<AnswerView a={a} q="x | fields service, duration_ms" />);
    expect(container.querySelector('.answer-chart')).toBeNull();
    expect(container.querySelectorAll('table.qtable tbody tr').length).toBe(1);
  });
});

describe('Explore with pipes', () => {
  it('answers an aggregating query with a chart and a table, and pins it as a query panel', async () => {
    const asked: string[] = [];
    let saved: unknown;
    vi.stubGlobal('fetch', async (u: URL, init?: RequestInit) => {
      if (u.pathname === '/api/v1/query') {
        asked.push(u.searchParams.get('q')!);
        return json(byEndpoint);
      }
      if (u.pathname === '/api/v1/dashboards' && init?.method === 'POST') {
        saved = JSON.parse(String(init.body));
        return json({ id: 4, name: 'Pipes', panels: [] });
      }
      if (u.pathname === '/api/v1/dashboards') return json({ dashboards: [] });
      // a plain search's calls must not be made
      return json({ error: `unexpected ${u.pathname}` }, 500);
    });
    const q = 'level:error | stats count() as n, p95(duration_ms) by endpoint';
    const { container } = render(<Explore r={parseHash('#/explore?q=' + encodeURIComponent(q))} />);
    await waitFor(() => expect(container.querySelector('.qbars')).toBeTruthy());
    expect(asked).toEqual([q]);
    expect(container.querySelectorAll('table.qtable tbody tr').length).toBe(2);
    expect(container.querySelector('.qbars a')!.getAttribute('href')).toBe('#/explore?q=level%3Aerror+endpoint%3A%2Fapi%2Fpay');
    expect(container.querySelector('table.events')).toBeNull();
    expect(screen.queryByText('live tail')).toBeNull();
    fireEvent.click(screen.getByText('+ Pin to dashboard'));
    fireEvent.change(await screen.findByLabelText('new dashboard name'), { target: { value: 'Pipes' } });
    fireEvent.click(screen.getByText('Pin'));
    await screen.findByText('Pipes');
    expect(saved).toMatchObject({ name: 'Pipes', panels: [{ kind: 'query', query: q, title: q }] });
  });

  it('marks the pipe the server refused, with its column', async () => {
    const q = 'level:error | stats p95(duration_ms) by endpoint | sort nope desc';
    vi.stubGlobal('fetch', async (u: URL) => {
      if (u.pathname === '/api/v1/query') {
        return json(
          { error: `bad query "${q}": pipe 2 (sort), column 57: unknown column "nope"`, detail: { q, pipe: 2, name: 'sort', column: 57 } },
          400,
        );
      }
      return json({ error: 'unexpected' }, 500);
    });
    render(<Explore r={parseHash('#/explore?q=' + encodeURIComponent(q))} />);
    const box = await screen.findByRole('alert', { name: 'query error' });
    expect(box.textContent).toContain('pipe 2 (sort), column 57: unknown column "nope"');
    expect(box.querySelector('mark')!.textContent).toBe('| sort nope desc');
    expect(box.querySelector('.caret')!.textContent).toBe('\n' + ' '.repeat(56) + '^');
  });

  it('offers pipe names, then aggregates, then catalogue fields in the search bar', async () => {
    vi.stubGlobal('fetch', async (u: URL) => {
      if (u.pathname === '/api/v1/fields') return json({ from: '', to: '', cardinality_method: '', drift: 0, fields: [{ name: 'payment.amount' }] });
      if (u.pathname === '/api/v1/search') return json({ events: [] });
      if (u.pathname === '/api/v1/histogram') return json({ error: 'no' }, 500);
      return json({ field: 'x', total: 0, distinct: 0, values: [] });
    });
    render(<Explore r={parseHash('#/explore')} />);
    const input = screen.getByLabelText('search') as HTMLInputElement;
    const type = (v: string) => fireEvent.change(input, { target: { value: v, selectionStart: v.length } });
    type('level:error | ti');
    const opts = await screen.findAllByRole('option');
    expect(opts.map((o) => o.querySelector('span')!.textContent)).toEqual(['timechart']);
    expect(opts[0].querySelector('.hint')!.textContent).toBe('timechart span=5m count() by service');
    type('level:error | stats p');
    // the catalogue's fields come after the event fields once it is in
    await waitFor(() =>
      expect(screen.getAllByRole('option').map((o) => o.querySelector('span')!.textContent)).toEqual(['p50()', 'p90()', 'p95()', 'p99()', 'parent_span_id', 'payment.amount']),
    );
    fireEvent.keyDown(input, { key: 'ArrowDown' });
    fireEvent.keyDown(input, { key: 'ArrowDown' });
    fireEvent.keyDown(input, { key: 'ArrowDown' });
    fireEvent.keyDown(input, { key: 'Enter' });
    expect(input.value).toBe('level:error | stats p95(');
  });
});

describe('Explore', () => {
  it('dims the last search’s figures while the next loads, and drops them when it fails', async () => {
    let release: () => void = () => {};
    vi.stubGlobal('fetch', async (u: URL) => {
      const q = u.searchParams.get('q');
      if (u.pathname === '/api/v1/search') {
        if (q === 'bad:(') return json({ error: 'bad query "bad:(": search: unbalanced (' }, 400);
        if (q === 'slow') await new Promise<void>((ok) => (release = ok));
        return json({ events: [{ ts: '2026-11-20T10:00:00Z', kind: 'log', level: 'error', service: 'cart', message: `hit ${q}` }] });
      }
      if (u.pathname === '/api/v1/histogram') return json({ step: '60s', buckets: [{ ts: '2026-11-20T10:00:00Z', count: 7 }] });
      if (u.pathname === '/api/v1/facets') return json({ field: u.searchParams.get('field'), total: 7, distinct: 1, values: [{ value: 'cart', count: 7 }] });
      return json({ error: `unexpected ${u.pathname}` }, 500);
    });
    const { container, rerender } = render(<Explore r={parseHash('#/explore?q=good')} />);
    await screen.findByText('7 in the histogram');
    await waitFor(() => expect(container.querySelector('[aria-busy="true"]')).toBeNull());
    expect(container.querySelectorAll('.facet').length).toBeGreaterThan(0);
    rerender(<Explore r={parseHash('#/explore?q=slow')} />);
    // The last search's histogram, facets and rows stay, dimmed, until the next search's are in.
    const stale = () => [...container.querySelectorAll('.figures.stale[aria-busy="true"]')].map((f) => f.getAttribute('aria-label'));
    expect(stale()).toEqual(['histogram', 'facets', 'events']);
    expect(screen.getByText('hit good')).toBeTruthy();
    release();
    await screen.findByText('hit slow');
    await waitFor(() => expect(container.querySelector('[aria-busy="true"]')).toBeNull());
    expect(container.querySelector('.stale')).toBeNull();
    rerender(<Explore r={parseHash('#/explore?q=' + encodeURIComponent('bad:('))} />);
    await screen.findByRole('alert');
    // Nothing is left dimmed as if the failed search's figures were coming: there are none.
    await waitFor(() => expect(container.querySelector('[aria-busy="true"]')).toBeNull());
    expect(container.querySelector('.stub-hist')).toBeNull();
    expect(container.querySelectorAll('.facet').length).toBe(0);
  });
});

/** captureBeats hands the page's 10 s beats to the test, to run when it likes; the tail's 2 s poll runs as it would. */
function captureBeats(): (() => void)[] {
  const beats: (() => void)[] = [];
  const real = globalThis.setInterval;
  vi.spyOn(globalThis, 'setInterval').mockImplementation(((fn: () => void, ms?: number) => {
    if (ms === 10000) beats.push(fn);
    return real(fn, ms);
  }) as typeof setInterval);
  return beats;
}

describe('Explore with live tail', () => {
  it('marks the histogram’s refresh every 10 s as loading, without dimming it, and a new search as stale', async () => {
    const beats = captureBeats();
    let histograms = 0;
    let release: () => void = () => {};
    vi.stubGlobal('fetch', async (u: URL) => {
      if (u.pathname === '/api/v1/search') return json({ events: [{ ts: '2026-11-20T10:00:00Z', kind: 'log', level: 'error', service: 'cart', message: `hit ${u.searchParams.get('q')}` }] });
      if (u.pathname === '/api/v1/histogram') {
        const n = ++histograms;
        if (n > 1) await new Promise<void>((ok) => (release = ok));
        return json({ step: '60s', buckets: [{ ts: '2026-11-20T10:00:00Z', count: 7 * n }] });
      }
      if (u.pathname === '/api/v1/facets') return json({ field: u.searchParams.get('field'), total: 7, distinct: 1, values: [{ value: 'cart', count: 7 }] });
      return json({ error: `unexpected ${u.pathname}` }, 500);
    });
    try {
      const { container, rerender } = render(<Explore r={parseHash('#/explore?q=good&live=1')} />);
      await screen.findByText('7 in the histogram');
      await waitFor(() => expect(container.querySelector('[aria-busy="true"]')).toBeNull());
      const hist = screen.getByRole('group', { name: 'histogram' });
      expect(beats.length).toBeGreaterThan(0);
      act(() => beats.at(-1)!());
      // The same search and range, loading again: busy, with the loading bar, not dimmed.
      await waitFor(() => expect(hist.getAttribute('aria-busy')).toBe('true'));
      expect(hist.classList.contains('refreshing')).toBe(true);
      expect(hist.classList.contains('stale')).toBe(false);
      expect(hist.querySelector('.updating')).not.toBeNull();
      expect(screen.getByText('7 in the histogram')).toBeTruthy();
      release();
      await screen.findByText('14 in the histogram');
      await waitFor(() => expect(hist.getAttribute('aria-busy')).toBe('false'));
      expect(hist.className).toBe('figures');
      expect(hist.querySelector('.updating')).toBeNull();
      // Another search with live tail on: the histogram is the last search's until the new one is in, dimmed.
      rerender(<Explore r={parseHash('#/explore?q=other&live=1')} />);
      expect(hist.classList.contains('stale')).toBe(true);
      await screen.findByText('hit other');
      // The results are in; the histogram of the new search is still loading: still stale, not a refresh.
      await waitFor(() => expect(histograms).toBe(3));
      expect(hist.classList.contains('stale')).toBe(true);
      expect(hist.classList.contains('refreshing')).toBe(false);
      release();
      await screen.findByText('21 in the histogram');
      await waitFor(() => expect(hist.getAttribute('aria-busy')).toBe('false'));
    } finally {
      vi.restoreAllMocks();
    }
  });

  it('counts the facets again with the histogram every 10 s, marked refreshing without dimming, and a new search as stale', async () => {
    const beats = captureBeats();
    const counted: Record<string, number> = {};
    let hold = false;
    const held: (() => void)[] = [];
    vi.stubGlobal('fetch', async (u: URL) => {
      if (u.pathname === '/api/v1/search') return json({ events: [{ ts: '2026-11-20T10:00:00Z', kind: 'log', level: 'error', service: 'cart', message: `hit ${u.searchParams.get('q')}` }] });
      if (u.pathname === '/api/v1/histogram') return json({ step: '60s', buckets: [{ ts: '2026-11-20T10:00:00Z', count: 7 }] });
      if (u.pathname === '/api/v1/facets') {
        const field = u.searchParams.get('field')!;
        const n = (counted[field] = (counted[field] || 0) + 1);
        if (hold) await new Promise<void>((ok) => held.push(ok));
        // Live: each count of the service facet finds more events of cart.
        return json({ field, total: 7 * n, distinct: 1, values: [{ value: field === 'service' ? 'cart' : 'x', count: 7 * n }] });
      }
      return json({ error: `unexpected ${u.pathname}` }, 500);
    });
    const cartCount = () => screen.getByTitle('only service:cart').querySelector('.fc')!.textContent;
    try {
      const { container, rerender } = render(<Explore r={parseHash('#/explore?q=good&live=1')} />);
      await screen.findByTitle('only service:cart');
      await waitFor(() => expect(container.querySelector('[aria-busy="true"]')).toBeNull());
      const facets = screen.getByRole('group', { name: 'facets' });
      expect(cartCount()).toBe('7');
      expect(counted.service).toBe(1);
      hold = true;
      act(() => beats.at(-1)!());
      // The facets of the same search and range are counted again: busy, with the loading bar, not dimmed.
      await waitFor(() => expect(counted.service).toBe(2));
      expect(facets.getAttribute('aria-busy')).toBe('true');
      expect(facets.classList.contains('refreshing')).toBe(true);
      expect(facets.classList.contains('stale')).toBe(false);
      expect(facets.querySelector('.updating')).not.toBeNull();
      expect(cartCount()).toBe('7');
      hold = false;
      held.splice(0).forEach((ok) => ok());
      await waitFor(() => expect(cartCount()).toBe('14'));
      await waitFor(() => expect(facets.getAttribute('aria-busy')).toBe('false'));
      expect(facets.className).toBe('figures');
      // Another search with live tail on: the facets are the last search's until the new ones are in, dimmed.
      hold = true;
      rerender(<Explore r={parseHash('#/explore?q=other&live=1')} />);
      await screen.findByText('hit other');
      await waitFor(() => expect(counted.service).toBe(3));
      expect(facets.classList.contains('stale')).toBe(true);
      expect(facets.classList.contains('refreshing')).toBe(false);
      hold = false;
      held.splice(0).forEach((ok) => ok());
      await waitFor(() => expect(cartCount()).toBe('21'));
      await waitFor(() => expect(facets.getAttribute('aria-busy')).toBe('false'));
    } finally {
      vi.restoreAllMocks();
    }
  });
});
