import { act, cleanup, render, renderHook, screen } from '@testing-library/react';
import { afterEach, expect, test } from 'vitest';
import { useLoad } from '../util';
import { Figures } from './Figures';

afterEach(cleanup);

/** answers hands out loads that settle when the test says. */
function answers() {
  const pending = new Map<string, (v: string) => void>();
  return {
    load: (range: string) => () => new Promise<string>((ok) => pending.set(range, ok)),
    answer: async (range: string) => {
      await act(async () => pending.get(range)!(`events of ${range}`));
    },
  };
}

test('useLoad says it is loading in the very render in which its deps change, keeping the old data', async () => {
  const a = answers();
  const seen: { range: string; data?: string; loading: boolean }[] = [];
  const { rerender } = renderHook(
    ({ range }) => {
      const l = useLoad(a.load(range), [range]);
      seen.push({ range, data: l.data, loading: l.loading });
      return l;
    },
    { initialProps: { range: 'now-1h' } },
  );
  await a.answer('now-1h');
  expect(seen.at(-1)).toEqual({ range: 'now-1h', data: 'events of now-1h', loading: false });
  seen.length = 0;
  rerender({ range: 'now-24h' });
  // No render shows the last hour's events as if they were the day's.
  expect(seen.length).toBeGreaterThan(0);
  for (const s of seen) expect(s).toEqual({ range: 'now-24h', data: 'events of now-1h', loading: true });
  await a.answer('now-24h');
  expect(seen.at(-1)).toEqual({ range: 'now-24h', data: 'events of now-24h', loading: false });
});

function Page({ range, load }: { range: string; load: (range: string) => () => Promise<string> }) {
  const total = useLoad(load(range), [range]);
  return (
    <>
      <Figures loads={[total]} label="numbers">
        <b>{total.data || '…'}</b>
      </Figures>
      <Figures label="panel">
        <Panel range={range} load={load} />
      </Figures>
    </>
  );
}

/** Panel loads inside its Figures, which hears of the load by itself. */
function Panel({ range, load }: { range: string; load: (range: string) => () => Promise<string> }) {
  const p = useLoad(load('panel ' + range), [range]);
  return <i>{p.data || '…'}</i>;
}

test('Figures dims the previous range’s figures while the new range loads, and un-dims when they are in', async () => {
  const a = answers();
  const { rerender } = render(<Page range="now-1h" load={a.load} />);
  const numbers = screen.getByRole('group', { name: 'numbers' });
  const panel = screen.getByRole('group', { name: 'panel' });
  // The first load: busy, but nothing to dim.
  expect(numbers.getAttribute('aria-busy')).toBe('true');
  expect(panel.getAttribute('aria-busy')).toBe('true');
  expect(numbers.classList.contains('stale')).toBe(false);
  expect(screen.queryByText('updating…')).toBeNull();
  await a.answer('now-1h');
  await a.answer('panel now-1h');
  for (const g of [numbers, panel]) {
    expect(g.getAttribute('aria-busy')).toBe('false');
    expect(g.classList.contains('stale')).toBe(false);
  }

  rerender(<Page range="now-24h" load={a.load} />);
  // The old figures stay, dimmed, with the mark, from the render that changed the range.
  for (const g of [numbers, panel]) {
    expect(g.getAttribute('aria-busy')).toBe('true');
    expect(g.classList.contains('stale')).toBe(true);
  }
  expect(numbers.textContent).toContain('events of now-1h');
  expect(screen.getAllByText('updating…')).toHaveLength(2);
  await a.answer('now-24h');
  expect(numbers.getAttribute('aria-busy')).toBe('false');
  expect(numbers.classList.contains('stale')).toBe(false);
  expect(numbers.textContent).toContain('events of now-24h');
  // The panel's own load is still under way.
  expect(panel.classList.contains('stale')).toBe(true);
  await a.answer('panel now-24h');
  expect(panel.getAttribute('aria-busy')).toBe('false');
  expect(panel.classList.contains('stale')).toBe(false);
  expect(screen.queryByText('updating…')).toBeNull();
});

test('Figures marks a refresh of the same range as busy, with the loading bar, but does not dim it', async () => {
  const a = answers();
  // tick stands for a live refresh: the same range, loaded again.
  function Live({ range, tick }: { range: string; tick: number }) {
    const l = useLoad(a.load(`${range} #${tick}`), [range, tick]);
    const sameRange = l.data?.startsWith(`events of ${range} `);
    return (
      <Figures loads={[{ ...l, refresh: l.loading && sameRange }]} label="live">
        <b>{l.data || '…'}</b>
      </Figures>
    );
  }
  const { rerender } = render(<Live range="now-1h" tick={0} />);
  const g = screen.getByRole('group', { name: 'live' });
  await a.answer('now-1h #0');
  expect(g.getAttribute('aria-busy')).toBe('false');

  rerender(<Live range="now-1h" tick={1} />);
  expect(g.getAttribute('aria-busy')).toBe('true');
  expect(g.classList.contains('refreshing')).toBe(true);
  expect(g.classList.contains('stale')).toBe(false);
  expect(screen.getByText('refreshing…')).toBeTruthy();
  expect(screen.queryByText('updating…')).toBeNull();
  await a.answer('now-1h #1');
  expect(g.getAttribute('aria-busy')).toBe('false');
  expect(g.className).toBe('figures');
  expect(g.querySelector('.updating')).toBeNull();
  expect(g.textContent).toBe('events of now-1h #1');

  // Another range is not a refresh: the last hour's figures are stale.
  rerender(<Live range="now-24h" tick={1} />);
  expect(g.classList.contains('stale')).toBe(true);
  expect(g.classList.contains('refreshing')).toBe(false);
  expect(screen.getByText('updating…')).toBeTruthy();
  await a.answer('now-24h #1');
  expect(g.getAttribute('aria-busy')).toBe('false');
});
