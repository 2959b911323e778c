// uPlot in the time-zone setting: its dates read in the zone, its time
// axis in 24-hour time, and whole-number ticks for counts.
import uPlot from 'uplot';
import { ianaZone, partsOf } from '../time';

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/** tzDate makes uPlot read its timestamps (seconds) in the zone setting. */
export function tzDate(ts: number): Date {
  return uPlot.tzDate(new Date(ts * 1000), ianaZone());
}

/**
 * timeTicks labels a time axis in 24-hour time: the date where the day
 * changes (and on the first tick), seconds when the ticks are that close.
 */
export function timeTicks(splits: number[], incr: number): string[] {
  let day = '';
  return splits.map((s) => {
    const p = partsOf(s * 1000);
    const d = `${months[p.mo - 1]} ${p.d}`;
    const clock = incr < 60 ? `${pad(p.h)}:${pad(p.mi)}:${pad(p.s)}` : `${pad(p.h)}:${pad(p.mi)}`;
    const newDay = d !== day;
    day = d;
    if (incr >= 86400) return d;
    if (newDay && p.h === 0 && p.mi === 0) return d;
    return newDay ? `${d} ${clock}` : clock;
  });
}

/** The time axis and count axis of a chart, in the zone setting. */
export const timeAxis = { stroke: '#8a91a3', space: 64, values: (_u: uPlot, splits: number[], _ax: number, _space: number, incr: number) => timeTicks(splits, incr) };

export const countAxis = {
  stroke: '#8a91a3',
  size: 50,
  incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 2e6, 5e6, 1e7],
  values: (_u: uPlot, splits: number[]) => splits.map((v) => (v >= 1e6 ? v / 1e6 + 'M' : v >= 1e4 ? v / 1e3 + 'k' : String(v))),
};
