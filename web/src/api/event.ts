// An event as the API writes it (search results, journeys): its JSON is
// written by hand in Go (event.AppendJSON), so its type is declared here.

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

/** A breadcrumb of an error event, as its SDK sent it. */
export interface Breadcrumb {
  timestamp?: string | number;
  category?: string;
  message?: string;
  level?: string;
  type?: string;
  data?: unknown;
}
