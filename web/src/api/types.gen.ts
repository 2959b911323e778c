// The read API's response types, generated from the Go structs by
// internal/server/apitypes_test.go: do not edit; run
// LORE_UPDATE_GOLDEN=1 go test ./internal/server -run TestAPITypes
import type { Breadcrumb, LoreEvent } from './event';

export interface AlertStatus {
  id: number;
  name: string;
  kind: string;
  state: string;
  since?: string;
  value: number | null;
  approximate?: boolean;
  series?: string[];
}

export interface Anomaly {
  service: string;
  signal: string;
  at: string;
  value: number;
  peak: number;
  baseline: Baseline;
  crossed: string[] | null;
  critical_at?: string;
  text: string;
  first_sample?: string;
}

export interface Attempt {
  id: number;
  notification_id: number;
  channel_id: number;
  monitor_id: number;
  attempt: number;
  at: string;
  ok: boolean;
  duration_ms: number;
  error?: string;
  final?: string;
}

export interface Baseline {
  median: number;
  mad: number;
  warning_above: number;
  critical_above: number;
}

export interface Card {
  type: string;
  title: string;
  severity: string;
  from: string;
  to: string;
  facts: Record<string, unknown> | null;
  narrative: string[] | null;
  impact: Record<string, unknown> | null;
  evidence: Evidence;
  recommendation: string;
}

/** The answer of GET /api/v1/channels/{id}. */
export interface Channel {
  id: number;
  name: string;
  type: string;
  url?: string;
  to?: string[];
  smtp?: SMTP;
  created_at?: string;
  updated_at?: string;
}

/** The answer of GET /api/v1/channels. */
export interface ChannelsResponse {
  channels: Channel[] | null;
  types: string[] | null;
}

/** The answer of GET /api/v1/checks/{id}. */
export interface Check {
  id: number;
  name: string;
  url: string;
  interval: string;
  timeout: string;
  expect_status?: number;
  expect_body?: string;
  status: string;
  status_since?: string;
  uptime: number | null;
  last_check: CheckResult | null;
  created_at?: string;
  updated_at?: string;
}

export interface CheckResult {
  at: string;
  status_code: number;
  latency_ms: number;
  error: string;
  tls_expires_at?: string;
  tls_days_left?: number;
  tls_expiring?: boolean;
}

export interface CheckStatus {
  id: number;
  name: string;
  url: string;
  interval: string;
  timeout: string;
  expect_status?: number;
  expect_body?: string;
  status: string;
  status_since?: string;
  uptime: number | null;
  last_check: CheckResult | null;
  created_at?: string;
  updated_at?: string;
  hours: number[] | null;
}

/** The answer of GET /api/v1/status. */
export interface CheckSummary {
  project: number;
  status: string;
  up: number;
  down: number;
  tls_expiring: number;
  checks: CheckStatus[] | null;
  monitors: number;
  alerting: AlertStatus[] | null;
  generated_at: string;
}

/** The answer of GET /api/v1/checks. */
export interface ChecksResponse {
  checks: Check[] | null;
  down: number;
}

export interface CohortResult {
  start: string;
  breakdown?: string;
  size: number;
  returned: number[] | null;
  rates: number[] | null;
}

export interface Column {
  name: string;
  type: string;
  estimated?: boolean;
  approximate?: boolean;
}

/** The answer of GET /api/v1/dashboards/{id}. */
export interface Dashboard {
  id: number;
  name: string;
  description?: string;
  from?: string;
  panels: Panel[] | null;
  created_at?: string;
  updated_at?: string;
}

/** The answer of GET /api/v1/monitors/{id}/deliveries. */
export interface DeliveriesResponse {
  attempts: Attempt[] | null;
}

/** The answer of GET /api/v1/issues/{id}. */
export interface Detail {
  id: number;
  title: string;
  culprit: string;
  level: string;
  status: string;
  count: number;
  users: number;
  first_seen: string;
  last_seen: string;
  first_release: string;
  last_release: string;
  fingerprint: string;
  fingerprints?: string[];
  error_type?: string;
  assignee?: string;
  regressed_in?: string;
  regressed_at?: string;
  dropped?: number;
  count_24h: number[] | null;
  count_14d: number[] | null;
  latest_event: EventView | null;
  tags: Record<string, TagValue[]> | null;
  releases: TagValue[] | null;
  affected_users: TagValue[] | null;
  related: Related;
}

/** The answer of GET /api/v1/fields. */
export interface Dictionary {
  from: string;
  to: string;
  cardinality_method: string;
  fields: Field[] | null;
  drift: number;
}

