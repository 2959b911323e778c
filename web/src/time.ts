// Time in the UI: the one time-zone setting (UTC by default, or the
// browser's) that every chart, table and input follows, the formats built
// on it, and the time range of the URL: quick ranges ("now-24h", "today",
// "yesterday"), absolute ones, zooming out and shifting.
import { useEffect, useState } from 'react';

export type Zone = 'utc' | 'browser';

const zoneKey = 'lore.tz';
const zoneEvent = 'lore-tz';

/** zone is the time zone setting: "utc" unless the browser's was chosen. */
export function zone(): Zone {
  try {
    return localStorage.getItem(zoneKey) === 'browser' ? 'browser' : 'utc';
  } catch {
    return 'utc';
  }
}

export function setZone(z: Zone): void {
  localStorage.setItem(zoneKey, z);
  window.dispatchEvent(new Event(zoneEvent));
}

/** useZone re-renders on a change of the time zone setting. */
export function useZone(): Zone {
  const [z, setZ] = useState(zone);
  useEffect(() => {
    const on = () => setZ(zone());
    window.addEventListener(zoneEvent, on);
    window.addEventListener('storage', on);
    return () => {
      window.removeEventListener(zoneEvent, on);
      window.removeEventListener('storage', on);
    };
  }, []);
  return z;
}

/** browserZone is the IANA name of the browser's time zone. */
export function browserZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'local';
}

/** zoneName is the zone times are shown in: "UTC" or e.g. "America/Los_Angeles". */
export function zoneName(): string {
  return zone() === 'utc' ? 'UTC' : browserZone();
}

/** ianaZone is the zone for Intl and uPlot. */
export function ianaZone(): string {
  return zone() === 'utc' ? 'UTC' : browserZone();
}

