// Package storetest is the conformance suite every events backend
// (internal/store/duckdb, a future ClickHouse backend) must pass: the
// behaviour of store.Store that the pipeline, the API and the analysis code
// rely on, written against the interface only.
//
// Besides the contracts written in internal/store, the suite pins these
// choices, which every backend must share:
//
//   - Append refuses a batch whose Seq is not after LastSeq, and nothing of
//     it becomes visible (this is also how atomicity is tested); an empty
//     batch still records its Seq.
//   - Strings round-trip exactly (quotes, newlines, tabs, backslashes,
//     Unicode), as do trace and span ids with the high bit set.
//   - Search pages never repeat or skip an event, even when many share a
//     timestamp; a malformed cursor is an error.
//   - Facets count events without the field in Total but neither list an
//     empty value nor count it in Distinct; equal counts are ordered by
//     value. A histogram split keeps an absent value as "" (it competes for
//     the top MaxSplits like any value).
//   - A trace journey accepts the id in any case, and a non-hex id finds
//     the events whose trace id was hashed from it (event.ParseTraceID).
package storetest

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/analysis/events"
	"github.com/lore-dev/lore/internal/analysis/latency"
	"github.com/lore-dev/lore/internal/errs"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/query"
	"github.com/lore-dev/lore/internal/store"
)

// T0 is the suite's base time: 2026-01-01T00:00:00Z in microseconds.
var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()

const (
	sec  = int64(time.Second / time.Microsecond)
	min_ = 60 * sec
	hour = 60 * min_
)

// all is a range covering every event the suite writes.
var all = store.Range{From: t0 - 24*hour, To: t0 + 24*hour}

// Run runs the suite. open returns a new, empty store for each subtest;
// Run closes it when the subtest ends. The reads of events run as the
// query objects of internal/analysis/events (rd) on the store, and again
// (SQLOnly) on the store with its accelerators hidden: the same
// assertions hold by SQL alone.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	runSuite(t, open, suite)
	t.Run("SQLOnly", func(t *testing.T) {
		var reads []suiteCase[store.Store]
		for _, c := range suite {
			if c.name != "AppendLastSeq" && c.name != "Stats" && c.name != "Run" {
				reads = append(reads, c)
			}
		}
		runSuite(t, func(t *testing.T) store.Store { return sqlOnly{open(t)} }, reads)
	})
}

// sqlOnly hides a store's accelerators: only the Engine shows.
type sqlOnly struct{ store.Store }

// rd is the reads of events on s: the query objects of
// internal/analysis/events, which find s's accelerators by type
// assertion (none on sqlOnly).
func rd(s store.Store) store.Reader { return events.Reader{Ex: s} }

// suite is Run's cases.
var suite = []suiteCase[store.Store]{
	{"AppendLastSeq", testAppendLastSeq},
	{"RoundTrip", testRoundTrip},
	{"InvalidText", testInvalidText},
	{"ProjectIsolation", testProjectIsolation},
	{"RangeBoundaries", testRangeBoundaries},
	{"SearchPaging", testSearchPaging},
	{"SearchPagingManyBatches", testSearchPagingManyBatches},
	{"SearchLimit", testSearchLimit},
	{"SearchQuery", testSearchQuery},
	{"Histogram", testHistogram},
	{"HistogramSplit", testHistogramSplit},
	{"Facets", testFacets},
	{"Latency", testLatency},
	{"JourneyTrace", testJourneyTrace},
	{"JourneySession", testJourneySession},
	{"JourneyUser", testJourneyUser},
	{"JourneyLimit", testJourneyLimit},
	{"Stats", testStats},
	{"JourneyIDFilter", testJourneyIDFilter},
	{"SearchAcceleratedAsSQL", testSearchAcceleratedAsSQL},
	{"Run", testRun},
}

// suiteCase is one behaviour of a suite.
type suiteCase[S store.Store] struct {
	name string
	fn   func(t *testing.T, s S)
}

// runSuite runs each case as a subtest on a store of its own, closed (and
// checked) after it.
func runSuite[S store.Store](t *testing.T, open func(t *testing.T) S, cases []suiteCase[S]) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			c.fn(t, s)
		})
	}
}

func appendBatch(t *testing.T, s store.Store, seq uint64, evs ...event.Event) {
	t.Helper()
	if err := s.Append(context.Background(), store.Batch{Seq: seq, Events: evs}); err != nil {
		t.Fatalf("Append(seq %d, %d events): %v", seq, len(evs), err)
	}
}

func mustQuery(t *testing.T, s string) *query.Query {
	t.Helper()
	q, err := query.Parse(s)
	if err != nil {
		t.Fatalf("Parse(%q): %v", s, err)
	}
	return q
}

func search(t *testing.T, s store.Store, r store.SearchRequest) store.SearchResult {
	t.Helper()
	res, err := rd(s).Search(context.Background(), r)
	if err != nil {
		t.Fatalf("Search(%+v): %v", r, err)
	}
	return res
}

// messages returns the events' messages in order.
func messages(evs []event.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Message
	}
	return out
}

