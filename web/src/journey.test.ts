import { describe, expect, it } from 'vitest';
import type { LoreEvent } from './api';
import { flatten, headline, momentIndex, sessions, spanTree, storyOf } from './journey';

const ev = (ts: string, x: Partial<LoreEvent> = {}): LoreEvent => ({ ts: `2026-12-04T${ts}Z`, kind: 'log', service: 'web', ...x });

describe('a journey at its moment', () => {
  it('finds the moment, an error first when several share its instant', () => {
    const es = [ev('10:00:00'), ev('10:00:01', { message: 'ok' }), ev('10:00:01', { level: 'error', message: 'boom' }), ev('10:05:00')];
    expect(momentIndex(es, '2026-12-04T10:00:01Z')).toBe(2);
    expect(momentIndex(es, '2026-12-04T10:04:00Z')).toBe(3);
    expect(momentIndex(es, undefined)).toBe(-1);
  });
  it('groups a person by session, events without one joining the session they fall in', () => {
    const es = [ev('09:00:00', { session_id: 'a' }), ev('09:00:05'), ev('09:01:00', { session_id: 'a' }), ev('15:00:00', { session_id: 'b', level: 'error' }), ev('20:00:00')];
    const ss = sessions(es);
    expect(ss.map((s) => [s.id, s.refs, s.errors])).toEqual([
      ['a', [0, 1, 2], 0],
      ['b', [3], 1],
      ['', [4], 0],
    ]);
  });
  it("puts a backend's events without a session in the session of their trace (joined by its traceparent)", () => {
    const es = [
      ev('09:00:00', { session_id: 'a', kind: 'event', trace_id: 't1' }),
      ev('09:00:01', { session_id: 'a', kind: 'event', trace_id: 't2' }),
      ev('09:00:01.050', { service: 'orders', trace_id: 't2', message: 'order placed' }), // after the session's last event
      ev('09:40:00', { session_id: 'b', kind: 'event' }),
      ev('09:40:00.100', { service: 'orders', trace_id: 't9' }), // no session has its trace: by time
    ];
    const ss = sessions(es);
    expect(ss.map((s) => [s.id, s.refs])).toEqual([
      ['a', [0, 1, 2]],
      ['b', [3]],
      ['', [4]],
    ]);
    expect(ss[0].end).toBe(Date.parse('2026-12-04T09:00:01.050Z'));
  });
  it('keeps the story lines of a session, and the gaps inside it', () => {
    const story = [
      { ts: '', service: 'web', text: 'one', kind: 'event', ref: 0 },
      { ts: '', service: '', text: '(5 min later)', kind: 'gap', ref: -1 },
      { ts: '', service: 'web', text: 'two', kind: 'event', ref: 2 },
      { ts: '', service: '', text: '(6 h later)', kind: 'gap', ref: -1 },
      { ts: '', service: 'web', text: 'three', kind: 'event', ref: 3 },
    ];
    expect(storyOf(story, new Set([0, 1, 2])).map((l) => l.text)).toEqual(['one', '(5 min later)', 'two']);
  });
  it('speaks of the moment and what followed', () => {
    const es = [ev('10:00:00', { kind: 'event', name: 'Checkout Started', message: undefined }), ev('10:00:02', { level: 'error', message: 'payment failed' }), ev('10:00:03', { message: 'bye' })];
    const h = headline(es, [0, 1, 2], 0, 'Stopped after Checkout Started');
    expect(h).toMatch(/^Stopped after Checkout Started: at (\S+ \S+ \d+ )?10:00:00 web — \[event\] Checkout Started\. Then 2 more events over 3\.0 s, 1 of them failing, ending with web — bye\. In all: 1 error\.$/);
  });
});

describe('the span waterfall', () => {
  // root 0–1000 ms calls a (0–300) then b (300–900); b calls c (400–800); a log in c.
  const es: LoreEvent[] = [
    ev('10:00:00.000', { kind: 'span', span_id: 'r', name: 'root', duration_ms: 1000 }),
    ev('10:00:00.000', { kind: 'span', span_id: 'a', parent_span_id: 'r', name: 'a', duration_ms: 300 }),
    ev('10:00:00.300', { kind: 'span', span_id: 'b', parent_span_id: 'r', name: 'b', duration_ms: 600 }),
    ev('10:00:00.400', { kind: 'span', span_id: 'c', parent_span_id: 'b', name: 'c', duration_ms: 400 }),
    ev('10:00:00.500', { span_id: 'c', message: 'in c' }),
    ev('10:00:00.100', { kind: 'event', name: 'click' }),
  ];
  it('nests spans, puts logs in their span and keeps the rest apart', () => {
    const { roots, loose } = spanTree(es);
    expect(roots.map((r) => r.e.name)).toEqual(['root']);
    expect(flatten(roots, new Set()).map((n) => `${'  '.repeat(n.depth)}${n.e.name}`)).toEqual(['root', '  a', '  b', '    c']);
    expect(flatten(roots, new Set()).find((n) => n.e.name === 'c')!.logs).toEqual([4]);
    expect(loose).toEqual([5]);
    expect(flatten(roots, new Set(['b'])).map((n) => n.e.name)).toEqual(['root', 'a', 'b']);
  });
  it('marks the critical path: the last to finish, then what finished before it started', () => {
    const rows = flatten(spanTree(es).roots, new Set());
    expect(rows.filter((n) => n.critical).map((n) => n.e.name)).toEqual(['root', 'a', 'b', 'c']);
    const overlapping = [es[0], { ...es[1], duration_ms: 500 }, es[2], es[3]];
    expect(flatten(spanTree(overlapping).roots, new Set()).filter((n) => n.critical).map((n) => n.e.name)).toEqual(['root', 'b', 'c']);
  });
});