export interface DiskDrop {
  at: string;
  before: string;
  days: number;
  events: number;
  reason: string;
  short?: boolean;
  unarchived?: boolean;
}

export interface DiskStatus {
  data_bytes: number;
  free_bytes: number;
  max_data_bytes: number;
  min_free_bytes: number;
  checked_at: string;
  dropped?: DiskDrop;
}

export interface Drift {
  kind: string;
  at: string;
  note: string;
}

export interface DropoffCause {
  kind: string;
  label: string;
  service?: string;
  persons: number;
  events: number;
  median_ms?: number;
}

/** The answer of GET /api/v1/issues/{id}/events. */
export interface EventList {
  events: EventView[] | null;
  next_cursor: string;
}

export interface EventView {
  event_id?: string;
  ts: string;
  level: string;
  service: string;
  env: string;
  release: string;
  host?: string;
  trace_id?: string;
  span_id?: string;
  user_id?: string;
  session_id?: string;
  message: string;
  error_type?: string;
  endpoint?: string;
  http_method?: string;
  http_status?: number;
  fingerprint: string;
  exception: ExceptionView[] | null;
  stacktrace: StackFrames | null;
  breadcrumbs: Breadcrumb[] | null;
  attributes: Record<string, string> | null;
}

export interface Evidence {
  queries: Record<string, string> | null;
  trace_ids: string[] | null;
  journeys: string[] | null;
  replays?: string[];
}

export interface ExceptionView {
  type: string;
  value: string;
  module?: string;
  stacktrace?: StackFrames;
}

export interface FacetValue {
  value: string;
  count: number;
  estimate?: number;
}

/** The answer of GET /api/v1/facets. */
export interface FacetsResponse {
  field: string;
  total: number;
  distinct: number;
  values: FacetValue[] | null;
  sampled?: SampledSummary;
}

export interface FailedPath {
  path: string;
  steps: string[] | null;
  count: number;
  share: number;
}

export interface Field {
  name: string;
  column: boolean;
  type: string;
  types: TypeSeen[] | null;
  count: number;
  cardinality: number;
  examples: string[] | null;
  services: ServiceCount[] | null;
  first_seen: string;
  last_seen: string;
  first_seen_ever: string;
  drift?: Drift[];
}

export interface Frame {
  function?: string;
  module?: string;
  filename?: string;
  abs_path?: string;
  lineno?: number;
  colno?: number;
  in_app: boolean;
  context_line?: string;
  pre_context?: string[];
  post_context?: string[];
}

export interface Frustration {
  kind: string;
  ts: number;
  clicks: number;
  selector?: string;
  text?: string;
  url?: string;
  error?: string;
  trace_id?: string;
}

/** The answer of POST /api/v1/funnels. */
export interface FunnelResult {
  steps: FunnelStep[] | null;
  breakdown: FunnelSegment[] | null;
  window_seconds: number;
  range: TimeRange;
}

export interface FunnelSegment {
  value: string;
  steps: FunnelStep[] | null;
}

export interface FunnelStep {
  name: string;
  where?: string;
  persons: number;
  conversion_rate: number;
  dropoff_rate: number;
  dropped_after: number;
  median_seconds_to_convert: number;
  dropoff_errors: DropoffCause[] | null;
  sample_persons: string[] | null;
  sample_journeys: string[] | null;
}

export interface HistogramBucket {
  ts: string;
  count: number;
  by?: Record<string, number>;
  estimate?: number;
  by_estimate?: Record<string, number>;
}

/** The answer of GET /api/v1/histogram. */
export interface HistogramResponse {
  step: string;
  step_ms: number;
  from: string;
  to: string;
  by?: string;
  buckets: HistogramBucket[] | null;
  sampled?: SampledSummary;
}

export interface IssueSummary {
  id: number;
  title: string;
  culprit: string;
  level: string;
  status: string;
  count: number;
  users: number;
  first_seen: string;
  last_seen: string;
  first_release: string;
  last_release: string;
  fingerprint: string;
  fingerprints?: string[];
  error_type?: string;
  assignee?: string;
  regressed_in?: string;
  regressed_at?: string;
  dropped?: number;
  count_24h: number[] | null;
  count_14d: number[] | null;
}

/** The answer of GET /api/v1/journeys/failures. */
export interface JourneyFailuresResult {
  from: string;
  to: string;
  failed: number;
  journeys: FailedPath[] | null;
  time_to_failure: Record<string, TTF> | null;
}

