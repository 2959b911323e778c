// What the Journey page computes from a journey: the moment a link came
// for, the person's sessions, the span tree of a trace with its critical
// path, and a headline about the moment's outcome. Pure functions, so the
// page stays small and each is tested on its own.
import type { LoreEvent, StoryLine } from './api';
import { fmtDuration, summary } from './util';
import { fmtClock, fmtDay, spansDays } from './time';

/** ms is an event's time in ms. */
export const ms = (e: { ts: string }) => Date.parse(e.ts);

/** isError says whether an event is an error: an error or fatal level, or an error event. */
export function isError(e: LoreEvent): boolean {
  return e.level === 'error' || e.level === 'fatal' || e.kind === 'error';
}

/** isFailedSpan says whether a span failed: an error level or a 5xx/4xx answer. */
export function isFailedSpan(e: LoreEvent): boolean {
  return e.kind === 'span' && (isError(e) || (e.http_status ?? 0) >= 400);
}

/**
 * momentIndex finds the event a link came for: the one at the instant at
 * (an error first when several share it), else the nearest to it.
 */
export function momentIndex(events: LoreEvent[], at?: string): number {
  if (!at || !events.length) return -1;
  const t = Date.parse(at);
  if (isNaN(t)) return -1;
  let best = -1;
  let bestD = Infinity;
  events.forEach((e, i) => {
    const d = Math.abs(ms(e) - t) - (isError(e) ? 0.5 : 0);
    if (d < bestD) {
      bestD = d;
      best = i;
    }
  });
  return best;
}

export interface Session {
  id: string; // the session id, or "" for events outside any session
  refs: number[]; // indexes of its events, in time order
  start: number;
  end: number;
  errors: number;
}

/**
 * sessions groups a person's events by session; an event without a session
 * joins the session of an event of its trace (a backend's side of a request
 * the page made, joined by its traceparent), else the session whose time it
 * falls in, else a group of its own ("outside a session") split where an
 * hour passes without events.
 */
export function sessions(events: LoreEvent[]): Session[] {
  const by = new Map<string, Session>();
  const ofTrace = new Map<string, Session>();
  const loose: number[] = [];
  events.forEach((e, i) => {
    const sid = e.session_id || '';
    if (!sid) return loose.push(i);
    let s = by.get(sid);
    if (!s) by.set(sid, (s = { id: sid, refs: [], start: ms(e), end: ms(e), errors: 0 }));
    s.refs.push(i);
    s.start = Math.min(s.start, ms(e));
    s.end = Math.max(s.end, ms(e) + (e.duration_ms || 0));
    if (e.trace_id && !ofTrace.has(e.trace_id)) ofTrace.set(e.trace_id, s);
  });
  const list = [...by.values()];
  let outside: Session | undefined;
  for (const i of loose) {
    const t = ms(events[i]);
    const traced = events[i].trace_id ? ofTrace.get(events[i].trace_id!) : undefined;
    if (traced) {
      traced.refs.push(i);
      traced.end = Math.max(traced.end, t + (events[i].duration_ms || 0));
      continue;
    }
    const home = list.find((s) => s.id && t >= s.start && t <= s.end);
    if (home) {
      home.refs.push(i);
      continue;
    }
    if (!outside || t - outside.end > 3600000) {
      outside = { id: '', refs: [], start: t, end: t, errors: 0 };
      list.push(outside);
    }
    outside.refs.push(i);
    outside.end = Math.max(outside.end, t + (events[i].duration_ms || 0));
  }
  for (const s of list) {
    s.refs.sort((a, b) => a - b);
    s.errors = s.refs.filter((i) => isError(events[i])).length;
  }
  return list.sort((a, b) => a.start - b.start);
}

/** storyOf keeps the story lines about the given events, and the gaps between them. */
export function storyOf(story: StoryLine[], refs: Set<number>): StoryLine[] {
  const out: StoryLine[] = [];
  for (let i = 0; i < story.length; i++) {
    const l = story[i];
    if (l.kind === 'gap') {
      const prev = out[out.length - 1];
      const next = story.slice(i + 1).find((x) => x.kind !== 'gap');
      if (prev && prev.kind !== 'gap' && next && refs.has(next.ref)) out.push(l);
      continue;
    }
    if (refs.has(l.ref)) out.push(l);
  }
  return out;
}

/**
 * headline speaks of the moment's outcome: what happened at it, and what
 * followed in its session or trace (the refs given).
 */
