package storetest

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/analysis/calls"
	"github.com/lore-dev/lore/internal/analysis/flows"
	"github.com/lore-dev/lore/internal/analysis/patternstats"
	"github.com/lore-dev/lore/internal/analysis/services"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

// NarrativeStore is a backend with the narrative engine's aggregates.
type NarrativeStore interface {
	store.Store
	store.Narrative
}

// RunNarrative is the conformance suite of store.Narrative: each test
// writes a few hand-made events and checks the aggregates exactly. The
// aggregates the analyses compile themselves (internal/analysis/calls)
// are run through the store's Executor, so the suite checks that a
// backend executes them as the analyses mean.
func RunNarrative(t *testing.T, open func(t *testing.T) NarrativeStore) {
	runSuite(t, open, []suiteCase[NarrativeStore]{
		{"PatternStats", testPatternStats},
		{"PatternStatsWordFilter", testPatternStatsWordFilter},
		{"ThrottledFromSpans", testThrottledFromSpans},
		{"ThrottledFromLogs", testThrottledFromLogs},
		{"RetrySequences", testRetrySequences},
		{"ServiceMapAndSeries", testServiceMapAndSeries},
		{"ErrorGroupsAndReleases", testErrorGroupsAndReleases},
		{"FailedJourneys", testFailedJourneys},
	})
}

// narrT0 is the narrative suite's base time: 2026-03-02T10:00:00Z, µs.
var narrT0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC).UnixMicro()

const narrMin = int64(time.Minute / time.Microsecond)

var narrAll = store.Range{From: narrT0 - 60*narrMin, To: narrT0 + 24*60*narrMin}

func narrAppend(t *testing.T, s store.Store, seq uint64, evs ...event.Event) {
	t.Helper()
	for i := range evs {
		if evs[i].ProjectID == 0 {
			evs[i].ProjectID = 1
		}
		evs[i].ReceivedAt = evs[i].TS
	}
	if err := s.Append(context.Background(), store.Batch{Seq: seq, Events: evs}); err != nil {
		t.Fatalf("Append: %v", err)
	}
}

func tid(s string) event.TraceID {
	id, _ := event.ParseTraceID(s)
	return id
}

func sid(v uint64) event.SpanID { return event.SpanIDFromUint64(v) }

