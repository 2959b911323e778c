import { renderHook, waitFor } from '@testing-library/react';
import { afterEach, expect, test, vi } from 'vitest';
import { get } from './api';
import { useLoad } from './util';

afterEach(() => vi.unstubAllGlobals());

test('useLoad aborts the API calls of a load that is replaced or unmounted', async () => {
  const signals: AbortSignal[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn((_u: URL, init: RequestInit) => {
      signals.push(init.signal as AbortSignal);
      return new Promise((ok, fail) => {
        init.signal?.addEventListener('abort', () => fail(new DOMException('aborted', 'AbortError')));
        setTimeout(() => ok(new Response(JSON.stringify({ q: String(_u) }), { status: 200 })), 20);
      });
    }),
  );
  const { result, rerender, unmount } = renderHook(({ q }) => useLoad((signal) => get<{ q: string }>('/api/v1/search', { q }, signal), [q]), {
    initialProps: { q: 'first' },
  });
  rerender({ q: 'second' });
  await waitFor(() => expect(result.current.data?.q).toContain('q=second'));
  expect(signals).toHaveLength(2);
  expect(signals[0].aborted).toBe(true);
  expect(signals[1].aborted).toBe(false);
  expect(result.current.error).toBeUndefined();
  rerender({ q: 'third' });
  unmount();
  expect(signals[2].aborted).toBe(true);
});
