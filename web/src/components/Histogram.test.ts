import { expect, test, vi } from 'vitest';

vi.mock('uplot', () => ({ default: class {} }));

test('histogramSeries puts each bar in the middle of its step, errors and fatals together', async () => {
  const { histogramSeries } = await import('./Histogram');
  const [xs, all, errs] = histogramSeries({
    step: '1m0s',
    step_ms: 60000,
    from: '2026-11-21T10:00:00Z',
    to: '2026-11-21T10:02:00Z',
    buckets: [
      { ts: '2026-11-21T10:00:00Z', count: 5, by: { info: 3, error: 1, fatal: 1 } },
      { ts: '2026-11-21T10:01:00Z', count: 2 },
    ],
  });
  const t0 = Date.parse('2026-11-21T10:00:00Z') / 1000;
  expect(xs).toEqual([t0 + 30, t0 + 90]);
  expect(all).toEqual([5, 2]);
  expect(errs).toEqual([2, null]);
});
