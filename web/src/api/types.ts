// The names the pages use for the API's answers. The shapes themselves are
// generated from the Go structs (types.gen.ts); the answers Go writes by
// hand (search, journeys) are put together here from generated parts.
import type { LoreEvent } from './event';
import type * as G from './types.gen';

export type * from './types.gen';

/** GET /api/v1/search: events newest first, and the cursor of the next page. */
export interface SearchResult {
  events: LoreEvent[];
  next_cursor?: string;
}

/** GET /api/v1/journeys/{by}/{id}: events oldest first, their story and summary. */
export interface Journey {
  events: LoreEvent[];
  story: G.StoryLine[];
  summary: G.Summary;
}

export type Histogram = G.HistogramResponse;
export type Facets = G.FacetsResponse;
export type Latency = G.LatencyResponse;
export type StoryCard = G.Card;
export type Stories = G.StoriesResult;
export type Issue = G.IssueSummary;
export type IssueList = G.List;
export type IssueDetail = G.Detail;
export type IssueEvent = G.EventView;
export type IssueEvents = G.EventList;
export type FieldInfo = G.Field;
export type ProjectInfo = G.ProjectAnswer;
export type TimelineAnswer = G.TimelineResult;
export type FunnelAnswer = G.FunnelResult;
export type RetentionAnswer = G.RetentionResult;
export type PathsAnswer = G.PathsResult;
export type TrendsAnswer = G.TrendsResult;
export type WebAnswer = G.WebResult;
export type ServiceMap = G.ServiceMapResult;
export type TraceBreakdown = G.TraceBreakdownResult;
export type PatternsAnswer = G.PatternsResult;

/** A step of a funnel question (POST /api/v1/funnels). */
export interface FunnelQuestionStep {
  event: string;
  where?: string;
}

// Alerting: monitors (kinds and states narrowed to those the UI knows),
// checks, the status summary, channels.
export type MonitorKind = 'query' | 'latency' | 'error_rate' | 'issue' | 'check' | 'story' | 'baseline' | 'aggregate';
export type MonitorState = 'ok' | 'pending' | 'alert' | 'no_data' | 'error';

/** A series of a grouped monitor (one service, endpoint or issue). */
export type MonitorSeries = Omit<G.Series, 'state'> & { state: MonitorState };

/** A monitor as the API answers it, its kind and states narrowed to those the UI knows. */
export type Monitor = Omit<G.Monitor, 'kind' | 'state' | 'history' | 'series'> & {
  kind: MonitorKind;
  state: MonitorState;
  history?: MonitorChange[];
  series?: MonitorSeries[];
};

/** A change of a monitor's state, or of one of its series. */
export type MonitorChange = Omit<G.MonitorEvent, 'from' | 'to'> & { from: MonitorState; to: MonitorState };

/** The rule a monitor is created or changed with (POST/PUT /api/v1/monitors). */
export type MonitorRule = Omit<
  Monitor,
  'id' | 'state' | 'muted_now' | 'value' | 'approximate' | 'sampled' | 'last_evaluated' | 'last_error' | 'state_since' | 'created_at' | 'updated_at' | 'series' | 'history'
> & {
  id?: number;
};

/** GET /api/v1/monitors, its monitors narrowed. */
export type MonitorList = Omit<G.MonitorsResponse, 'monitors'> & { monitors: Monitor[] | null };

export type CheckList = G.ChecksResponse;
export type StatusSummary = G.CheckSummary;
export type ChannelList = G.ChannelsResponse;

/** The rule of an uptime check (POST /api/v1/checks). */
export type CheckRule = Pick<G.Check, 'name' | 'url' | 'interval' | 'timeout' | 'expect_status' | 'expect_body'>;

/** GET /api/v1/replays/{session}/events: a session's rrweb events, on Lore's clock. */
export interface Playback {
  session_id: string;
  skew_ms: number;
  events: { type: number; timestamp: number; data: unknown }[];
}