func ev(project, ts int64, msg string) event.Event {
	return event.Event{ProjectID: project, TS: ts, ReceivedAt: ts + 1, Kind: event.KindLog, Level: event.LevelInfo, Service: "api", Message: msg}
}

func testAppendLastSeq(t *testing.T, s store.Store) {
	ctx := context.Background()
	seq, err := s.LastSeq(ctx)
	if err != nil || seq != 0 {
		t.Fatalf("LastSeq of an empty store = %d, %v; want 0, nil", seq, err)
	}
	appendBatch(t, s, 3, ev(1, t0, "first"))
	appendBatch(t, s, 7, ev(1, t0+1, "second"), ev(1, t0+2, "third"))
	if seq, err := s.LastSeq(ctx); err != nil || seq != 7 {
		t.Fatalf("LastSeq = %d, %v; want 7, nil", seq, err)
	}
	// A batch whose Seq is not after the last one is a replay: refused, and
	// nothing of it becomes visible.
	err = s.Append(ctx, store.Batch{Seq: 7, Events: []event.Event{ev(1, t0+3, "replayed")}})
	if err == nil {
		t.Fatalf("Append with an old Seq succeeded")
	}
	if seq, _ := s.LastSeq(ctx); seq != 7 {
		t.Errorf("LastSeq after a refused batch = %d, want 7", seq)
	}
	res := search(t, s, store.SearchRequest{ProjectID: 1, Range: all})
	if got, want := messages(res.Events), []string{"third", "second", "first"}; !slices.Equal(got, want) {
		t.Errorf("events after a refused batch = %q, want %q", got, want)
	}
	// An empty batch still records its Seq.
	appendBatch(t, s, 8)
	if seq, _ := s.LastSeq(ctx); seq != 8 {
		t.Errorf("LastSeq after an empty batch = %d, want 8", seq)
	}
}

func testRoundTrip(t *testing.T, s store.Store) {
	trace, _ := event.ParseTraceID("4bf92f3577b34da6a3ce929d0e0e4736")
	span, _ := event.ParseSpanID("00f067aa0ba902b7")
	parent, _ := event.ParseSpanID("ffffffffffffffff")
	full := event.Event{
		ProjectID: 1, TS: t0 + 123456, ReceivedAt: t0 + 999999,
		Kind: event.KindSpan, Level: event.LevelError,
		Service: "payment-service", Env: "prod", Release: "v1.2.3", Host: "host-1",
		TraceID: trace, SpanID: span, ParentSpanID: parent,
		UserID: "user-42", AnonymousID: "anon-7", SessionID: "sess-9", RequestID: "req-1",
		Name: "POST /pay", Message: "payment \"failed\"\nline two\ttab \\ back — ünïcödé 🚀",
		HTTPMethod: "POST", Endpoint: "/pay", HTTPStatus: 502, DurationMS: 12.625,
		ErrorType: "GatewayError", ErrorCode: "E42", Fingerprint: "fp-1", RetryAttempt: 3,
		Attributes: []event.Attr{
			{Key: "http.request.header.x-id", Value: "a.b.c"},
			{Key: "ключ", Value: "значение"},
			{Key: "empty", Value: ""},
			{Key: "quote\"key", Value: "[1, 2]"},
		},
	}
	bare := event.Event{ProjectID: 1, TS: t0, Kind: event.KindEvent}
	appendBatch(t, s, 1, full, bare)
	res := search(t, s, store.SearchRequest{ProjectID: 1, Range: all})
	if len(res.Events) != 2 {
		t.Fatalf("got %d events, want 2", len(res.Events))
	}
	for i, want := range []event.Event{full, bare} {
		got := res.Events[i]
		if len(got.Attributes) == 0 {
			got.Attributes = nil
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("event %d round trip:\n got %+v\nwant %+v", i, got, want)
		}
	}
}

// testInvalidText stores events whose every string is invalid UTF-8 or
// holds a NUL: a store keeps them (as event.ValidText renders them) and
// stays usable, for the rows and whatever side tables it fills at append.
func testInvalidText(t *testing.T, s store.Store) {
	bad := func(i int) string { return fmt.Sprintf("v%d=\xff\xfe\x00é%s", i, strings.Repeat("é", 60)) }
	e := event.Event{
		ProjectID: 1, TS: t0, Kind: event.KindError, Level: event.LevelError,
		Service: bad(1), Env: bad(2), Release: bad(3), Host: bad(4),
		UserID: bad(5), AnonymousID: bad(6), SessionID: bad(7), RequestID: bad(8),
		Name: bad(9), Message: bad(10), HTTPMethod: bad(11), Endpoint: bad(12),
		ErrorType: bad(13), ErrorCode: bad(14), Fingerprint: bad(15),
		Attributes: []event.Attr{{Key: bad(16), Value: bad(17)}, {Key: "path", Value: bad(18)}},
	}
	appendBatch(t, s, 1, e, ev(1, t0+1, "after"))
	res := search(t, s, store.SearchRequest{ProjectID: 1, Range: all})
	if len(res.Events) != 2 {
		t.Fatalf("got %d events, want 2", len(res.Events))
	}
	got := res.Events[1]
	if got.Message != event.ValidText(e.Message) || got.Service != event.ValidText(e.Service) ||
		len(got.Attributes) != 2 || got.Attributes[0].Key != event.ValidText(e.Attributes[0].Key) {
		t.Errorf("stored %+v, want the event's strings made valid", got)
	}
	appendBatch(t, s, 2, ev(1, t0+2, "still writable"))
	if res := search(t, s, store.SearchRequest{ProjectID: 1, Range: all}); len(res.Events) != 3 {
		t.Errorf("after a batch with invalid text the store has %d events, want 3", len(res.Events))
	}
}

