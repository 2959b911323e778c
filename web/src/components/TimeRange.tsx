// The time-range picker: relative ranges, or the absolute range a
// histogram zoom put in the URL.
import { navigate, withParams, type Route } from '../route';

export const ranges: [string, string][] = [
  ['now-15m', 'last 15 min'],
  ['now-1h', 'last hour'],
  ['now-6h', 'last 6 hours'],
  ['now-24h', 'last 24 hours'],
  ['now-3d', 'last 3 days'],
  ['now-7d', 'last 7 days'],
  ['now-14d', 'last 14 days'],
];

export const defaultFrom = 'now-24h';

export function rangeOf(r: Route): { from: string; to: string } {
  return { from: r.params.get('from') || defaultFrom, to: r.params.get('to') || 'now' };
}

export function TimeRange({ r }: { r: Route }) {
  const { from, to } = rangeOf(r);
  const custom = !ranges.some(([v]) => v === from) || to !== 'now';
  return (
    <label className="range">
      <span className="sr">Time range</span>
      <select
        aria-label="time range"
        value={custom ? 'custom' : from}
        onChange={(e) => navigate(withParams(r, { from: e.target.value, to: undefined }))}
      >
        {custom && <option value="custom">{`${from.replace('T', ' ').slice(0, 16)} → ${to === 'now' ? 'now' : to.replace('T', ' ').slice(0, 16)}`}</option>}
        {ranges.map(([v, label]) => (
          <option key={v} value={v}>
            {label}
          </option>
        ))}
      </select>
    </label>
  );
}
