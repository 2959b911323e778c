// The read API client: every call sends the read key kept in localStorage
// and turns API refusals into messages a person can act on.

const keyName = 'lore.readKey';

export function readKey(): string {
  try {
    return localStorage.getItem(keyName) || '';
  } catch {
    return '';
  }
}

export function setReadKey(k: string): void {
  localStorage.setItem(keyName, k.trim());
}

export class ApiError extends Error {
  constructor(message: string, readonly status: number) {
    super(message);
  }
}

/** explain turns an HTTP status and the API's error text into a sentence. */
export function explain(status: number, detail: string): string {
  switch (status) {
    case 401:
      return 'Lore needs a read key: paste the read key printed by `lore serve` or `lore demo` at the top right.';
    case 403:
      return 'This key may not read: use a read key, not an ingest key.';
    case 400:
      return `Lore could not understand the request: ${detail}`;
    case 404:
      return `Not found: ${detail}`;
    case 413:
      return `The request is too large for Lore: ${detail}`;
    case 429:
    case 503:
      return `Lore is busy right now (${status}); try again in a few seconds. ${detail}`;
    case 500:
      return `Lore failed to answer this request (500): ${detail}. Its log says more.`;
    case 502:
    case 504:
      return `Lore did not answer through the proxy (${status}): is it running? ${detail}`;
    case 0:
      return `Lore is unreachable: is it running, and is this page served by it? (${detail})`;
    default:
      return `Lore answered ${status}: ${detail}`;
  }
}

export type Params = Record<string, string | number | undefined | null>;

// The abort signal of the load that is starting (see withSignal): api()
// picks it up synchronously, before its first await.
let loading: AbortSignal | undefined;

/** withSignal calls start, giving every api() call it makes synchronously the signal. */
export function withSignal<T>(signal: AbortSignal, start: () => Promise<T>): Promise<T> {
  const prev = loading;
  loading = signal;
  try {
    return start();
  } finally {
    loading = prev;
  }
}

export async function api<T>(path: string, params?: Params, init?: RequestInit): Promise<T> {
  const signal = init?.signal ?? loading;
  const u = new URL(path, location.origin);
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== '') u.searchParams.set(k, String(v));
  }
  let r: Response;
  try {
    r = await fetch(u, {
      ...init,
      signal,
      headers: { Authorization: 'Bearer ' + readKey(), ...(init?.body ? { 'Content-Type': 'application/json' } : {}) },
    });
  } catch (e) {
    throw new ApiError(explain(0, String(e)), 0);
  }
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new ApiError(explain(r.status, body.error || r.statusText), r.status);
  return body as T;
}

// The API's shapes, as far as the pages read them.

export interface LoreEvent {
  ts: string;
  kind: string;
  level?: string;
  service?: string;
  env?: string;
  release?: string;
  host?: string;
  trace_id?: string;
  span_id?: string;
  parent_span_id?: string;
  user_id?: string;
  anonymous_id?: string;
  session_id?: string;
  request_id?: string;
  name?: string;
  message?: string;
  http_method?: string;
  endpoint?: string;
  http_status?: number;
  duration_ms?: number;
  error_type?: string;
  retry_attempt?: number;
  attributes?: Record<string, unknown>;
  [k: string]: unknown;
}

export interface SearchResult {
  events: LoreEvent[];
  next_cursor?: string;
}

export interface Histogram {
  step_ms: number;
  from: string;
  to: string;
  buckets: { ts: string; count: number; by?: Record<string, number> }[];
}

export interface Facets {
  field: string;
  total: number;
  distinct: number;
  values: { value: string; count: number }[];
}

export interface StoryLine {
  ts: string;
  service: string;
  text: string;
  kind: string;
  ref: number;
}

export interface Journey {
  events: LoreEvent[];
  story: StoryLine[];
  summary: {
    services?: string[];
    duration_ms?: number;
    retries?: number;
    errors?: number;
    outcome?: string;
    users?: string[];
    traces?: number;
    start?: string;
    end?: string;
  };
}

export interface StoryCard {
  type: string;
  title: string;
  severity: string;
  from: string;
  to: string;
  facts?: Record<string, unknown>;
  narrative?: string[];
  impact?: Record<string, unknown>;
  evidence?: { queries?: Record<string, string>; trace_ids?: string[] | null; journeys?: string[] | null };
  recommendation?: string;
}

export interface Issue {
  id: number;
  title: string;
  culprit?: string;
  level?: string;
  status: string;
  count: number;
  users: number;
  first_seen: string;
  last_seen: string;
  first_release?: string;
  last_release?: string;
  error_type?: string;
  count_24h?: number[];
  count_14d?: number[];
}

export interface Frame {
  function?: string;
  filename?: string;
  abs_path?: string;
  module?: string;
  lineno?: number;
  colno?: number;
  in_app?: boolean;
  context_line?: string;
}

export interface IssueDetail extends Issue {
  latest_event?: LoreEvent & {
    event_id?: string;
    exception?: { type?: string; value?: string; stacktrace?: { frames?: Frame[] } }[];
    stacktrace?: { frames?: Frame[] };
    breadcrumbs?: { timestamp?: string | number; category?: string; message?: string; level?: string; type?: string; data?: unknown }[];
  };
  tags?: Record<string, { value: string; count: number }[]>;
  releases?: { value: string; count: number }[];
  affected_users?: { value: string; count: number }[];
  related?: { trace_id?: string; services?: string[]; events?: LoreEvent[]; trace_url?: string; journey_url?: string; total_events?: number };
}