func testProjectIsolation(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := ev(1, t0, "one")
	a.TraceID, _ = event.ParseTraceID("11111111111111111111111111111111")
	a.UserID, a.SessionID = "u", "s"
	b := a
	b.ProjectID, b.Message = 2, "two"
	c := a
	c.ProjectID, c.Message, c.Level = 1, "three", event.LevelWarn
	appendBatch(t, s, 1, a, b, c)

	res := search(t, s, store.SearchRequest{ProjectID: 2, Range: all})
	if got := messages(res.Events); !slices.Equal(got, []string{"two"}) {
		t.Errorf("project 2 search = %q, want [two]", got)
	}
	if res := search(t, s, store.SearchRequest{ProjectID: 3, Range: all}); len(res.Events) != 0 {
		t.Errorf("project 3 search = %q, want none", messages(res.Events))
	}
	for _, by := range []store.JourneyBy{store.ByTrace, store.ByUser, store.BySession} {
		id := map[store.JourneyBy]string{store.ByTrace: a.TraceID.String(), store.ByUser: "u", store.BySession: "s"}[by]
		evs, err := rd(s).Journey(ctx, store.JourneyRequest{ProjectID: 2, By: by, ID: id, Range: all})
		if err != nil {
			t.Fatalf("Journey(%s): %v", by, err)
		}
		if got := messages(evs); !slices.Equal(got, []string{"two"}) {
			t.Errorf("project 2 journey by %s = %q, want [two]", by, got)
		}
	}
	h, err := rd(s).Histogram(ctx, store.HistogramRequest{ProjectID: 2, Range: store.Range{From: t0, To: t0 + hour}, Step: hour})
	if err != nil {
		t.Fatalf("Histogram: %v", err)
	}
	if len(h.Buckets) != 1 || h.Buckets[0].Count != 1 {
		t.Errorf("project 2 histogram = %+v, want one bucket of 1", h.Buckets)
	}
	f, err := rd(s).Facets(ctx, store.FacetsRequest{ProjectID: 2, Range: all, Field: "level"})
	if err != nil {
		t.Fatalf("Facets: %v", err)
	}
	if f.Total != 1 || f.Distinct != 1 || len(f.Values) != 1 || f.Values[0] != (store.FacetValue{Value: "info", Count: 1}) {
		t.Errorf("project 2 facets = %+v, want info:1", f)
	}
}

func testRangeBoundaries(t *testing.T, s store.Store) {
	from, to := t0, t0+hour
	appendBatch(t, s, 1,
		ev(1, from-1, "before"), ev(1, from, "at-from"), ev(1, to-1, "last"), ev(1, to, "at-to"))
	res := search(t, s, store.SearchRequest{ProjectID: 1, Range: store.Range{From: from, To: to}})
	if got, want := messages(res.Events), []string{"last", "at-from"}; !slices.Equal(got, want) {
		t.Errorf("search [From, To) = %q, want %q", got, want)
	}
	h, err := rd(s).Histogram(context.Background(), store.HistogramRequest{ProjectID: 1, Range: store.Range{From: from, To: to}, Step: hour})
	if err != nil {
		t.Fatalf("Histogram: %v", err)
	}
	if len(h.Buckets) != 1 || h.Buckets[0].Count != 2 {
		t.Errorf("histogram [From, To) = %+v, want one bucket of 2", h.Buckets)
	}
}

func testSearchPaging(t *testing.T, s store.Store) {
	// 40 events over 5 timestamps (ties) in two batches, out of order.
	var evs []event.Event
	for i := range 40 {
		evs = append(evs, ev(1, t0+int64(i%5)*sec, fmt.Sprintf("m%02d", i)))
	}
	appendBatch(t, s, 1, evs[20:]...)
	appendBatch(t, s, 2, evs[:20]...)
	var (
		seen   []event.Event
		cursor string
	)
	for page := 0; ; page++ {
		if page > 10 {
			t.Fatalf("paging does not end")
		}
		res := search(t, s, store.SearchRequest{ProjectID: 1, Range: all, Limit: 7, Cursor: cursor})
		if len(res.Events) > 7 {
			t.Fatalf("page of %d events, limit 7", len(res.Events))
		}
		seen = append(seen, res.Events...)
		if res.NextCursor == "" {
			break
		}
		cursor = res.NextCursor
	}
	if len(seen) != 40 {
		t.Fatalf("paged %d events, want 40", len(seen))
	}
	got := map[string]bool{}
	for i, e := range seen {
		if got[e.Message] {
			t.Errorf("event %s seen twice", e.Message)
		}
		got[e.Message] = true
		if i > 0 && e.TS > seen[i-1].TS {
			t.Errorf("event %d (ts %d) newer than the one before (ts %d)", i, e.TS, seen[i-1].TS)
		}
	}
	if _, err := rd(s).Search(context.Background(), store.SearchRequest{ProjectID: 1, Range: all, Cursor: "not a cursor!"}); !errs.Is(err, errs.Invalid) {
		t.Errorf("Search with a malformed cursor: err %v, want an errs.Invalid", err)
	}
}