export function headline(events: LoreEvent[], refs: number[], moment: number, why?: string, story: StoryLine[] = []): string {
  const m = events[moment];
  // The story's words for the moment, when it tells it (or the line it folds it into).
  const told = story.find((l) => l.kind !== 'gap' && l.ref >= moment && l.ref <= moment + 3 && Math.abs(Date.parse(l.ts) - ms(m)) < 1000);
  const all = refs.map((i) => events[i]);
  const times = all.map((e) => e.ts);
  const day = spansDays([...times, new Date().toISOString()]) ? `${fmtDay(m?.ts)} ` : '';
  const failed = all.filter(isFailedSpan);
  const errs = all.filter((e) => isError(e) && e.kind !== 'span');
  const parts: string[] = [];
  if (m) {
    const at = `${day}${fmtClock(m.ts).slice(0, 8)}`;
    const what = told ? told.text : summary(m);
    parts.push(`${why ? why + ': ' : ''}at ${at} ${m.service ? m.service + ' — ' : ''}${what.replace(/\.$/, '')}.`);
    const after = refs.filter((i) => i > moment);
    if (after.length === 0) parts.push('Nothing followed: it was the last event.');
    else {
      const last = events[after[after.length - 1]];
      const afterErrs = after.filter((i) => isError(events[i]) || isFailedSpan(events[i])).length;
      parts.push(
        `Then ${after.length} more event${after.length === 1 ? '' : 's'} over ${fmtDuration(ms(last) - ms(m))}` +
          (afterErrs ? `, ${afterErrs} of them failing` : '') +
          `, ending with ${last.service ? last.service + ' — ' : ''}${summary(last).replace(/\.$/, '')}.`,
      );
    }
  }
  const counts: string[] = [];
  if (errs.length) counts.push(`${errs.length} error${errs.length === 1 ? '' : 's'}`);
  if (failed.length) {
    const codes = [...new Set(failed.map((e) => e.http_status).filter(Boolean))].join(', ');
    counts.push(`${failed.length} failed span${failed.length === 1 ? '' : 's'}${codes ? ` (${codes})` : ''}`);
  }
  if (counts.length) parts.push(`In all: ${counts.join(', ')}.`);
  return parts.join(' ');
}

export interface SpanNode {
  i: number; // index of the span event
  e: LoreEvent;
  start: number;
  end: number;
  depth: number;
  children: SpanNode[];
  logs: number[]; // indexes of the non-span events of this span
  critical: boolean;
}

/**
 * spanTree nests a trace's spans by parent; the events that are not spans
 * are kept in their span's logs, or answered apart when they name none.
 */
export function spanTree(events: LoreEvent[]): { roots: SpanNode[]; loose: number[] } {
  const nodes = new Map<string, SpanNode>();
  events.forEach((e, i) => {
    if (e.kind === 'span' && e.span_id && !nodes.has(e.span_id)) {
      const start = ms(e);
      nodes.set(e.span_id, { i, e, start, end: start + (e.duration_ms || 0), depth: 0, children: [], logs: [], critical: false });
    }
  });
  const loose: number[] = [];
  events.forEach((e, i) => {
    if (e.kind === 'span' && e.span_id && nodes.get(e.span_id)?.i === i) return;
    const home = e.span_id ? nodes.get(e.span_id) : undefined;
    if (home) home.logs.push(i);
    else loose.push(i);
  });
  const roots: SpanNode[] = [];
  for (const n of nodes.values()) {
    const p = n.e.parent_span_id ? nodes.get(n.e.parent_span_id) : undefined;
    if (p && p !== n) p.children.push(n);
    else roots.push(n);
  }
  const order = (a: SpanNode, b: SpanNode) => a.start - b.start || a.i - b.i;
  const walk = (n: SpanNode, d: number, seen: Set<SpanNode>) => {
    if (seen.has(n)) return;
    seen.add(n);
    n.depth = d;
    n.children.sort(order);
    for (const c of n.children) walk(c, d + 1, seen);
  };
  roots.sort(order);
  const seen = new Set<SpanNode>();
  for (const r of roots) walk(r, 0, seen);
  for (const r of roots) markCritical(r);
  return { roots, loose };
}

/**
 * markCritical marks the critical path under n, as Jaeger computes it:
 * walking back from n's end, the child that finished last, then the child
 * that finished last before that one started, and so on, each in turn.
 */
export function markCritical(n: SpanNode): void {
  n.critical = true;
  let until = n.end;
  const kids = [...n.children].sort((a, b) => b.end - a.end);
  for (const c of kids) {
    if (c.end <= until && c.start >= n.start) {
      markCritical(c);
      until = c.start;
    }
  }
}

/** flatten lists the tree's rows in order, skipping the children of collapsed spans. */
export function flatten(roots: SpanNode[], collapsed: Set<string>): SpanNode[] {
  const out: SpanNode[] = [];
  const walk = (n: SpanNode) => {
    out.push(n);
    if (!collapsed.has(n.e.span_id || '')) for (const c of n.children) walk(c);
  };
  for (const r of roots) walk(r);
  return out;
}

/** ticks are round offsets (ms) for a time axis of the given length. */
export function ticks(span: number, n = 6): number[] {
  const raw = span / n;
  const pow = Math.pow(10, Math.floor(Math.log10(Math.max(raw, 1e-3))));
  const step = [1, 2, 5, 10].map((k) => k * pow).find((s) => s >= raw) || raw;
  const out: number[] = [];
  for (let t = 0; t <= span + 1e-9; t += step) out.push(t);
  return out;
}

/** firstFailure is the first error or failed span of a journey, -1 if none. */
export function firstFailure(events: LoreEvent[]): number {
  return events.findIndex((e) => isError(e) || isFailedSpan(e));
}
