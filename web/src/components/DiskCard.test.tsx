import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DiskCard, DiskWarning, fmtBytes } from './DiskCard';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('DiskCard', () => {
  it('formats sizes in binary units', () => {
    expect(fmtBytes(512)).toBe('512 B');
    expect(fmtBytes(1536)).toBe('1.5 KiB');
    expect(fmtBytes(5 * 2 ** 30)).toBe('5.0 GiB');
  });

  it('shows the disk and no warning when nothing was dropped', () => {
    render(<DiskCard disk={{ data_bytes: 3 * 2 ** 20, free_bytes: 40 * 2 ** 30, max_data_bytes: 0, min_free_bytes: 2 ** 30, checked_at: '2026-12-05T12:00:00Z' }} />);
    expect(screen.getByText('3.0 MiB')).toBeTruthy();
    expect(screen.getByText(/40\.0 GiB/).textContent).toContain('kept above 1.0 GiB');
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('warns which days the watermark dropped and why', () => {
    render(
      <DiskCard
        disk={{
          data_bytes: 1900,
          free_bytes: 10,
          max_data_bytes: 2000,
          min_free_bytes: 0,
          checked_at: '2026-12-05T12:00:00Z',
          dropped: { at: '2026-12-05T12:00:00Z', before: '2026-12-02T00:00:00Z', days: 5, events: 25000, reason: 'the data directory takes 3.3 MiB, over its cap of 2.0 MiB' },
        }}
      />,
    );
    const alert = screen.getByRole('alert').textContent || '';
    expect(alert).toContain('before 2026-12-02 (5 days, 25.0k events)');
    expect(alert).toContain('over its cap of 2.0 MiB');
    expect(alert).not.toContain('Only today');
    expect(alert).not.toContain('not archived');
  });

  it('warns on the Overview only after a drop', async () => {
    const dropped = { at: '2026-12-05T12:00:00Z', before: '2026-12-02T00:00:00Z', days: 2, events: 900, reason: '1.0 GiB free on the disk, under the floor of 5.0 GiB', unarchived: true };
    let disk: unknown = { data_bytes: 1, free_bytes: 1, max_data_bytes: 0, min_free_bytes: 1, checked_at: '' };
    vi.stubGlobal('fetch', async () => new Response(JSON.stringify({ project: { id: 1 }, keys: [], key_id: 0, retention: '', pii_rules: [], disk })));
    const quiet = render(<DiskWarning />);
    await new Promise((r) => setTimeout(r, 20));
    expect(quiet.container.textContent).toBe('');
    cleanup();
    disk = { data_bytes: 1, free_bytes: 1, max_data_bytes: 0, min_free_bytes: 1, checked_at: '', dropped };
    render(<DiskWarning />);
    const alert = (await screen.findByRole('alert')).textContent || '';
    expect(alert).toContain('under the floor of 5.0 GiB');
    expect(alert).toContain('were not archived');
    expect(screen.getByText('Disk and retention settings').getAttribute('href')).toBe('#/settings');
  });
});