func testSearchPagingManyBatches(t *testing.T, s store.Store) {
	// 12 batches a minute apart, a third of the events errors; page through
	// the errors and through everything with different page sizes.
	want := 0
	for b := range 12 {
		var evs []event.Event
		for i := range 30 {
			e := ev(1, t0+int64(b)*min_+int64(i%10)*sec, fmt.Sprintf("b%02d-%02d", b, i))
			if i%3 == 0 {
				e.Level = event.LevelError
				want++
			}
			evs = append(evs, e)
		}
		appendBatch(t, s, uint64(b+1), evs...)
	}
	f := func(q string, limit, want int) {
		t.Helper()
		var (
			n      int
			cursor string
			lastTS = all.To
			seen   = map[string]bool{}
		)
		for page := 0; page < 1000; page++ {
			r := store.SearchRequest{ProjectID: 1, Range: all, Limit: limit, Cursor: cursor}
			if q != "" {
				r.Query = mustQuery(t, q)
			}
			res := search(t, s, r)
			for _, e := range res.Events {
				if seen[e.Message] || e.TS > lastTS {
					t.Fatalf("query %q limit %d: event %s repeated or out of order", q, limit, e.Message)
				}
				seen[e.Message], lastTS = true, e.TS
				n++
			}
			if cursor = res.NextCursor; cursor == "" {
				break
			}
		}
		if n != want {
			t.Errorf("query %q limit %d paged %d events, want %d", q, limit, n, want)
		}
	}
	f("level:error", 7, want)
	f("", 50, 360)
	f("", 1000, 360)
	f("b03", 4, 30)
}

func testSearchLimit(t *testing.T, s store.Store) {
	evs := make([]event.Event, 1200)
	for i := range evs {
		evs[i] = ev(1, t0+int64(i), "x")
	}
	appendBatch(t, s, 1, evs...)
	res := search(t, s, store.SearchRequest{ProjectID: 1, Range: all, Limit: 5000})
	if len(res.Events) != 1000 || res.NextCursor == "" {
		t.Errorf("Limit 5000 gave %d events (cursor %q), want 1000 and a cursor", len(res.Events), res.NextCursor)
	}
	res = search(t, s, store.SearchRequest{ProjectID: 1, Range: all, Limit: 3})
	if len(res.Events) != 3 || res.Events[0].TS != t0+1199 {
		t.Errorf("Limit 3 gave %d events, first ts %d", len(res.Events), res.Events[0].TS)
	}
}

func testSearchQuery(t *testing.T, s store.Store) {
	mk := func(ts int64, level, msg string, attrs ...string) event.Event {
		e := ev(1, t0+ts, msg)
		e.Level = level
		for i := 0; i+1 < len(attrs); i += 2 {
			e.Attributes = append(e.Attributes, event.Attr{Key: attrs[i], Value: attrs[i+1]})
		}
		return e
	}
	appendBatch(t, s, 1,
		mk(1, "error", "Payment failed: card declined", "payment.provider", "stripe"),
		mk(2, "info", "payment succeeded", "payment.provider", "adyen"),
		mk(3, "warn", "rate limited by gateway"),
		mk(4, "error", "Timeout talking to DB"),
	)
	appendBatch(t, s, 2, mk(5, "info", "user logged in"))
	f := func(q string, want ...string) {
		t.Helper()
		res := search(t, s, store.SearchRequest{ProjectID: 1, Range: all, Query: mustQuery(t, q)})
		if got := messages(res.Events); !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Errorf("search %q = %q, want %q", q, got, want)
		}
	}
	f("level:error", "Timeout talking to DB", "Payment failed: card declined")
	f("-level:error", "user logged in", "rate limited by gateway", "payment succeeded")
	f("payment.provider:stripe", "Payment failed: card declined")
	f(`"rate limited"`, "rate limited by gateway")
	f("PAYMENT", "payment succeeded", "Payment failed: card declined")
	f("pay", "payment succeeded", "Payment failed: card declined")
	f("payment -declined", "payment succeeded")
	f("timeout OR logged", "user logged in", "Timeout talking to DB")
	f("nosuchwordanywhere")
}