export interface KeyInfo {
  id: number;
  role: string;
  hint: string;
  created_at: string;
  expires_at?: string;
}

/** The answer of GET /api/v1/latency. */
export interface LatencyResponse {
  from: string;
  to: string;
  spans: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
}

/** The answer of GET /api/v1/issues. */
export interface List {
  issues: IssueSummary[] | null;
  total: number;
  events: number;
}

export interface Listeners {
  otlp_grpc: string;
  syslog: string[] | null;
  forward: string[] | null;
}

export interface MapEdge {
  from: string;
  to: string;
  inferred?: boolean;
  calls: number;
  errors: number;
  error_rate: number;
  p50_ms: number;
  p95_ms: number;
}

export interface MapNode {
  id: string;
  kind: string;
  requests: number;
  events: number;
  error_rate: number;
  p50_ms: number;
  p95_ms: number;
}

/** The answer of GET /api/v1/monitors/{id}. */
export interface Monitor {
  id: number;
  name: string;
  kind: string;
  query: string;
  measure?: string;
  op: string;
  threshold: number;
  window: string;
  interval: string;
  group_by?: string;
  pending?: string;
  cooldown?: string;
  timeout?: string;
  webhook?: string;
  channels?: number[];
  muted: boolean;
  mute?: MuteWindow[];
  check?: number;
  story_type?: string;
  severity?: string;
  signal?: string;
  service?: string;
  state: string;
  muted_now: boolean;
  value: number | null;
  approximate?: boolean;
  sampled?: number;
  last_evaluated?: string;
  last_error?: string;
  state_since?: string;
  created_at?: string;
  updated_at?: string;
  series?: Series[];
  history?: MonitorEvent[];
}

export interface MonitorEvent {
  id: number;
  monitor_id: number;
  at: string;
  series?: string;
  from: string;
  to: string;
  value: number | null;
  threshold: number;
  note?: string;
  approximate?: boolean;
}

/** The answer of GET /api/v1/monitors/options. */
export interface MonitorOptions {
  kinds: string[] | null;
  group_by: string[] | null;
  signals: string[] | null;
  story_types: string[] | null;
  severities: string[] | null;
}

/** The answer of GET /api/v1/monitors. */
export interface MonitorsResponse {
  monitors: Monitor[] | null;
  alerting: number;
}

export interface MuteWindow {
  from?: string;
  to?: string;
  days?: string[];
  start?: string;
  end?: string;
  tz?: string;
}

export interface Panel {
  title: string;
  kind: string;
  query?: string;
  params?: Record<string, unknown>;
  from?: string;
  to?: string;
}

export interface PathResult {
  steps: string[] | null;
  persons: number;
}

/** The answer of POST /api/v1/paths. */
export interface PathsResult {
  paths: PathResult[] | null;
  range: TimeRange;
}

export interface Pattern {
  id: string;
  query: string;
  template: string;
  sample: string;
  count: number;
  share: number;
  first_seen: string;
  last_seen: string;
  new: boolean;
  error_fraction: number;
  series: PatternPoint[] | null;
  top: Record<string, StoreFacetValue[]> | null;
}

export interface PatternPoint {
  ts: string;
  count: number;
}

/** The answer of GET /api/v1/patterns. */
export interface PatternsResult {
  from: string;
  to: string;
  step: string;
  total: number;
  new: number;
  patterns: Pattern[] | null;
}

export interface Project {
  id: number;
  name: string;
  created_at: string;
}

/** The answer of GET /api/v1/project. */
export interface ProjectAnswer {
  project: Project;
  keys: KeyInfo[] | null;
  key_id: number;
  retention: string;
  pii_rules: string[] | null;
  disk?: DiskStatus;
  listeners: Listeners;
}

export interface RecordedPage {
  ts: number;
  url: string;
}

export interface Recording {
  session_id: string;
  user_id?: string;
  anonymous_id?: string;
  start_ms: number;
  end_ms: number;
  pages: number;
  chunks: number;
  events: number;
  clicks: number;
  bytes: number;
  sealed: boolean;
  summary?: RecordingSummary;
}

export interface RecordingSummary {
  start: number;
  end: number;
  pages: RecordedPage[] | null;
  clicks: number;
  inputs: number;
  errors: number;
  detections: Frustration[] | null;
}

export interface Related {
  trace_id?: string;
  services: string[] | null;
  events: LoreEvent[] | null;
  trace_url?: string;
  journey_url?: string;
  session_url?: string;
  total_events: number;
}

