import { describe, expect, it } from 'vitest';
import type { LoreEvent, Recording, StoryLine } from './api';
import { activeLine, fmtOffset, kindOf, seekOffset, timeline } from './replay';

const t0 = Date.parse('2026-12-04T10:00:00Z');
const iso = (ms: number) => new Date(t0 + ms).toISOString();
const ev = (ms: number, e: Partial<LoreEvent>): LoreEvent => ({ ts: iso(ms), kind: 'event', ...e }) as LoreEvent;
const line = (ms: number, ref: number, text: string, service = 'web', kind = 'event'): StoryLine => ({ ts: iso(ms), ref, text, service, kind });

describe('timeline', () => {
  const events = [
    ev(0, { kind: 'pageview', service: 'web', session_id: 's' }),
    ev(1000, { name: '$click', service: 'web', trace_id: 't1' }),
    ev(1100, { kind: 'span', service: 'api-gateway', trace_id: 't1' }),
    ev(1120, { kind: 'span', service: 'payment-service', trace_id: 't1' }),
    ev(1200, { name: '$rageclick', service: 'web', trace_id: 't1', level: 'warn' }),
    ev(3000, { kind: 'log', level: 'error', service: 'web', trace_id: 't2' }),
    ev(5000, { kind: 'pageview', service: 'web' }), // another session's
  ];
  const story = [
    line(0, 0, 'u viewed /checkout/payment'),
    line(1000, 1, 'u clicked "Pay now"'),
    // A trace's inner span is told first (it ends first).
    line(1130, 3, 'payment-service handled POST /payments (202)', 'payment-service'),
    line(1140, 2, 'handled POST /api/checkout/pay (202)', 'api-gateway'),
    line(1200, 4, 'u rage-clicked "Pay now" 4 times', 'web', 'warning'),
    { ts: iso(2000), ref: -1, text: '(1 s later)', service: '', kind: 'gap' },
    line(3000, 5, 'Request failed with status code 503', 'web', 'error'),
    line(5000, 6, 'someone else viewed /'),
  ];
  it('tells the session, one line per request, its trace on each', () => {
    const got = timeline(events, [0, 1, 2, 3, 4, 5], story);
    expect(got.map((l) => [l.kind, l.ref, l.trace])).toEqual([
      ['page', 0, undefined],
      ['action', 1, 't1'],
      ['request', 2, 't1'],
      ['frustration', 4, 't1'],
      ['error', 5, 't2'],
    ]);
    expect(got[2].text).toBe('handled POST /api/checkout/pay (202)');
    expect(got[2].service).toBe('api-gateway');
    expect(got[2].also).toEqual(['payment-service']);
  });
  it('adds the recording’s detections the journey does not hold yet', () => {
    const rec = {
      session_id: 's',
      start_ms: t0,
      end_ms: t0 + 9000,
      summary: {
        detections: [
          { kind: '$rageclick', ts: t0 + 1200, clicks: 4, text: 'Pay now' }, // told by event 4
          { kind: '$dead_click', ts: t0 + 4000, clicks: 1, selector: 'div.card' },
          { kind: '$error_after_click', ts: t0 + 2900, clicks: 1, text: 'Checkout', error: 'HTTP 503', trace_id: 't2' },
        ],
      },
    } as unknown as Recording;
    const got = timeline(events, [0, 1, 2, 3, 4, 5], story, rec).filter((l) => l.ref < 0);
    expect(got.map((l) => l.text)).toEqual(['clicked, then an error: "Checkout" — HTTP 503', 'clicked, and nothing happened: div.card']);
    expect(got[0].trace).toBe('t2');
  });
});

describe('replay helpers', () => {
  it('finds the line at a moment', () => {
    const lines = [0, 1000, 1000, 5000].map((ms, i) => ({ ts: t0 + ms, kind: 'action' as const, text: '', service: '', ref: i }));
    expect(activeLine(lines, t0 - 1)).toBe(-1);
    expect(activeLine(lines, t0)).toBe(0);
    expect(activeLine(lines, t0 + 1000)).toBe(2);
    expect(activeLine(lines, t0 + 4999)).toBe(2);
    expect(activeLine(lines, t0 + 99999)).toBe(3);
  });
  it('writes offsets', () => {
    expect(fmtOffset(0)).toBe('0:00');
    expect(fmtOffset(61_500)).toBe('1:01');
    expect(fmtOffset(3_725_000)).toBe('1:02:05');
    expect(fmtOffset(-2000)).toBe('-0:02');
    expect(fmtOffset(-300)).toBe('0:00');
  });
  it('seeks a little before a moment, within the recording', () => {
    expect(seekOffset(t0 + 5000, t0, 60000)).toBe(4000);
    expect(seekOffset(t0 + 500, t0, 60000)).toBe(0);
    expect(seekOffset(t0 + 99000, t0, 60000)).toBe(60000);
  });
  it('colours lines by what they tell', () => {
    expect(kindOf(ev(0, { name: '$dead_click' }), 'event')).toBe('frustration');
    expect(kindOf(ev(0, { kind: 'span', http_status: 502 }), 'warning')).toBe('warning');
    expect(kindOf(ev(0, { kind: 'span' }), 'event')).toBe('request');
    expect(kindOf(ev(0, { name: 'Order Completed' }), 'outcome')).toBe('outcome');
  });
});

describe('journey links of the evidence', () => {
  it('keep the API link’s moment, unless one is given', async () => {
    const { journeyHref } = await import('./components/common');
    const h = journeyHref('/api/v1/journeys/session/s%2F1?at=2026-12-04T10%3A00%3A00.000160Z');
    expect(h).toContain('journey/session/s%2F1');
    expect(decodeURIComponent(h)).toContain('at=2026-12-04T10:00:00.000160Z');
    expect(decodeURIComponent(journeyHref('/api/v1/journeys/session/s?at=2026-01-01T00:00:00Z', undefined, { at: '2026-02-02T00:00:00Z' }))).toContain('at=2026-02-02');
    expect(journeyHref('/api/v1/journeys/trace/abc')).not.toContain('at=');
  });
});