func testHistogram(t *testing.T, s store.Store) {
	appendBatch(t, s, 1,
		ev(1, t0, "a"), ev(1, t0+59*sec, "b"), ev(1, t0+2*min_, "c"), ev(1, t0+4*min_+1, "d"))
	h, err := rd(s).Histogram(context.Background(), store.HistogramRequest{
		ProjectID: 1, Range: store.Range{From: t0, To: t0 + 5*min_}, Step: min_})
	if err != nil {
		t.Fatalf("Histogram: %v", err)
	}
	want := []int64{2, 0, 1, 0, 1}
	if h.Step != min_ || len(h.Buckets) != len(want) {
		t.Fatalf("histogram step %d with %d buckets, want %d with %d", h.Step, len(h.Buckets), min_, len(want))
	}
	for i, b := range h.Buckets {
		if b.Start != t0+int64(i)*min_ || b.Count != want[i] {
			t.Errorf("bucket %d = {Start %d Count %d}, want {%d %d}", i, b.Start, b.Count, t0+int64(i)*min_, want[i])
		}
	}
	// A range that is not a multiple of the step still covers its end.
	h, err = rd(s).Histogram(context.Background(), store.HistogramRequest{
		ProjectID: 1, Range: store.Range{From: t0, To: t0 + 4*min_ + 2}, Step: 2 * min_})
	if err != nil {
		t.Fatalf("Histogram: %v", err)
	}
	if len(h.Buckets) != 3 || h.Buckets[2].Count != 1 {
		t.Errorf("uneven histogram = %+v, want 3 buckets, the last with 1", h.Buckets)
	}
	h, err = rd(s).Histogram(context.Background(), store.HistogramRequest{
		ProjectID: 1, Range: store.Range{From: t0, To: t0 + 5*min_}, Step: min_, Query: mustQuery(t, "c")})
	if err != nil {
		t.Fatalf("Histogram with query: %v", err)
	}
	if h.Buckets[2].Count != 1 || h.Buckets[0].Count != 0 {
		t.Errorf("histogram of \"c\" = %+v", h.Buckets)
	}
}

func testHistogramSplit(t *testing.T, s store.Store) {
	var evs []event.Event
	add := func(n int, level, region string) {
		for range n {
			e := ev(1, t0+int64(len(evs)), "m")
			e.Level = level
			if region != "" {
				e.Attributes = []event.Attr{{Key: "cloud.region", Value: region}}
			}
			evs = append(evs, e)
		}
	}
	add(5, "info", "eu")
	add(3, "error", "us")
	add(2, "warn", "ap")
	add(1, "debug", "")
	appendBatch(t, s, 1, evs...)
	f := func(split string, max int, want map[string]int64) {
		t.Helper()
		h, err := rd(s).Histogram(context.Background(), store.HistogramRequest{
			ProjectID: 1, Range: store.Range{From: t0, To: t0 + min_}, Step: min_, SplitBy: split, MaxSplits: max})
		if err != nil {
			t.Fatalf("Histogram split by %s: %v", split, err)
		}
		if len(h.Buckets) != 1 || h.Buckets[0].Count != 11 || !reflect.DeepEqual(h.Buckets[0].By, want) {
			t.Errorf("split by %s (max %d) = %+v, want By %v", split, max, h.Buckets, want)
		}
	}
	f("level", 2, map[string]int64{"info": 5, "error": 3, "other": 3})
	f("level", 0, map[string]int64{"info": 5, "error": 3, "warn": 2, "debug": 1})
	f("cloud.region", 3, map[string]int64{"eu": 5, "us": 3, "ap": 2, "other": 1})
	f("cloud.region", 4, map[string]int64{"eu": 5, "us": 3, "ap": 2, "": 1})
}

func fv(v string, c int64) store.FacetValue { return store.FacetValue{Value: v, Count: c} }