/** The answer of GET /api/v1/replays. */
export interface ReplaysAnswer {
  replays: Recording[] | null;
}

/** The answer of POST /api/v1/retention. */
export interface RetentionResult {
  period: string;
  cohorts: CohortResult[] | null;
  range: TimeRange;
}

export interface SMTP {
  host: string;
  port?: number;
  username?: string;
  password?: string;
  password_set?: boolean;
  from: string;
  tls?: string;
}

export interface SampledSummary {
  kept: number;
  total: number;
  estimated_total: number;
}

/** The answer of GET /api/v1/searches/{id}. */
export interface SavedSearch {
  id: number;
  name: string;
  query: string;
  description?: string;
  from?: string;
  to?: string;
  created_at?: string;
  updated_at?: string;
}

export interface Series {
  key: string;
  state: string;
  value: number | null;
  threshold?: number;
  since?: string;
  firing: boolean;
  last_fired?: string;
  last_seen?: string;
  approximate?: boolean;
  sampled?: number;
}

export interface ServiceCount {
  service: string;
  count: number;
}

/** The answer of GET /api/v1/services/map. */
export interface ServiceMapResult {
  from: string;
  to: string;
  nodes: MapNode[] | null;
  edges: MapEdge[] | null;
}

export interface ServiceTime {
  service: string;
  spans: number;
  self_ms: number;
  share: number;
}

export interface StackFrames {
  frames: Frame[] | null;
}

export interface StoreFacetValue {
  Value: string;
  Count: number;
  Sampled?: number;
  Estimate?: number;
}

/** The answer of GET /api/v1/stories. */
export interface StoriesResult {
  from: string;
  to: string;
  stories: Card[] | null;
  errors?: string[];
}

/** The answer of GET /api/v1/journeys/{by}/{id}: story. */
export interface StoryLine {
  ts: string;
  service: string;
  text: string;
  kind: string;
  ref: number;
}

/** The answer of GET /api/v1/journeys/{by}/{id}: summary. */
export interface Summary {
  services: string[];
  duration_ms: number;
  retries: number;
  errors: number;
  outcome: string;
  users: string[];
  traces: number;
  start?: string;
  end?: string;
}

export interface TTF {
  count: number;
  p50_s: number;
  p95_s: number;
  buckets: TTFBucket[] | null;
}

export interface TTFBucket {
  upto: string;
  count: number;
}

/** The answer of GET /api/v1/query (with pipes), POST /api/v1/sql. */
export interface TableResponse {
  columns: Column[] | null;
  rows: unknown[][] | null;
  took_ms: number;
  aggregate: boolean;
  chart?: string;
  from: string;
  to: string;
  truncated?: boolean;
}

export interface TagValue {
  value: string;
  count: number;
}

/** The answer of POST /api/v1/channels/{id}/test. */
export interface TestResponse {
  ok: boolean;
  error?: string;
}

export interface TimeRange {
  from: string;
  to: string;
}

/** The answer of GET /api/v1/incidents/timeline. */
export interface TimelineResult {
  at: string;
  from: string;
  baseline: string;
  step: string;
  events: Anomaly[] | null;
  narrative: string[] | null;
}

/** The answer of GET /api/v1/services/map?trace_id=. */
export interface TraceBreakdownResult {
  trace_id: string;
  duration_ms: number;
  services: ServiceTime[] | null;
  edges: MapEdge[] | null;
}

export interface TrendSeries {
  breakdown: string;
  points: TrendValue[] | null;
  total: number;
  change?: number;
}

export interface TrendValue {
  start: string;
  value: number;
}

/** The answer of POST /api/v1/trends. */
export interface TrendsResult {
  measure: string;
  interval_seconds: number;
  series: TrendSeries[] | null;
  previous?: TrendSeries[];
  range: TimeRange;
}

export interface TypeSeen {
  type: string;
  count: number;
  first_seen: string;
  last_seen: string;
}

export interface WebCount {
  value: string;
  count: number;
}

/** The answer of GET /api/v1/web. */
export interface WebResult {
  pageviews: number;
  visitors: number;
  sessions: number;
  bounce_rate: number;
  avg_session_seconds: number;
  pages_per_session: number;
  top_pages: WebCount[] | null;
  entry_pages: WebCount[] | null;
  exit_pages: WebCount[] | null;
  referrers: WebCount[] | null;
  utm_sources: WebCount[] | null;
  utm_campaigns: WebCount[] | null;
  browsers: WebCount[] | null;
  operating_systems: WebCount[] | null;
  device_types: WebCount[] | null;
  range: TimeRange;
}
