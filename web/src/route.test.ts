import { describe, expect, it } from 'vitest';
import { href, keep, parseHash, withParams } from './route';

describe('hash routes', () => {
  it('round-trip a page, its query and its time range', () => {
    const h = href(['explore'], { q: 'level:error service:"a b"', from: 'now-3d', to: undefined });
    expect(h).toBe('#/explore?q=level%3Aerror+service%3A%22a+b%22&from=now-3d');
    const r = parseHash(h);
    expect(r.path).toEqual(['explore']);
    expect(r.params.get('q')).toBe('level:error service:"a b"');
    expect(keep(r)).toEqual({ from: 'now-3d', to: undefined });
  });
  it('keep the other parameters when one changes', () => {
    const r = parseHash('#/journey/trace/abc?from=now-1h&ref=3');
    expect(r.path).toEqual(['journey', 'trace', 'abc']);
    expect(withParams(r, { ref: '5' })).toBe('#/journey/trace/abc?from=now-1h&ref=5');
    expect(withParams(r, { ref: undefined }, ['issues'])).toBe('#/issues?from=now-1h');
  });
});
