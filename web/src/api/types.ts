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

export type MonitorKind = 'query' | 'latency' | 'error_rate' | 'issue';
export type MonitorState = 'ok' | 'alert' | 'no_data';

/** A monitor as the API answers it, its kind and state narrowed to those the UI knows. */
export type Monitor = Omit<G.Monitor, 'kind' | 'state' | 'history'> & { kind: MonitorKind; state: MonitorState; history?: MonitorChange[] };

/** A change of a monitor's state. */
export type MonitorChange = Omit<G.MonitorEvent, 'from' | 'to'> & { from: MonitorState; to: MonitorState };

/** The rule a monitor is created or changed with (POST/PUT /api/v1/monitors). */
export type MonitorRule = Pick<Monitor, 'name' | 'kind' | 'query' | 'measure' | 'op' | 'threshold' | 'window' | 'interval' | 'webhook' | 'muted'> & { id?: number };

/** GET /api/v1/monitors, its monitors narrowed. */
export type MonitorList = Omit<G.MonitorsResponse, 'monitors'> & { monitors: Monitor[] | null };
