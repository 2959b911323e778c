import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Journey, StoryCard } from '../api';
import { Sparkline } from '../components/common';
import { parseHash } from '../route';
import { Card, searchable } from '../components/StoryCard';
import { summary } from '../util';
import { addTerm } from './Explore';
import { Issues } from './Issues';
import { outcomeSentence } from './Journey';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('Explore', () => {
  it('adds a facet term once, quoting values with spaces', () => {
    expect(addTerm('level:error', 'service', 'cart')).toBe('level:error service:cart');
    expect(addTerm('level:error service:cart', 'service', 'cart')).toBe('level:error service:cart');
    expect(addTerm('', 'message', 'rate limited', true)).toBe('-message:"rate limited"');
  });
  it('summarises a span by its request', () => {
    expect(summary({ ts: '', kind: 'span', name: 'GET /x', http_method: 'GET', endpoint: '/x', http_status: 429, duration_ms: 12 })).toBe(
      '[span] GET /x 429 12 ms',
    );
  });
});

describe('Overview card', () => {
  it('shows the story and links its evidence to Explore and its journeys to the Journey page', () => {
    const c: StoryCard = {
      type: 'throttling',
      title: 'payment-gateway is rate limiting payment-service',
      severity: 'warning',
      from: '2026-11-20T10:00:00Z',
      to: '2026-11-20T11:00:00Z',
      narrative: ['2 calls were rate limited.'],
      evidence: { queries: { count: 'http_status:429' }, journeys: ['/api/v1/journeys/trace/abc123'], trace_ids: null },
      recommendation: 'Back off.',
    } as unknown as StoryCard;
    render(<Card c={c} r={parseHash('#/overview')} />);
    expect(screen.getByRole('heading', { name: c.title })).toBeTruthy();
    expect(screen.getByText('2 calls were rate limited.')).toBeTruthy();
    expect(screen.getByText('trace abc123…').getAttribute('href')).toBe('#/journey/trace/abc123');
    expect(screen.getByText('http_status:429').closest('a')!.getAttribute('href')).toContain('q=http_status%3A429');
  });
});

describe('Story evidence', () => {
  it('spells level:>= as the levels it means, which search reads', () => {
    expect(searchable('service:"catalog" level:>=error')).toBe('service:"catalog" (level:error OR level:fatal)');
    expect(searchable('level:>=warn')).toBe('(level:warn OR level:error OR level:fatal)');
    expect(searchable('http_status:>=500')).toBe('http_status:>=500');
  });
});

describe('Journey', () => {
  it('states the outcome', () => {
    const j: Journey = { events: [], story: [], summary: { outcome: 'failed', duration_ms: 70, services: ['web', 'cart'], errors: 3, retries: 1 } as Journey['summary'] };
    expect(outcomeSentence(j)).toBe('Outcome: failed in 70 ms across web, cart, 3 errors, 1 retry.');
  });
});

describe('Issues', () => {
  it('lists issues from the API with their sparklines and links', async () => {
    const asked: URL[] = [];
    const fetchMock = vi.fn(async (u: URL) => {
      if (u.pathname === '/api/v1/facets') return new Response(JSON.stringify({ field: 'service', total: 3, distinct: 1, values: [{ value: 'catalog', count: 3 }] }));
      asked.push(u);
      return new Response(
        JSON.stringify({
          issues: [{ id: 7, title: 'TypeError: boom', culprit: 'a.js in f', status: 'unresolved', count: 12, users: 3, first_seen: '2026-11-20T10:00:00Z', last_seen: '2026-11-20T11:00:00Z', count_24h: [0, 1, 5] }],
        }),
      );
    });
    vi.stubGlobal('fetch', fetchMock);
    const { container } = render(<Issues r={parseHash('#/issues?from=now-3d&service=catalog&level=error&q=boom')} />);
    const link = await screen.findByText('TypeError: boom');
    expect(link.getAttribute('href')).toBe('#/issues/7?from=now-3d');
    // The header's range and the filters reach the API.
    expect(asked[0].pathname).toBe('/api/v1/issues');
    expect(asked[0].searchParams.get('status')).toBe('unresolved');
    expect(asked[0].searchParams.get('from')).toBe('now-3d');
    expect(asked[0].searchParams.get('q')).toBe('boom service:catalog level:error');
    expect(container.querySelectorAll('.spark rect').length).toBe(3);
  });
  it('explains a refusal in plain words: a wrong key, no session, a role too low', async () => {
    vi.stubGlobal('fetch', async () => new Response(JSON.stringify({ error: 'unknown API key' }), { status: 401 }));
    render(<Issues r={parseHash('#/issues')} />);
    const text = (await screen.findByRole('alert')).textContent || '';
    expect(text).toContain('does not know the key');
    expect(text).not.toContain('`');
    cleanup();
    vi.stubGlobal('fetch', async () => new Response(JSON.stringify({ error: 'not signed in' }), { status: 401 }));
    render(<Issues r={parseHash('#/issues')} />);
    expect((await screen.findByRole('alert')).textContent).toContain('not signed in');
    expect(location.hash).toBe('#/login');
    cleanup();
    vi.stubGlobal('fetch', async () => new Response(JSON.stringify({ error: 'a viewer can only read' }), { status: 403 }));
    render(<Issues r={parseHash('#/issues')} />);
    expect((await screen.findByRole('alert')).textContent).toContain('Your role does not allow this: a viewer can only read');
  });
});

describe('Sparkline', () => {
  it('draws one bar per value, empty for zero', () => {
    const { container } = render(<Sparkline values={[0, 2, 4]} />);
    const hs = [...container.querySelectorAll('rect')].map((r) => Number(r.getAttribute('height')));
    expect(hs).toEqual([0, 12, 24]);
  });
});
