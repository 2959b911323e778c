// The pipe syntax as the UI needs it: where the pipes of a query are, what
// its answer groups by, and the names the search bar offers after a '|'.
// The server parses for real (internal/analysis/pipes); this only reads
// enough of the text to place a chart and a suggestion.

export interface PipeSpan {
  name: string; // "stats", "where", … ('' while not typed)
  start: number; // offset of the text after its '|'
  end: number; // offset of the next '|' (or the end)
}

/** splitPipes cuts a query at each '|' outside double quotes. */
export function splitPipes(q: string): { search: string; pipes: PipeSpan[] } {
  const cuts: number[] = [];
  let quote = false;
  for (let i = 0; i < q.length; i++) {
    const c = q[i];
    if (c === '\\' && quote) i++;
    else if (c === '"') quote = !quote;
    else if (c === '|' && !quote) cuts.push(i);
  }
  const pipes = cuts.map((at, k) => {
    const end = k + 1 < cuts.length ? cuts[k + 1] : q.length;
    const name = (q.slice(at + 1, end).trim().match(/^[a-z]+/i)?.[0] || '').toLowerCase();
    return { name, start: at + 1, end };
  });
  return { search: q.slice(0, cuts[0] ?? q.length), pipes };
}

export const aggregatingPipes = ['stats', 'timechart', 'top', 'rare'];

/** hasPipes reports whether a query has a pipe after its search. */
export function hasPipes(q: string): boolean {
  return splitPipes(q).pipes.length > 0;
}

/** aggregates reports whether a pipe of q aggregates (its answer is groups, not events). */
export function aggregates(q: string): boolean {
  return splitPipes(q).pipes.some((p) => aggregatingPipes.includes(p.name));
}

/** splitTop splits at commas outside parentheses and quotes. */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote = false;
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '"') quote = !quote;
    else if (quote) continue;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      out.push(s.slice(from, i));
      from = i + 1;
    }
  }
  out.push(s.slice(from));
  return out.map((x) => x.trim()).filter(Boolean);
}

/**
 * groupsOf names the columns the last aggregating pipe groups by ("time"
 * for bin(…) and timechart), and how its answer draws: lines over time,
 * bars per group, or no chart (rows of events).
 */
