import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { Count, Estimated, counted } from './Estimated';
import { totals } from '../pages/Overview';

afterEach(cleanup);

describe('Estimated', () => {
  it('says nothing when no counted event was sampled', () => {
    const { container } = render(<Estimated />);
    expect(container.textContent).toBe('');
  });
  it('says the total is estimated, and from what', () => {
    render(<Estimated sampled={{ kept: 325, total: 355, estimated_total: 3280 }} />);
    expect(screen.getByText(/≈ 3,280 events \(estimated\)/)).toBeTruthy();
    expect(screen.getByTitle(/stands for 1\/rate/).textContent).toContain('325 of the 355 stored were kept');
  });
});

describe('Count', () => {
  it('shows a stored count as it is', () => {
    const { container } = render(<Count v={{ count: 12 }} />);
    expect(container.textContent).toBe('12');
    expect(counted({ count: 12 })).toBe(12);
  });
  it('marks an estimate and says what was stored', () => {
    render(<Count v={{ count: 31, estimate: 310 }} />);
    const el = screen.getByTitle(/estimated before sampling: 31 stored/);
    expect(el.textContent).toBe('≈310');
    expect(counted({ count: 31, estimate: 310 })).toBe(310);
  });
});

describe('Overview totals', () => {
  it('add the estimates of sampled buckets and the counts of the others', () => {
    const t = totals({
      step: '1m',
      step_ms: 60000,
      from: '',
      to: '',
      buckets: [
        { ts: 'a', count: 40, by: { log: 30, error: 10 }, estimate: 310, by_estimate: { log: 300, error: 10 } },
        { ts: 'b', count: 5, by: { error: 5 } },
      ],
      sampled: { kept: 30, total: 45, estimated_total: 315 },
    });
    expect(t).toEqual({ total: 315, errors: 15, perStep: [310, 5], errPerStep: [10, 5], estimated: true });
  });
  it('are exact without sampling', () => {
    const t = totals({ step: '1m', step_ms: 60000, from: '', to: '', buckets: [{ ts: 'a', count: 4, by: { error: 1 } }] });
    expect(t?.estimated).toBe(false);
    expect(t?.total).toBe(4);
  });
});
