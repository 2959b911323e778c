// Overview while a new range loads: the last range's story cards stay,
// dimmed, with no second "Analysing…" message beside them (that message is
// for when there are no cards to dim), and each number dims on its own
// until its own figures are in.
import { cleanup, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { StoryCard } from '../api';
import { parseHash } from '../route';
import { Overview } from './Overview';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const json = (v: unknown) => new Response(JSON.stringify(v));

const card = {
  type: 'throttling',
  title: 'payment-gateway is rate limiting payment-service',
  severity: 'warning',
  from: '2026-11-20T10:00:00Z',
  to: '2026-11-20T11:00:00Z',
  narrative: ['2 calls were rate limited.'],
  evidence: { queries: { count: 'http_status:429' }, journeys: [], trace_ids: null },
  recommendation: 'Back off.',
} as unknown as StoryCard;

/** api answers the Overview's calls; a call to a held path waits until release. */
function api() {
  const held = new Set<string>();
  const waiting: (() => void)[] = [];
  const s = {
    stories: [card] as StoryCard[],
    hold: (...paths: string[]) => paths.forEach((p) => held.add('/api/v1/' + p)),
    release: () => {
      held.clear();
      waiting.splice(0).forEach((ok) => ok());
    },
  };
  vi.stubGlobal('fetch', async (u: URL) => {
    if (held.has(u.pathname)) await new Promise<void>((ok) => waiting.push(ok));
    switch (u.pathname) {
      case '/api/v1/stories':
        return json({ stories: s.stories });
      case '/api/v1/histogram':
        return json({ step: '60s', buckets: [{ ts: '2026-11-20T10:00:00Z', count: 10, by: { error: 1, log: 9 } }] });
      case '/api/v1/issues':
        return json({ issues: [], total: 3 });
      case '/api/v1/latency':
        return json({ spans: 5, p95_ms: 120 });
      case '/api/v1/facets':
        return json({ field: 'user_id', total: 10, distinct: 4, values: [] });
      case '/api/v1/monitors':
        return json({ alerting: 0, monitors: [] });
      default:
        return json({});
    }
  });
  return s;
}

const overview = (from: string) => <Overview r={parseHash(`#/overview?from=${from}`)} />;
const settled = (c: HTMLElement) => waitFor(() => expect(c.querySelector('[aria-busy="true"]')).toBeNull());

describe('Overview', () => {
  it('says it is analysing only when there are no story cards to dim', async () => {
    const a = api();
    a.hold('stories');
    const { container, rerender } = render(overview('now-1h'));
    // The first load: nothing to dim, the message says what is going on.
    expect(screen.getByRole('status').textContent).toContain('Analysing last 1 hour');
    a.release();
    await screen.findByRole('heading', { name: card.title });
    expect(screen.queryByRole('status')).toBeNull();
    await settled(container);

    // A new range: the last range's card stays, dimmed with the loading bar; no second signal.
    a.hold('stories');
    rerender(overview('now-24h'));
    const stories = screen.getByRole('group', { name: 'stories' });
    expect(stories.classList.contains('stale')).toBe(true);
    expect(stories.querySelector('.updating')).not.toBeNull();
    expect(screen.getByRole('heading', { name: card.title })).toBeTruthy();
    expect(screen.queryByRole('status')).toBeNull();
    expect(screen.queryByText(/Analysing/)).toBeNull();
    a.stories = [];
    a.release();
    await screen.findByText('Nothing unusual in this time range.');
    await settled(container);

    // The last range had no cards: nothing to dim (no bar over nothing), so the message is back.
    a.hold('stories');
    rerender(overview('now-2d'));
    expect(screen.getByRole('status').textContent).toContain('Analysing last 2 days');
    expect(stories.getAttribute('aria-busy')).toBe('true');
    expect(stories.classList.contains('stale')).toBe(false);
    expect(stories.querySelector('.updating')).toBeNull();
    a.release();
    await settled(container);
    expect(screen.queryByRole('status')).toBeNull();
  });

  it('dims each number on its own until its own figures are in', async () => {
    const a = api();
    const { container, rerender } = render(overview('now-1h'));
    await settled(container);
    const num = (label: string) => screen.getByText(label, { selector: 'span' }).closest('.figures')!;
    const stale = () => ['events', 'errors', 'error rate', 'p95 latency', 'active users', 'open issues', 'monitors down'].filter((l) => num(l).classList.contains('stale'));
    expect(stale()).toEqual([]);

    a.hold('latency');
    rerender(overview('now-24h'));
    // All that count the range are of the last one until their new figures are in; the monitors are of no range.
    expect(stale()).toEqual(['events', 'errors', 'error rate', 'p95 latency', 'active users', 'open issues']);
    for (const l of stale()) expect(num(l).getAttribute('aria-busy')).toBe('true');
    // The histogram, issues and users are in; the latency is not.
    await waitFor(() => expect(stale()).toEqual(['p95 latency']));
    expect(num('events').getAttribute('aria-busy')).toBe('false');
    expect(num('p95 latency').getAttribute('aria-busy')).toBe('true');
    expect(num('p95 latency').querySelector('.updating')).not.toBeNull();
    expect(num('events').querySelector('.updating')).toBeNull();
    a.release();
    await settled(container);
    expect(stale()).toEqual([]);
    expect(screen.getByRole('group', { name: 'numbers' }).querySelectorAll('.num').length).toBe(7);
  });
});
