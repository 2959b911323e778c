package store

import (
	"context"

	"github.com/lore-dev/lore/internal/sqlq"
)

// The narrative engine (log patterns, story cards, incident timelines, the
// service map) reads the aggregates below. They are written in generic
// terms — HTTP status 429, retry_attempt, span parent/child links,
// peer.service, release — never in the names of one system.

// PatternAttr is the attribute holding a log row's pattern id
// (internal/patterns sets it at ingest).
const PatternAttr = "pattern_id"

// ServiceSeriesRequest asks for per-service signals per Step in Range.
type ServiceSeriesRequest struct {
	ProjectID int64
	Range     Range
	Step      int64 // µs, > 0
}

// ServicePoint is one service's signals in one step. Requests are spans
// of the service, or, for a service without spans, its rows with a
// duration or an http_status; Errors are those with http_status >= 500 or
// level error/fatal; P95MS is the 95th percentile of their duration_ms
// (0 without durations); Retries counts rows with retry_attempt >= 1; Logs
// counts its log and error rows, ErrorLogs those at level error or fatal.
type ServicePoint struct {
	Service   string
	Start     int64
	Requests  int64
	Errors    int64
	P95MS     float64
	Retries   int64
	Logs      int64
	ErrorLogs int64
}

// CallEdge is calls from one service to another in a range: a span whose
// parent span belongs to another service, or a client span with
// peer.service naming a dependency that sends no spans itself (External).
// Errors count callee spans with http_status >= 500 or 429, or level
// error; latencies are the callee spans' duration_ms. For services that
// send no spans, edges are Inferred from shared trace ids: in each trace,
// a service is taken to be called by the service that appeared in the
// trace just before it (Calls counts traces; Errors those where the
// callee logged an error; no latencies).
type CallEdge struct {
	From, To string
	External bool
	Inferred bool
	Calls    int64
	Errors   int64
	P50MS    float64
	P95MS    float64
}

// ServiceNode is one service's spans in a range (or, without spans, its
// requests as for ServicePoint).
type ServiceNode struct {
	Service  string
	Requests int64
	Errors   int64
	P50MS    float64
	P95MS    float64
	Events   int64 // all its rows
}

// ErrorGroup is the error rows sharing a service, error type and message
// pattern (fingerprint when set, else error_type and pattern id) in a
// range, with the releases they were seen in.
type ErrorGroup struct {
	Service   string
	ErrorType string
	Key       string // fingerprint, or error_type + pattern id
	Message   string // one of its messages
	Endpoint  string // most common endpoint
	Count     int64
	FirstTS   int64 // first ever (within the lookback of the request)
	Releases  []string
	TraceIDs  []string // up to 3 samples
}

// ReleaseStart is the first row of a service's release.
type ReleaseStart struct {
	Service string
	Release string
	FirstTS int64
}

// Narrative is what the narrative engine reads: the store's Executor, on
// which the analyses run the queries they compile themselves (the
// dependency calls of internal/analysis/calls, the service series and
// map of internal/analysis/services, …), and whichever of the
// accelerators below the store has. It is safe for concurrent use.
type Narrative interface {
	sqlq.Executor
}

// ServiceSeriesRollup is an optional accelerator (the DuckDB store's
// per-minute rollup), found by type assertion: the answer of
// internal/analysis/services.Series for r when the rollup can give it (ok),
// exactly what the query's SQL gives.
type ServiceSeriesRollup interface {
	RolledServiceSeries(ctx context.Context, r ServiceSeriesRequest) (pts []ServicePoint, ok bool, err error)
}

// CallGraphReader is implemented by stores that keep the call graph
// precomputed. CallGraph returns the edges of internal/analysis/services.Map
// over the range,
// possibly assembled from parts of it (a call whose two sides fall in
// different parts may be missed), with Calls and Errors but no latencies:
// the shape of the graph, for the detectors that need only that.
type CallGraphReader interface {
	CallGraph(ctx context.Context, project int64, r Range) ([]CallEdge, error)
}

// ReleaseRollup is an optional accelerator (the DuckDB store's per-minute
// release rollup), found by type assertion: the first row of each
// service's release in r, in time order (then by service and release),
// or ok false when it cannot tell
// (r's bounds off its minutes), in which case
// internal/analysis/services reads the events, with the same answer.
type ReleaseRollup interface {
	RolledReleaseStarts(ctx context.Context, project int64, r Range) (starts []ReleaseStart, ok bool, err error)
}

// ErrorGroupsRollup is an optional accelerator (the DuckDB store's
// per-minute error rollup), found by type assertion: the error groups of
// r with each group's first row since since (<= r.From), most frequent
// first, at most limit, as internal/analysis/services.ErrorGroups states
// them, or ok false when it cannot tell (bounds off its minutes), in
// which case the analysis reads the events, with the same answer (but
// for ties of the most common endpoint and of the sample traces' times).
type ErrorGroupsRollup interface {
	RolledErrorGroups(ctx context.Context, project int64, r Range, since int64, limit int) (groups []ErrorGroup, ok bool, err error)
}

// ScanErrorGroup reads a row of error groups as every reader of them
// answers it: service, error type, key, message, endpoint, count, first
// time, releases (up to 20) and sample traces (up to 3).
func ScanErrorGroup(sc sqlq.Scanner) (ErrorGroup, error) {
	var (
		g        ErrorGroup
		rel, trs any
	)
	if err := sc.Scan(&g.Service, &g.ErrorType, &g.Key, &g.Message, &g.Endpoint, &g.Count, &g.FirstTS, &rel, &trs); err != nil {
		return g, err
	}
	g.Releases = sqlq.Strings(rel, 20)
	g.TraceIDs = sqlq.Strings(trs, 3)
	return g, nil
}

// SeriesRow is one service's signals in one step by both measures — its
// spans (SReq, SErr, SP95) and its other rows with a duration or a status
// (LReq, LErr, LP95) — for ServicePoints to pick from.
type SeriesRow struct {
	Point                  ServicePoint // but Requests, Errors, P95MS
	SReq, SErr, LReq, LErr int64
	SP95, LP95             float64
}

// ScanSeriesRow reads a row of service, step number, sreq, serr, sp95,
// lreq, lerr, lp95, retries, logs and error logs of a series from from
// by step.
func ScanSeriesRow(sc sqlq.Scanner, from, step int64) (SeriesRow, error) {
	var (
		x SeriesRow
		b int64
	)
	err := sc.Scan(&x.Point.Service, &b, &x.SReq, &x.SErr, &x.SP95, &x.LReq, &x.LErr, &x.LP95, &x.Point.Retries, &x.Point.Logs, &x.Point.ErrorLogs)
	x.Point.Start = from + b*step
	return x, err
}

// ServicePoints are the rows' points, each service measured by its spans
// when any of its rows has some, else by its other rows.
func ServicePoints(rows []SeriesRow) []ServicePoint {
	spans := map[string]bool{}
	for _, x := range rows {
		if x.SReq > 0 {
			spans[x.Point.Service] = true
		}
	}
	out := make([]ServicePoint, len(rows))
	for i, x := range rows {
		p := x.Point
		if spans[p.Service] {
			p.Requests, p.Errors, p.P95MS = x.SReq, x.SErr, x.SP95
		} else {
			p.Requests, p.Errors, p.P95MS = x.LReq, x.LErr, x.LP95
		}
		out[i] = p
	}
	return out
}
