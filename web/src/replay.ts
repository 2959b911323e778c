// Session replays beside the journey: which sessions have a recording, and
// the timeline that joins a recording to the session's story — each line
// at its offset in the replay, with the trace it belongs to. Pure
// functions (and one loader), so the player stays small and each is
// tested on its own.
import { get, type LoreEvent, type Recording, type ReplaysAnswer, type StoryLine } from './api';
import { isError, isFailedSpan, ms } from './journey';

/** loadReplays asks which of the sessions have a recording (500 a request). */
export async function loadReplays(ids: string[], signal?: AbortSignal): Promise<Map<string, Recording>> {
  const out = new Map<string, Recording>();
  const uniq = [...new Set(ids.filter(Boolean))];
  for (let i = 0; i < uniq.length; i += 500) {
    const a = await get<ReplaysAnswer>('/api/v1/replays', { session: uniq.slice(i, i + 500).join(',') }, signal);
    for (const r of a.replays || []) out.set(r.session_id, r);
  }
  return out;
}

/** The kinds of timeline lines, which colour them and their marks on the scrubber. */
export type LineKind = 'page' | 'action' | 'request' | 'error' | 'warning' | 'frustration' | 'outcome';

export interface TimelineLine {
  ts: number; // ms since the epoch, Lore's clock (the recording's too)
  kind: LineKind;
  text: string;
  service: string;
  ref: number; // the journey event it tells, -1 for none
  trace?: string; // the trace it belongs to
  also?: string[]; // a request's line: the other services its trace went through
}

const frustrations = new Set(['$rageclick', '$dead_click', '$error_after_click']);

/** kindOf is how a story line about e shows on the timeline. */
export function kindOf(e: LoreEvent | undefined, storyKind: string): LineKind {
  if (!e) return storyKind === 'error' ? 'error' : 'action';
  if (frustrations.has(e.name || '')) return 'frustration';
  if (isError(e) || storyKind === 'error') return 'error';
  if (isFailedSpan(e) || storyKind === 'warning') return 'warning';
  if (storyKind === 'outcome') return 'outcome';
  if (e.kind === 'pageview') return 'page';
  if (e.kind === 'span') return 'request';
  return 'action';
}

const detectionWords: Record<string, string> = {
  $rageclick: 'rage-clicked',
  $dead_click: 'clicked, and nothing happened:',
  $error_after_click: 'clicked, then an error:',
};

/**
 * timeline joins a session's story to its recording: the story's lines
 * about the session's events (refs), in time order, each with its trace;
 * and the recording's detections (rage clicks, dead clicks, errors after
 * a click) that the journey does not hold as events yet (a session is
 * sealed a while after it ends).
 */
export function timeline(events: LoreEvent[], refs: number[], story: StoryLine[], rec?: Recording): TimelineLine[] {
  const mine = new Set(refs);
  const out: TimelineLine[] = [];
  const requests = new Map<string, TimelineLine>();
  for (const l of [...story].sort((a, b) => Date.parse(a.ts) - Date.parse(b.ts) || a.ref - b.ref)) {
    if (l.kind === 'gap' || !mine.has(l.ref)) continue;
    const e = events[l.ref];
    if (e?.kind === 'replay') continue; // the recording itself
    const kind = kindOf(e, l.kind);
    const trace = e?.trace_id || undefined;
    // A request is one line, its trace's first: the services it went through named on it.
    const first = kind === 'request' && trace ? requests.get(trace) : undefined;
    if (first) {
      // The line of the trace's entry (its earliest event) speaks for it; the others are named on it.
      if (l.ref < first.ref) [first.text, first.service, first.ref, l.service] = [l.text, l.service, l.ref, first.service];
      if (l.service !== first.service && !first.also?.includes(l.service)) (first.also ||= []).push(l.service);
      continue;
    }
    const line: TimelineLine = { ts: Date.parse(l.ts), kind, text: l.text, service: l.service, ref: l.ref, trace };
    if (kind === 'request' && trace) requests.set(trace, line);
    out.push(line);
  }
  const told = new Set(refs.filter((i) => frustrations.has(events[i]?.name || '')).map((i) => `${events[i].name}@${Math.round(ms(events[i]) / 1000)}`));
  for (const d of rec?.summary?.detections || []) {
    if (told.has(`${d.kind}@${Math.round(d.ts / 1000)}`)) continue;
    const what = d.text ? `"${d.text}"` : d.selector || 'the page';
    const text =
      d.kind === '$rageclick'
        ? `rage-clicked ${what} ${d.clicks} times`
        : `${detectionWords[d.kind] || d.kind} ${what}${d.error ? ` — ${d.error}` : ''}`;
    out.push({ ts: d.ts, kind: 'frustration', text, service: 'replay', ref: -1, trace: d.trace_id || undefined });
  }
  return out.sort((a, b) => a.ts - b.ts || a.ref - b.ref);
}

/** activeLine is the index of the last line at or before t (ms), -1 before the first. */
export function activeLine(lines: TimelineLine[], t: number): number {
  let lo = 0;
  let hi = lines.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (lines[mid].ts <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** fmtOffset writes an offset in the replay as m:ss (h:mm:ss past an hour), negative before it starts. */
export function fmtOffset(offset: number): string {
  const s = Math.floor(Math.abs(offset) / 1000);
  const sign = offset < 0 && s > 0 ? '-' : ''; // not "-0:00" for a moment just before the recording began
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${sign}${h}:${String(m).padStart(2, '0')}:${ss}` : `${sign}${m}:${ss}`;
}

/** lead is how long before a line's moment a seek starts, so the moment is seen coming. */
export const lead = 1000;

/** seekOffset is where the player goes for a moment at ts: a little before it, within the recording. */
export function seekOffset(ts: number, start: number, duration: number): number {
  return Math.min(Math.max(0, ts - start - lead), Math.max(0, duration));
}