func testPatternStats(t *testing.T, s NarrativeStore) {
	logAt := func(ts int64, svc, level, pid, msg string) event.Event {
		return event.Event{TS: ts, Kind: event.KindLog, Level: level, Service: svc, Message: msg,
			Attributes: []event.Attr{{Key: store.PatternAttr, Value: pid}}}
	}
	narrAppend(t, s, 1,
		logAt(narrT0, "api", "info", "pA", "user 1 in"),
		logAt(narrT0+narrMin, "api", "info", "pA", "user 2 in"),
		logAt(narrT0+2*narrMin, "web", "error", "pA", "user 3 in"),
		logAt(narrT0+2*narrMin, "api", "error", "pB", "boom"),
		event.Event{TS: narrT0, Kind: event.KindSpan, Service: "api", Name: "GET /", Attributes: []event.Attr{{Key: store.PatternAttr, Value: "pSpan"}}},
		logAt(narrT0+3*narrMin, "api", "info", "", "no pattern"),
		event.Event{ProjectID: 2, TS: narrT0, Kind: event.KindLog, Message: "other project", Attributes: []event.Attr{{Key: store.PatternAttr, Value: "pA"}}},
	)
	res, err := patternstats.Query{ProjectID: 1,
		Range: store.Range{From: narrT0, To: narrT0 + 4*narrMin}, Step: narrMin}.Run(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	// The row with an empty pattern id still has the attribute: it counts
	// under "".
	if res.Total != 5 || len(res.Patterns) != 3 {
		t.Fatalf("got %+v", res)
	}
	a := res.Patterns[0]
	if a.ID != "pA" || a.Count != 3 || !slices.Equal(a.Buckets, []int64{1, 1, 1, 0}) || a.FirstTS != narrT0 || a.LastTS != narrT0+2*narrMin {
		t.Errorf("pattern A %+v", a)
	}
	if len(a.Services) != 2 || a.Services[0] != (store.FacetValue{Value: "api", Count: 2}) || a.ErrorFraction < 0.33 || a.ErrorFraction > 0.34 {
		t.Errorf("pattern A top values %+v, error fraction %v", a.Services, a.ErrorFraction)
	}
	res, err = patternstats.Query{ProjectID: 1,
		Range: store.Range{From: narrT0, To: narrT0 + 4*narrMin}, Step: narrMin, Query: mustQuery(t, "level:error")}.Run(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != 2 || len(res.Patterns) != 2 {
		t.Errorf("filtered: %+v", res)
	}
}

// plainExec hides a store's accelerators: only the Executor shows.
type plainExec struct{ sqlq.Executor }

// testPatternStatsWordFilter: a search with words gives the same pattern
// counts through the store's word filter (store.WordFilter, when it has
// one) as from a scan of the whole range, over several batches (blocks)
// only some of which hold the words.
func testPatternStatsWordFilter(t *testing.T, s NarrativeStore) {
	for i := range 6 {
		var evs []event.Event
		for j := range 50 {
			msg := fmt.Sprintf("request %d served", j)
			if i%3 == 1 && j%7 == 0 {
				msg = fmt.Sprintf("Payment DECLINED by gateway %d", j)
			}
			evs = append(evs, event.Event{TS: narrT0 + int64(i)*60*narrMin + int64(j)*narrMin, Kind: event.KindLog, Service: "api", Message: msg,
				Attributes: []event.Attr{{Key: store.PatternAttr, Value: fmt.Sprint("p", j%3)}}})
		}
		narrAppend(t, s, uint64(i+1), evs...)
	}
	for _, q := range []string{"declined gateway", `"payment declined"`, "served", "nowhere-to-be-found", "declined -level:error"} {
		pq := patternstats.Query{ProjectID: 1, Range: narrAll, Step: 60 * narrMin, Query: mustQuery(t, q)}
		got, err := pq.Run(context.Background(), s)
		if err != nil {
			t.Fatal(err)
		}
		want, err := pq.Run(context.Background(), plainExec{s})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: through the store %+v, scanning everything %+v", q, got, want)
		}
		if q == "declined gateway" && got.Total != 16 {
			t.Errorf("%s: %d rows, want 16", q, got.Total)
		}
	}
}

// throttleTraces writes two throttled payments seen through client spans:
// one retried and succeeded, then the user went on; one gave up after two
// 429s and an error log, and the user left.
func throttleTraces(t *testing.T, s NarrativeStore) {
	a, b := tid("0000000000000000000000000000000a"), tid("f000000000000000000000000000000b")
	call := func(tr event.TraceID, ts int64, status int32, retry int32) event.Event {
		return event.Event{TS: ts, Kind: event.KindSpan, Service: "billing", TraceID: tr, SpanID: sid(uint64(ts)), HTTPStatus: status,
			RetryAttempt: retry, DurationMS: 30, Attributes: []event.Attr{{Key: "peer.service", Value: "psp"}}}
	}
	narrAppend(t, s, 1,
		event.Event{TS: narrT0 - narrMin, Kind: event.KindEvent, Name: "Pay", TraceID: a},
		call(a, narrT0, 429, 0),
		event.Event{TS: narrT0 + 1, Kind: event.KindLog, Level: "warn", Service: "billing", TraceID: a, RetryAttempt: 1, Message: "retry"},
		call(a, narrT0+narrMin, 200, 1),
		event.Event{TS: narrT0 + 2*narrMin, Kind: event.KindEvent, Name: "Paid", TraceID: a},
		// The person rage-clicked the button that started trace a (a session replay saw it).
		event.Event{TS: narrT0 + 1, Kind: event.KindEvent, Name: "$rageclick", Service: "web", SessionID: "s1", TraceID: a,
			Attributes: []event.Attr{{Key: "$el_text", Value: "Pay now"}, {Key: "clicks", Value: "4"}}},
		call(b, narrT0+10, 429, 0),
		call(b, narrT0+narrMin+10, 429, 1),
		event.Event{TS: narrT0 + narrMin + 11, Kind: event.KindLog, Level: "warn", Service: "billing", TraceID: b, RetryAttempt: 1, Message: "retry"},
		event.Event{TS: narrT0 + 2*narrMin, Kind: event.KindLog, Level: "error", Service: "billing", TraceID: b, Message: "gave up"},
		// Not throttled: a 500, and a 429 of another project.
		call(tid("c"), narrT0, 500, 0),
		event.Event{ProjectID: 2, TS: narrT0, Kind: event.KindSpan, HTTPStatus: 429, TraceID: a, Attributes: []event.Attr{{Key: "peer.service", Value: "psp"}}},
	)
}

func testThrottledFromSpans(t *testing.T, s NarrativeStore) {
	throttleTraces(t, s)
	got, err := calls.Throttled{ProjectID: 1,
		Range: store.Range{From: narrT0, To: narrT0 + narrMin/2}, Follow: 10 * narrMin}.Run(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	want := []calls.Txn{
		{Dependency: "psp", Caller: "billing", TraceID: "0000000000000000000000000000000a", Throttled: 1, FirstTS: narrT0, LastTS: narrT0,
			MaxRetry: 1, OKAt: narrT0 + narrMin, LastUserTS: narrT0 + 2*narrMin, RageClicks: 1, RageText: "Pay now", RageSession: "s1"},
		{Dependency: "psp", Caller: "billing", TraceID: "f000000000000000000000000000000b", Throttled: 1, FirstTS: narrT0 + 10, LastTS: narrT0 + 10,
			MaxRetry: 1, FailedAt: narrT0 + 2*narrMin},
	}
	if !slices.Equal(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func testThrottledFromLogs(t *testing.T, s NarrativeStore) {
	tr := tid("00000000000000000000000000000abc")
	narrAppend(t, s, 1,
		event.Event{TS: narrT0, Kind: event.KindLog, Service: "shipping", TraceID: tr, HTTPStatus: 429, Attributes: []event.Attr{{Key: "server.address", Value: "api.carrier.example"}}},
		event.Event{TS: narrT0 + 5, Kind: event.KindLog, Service: "shipping", TraceID: tr, HTTPStatus: 200, Attributes: []event.Attr{{Key: "server.address", Value: "api.carrier.example"}}},
		event.Event{TS: narrT0 + 7, Kind: event.KindLog, Service: "shipping", HTTPStatus: 429},
	)
	got, err := calls.Throttled{ProjectID: 1, Range: narrAll}.Run(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Dependency != "api.carrier.example" || got[0].OKAt != narrT0+5 ||
		got[1].Dependency != "shipping" || got[1].TraceID != "" || got[1].Throttled != 1 {
		t.Errorf("got %+v", got)
	}
}

func testRetrySequences(t *testing.T, s NarrativeStore) {
	tr := tid("00000000000000000000000000000def")
	var evs []event.Event
	for i := int32(0); i <= 5; i++ {
		st := int32(503)
		if i == 5 {
			st = 200
		}
		evs = append(evs, event.Event{TS: narrT0 + int64(i)*narrMin, Kind: event.KindSpan, Service: "sync", TraceID: tr, HTTPStatus: st, RetryAttempt: i,
			Attributes: []event.Attr{{Key: "peer.service", Value: "crm"}}})
	}
	evs = append(evs, event.Event{TS: narrT0, Kind: event.KindLog, Service: "sync", TraceID: tid("1"), RetryAttempt: 2})
	narrAppend(t, s, 1, evs...)
	got, err := calls.Retries{ProjectID: 1, Range: narrAll, MinRetries: 4, Limit: 10}.Run(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Dependency != "crm" || got[0].Retries != 5 || !got[0].Succeeded || got[0].Caller != "sync" {
		t.Errorf("got %+v", got)
	}
}

func testServiceMapAndSeries(t *testing.T, s NarrativeStore) {
	tr := tid("00000000000000000000000000000077")
	var evs []event.Event
	for i := range 4 {
		off := int64(i) * narrMin
		evs = append(evs,
			event.Event{TS: narrT0 + off, Kind: event.KindSpan, Service: "front", TraceID: tr, SpanID: sid(uint64(10 + 3*i)), DurationMS: 100},
			event.Event{TS: narrT0 + off + 1, Kind: event.KindSpan, Service: "back", TraceID: tr, SpanID: sid(uint64(11 + 3*i)), ParentSpanID: sid(uint64(10 + 3*i)), DurationMS: float64(10 * (i + 1)), HTTPStatus: []int32{200, 200, 200, 500}[i]},
			event.Event{TS: narrT0 + off + 2, Kind: event.KindSpan, Service: "back", TraceID: tr, SpanID: sid(uint64(12 + 3*i)), ParentSpanID: sid(uint64(11 + 3*i)), DurationMS: 5,
				Attributes: []event.Attr{{Key: "peer.service", Value: "ext"}}},
		)
	}
	evs = append(evs, event.Event{TS: narrT0, Kind: event.KindLog, Level: "error", Service: "back", RetryAttempt: 1})
	// Two services that send only logs, linked by a trace: gate first.
	lt := tid("00000000000000000000000000000078")
	evs = append(evs,
		event.Event{TS: narrT0 + 5, Kind: event.KindLog, Service: "worker", TraceID: lt, Level: "error"},
		event.Event{TS: narrT0 + 1, Kind: event.KindLog, Service: "gate", TraceID: lt},
		event.Event{TS: narrT0 + 9, Kind: event.KindLog, Service: "gate", TraceID: lt})
	narrAppend(t, s, 1, evs...)
	nodes, edges, err := services.Map{ProjectID: 1, Range: narrAll}.Run(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes) != 4 || nodes[0].Service != "back" || nodes[0].Requests != 8 || nodes[0].Errors != 1 || nodes[0].Events != 9 {
		t.Errorf("nodes %+v", nodes)
	}
	if len(edges) != 3 || edges[0] != (store.CallEdge{From: "back", To: "ext", External: true, Calls: 4, P50MS: 5, P95MS: 5}) ||
		edges[1].From != "front" || edges[1].To != "back" || edges[1].Calls != 4 || edges[1].Errors != 1 || edges[1].P50MS != 25 ||
		edges[2] != (store.CallEdge{From: "gate", To: "worker", Inferred: true, Calls: 1, Errors: 1}) {
		t.Errorf("edges %+v", edges)
	}
	pts, err := services.Series{ProjectID: 1, Range: store.Range{From: narrT0, To: narrT0 + 4*narrMin}, Step: narrMin}.Run(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 10 || pts[0].Service != "back" || pts[0].Requests != 2 || pts[0].Retries != 1 || pts[0].ErrorLogs != 1 || pts[3].Errors != 1 || pts[4].Service != "front" {
		t.Errorf("series %+v", pts)
	}
}

func testErrorGroupsAndReleases(t *testing.T, s NarrativeStore) {
	errAt := func(ts int64, rel, typ string) event.Event {
		return event.Event{TS: ts, Kind: event.KindLog, Level: "error", Service: "shop", Release: rel, ErrorType: typ, Message: typ + " happened",
			Endpoint: "/x", TraceID: tid("00000000000000000000000000000abc"), Attributes: []event.Attr{{Key: store.PatternAttr, Value: "p1"}}}
	}
	narrAppend(t, s, 1,
		errAt(narrT0-30*narrMin, "v1", "OldError"),
		event.Event{TS: narrT0 - 30*narrMin, Kind: event.KindLog, Service: "shop", Release: "v1"},
		errAt(narrT0+narrMin, "v1", "OldError"),
		event.Event{TS: narrT0 + 2*narrMin, Kind: event.KindLog, Service: "shop", Release: "v2"},
		errAt(narrT0+3*narrMin, "v2", "NewError"),
		errAt(narrT0+4*narrMin, "v2", "NewError"),
	)
	r := store.Range{From: narrT0, To: narrT0 + 10*narrMin}
	groups, err := errorGroups(t, s, r, narrT0-60*narrMin, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 2 || groups[0].ErrorType != "NewError" || groups[0].Count != 2 || groups[0].FirstTS != narrT0+3*narrMin ||
		!slices.Equal(groups[0].Releases, []string{"v2"}) || groups[0].Endpoint != "/x" || len(groups[0].TraceIDs) != 2 ||
		groups[1].ErrorType != "OldError" || groups[1].Count != 1 || groups[1].FirstTS != narrT0-30*narrMin {
		t.Errorf("groups %+v", groups)
	}
	starts, err := releaseStarts(t, s, r, narrT0-60*narrMin)
	if err != nil {
		t.Fatal(err)
	}
	if len(starts) != 2 || starts[1] != (store.ReleaseStart{Service: "shop", Release: "v2", FirstTS: narrT0 + 2*narrMin}) {
		t.Errorf("starts %+v", starts)
	}
}

func testFailedJourneys(t *testing.T, s NarrativeStore) {
	tr := tid("00000000000000000000000000000123")
	narrAppend(t, s, 1,
		event.Event{TS: narrT0, Kind: event.KindEvent, Name: "Signed Up", SessionID: "s1"},
		event.Event{TS: narrT0 + 1, Kind: event.KindEvent, Name: "$click", SessionID: "s1"},
		event.Event{TS: narrT0 + 2, Kind: event.KindEvent, Name: "Paid", SessionID: "s1", TraceID: tr},
		event.Event{TS: narrT0 + 3, Kind: event.KindLog, Service: "pay", TraceID: tr, RetryAttempt: 1},
		event.Event{TS: narrT0 + 4, Kind: event.KindLog, Level: "error", Service: "pay", ErrorType: "Declined", TraceID: tr},
		event.Event{TS: narrT0 + 5, Kind: event.KindLog, Level: "error", Service: "pay", ErrorType: "Later", TraceID: tr},
		event.Event{TS: narrT0 + 9, Kind: event.KindEvent, Name: "Fine", SessionID: "s2"},
	)
	got, err := flows.Failed{ProjectID: 1, Range: narrAll, Limit: 10}.Run(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Key != "s:s1" || !slices.Equal(got[0].Steps, []string{"Signed Up", "Paid"}) || got[0].Error != "pay Declined" ||
		!got[0].Retried || got[0].StartTS != narrT0 || got[0].ErrorTS != narrT0+4 {
		t.Errorf("got %+v", got)
	}
	sessions, err := flows.Sessions{ProjectID: 1, Range: narrAll, Limit: 10}.Run(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if len(sessions) != 2 || sessions[0].Session != "s1" || !slices.Equal(sessions[0].Steps, []string{"Signed Up", "Paid"}) ||
		!slices.Equal(sessions[0].StepTS, []int64{narrT0, narrT0 + 2}) || !slices.Equal(sessions[0].ErrorTS, []int64{narrT0 + 4, narrT0 + 5}) ||
		sessions[1].Session != "s2" || len(sessions[1].ErrorTS) != 0 {
		t.Errorf("flows %+v", sessions)
	}
}

// releaseStarts runs services.ReleaseStarts through the store (its
// release rollup, when it has one) and by SQL alone, which must agree.
func releaseStarts(t *testing.T, s store.Narrative, r store.Range, since int64) ([]store.ReleaseStart, error) {
	t.Helper()
	q := services.ReleaseStarts{ProjectID: 1, Range: r, Since: since}
	got, err := q.Run(context.Background(), s)
	if err != nil {
		return nil, err
	}
	bySQL, err := q.Run(context.Background(), plainExec{s})
	if err != nil {
		return nil, fmt.Errorf("by SQL: %w", err)
	}
	if !reflect.DeepEqual(got, bySQL) {
		t.Errorf("release starts %+v: through the store %+v, by SQL %+v", q, got, bySQL)
	}
	return got, nil
}

// errorGroups runs services.ErrorGroups through the store (its error
// rollup, when it has one) and by SQL alone, which must agree on every
// group's identity, count, first row and releases (a message, the most
// common endpoint on a tie and the sample traces on a tie of times may
// differ), and returns the store's answer.
func errorGroups(t *testing.T, s store.Narrative, r store.Range, since int64, limit int) ([]store.ErrorGroup, error) {
	t.Helper()
	q := services.ErrorGroups{ProjectID: 1, Range: r, Since: since, Limit: limit}
	got, err := q.Run(context.Background(), s)
	if err != nil {
		return nil, err
	}
	bySQL, err := q.Run(context.Background(), plainExec{s})
	if err != nil {
		return nil, fmt.Errorf("by SQL: %w", err)
	}
	same := func(gs []store.ErrorGroup) []store.ErrorGroup {
		out := make([]store.ErrorGroup, len(gs))
		for i, g := range gs {
			out[i] = store.ErrorGroup{Service: g.Service, ErrorType: g.ErrorType, Key: g.Key, Count: g.Count, FirstTS: g.FirstTS, Releases: g.Releases}
		}
		return out
	}
	if !reflect.DeepEqual(same(got), same(bySQL)) {
		t.Errorf("error groups %+v: through the store %+v, by SQL %+v", q, got, bySQL)
	}
	return got, nil
}
