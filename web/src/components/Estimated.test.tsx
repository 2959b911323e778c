import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { Estimated } from './Estimated';

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
