import { afterEach, describe, expect, it } from 'vitest';
import { timeTicks } from './components/chartTime';
import { bounds, fmtRow, fromParts, parseInput, partsOf, rangeLabel, relSpelling, resolve, setZone, shift, spansDays, zoomOut } from './time';

afterEach(() => localStorage.clear());

describe('the time-zone setting', () => {
  it('reads and writes times in UTC by default, in the chosen zone otherwise', () => {
    const t = Date.parse('2026-12-04T10:59:03Z');
    expect(fmtRow(t, false)).toBe('10:59:03');
    expect(fmtRow(t, true)).toBe('Dec 4 10:59:03');
    expect(partsOf(t, 'America/Los_Angeles')).toMatchObject({ d: 4, h: 2, mi: 59 });
    expect(fromParts({ y: 2026, mo: 12, d: 4, h: 2, mi: 59, s: 3 }, 'America/Los_Angeles')).toBe(t);
    expect(parseInput('2026-12-04 10:59:03')).toBe('2026-12-04T10:59:03.000Z');
    expect(parseInput('now-1h')).toBe('now-1h');
    expect(parseInput('4 Dec')).toBeUndefined();
  });
  it('labels chart axes in 24-hour time, with the date where the day changes', () => {
    const s = (iso: string) => Date.parse(iso) / 1000;
    expect(timeTicks([s('2026-12-03T22:00:00Z'), s('2026-12-04T00:00:00Z'), s('2026-12-04T14:00:00Z')], 7200)).toEqual(['Dec 3 22:00', 'Dec 4', '14:00']);
  });
  it('a change of zone is read by every format', () => {
    setZone('browser');
    expect(localStorage.getItem('lore.tz')).toBe('browser');
  });
  it('spansDays tells when rows need their date', () => {
    expect(spansDays(['2026-12-04T01:00:00Z', '2026-12-04T23:00:00Z'])).toBe(false);
    expect(spansDays(['2026-12-03T23:00:00Z', '2026-12-04T01:00:00Z'])).toBe(true);
  });
});

describe('the time range', () => {
  const now = Date.parse('2026-12-04T15:30:00Z');
  it('resolves today and yesterday to the days of the zone', () => {
    expect(resolve({ from: 'today', to: 'now' }, now)).toEqual({ from: '2026-12-04T00:00:00.000Z', to: 'now' });
    expect(resolve({ from: 'yesterday', to: 'now' }, now)).toEqual({ from: '2026-12-03T00:00:00.000Z', to: '2026-12-04T00:00:00.000Z' });
    expect(rangeLabel({ from: 'yesterday', to: 'now' }, now)).toBe('Yesterday');
    expect(rangeLabel({ from: 'now-24h', to: 'now' }, now)).toBe('Last 24 hours');
    expect(rangeLabel({ from: '2026-12-04T10:00:00Z', to: '2026-12-04T12:00:00Z' }, now)).toBe('Dec 4 10:00 → 12:00');
  });
  it('zooms out around the middle, and a range ending now keeps ending now', () => {
    expect(zoomOut({ from: 'now-1h', to: 'now' }, now)).toEqual({ from: 'now-2h', to: 'now' });
    expect(zoomOut({ from: '2026-12-04T10:00:00.000Z', to: '2026-12-04T12:00:00.000Z' }, now)).toEqual({ from: '2026-12-04T09:00:00.000Z', to: '2026-12-04T13:00:00.000Z' });
    expect(relSpelling(124975000)).toBe('now-35h');
  });
  it('shifts by half the range, never past now', () => {
    expect(shift({ from: 'now-2h', to: 'now' }, -1, now)).toEqual({ from: '2026-12-04T12:30:00.000Z', to: '2026-12-04T14:30:00.000Z' });
    expect(shift({ from: '2026-12-04T12:30:00.000Z', to: '2026-12-04T14:30:00.000Z' }, 1, now)).toEqual({ from: '2026-12-04T13:30:00.000Z', to: 'now' });
    const [a, b] = bounds({ from: 'now-2h', to: 'now' }, now);
    expect(b - a).toBe(7200000);
  });
});