export interface Parts {
  y: number;
  mo: number; // 1–12
  d: number;
  h: number;
  mi: number;
  s: number;
  ms: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      hourCycle: 'h23',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** partsOf is the wall-clock reading of t in the zone setting. */
export function partsOf(t: number | Date, tz = ianaZone()): Parts {
  const d = typeof t === 'number' ? new Date(t) : t;
  const p: Record<string, number> = {};
  for (const x of formatter(tz).formatToParts(d)) if (x.type !== 'literal') p[x.type] = Number(x.value);
  return { y: p.year, mo: p.month, d: p.day, h: p.hour % 24, mi: p.minute, s: p.second, ms: d.getTime() % 1000 < 0 ? 0 : d.getTime() % 1000 };
}

/** fromParts is the instant whose wall-clock reading in the zone is p. */
export function fromParts(p: Omit<Parts, 'ms'> & { ms?: number }, tz = ianaZone()): number {
  const asUTC = Date.UTC(p.y, p.mo - 1, p.d, p.h, p.mi, p.s, p.ms || 0);
  // The zone's offset at that moment, found by reading the guess back (twice, for DST edges).
  let t = asUTC;
  for (let i = 0; i < 2; i++) {
    const q = partsOf(t, tz);
    const read = Date.UTC(q.y, q.mo - 1, q.d, q.h, q.mi, q.s, p.ms || 0);
    t += asUTC - read;
  }
  return t;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function toMs(ts?: string | number): number | undefined {
  if (ts === undefined || ts === '') return undefined;
  const t = typeof ts === 'number' ? ts : Date.parse(ts);
  return isNaN(t) ? undefined : t;
}

/** fmtTime is "2026-12-04 10:59:03" in the zone setting. */
export function fmtTime(ts?: string | number): string {
  const t = toMs(ts);
  if (t === undefined) return ts === undefined ? '' : String(ts);
  const p = partsOf(t);
  return `${p.y}-${pad(p.mo)}-${pad(p.d)} ${pad(p.h)}:${pad(p.mi)}:${pad(p.s)}`;
}

/** fmtShort is "Dec 4 14:00" in the zone setting. */
export function fmtShort(ts?: string | number): string {
  const t = toMs(ts);
  if (t === undefined) return ts === undefined ? '' : String(ts);
  const p = partsOf(t);
  return `${months[p.mo - 1]} ${p.d} ${pad(p.h)}:${pad(p.mi)}`;
}

/** fmtDay is "Fri Dec 4" in the zone setting. */
export function fmtDay(ts?: string | number): string {
  const t = toMs(ts);
  if (t === undefined) return '';
  const p = partsOf(t);
  const wd = new Date(Date.UTC(p.y, p.mo - 1, p.d)).toLocaleDateString('en-US', { weekday: 'short', timeZone: 'UTC' });
  return `${wd} ${months[p.mo - 1]} ${p.d}`;
}

/** fmtClock is "10:59:03.123" in the zone setting. */
export function fmtClock(ts?: string | number): string {
  const t = toMs(ts);
  if (t === undefined) return '';
  const p = partsOf(t);
  return `${pad(p.h)}:${pad(p.mi)}:${pad(p.s)}.${pad(((t % 1000) + 1000) % 1000, 3)}`;
}

/**
 * fmtRow is a time in a table row: "10:59:03" when every row is on one
 * day, "Dec 4 10:59:03" when the rows span days.
 */
export function fmtRow(ts: string | number | undefined, spansDays: boolean): string {
  const t = toMs(ts);
  if (t === undefined) return '';
  const p = partsOf(t);
  const clock = `${pad(p.h)}:${pad(p.mi)}:${pad(p.s)}`;
  return spansDays ? `${months[p.mo - 1]} ${p.d} ${clock}` : clock;
}

/** dayKey is the calendar day of t in the zone setting ("2026-12-04"). */
export function dayKey(ts: string | number): string {
  const p = partsOf(toMs(ts) ?? 0);
  return `${p.y}-${pad(p.mo)}-${pad(p.d)}`;
}

/** spansDays says whether times fall on more than one day in the zone setting. */
export function spansDays(times: (string | number | undefined)[]): boolean {
  let first: string | undefined;
  for (const t of times) {
    if (t === undefined) continue;
    const k = dayKey(t);
    if (first === undefined) first = k;
    else if (k !== first) return true;
  }
  return false;
}

/** startOfDay is the first instant of t's day in the zone setting. */
export function startOfDay(t: number): number {
  const p = partsOf(t);
  return fromParts({ y: p.y, mo: p.mo, d: p.d, h: 0, mi: 0, s: 0 });
}

/** toInput writes t as "2026-12-04 10:59:03" in the zone setting (24-hour). */
export function toInput(t: number): string {
  return fmtTime(t);
}

/**
 * parseInput reads what a person typed as a time: "now", "now-1h", an
 * RFC 3339 instant, or "2026-12-04 10:59[:03]" / "2026-12-04" read in the
 * zone setting. It answers the URL's spelling (relative stays relative,
 * the rest becomes an ISO instant) or undefined.
 */
export function parseInput(s: string): string | undefined {
  const t = s.trim();
  if (/^now([+-]\d+[smhdw])?$/.test(t)) return t;
  if (t === 'today' || t === 'yesterday') return t;
  const m = t.match(/^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?$/);
  if (m) {
    const ms = fromParts({ y: +m[1], mo: +m[2], d: +m[3], h: +(m[4] || 0), mi: +(m[5] || 0), s: +(m[6] || 0), ms: +(m[7] || '0').padEnd(3, '0') });
    return isNaN(ms) ? undefined : new Date(ms).toISOString();
  }
  if (/[zZ]|[+-]\d\d:?\d\d$/.test(t) && !isNaN(Date.parse(t))) return new Date(Date.parse(t)).toISOString();
  return undefined;
}

const unitMs: Record<string, number> = { s: 1e3, m: 6e4, h: 36e5, d: 864e5, w: 6048e5 };

/** relMs reads "now-24h" as 24 hours in ms (negative = the past); undefined if not relative. */
export function relMs(s: string): number | undefined {
  if (s === 'now') return 0;
  const m = s.match(/^now([+-])(\d+)([smhdw])$/);
  if (!m) return undefined;
  return (m[1] === '-' ? -1 : 1) * Number(m[2]) * unitMs[m[3]];
}

/**
 * relSpelling writes a span back before now as "now-90m": in its largest
 * whole unit, else rounded up to whole days (past 2 days), hours (past 2
 * hours) or minutes, as a person would say it.
 */
export function relSpelling(ms: number): string {
  for (const u of ['w', 'd', 'h', 'm'] as const) if (ms % unitMs[u] === 0) return `now-${ms / unitMs[u]}${u}`;
  for (const [u, over] of [['d', 2 * unitMs.d], ['h', 2 * unitMs.h], ['m', 0]] as const) if (ms >= over) return `now-${Math.ceil(ms / unitMs[u])}${u}`;
  return `now-${Math.max(1, Math.round(ms / 1000))}s`;
}

export const quickRanges: [string, string][] = [
  ['now-5m', 'Last 5 minutes'],
  ['now-15m', 'Last 15 minutes'],
  ['now-30m', 'Last 30 minutes'],
  ['now-1h', 'Last 1 hour'],
  ['now-3h', 'Last 3 hours'],
  ['now-6h', 'Last 6 hours'],
  ['now-12h', 'Last 12 hours'],
  ['now-24h', 'Last 24 hours'],
  ['now-2d', 'Last 2 days'],
  ['now-7d', 'Last 7 days'],
  ['now-14d', 'Last 14 days'],
  ['now-30d', 'Last 30 days'],
  ['today', 'Today so far'],
  ['yesterday', 'Yesterday'],
];

export const defaultFrom = 'now-24h';

/** RawRange is the range as the URL spells it. */
export interface RawRange {
  from: string;
  to: string;
}

/**
 * resolve turns the URL's range into what the API reads: "today" and
 * "yesterday" become the day's bounds in the zone setting; the rest is
 * passed on as is.
 */
export function resolve(raw: RawRange, now = Date.now()): RawRange {
  if (raw.from === 'today') return { from: new Date(startOfDay(now)).toISOString(), to: 'now' };
  if (raw.from === 'yesterday') {
    const today = startOfDay(now);
    return { from: new Date(startOfDay(today - 1)).toISOString(), to: new Date(today).toISOString() };
  }
  return raw;
}

/** bounds are the range's instants in ms. */
export function bounds(raw: RawRange, now = Date.now()): [number, number] {
  const r = resolve(raw, now);
  const at = (s: string) => {
    const rel = relMs(s);
    return rel !== undefined ? now + rel : Date.parse(s);
  };
  return [at(r.from), at(r.to)];
}

/** label names a range: a quick range's name, or its bounds. */
export function rangeLabel(raw: RawRange, now = Date.now()): string {
  if (raw.to === 'now' || raw.from === 'today' || raw.from === 'yesterday') {
    const q = quickRanges.find(([v]) => v === raw.from);
    if (q) return q[1];
    if (relMs(raw.from) !== undefined) return `Last ${raw.from.slice(4)}`;
  }
  const [a, b] = bounds(raw, now);
  if (isNaN(a) || isNaN(b)) return `${raw.from} → ${raw.to}`;
  const sameDay = dayKey(a) === dayKey(b);
  const end = sameDay ? fmtShort(b).replace(/^\w+ \d+ /, '') : fmtShort(b);
  return `${fmtShort(a)} → ${raw.to === 'now' ? 'now' : end}`;
}

/** zoomOut doubles the range around its middle; a range ending now stays ending now. */
export function zoomOut(raw: RawRange, now = Date.now()): RawRange {
  const [a, b] = bounds(raw, now);
  const span = b - a;
  if (raw.to === 'now' && raw.from !== 'yesterday') return { from: relSpelling(2 * span), to: 'now' };
  const to = Math.min(now, b + span / 2);
  return { from: new Date(to - 2 * span).toISOString(), to: to >= now ? 'now' : new Date(to).toISOString() };
}

/** shift moves the range by half its length, back (-1) or forth (+1), never past now. */
export function shift(raw: RawRange, dir: -1 | 1, now = Date.now()): RawRange {
  const [a, b] = bounds(raw, now);
  const span = b - a;
  let to = b + (dir * span) / 2;
  if (to >= now) to = now;
  const from = to - span;
  return { from: new Date(from).toISOString(), to: to >= now ? 'now' : new Date(to).toISOString() };
}