func testFacets(t *testing.T, s store.Store) {
	var evs []event.Event
	for i, svc := range []string{"api", "api", "api", "web", "web", "db", ""} {
		e := ev(1, t0+int64(i), "m")
		e.Service = svc
		e.Attributes = []event.Attr{{Key: "plan", Value: []string{"free", "pro"}[i%2]}}
		evs = append(evs, e)
	}
	appendBatch(t, s, 1, evs...)
	f := func(field string, limit int, q string, want store.FacetsResult) {
		t.Helper()
		r := store.FacetsRequest{ProjectID: 1, Range: all, Field: field, Limit: limit}
		if q != "" {
			r.Query = mustQuery(t, q)
		}
		got, err := rd(s).Facets(context.Background(), r)
		if err != nil {
			t.Fatalf("Facets(%s): %v", field, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Facets(%s, limit %d, %q) = %+v, want %+v", field, limit, q, got, want)
		}
	}
	// Absent values count in Total but are neither listed nor distinct.
	f("service", 2, "", store.FacetsResult{Field: "service", Total: 7, Distinct: 3,
		Values: []store.FacetValue{fv("api", 3), fv("web", 2)}})
	f("plan", 0, "", store.FacetsResult{Field: "plan", Total: 7, Distinct: 2,
		Values: []store.FacetValue{fv("free", 4), fv("pro", 3)}})
	f("service", 10, "plan:pro", store.FacetsResult{Field: "service", Total: 3, Distinct: 3,
		Values: []store.FacetValue{fv("api", 1), fv("db", 1), fv("web", 1)}})
}

func journey(t *testing.T, s store.Store, r store.JourneyRequest) []string {
	t.Helper()
	evs, err := rd(s).Journey(context.Background(), r)
	if err != nil {
		t.Fatalf("Journey(%+v): %v", r, err)
	}
	for i := 1; i < len(evs); i++ {
		if evs[i].TS < evs[i-1].TS {
			t.Errorf("journey not oldest first at %d", i)
		}
	}
	return messages(evs)
}

func testJourneyTrace(t *testing.T, s store.Store) {
	tr, _ := event.ParseTraceID("0af7651916cd43dd8448eb211c80319c")
	other, _ := event.ParseTraceID("0af7651916cd43dd8448eb211c80319d")
	mk := func(ts int64, msg string, id event.TraceID, svc string) event.Event {
		e := ev(1, t0+ts, msg)
		e.TraceID, e.Service = id, svc
		return e
	}
	// The trace spans two batches and an hour; noise around it.
	var noise []event.Event
	for i := range 500 {
		noise = append(noise, mk(int64(i)*sec, "noise", other, "api"))
	}
	appendBatch(t, s, 1, append(noise, mk(2*sec, "web click", tr, "web"), mk(1*sec, "api call", tr, "api"))...)
	appendBatch(t, s, 2, mk(hour, "worker done", tr, "worker"))
	want := []string{"api call", "web click", "worker done"}
	for _, id := range []string{tr.String(), "0AF7651916CD43DD8448EB211C80319C"} {
		if got := journey(t, s, store.JourneyRequest{ProjectID: 1, By: store.ByTrace, ID: id, Range: all}); !slices.Equal(got, want) {
			t.Errorf("trace journey %s = %q, want %q", id, got, want)
		}
	}
	if got := journey(t, s, store.JourneyRequest{ProjectID: 1, By: store.ByTrace, ID: tr.String(),
		Range: store.Range{From: t0, To: t0 + hour}}); !slices.Equal(got, want[:2]) {
		t.Errorf("trace journey in the first hour = %q, want %q", got, want[:2])
	}
	if got := journey(t, s, store.JourneyRequest{ProjectID: 1, By: store.ByTrace, ID: "ffffffffffffffffffffffffffffffff", Range: all}); len(got) != 0 {
		t.Errorf("unknown trace journey = %q, want none", got)
	}
	// A non-hex id joins the events whose trace id was hashed from it.
	req, _ := event.ParseTraceID("req-abc-123")
	appendBatch(t, s, 3, mk(5*sec, "hashed", req, "api"))
	if got := journey(t, s, store.JourneyRequest{ProjectID: 1, By: store.ByTrace, ID: "req-abc-123", Range: all}); !slices.Equal(got, []string{"hashed"}) {
		t.Errorf("hashed trace journey = %q", got)
	}
}

func testJourneySession(t *testing.T, s store.Store) {
	mk := func(ts int64, msg, sess string) event.Event {
		e := ev(1, t0+ts, msg)
		e.SessionID = sess
		return e
	}
	appendBatch(t, s, 1, mk(3, "s1-b", "s1"), mk(1, "s1-a", "s1"), mk(2, "s2-a", "s2"))
	appendBatch(t, s, 2, mk(2*hour, "s1-c", "s1"))
	if got, want := journey(t, s, store.JourneyRequest{ProjectID: 1, By: store.BySession, ID: "s1", Range: all}), []string{"s1-a", "s1-b", "s1-c"}; !slices.Equal(got, want) {
		t.Errorf("session journey = %q, want %q", got, want)
	}
}

func testJourneyUser(t *testing.T, s store.Store) {
	mk := func(ts int64, msg, user, anon string) event.Event {
		e := ev(1, t0+ts, msg)
		e.UserID, e.AnonymousID = user, anon
		return e
	}
	// Before login only the anonymous id is known; the identify event
	// links it to the user; afterwards events carry the user id only.
	appendBatch(t, s, 1, mk(1, "landing", "", "anon-1"), mk(2, "other visitor", "", "anon-2"))
	appendBatch(t, s, 2, mk(hour, "login", "alice", "anon-1"))
	appendBatch(t, s, 3, mk(2*hour, "checkout", "alice", ""), mk(2*hour+1, "bob", "bob", "anon-2"))
	want := []string{"landing", "login", "checkout"}
	if got := journey(t, s, store.JourneyRequest{ProjectID: 1, By: store.ByUser, ID: "alice", Range: all}); !slices.Equal(got, want) {
		t.Errorf("user journey = %q, want %q", got, want)
	}
	if got := journey(t, s, store.JourneyRequest{ProjectID: 1, By: store.ByUser, ID: "carol", Range: all}); len(got) != 0 {
		t.Errorf("unknown user journey = %q", got)
	}
	// A visitor who never signs in is known by their anonymous id only
	// (analytics persons, funnels' sample journeys): that id works too.
	appendBatch(t, s, 4, mk(3*hour, "browse", "", "anon-3"), mk(3*hour+1, "leave", "", "anon-3"))
	if got := journey(t, s, store.JourneyRequest{ProjectID: 1, By: store.ByUser, ID: "anon-3", Range: all}); !slices.Equal(got, []string{"browse", "leave"}) {
		t.Errorf("journey of an anonymous visitor = %q, want [browse leave]", got)
	}
	// A server-side SDK (posthog-node) cannot tell an anonymous distinct
	// id from a user's: the visitor's events carry it as the user id,
	// then identify links it. An alias may also name the ids the other
	// way round. Either way the person's journey holds every event.
	appendBatch(t, s, 5, mk(4*hour, "server view", "anon-4", ""), mk(4*hour+1, "server add", "anon-4", ""))
	appendBatch(t, s, 6, mk(4*hour+2, "server identify", "dave", "anon-4"), mk(4*hour+3, "server buy", "dave", ""))
	want = []string{"server view", "server add", "server identify", "server buy"}
	for _, id := range []string{"dave", "anon-4"} {
		if got := journey(t, s, store.JourneyRequest{ProjectID: 1, By: store.ByUser, ID: id, Range: all}); !slices.Equal(got, want) {
			t.Errorf("journey of %s (server-side identify) = %q, want %q", id, got, want)
		}
	}
	appendBatch(t, s, 7, mk(5*hour, "erin anon", "anon-5", ""), mk(5*hour+1, "erin alias", "anon-5", "erin"), mk(5*hour+2, "erin buy", "erin", ""))
	want = []string{"erin anon", "erin alias", "erin buy"}
	for _, id := range []string{"erin", "anon-5"} {
		if got := journey(t, s, store.JourneyRequest{ProjectID: 1, By: store.ByUser, ID: id, Range: all}); !slices.Equal(got, want) {
			t.Errorf("journey of %s (alias the other way round) = %q, want %q", id, got, want)
		}
	}
}

func testJourneyLimit(t *testing.T, s store.Store) {
	var evs []event.Event
	for i := range 50 {
		e := ev(1, t0+int64(i), fmt.Sprintf("e%02d", i))
		e.SessionID = "s"
		evs = append(evs, e)
	}
	appendBatch(t, s, 1, evs...)
	got := journey(t, s, store.JourneyRequest{ProjectID: 1, By: store.BySession, ID: "s", Range: all, Limit: 10})
	if len(got) != 10 || got[0] != "e00" || got[9] != "e09" {
		t.Errorf("journey with limit 10 = %q, want the 10 oldest", got)
	}
}

func testStats(t *testing.T, s store.Store) {
	var evs []event.Event
	for i := range 100 {
		evs = append(evs, ev(1, t0+int64(i), "m"))
	}
	appendBatch(t, s, 1, evs...)
	appendBatch(t, s, 2, evs[:10]...)
	st, err := s.Stats(context.Background())
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	if st.Events != 110 || st.DiskBytes <= 0 {
		t.Errorf("Stats = %+v, want 110 events and some bytes", st)
	}
}

func testLatency(t *testing.T, s store.Store) {
	var evs []event.Event
	for i := range 101 {
		e := ev(1, t0+int64(i), "GET /api")
		e.Kind = event.KindSpan
		e.Service = []string{"api", "db"}[i%2]
		e.DurationMS = float64(i + 1) // 1 … 101 ms
		evs = append(evs, e)
	}
	// A log with a duration and a span without one are not measured.
	withDur := ev(1, t0+500, "took 9000ms")
	withDur.DurationMS = 9000
	noDur := ev(1, t0+501, "span")
	noDur.Kind = event.KindSpan
	appendBatch(t, s, 1, append(evs, withDur, noDur)...)
	get := func(q string, rng store.Range) latency.Result {
		t.Helper()
		r := latency.Query{ProjectID: 1, Range: rng}
		if q != "" {
			r.Query = mustQuery(t, q)
		}
		got, err := r.Run(context.Background(), s)
		if err != nil {
			t.Fatalf("Latency(%q): %v", q, err)
		}
		return got
	}
	if got := get("", all); got != (latency.Result{Spans: 101, P50: 51, P95: 96, P99: 100}) {
		t.Errorf("Latency of every span = %+v", got)
	}
	if got := get("service:api", all); got.Spans != 51 || got.P50 != 51 {
		t.Errorf("Latency(service:api) = %+v, want 51 spans, p50 51", got)
	}
	if got := get("", store.Range{From: t0 + 1000, To: t0 + 2000}); got != (latency.Result{}) {
		t.Errorf("Latency of an empty range = %+v", got)
	}
	// Words read through the store's word filter when it has one: the
	// same answer as without words when every span holds them, none when
	// no row does.
	if got := get(`"get /api"`, all); got != (latency.Result{Spans: 101, P50: 51, P95: 96, P99: 100}) {
		t.Errorf(`Latency("get /api") = %+v`, got)
	}
	if got := get("nowhere", all); got != (latency.Result{}) {
		t.Errorf("Latency(nowhere) = %+v", got)
	}
}

// testJourneyIDFilter: journeys give the same events through the store's
// id filter (store.IDFilter, when it has one) as by SQL alone, over many
// batches (blocks) only some of which hold each id, with and without a
// limit and over part of the range.
func testJourneyIDFilter(t *testing.T, s store.Store) {
	ctx := context.Background()
	appendIDBatches(t, s)
	testJourneysAsSQL(ctx, t, s)
}

// testSearchAcceleratedAsSQL: searches give the same pages through the
// word filter and slices (store.WordFilter, store.Slicer, when the store
// has them) as by SQL alone, over the batches of testJourneyIDFilter.
func testSearchAcceleratedAsSQL(t *testing.T, s store.Store) {
	appendIDBatches(t, s)
	testSearchAsSQL(context.Background(), t, s)
}

// appendIDBatches appends 12 batches, an hour apart, some of whose events
// carry the ids testJourneysAsSQL looks up.
func appendIDBatches(t *testing.T, s store.Store) {
	traces := idTraces()
	for b := range 12 {
		var evs []event.Event
		for i := range 40 {
			e := ev(1, t0+int64(b)*hour+int64(i)*sec, fmt.Sprintf("b%d e%d", b, i))
			switch {
			case b%4 == 1 && i%7 == 0:
				e.TraceID, e.SessionID, e.UserID = traces[b%3], "sess-a", "alice"
			case b%5 == 2 && i%9 == 0:
				e.TraceID, e.AnonymousID = traces[(b+1)%3], "anon-a"
			case b == 7 && i == 3:
				e.UserID, e.AnonymousID = "alice", "anon-a"
			}
			evs = append(evs, e)
		}
		appendBatch(t, s, uint64(b+1), evs...)
	}
}

func testJourneysAsSQL(ctx context.Context, t *testing.T, s store.Store) {
	traces := idTraces()
	reqs := []store.JourneyRequest{
		{By: store.BySession, ID: "sess-a"},
		{By: store.BySession, ID: "sess-none"},
		{By: store.ByUser, ID: "alice"},
		{By: store.ByUser, ID: "anon-a"},
		{By: store.ByUser, ID: "alice", Limit: 5},
		{By: store.ByUser, ID: "alice", Range: store.Range{From: t0 + 4*hour, To: t0 + 9*hour}},
	}
	for _, tr := range traces {
		reqs = append(reqs, store.JourneyRequest{By: store.ByTrace, ID: tr.String()},
			store.JourneyRequest{By: store.ByTrace, ID: tr.String(), Limit: 3})
	}
	nonEmpty := 0
	for _, r := range reqs {
		r.ProjectID = 1
		if r.Range == (store.Range{}) {
			r.Range = all
		}
		got, err := rd(s).Journey(ctx, r)
		if err != nil {
			t.Fatalf("Journey(%+v): %v", r, err)
		}
		want, err := rd(sqlOnly{s}).Journey(ctx, r)
		if err != nil {
			t.Fatalf("Journey(%+v) by SQL alone: %v", r, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Journey(%+v) = %q, by SQL alone %q", r, messages(got), messages(want))
		}
		// a journey of many block ranges runs them in turns of a few
		// queries, merged in order: one range a query gives the same
		turns, err := events.Reader{Ex: s, JourneyBranches: 1}.Journey(ctx, r)
		if err != nil {
			t.Fatalf("Journey(%+v), one branch a query: %v", r, err)
		}
		if !reflect.DeepEqual(turns, want) {
			t.Errorf("Journey(%+v), one branch a query = %q, by SQL alone %q", r, messages(turns), messages(want))
		}
		if len(got) > 0 {
			nonEmpty++
		}
	}
	if nonEmpty < len(reqs)-1 {
		t.Errorf("%d of %d journeys found events: the comparison proves little", nonEmpty, len(reqs))
	}
}

func testSearchAsSQL(ctx context.Context, t *testing.T, s store.Store) {
	// Searches page alike through the word filter and the slices as by
	// SQL alone (the cursors of both are accepted by either).
	for _, text := range []string{"", "e1", "b7 e3", "nosuchword"} {
		var q *query.Query
		if text != "" {
			q = mustQuery(t, text)
		}
		r := store.SearchRequest{ProjectID: 1, Range: all, Query: q, Limit: 7}
		for page := 0; page < 4; page++ {
			got, err := rd(s).Search(ctx, r)
			if err != nil {
				t.Fatalf("Search(%+v): %v", r, err)
			}
			want, err := rd(sqlOnly{s}).Search(ctx, r)
			if err != nil {
				t.Fatalf("Search(%+v) by SQL alone: %v", r, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Search(%q page %d) = %q, by SQL alone %q", text, page, messages(got.Events), messages(want.Events))
			}
			if got.NextCursor == "" {
				break
			}
			r.Cursor = got.NextCursor
		}
	}
}

// idTraces are the trace ids of appendIDBatches.
func idTraces() []event.TraceID {
	var traces []event.TraceID
	for i := range 3 {
		id, _ := event.ParseTraceID(fmt.Sprintf("4bf92f3577b34da6a3ce929d0e0e47%02d", i))
		traces = append(traces, id)
	}
	return traces
}
