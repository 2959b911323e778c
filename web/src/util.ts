// Small formatting helpers shared by the pages.
import { createContext, useContext, useEffect, useLayoutEffect, useState } from 'react';
import { ApiError, type LoreEvent } from './api';

export { fmtClock, fmtDay, fmtRow, fmtShort, fmtTime, spansDays } from './time';

export function fmtNum(n?: number): string {
  if (n === undefined || n === null || isNaN(n)) return '—';
  if (Math.abs(n) >= 1e6) return (n / 1e6).toFixed(1) + 'M';
  if (Math.abs(n) >= 1e4) return (n / 1e3).toFixed(1) + 'k';
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}

export function fmtPct(f?: number): string {
  if (f === undefined || f === null || isNaN(f)) return '—';
  return (f * 100).toFixed(f < 0.01 ? 2 : 1) + '%';
}

export function fmtDuration(ms?: number): string {
  if (ms === undefined || ms === null) return '';
  if (ms < 1000) return ms.toFixed(ms < 10 ? 1 : 0) + ' ms';
  if (ms < 60000) return (ms / 1000).toFixed(1) + ' s';
  if (ms < 3600000) return (ms / 60000).toFixed(1) + ' min';
  return (ms / 3600000).toFixed(1) + ' h';
}

export interface Loaded<T> {
  data?: T;
  error?: string;
  /** The API's detail beside the error (ApiError.detail), when it gave one. */
  detail?: unknown;
  /** A load is under way; data, when there, is the previous load's (stale: of other deps, such as the previous time range). */
  loading: boolean;
  /**
   * The load under way is a refresh: data answers the same range and query
   * (as when Explore's live tail redraws its histogram), so the Figures
   * around it mark it refreshing without dimming it as stale.
   */
  refresh?: boolean;
}

/** waiting is a load that never settles: a useLoad that must wait for something else. */
export function waiting<T>(): Promise<T> {
  return new Promise<T>(() => {});
}

/**
 * LoadReport is how a load tells the Figures around it (components/Figures)
 * whether it is under way and whether figures are shown: id is the load's
 * own, state null when it goes away.
 */
export type LoadReport = (id: object, state: { busy: boolean; shown: boolean; refresh?: boolean } | null) => void;

/** LoadReports carries the nearest Figures' LoadReport down to the loads inside it. */
export const LoadReports = createContext<LoadReport | null>(null);

interface Held<T> extends Loaded<T> {
  /** the deps the result answers */
  deps?: unknown[];
}

function sameDeps(a: unknown[], b: unknown[]): boolean {
  return a.length === b.length && a.every((x, i) => Object.is(x, b[i]));
}

/**
 * useLoad runs load when deps change and keeps its result. load gets an
 * abort signal to pass to every API call it makes: they are aborted when
 * deps change again or the page goes away, so the server stops work nobody
 * will read (a query left behind would slow the next page's).
 *
 * While a new load is under way the previous data is kept (the page does not
 * flash) and loading is true from the very render in which deps change, so
 * what is shown is never taken for the new deps' answer: the Figures around
 * it dim it (aria-busy) until the answer is in. refreshes, when given,
 * says whether the data shown answers the same range and query as the load
 * under way (Explore's facets, redrawn with live tail): then the load is a
 * refresh, which the Figures mark without dimming.
 */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[], refreshes?: (shown: T) => boolean): Loaded<T> {
  const [s, setS] = useState<Held<T>>({ loading: true });
  useEffect(() => {
    let live = true;
    const ctl = new AbortController();
    const asked = deps;
    load(ctl.signal).then(
      (data) => live && setS({ data, loading: false, deps: asked }),
      (e: unknown) => live && setS({ error: e instanceof ApiError ? e.message : String(e), detail: e instanceof ApiError ? e.detail : undefined, loading: false, deps: asked }),
    );
    return () => {
      live = false;
      ctl.abort();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  // The result answers other deps (or none yet): a load is under way.
  const current = s.deps !== undefined && sameDeps(s.deps, deps);
  const out: Loaded<T> = current ? { data: s.data, error: s.error, detail: s.detail, loading: false } : { data: s.data, loading: true };
  if (out.loading && out.data !== undefined && refreshes?.(out.data)) out.refresh = true;
  useReport(out.loading, out.data !== undefined, !!out.refresh);
  return out;
}

/** useReport tells the Figures around a load (if any) whether it is under way, shows figures, and is a refresh of them. */
function useReport(busy: boolean, shown: boolean, refresh: boolean) {
  const report = useContext(LoadReports);
  const [id] = useState(() => ({}));
  // Layout effects: the Figures hears of a load before the browser paints, so aria-busy is never late.
  useLayoutEffect(() => report?.(id, { busy, shown, refresh }), [report, id, busy, shown, refresh]);
  useLayoutEffect(() => () => report?.(id, null), [report, id]);
}

/** quote makes a search term for a value, quoting when it has spaces or syntax. */
export function term(field: string, value: string): string {
  return /^[\w.@/\-]+$/.test(value) ? `${field}:${value}` : `${field}:"${value.replace(/"/g, '\\"')}"`;
}

/** summary is the one line shown for an event in the list. */
export function summary(e: LoreEvent): string {
  const parts: string[] = [];
  if (e.kind !== 'log') parts.push(`[${e.kind}]`);
  if (e.kind === 'span' || !e.message) {
    if (e.name) parts.push(e.name);
    const call = `${e.http_method || ''} ${e.endpoint || ''}`.trim();
    // A span is often named after its call: say it once.
    if (call && call !== e.name) parts.push(call);
    if (e.http_status) parts.push(String(e.http_status));
    if (e.duration_ms !== undefined) parts.push(fmtDuration(e.duration_ms));
  }
  if (e.message) parts.push(e.message);
  if (e.error_type && !e.message?.includes(e.error_type)) parts.push(e.error_type);
  return parts.join(' ');
}

/**
 * eventId names an event in a link: its time to the microsecond and a
 * hash of its content ("1764842796385000.1a2b3c4d"). Lore's events carry
 * no id of their own, and a row number changes as new events arrive.
 */
export function eventId(e: LoreEvent): string {
  const json = JSON.stringify(e);
  let h = 0x811c9dc5;
  for (let i = 0; i < json.length; i++) {
    h ^= json.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `${tsMicros(e.ts)}.${h.toString(16).padStart(8, '0')}`;
}

/** tsMicros reads an RFC 3339 time to the microsecond, as a decimal string. */
export function tsMicros(ts: string): string {
  const m = ts.match(/\.(\d+)/);
  const frac = (m ? m[1] : '').padEnd(6, '0').slice(0, 6);
  const sec = Math.floor(Date.parse(ts) / 1000);
  return `${sec}${frac}`;
}

/** idMillis is the millisecond an event id names. */
export function idMillis(id: string): number {
  return Math.floor(Number(id.split('.')[0]) / 1000);
}