export function groupsOf(q: string): { keys: string[]; chart: '' | 'line' | 'bar' } {
  const { pipes } = splitPipes(q);
  let out: { keys: string[]; chart: '' | 'line' | 'bar' } = { keys: [], chart: '' };
  for (const p of pipes) {
    const body = q.slice(p.start, p.end).trim().slice(p.name.length);
    if (p.name === 'top' || p.name === 'rare') {
      out = { keys: splitTop(body.replace(/^\s*\d+\s*/, '')), chart: 'bar' };
    } else if (p.name === 'stats' || p.name === 'timechart') {
      const by = body.match(/\sby\s(.*)$/is);
      const keys = by ? splitTop(by[1]).map((k) => (/^bin\s*\(/i.test(k) ? 'time' : k)) : [];
      if (p.name === 'timechart' && !keys.includes('time')) keys.unshift('time');
      out = { keys, chart: keys[0] === 'time' ? 'line' : 'bar' };
    }
  }
  return out;
}

/** The pipes, with the shape of each, as the search bar offers them. */
export const pipeNames: [string, string][] = [
  ['stats', 'stats count() as n, p95(duration_ms) by endpoint'],
  ['timechart', 'timechart span=5m count() by service'],
  ['top', 'top 10 endpoint'],
  ['rare', 'rare 10 error_type'],
  ['where', 'where duration_ms > 500 and http_status = 429'],
  ['eval', 'eval secs = duration_ms / 1000'],
  ['extract', 'extract "user=<user> took <ms>ms"'],
  ['fields', 'fields ts, service, message'],
  ['sort', 'sort n desc'],
  ['limit', 'limit 10'],
  ['dedup', 'dedup user_id'],
];

/** The aggregates of stats and timechart. */
export const aggregateNames: [string, string][] = [
  ['count', 'events (or non-empty values)'],
  ['sum', 'sum of a number'],
  ['avg', 'mean of a number'],
  ['min', 'least value'],
  ['max', 'greatest value'],
  ['p50', 'median'],
  ['p90', '90th percentile'],
  ['p95', '95th percentile'],
  ['p99', '99th percentile'],
  ['uniq', 'distinct values'],
  ['rate', 'events per second'],
];

/** The functions of where and eval expressions. */
export const functionNames: [string, string][] = [
  ['lower', 'lower(text)'],
  ['upper', 'upper(text)'],
  ['len', 'len(text)'],
  ['abs', 'abs(x)'],
  ['round', 'round(x, digits)'],
  ['floor', 'floor(x)'],
  ['ceil', 'ceil(x)'],
  ['tonumber', 'tonumber(text)'],
  ['tostring', 'tostring(x)'],
  ['concat', 'concat(a, b, …)'],
  ['coalesce', 'coalesce(a, b, …)'],
  ['if', 'if(cond, then, else)'],
  ['contains', 'contains(text, "part")'],
  ['startswith', 'startswith(text, "prefix")'],
  ['match', 'match(text, "regexp")'],
];

export interface PipeToken {
  start: number;
  end: number;
  prefix: string;
  /** What the word is: a pipe's name, or a word inside pipe (its name). */
  at: 'pipe' | 'arg';
  pipe: string;
  /** For stats and timechart: the word comes after "by". */
  afterBy: boolean;
}

/** pipeTokenAt finds the word the caret is in when it is after a '|'; undefined in the search part. */
export function pipeTokenAt(text: string, caret: number): PipeToken | undefined {
  const { pipes } = splitPipes(text);
  const p = pipes.find((x) => caret >= x.start && caret <= x.end);
  if (!p) return undefined;
  const before = text.slice(p.start, caret);
  // Inside a quoted string nothing is suggested.
  if ((before.match(/"/g) || []).length % 2 === 1) return undefined;
  let s = caret;
  while (s > p.start && /[\w.@]/.test(text[s - 1])) s--;
  let e = caret;
  while (e < p.end && /[\w.@]/.test(text[e])) e++;
  const prefix = text.slice(s, caret);
  if (before.trim() === prefix) return { start: s, end: e, prefix, at: 'pipe', pipe: '', afterBy: false };
  return { start: s, end: e, prefix, at: 'arg', pipe: p.name, afterBy: /\sby\s/i.test(text.slice(p.start, s)) };
}

export interface PipeSuggestion {
  text: string; // what replaces the word
  label: string;
  hint?: string;
}

const fieldPipes = ['top', 'rare', 'fields', 'sort', 'dedup'];

/**
 * pipeSuggestions lists what fits the word at the caret: pipe names right
 * after a '|'; aggregates in stats and timechart (before "by"); functions
 * in where and eval; field names wherever a field goes.
 */
export function pipeSuggestions(t: PipeToken, fields: string[]): PipeSuggestion[] {
  const p = t.prefix.toLowerCase();
  const starts = <T extends [string, string]>(list: T[]) => list.filter(([n]) => n.startsWith(p));
  if (t.at === 'pipe') return starts(pipeNames).map(([n, h]) => ({ text: n + ' ', label: n, hint: h }));
  const out: PipeSuggestion[] = [];
  const agg = (t.pipe === 'stats' || t.pipe === 'timechart') && !t.afterBy;
  if (agg) {
    for (const [n, h] of starts(aggregateNames)) out.push({ text: n === 'count' || n === 'rate' ? n + '()' : n + '(', label: n + '()', hint: h });
    if (p && 'by'.startsWith(p) && p !== 'by') out.push({ text: 'by ', label: 'by', hint: 'one row per group' });
  }
  if (t.pipe === 'where' || t.pipe === 'eval') {
    if (p) for (const [n, h] of starts(functionNames)) out.push({ text: n + '(', label: n + '()', hint: h });
  }
  if (t.afterBy && p && 'bin'.startsWith(p)) out.push({ text: 'bin(5m)', label: 'bin(5m)', hint: 'time buckets' });
  const wantsFields = p !== '' || t.afterBy || fieldPipes.includes(t.pipe);
  if (wantsFields) {
    const seen = new Set<string>();
    const fs = fields.filter((f) => !seen.has(f) && seen.add(f) && f.toLowerCase().startsWith(p));
    for (const f of fs) if (f !== p) out.push({ text: f, label: f, hint: 'field' });
  }
  return out.slice(0, 12);
}

/** applyPipe puts a suggestion in place of the word; the caret goes after it. */
export function applyPipe(text: string, t: PipeToken, s: PipeSuggestion): { text: string; caret: number } {
  let head = text.slice(0, t.start);
  // A pipe's name follows its '|' after one space.
  if (t.at === 'pipe' && head.endsWith('|')) head += ' ';
  const out = head + s.text + text.slice(t.end);
  return { text: out, caret: (head + s.text).length };
}

/**
 * drillQuery is the search for the events of one group: the query's search
 * and field:value. Undefined when the column is made by an eval or
 * extract pipe (no field of the events) or the value is empty.
 */
export function drillQuery(q: string, field: string, value: string): string | undefined {
  if (value === '' || !/^@?[\w.]+$/.test(field)) return undefined;
  const { search, pipes } = splitPipes(q);
  for (const p of pipes) {
    const body = q.slice(p.start, p.end);
    if (p.name === 'eval' && new RegExp(`[\\s,]${field.replace(/\./g, '\\.')}\\s*=(?!=)`).test(body)) return undefined;
    if (p.name === 'extract' && body.includes(`<${field}>`)) return undefined;
  }
  const s = search.trim();
  const t = /^[\w.@/\-]+$/.test(value) ? `${field}:${value}` : `${field}:"${value.replace(/"/g, '\\"')}"`;
  return s && s !== '*' ? `${/\sOR\s/i.test(s) ? `(${s})` : s} ${t}` : t;
}
