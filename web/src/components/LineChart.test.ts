// A timechart's answer has every bucket (internal/analysis/pipes: 0 for
// counts, null for values where nothing happened): the chart keeps a zero
// as a zero, a null as a gap, and draws a value between two gaps as a dot.
import { expect, test, vi } from 'vitest';
import type { QueryAnswer } from '../api';

vi.mock('uplot', () => ({ default: class {} }));

test('a filled timechart draws zeros as zeros and nulls as gaps', async () => {
  const { linesOf, shapeOf } = await import('./QueryAnswer');
  const { lonePoints } = await import('./LineChart');
  const a: QueryAnswer = {
    columns: [
      { name: 'time', type: 'time' },
      { name: 'n', type: 'number' },
      { name: 'p95', type: 'number' },
    ],
    rows: [
      ['2026-11-21T09:00:00Z', 4, 120],
      ['2026-11-21T09:05:00Z', 0, null],
      ['2026-11-21T09:10:00Z', 2, 80],
      ['2026-11-21T09:15:00Z', 0, null],
      ['2026-11-21T09:20:00Z', 0, null],
    ],
    took_ms: 1,
    aggregate: true,
    chart: 'line',
  };
  const l = linesOf(a, shapeOf(a, '* | timechart span=5m count() as n, p95(duration_ms) as p95'), 1);
  expect(l.xs.length).toBe(5);
  expect(l.lines).toEqual([
    { label: 'n', values: [4, 0, 2, 0, 0] },
    { label: 'p95', values: [120, null, 80, null, null] },
  ]);
  // the zeros are a line; 120 and 80 have a gap on each side (or the edge): dots
  expect(lonePoints(l.lines[0].values)).toBeNull();
  expect(lonePoints(l.lines[1].values)).toEqual([0, 2]);
  expect(lonePoints([null, 1, 2, null, 3])).toEqual([4]);
  expect(lonePoints([5])).toEqual([0]);
  expect(lonePoints([])).toBeNull();
});
