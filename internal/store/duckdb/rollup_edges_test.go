package duckdb

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/analysis/services"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/store"
	"github.com/lore-dev/lore/internal/store/rollup"
)

// edgeTraces makes a trace a minute from t0 for n minutes: web → api (a
// span) → db (a span), api → the external "stripe", and a log-only
// "worker" following "mailer" in the trace's logs. extra adds an
// api → cache call.
func edgeTraces(t0 int64, n int, extra bool) []event.Event {
	var evs []event.Event
	for i := range n {
		ts := t0 + int64(i)*rollup.Minute
		tr, _ := event.ParseTraceID(fmt.Sprintf("%016x%016x", 1+i, ts))
		root, child, ext := event.SpanIDFromUint64(uint64(3*i+1)), event.SpanIDFromUint64(uint64(3*i+2)), event.SpanIDFromUint64(uint64(3*i+3))
		evs = append(evs,
			event.Event{ProjectID: 1, TS: ts, Kind: event.KindSpan, Service: "api", TraceID: tr, SpanID: root, DurationMS: 20},
			event.Event{ProjectID: 1, TS: ts + 1000, Kind: event.KindSpan, Service: "db", TraceID: tr, SpanID: child, ParentSpanID: root, DurationMS: 5, HTTPStatus: int32(200 + 300*(i%2))},
			event.Event{ProjectID: 1, TS: ts + 2000, Kind: event.KindSpan, Service: "api", TraceID: tr, SpanID: ext, ParentSpanID: root, DurationMS: 9,
				Attributes: []event.Attr{{Key: "peer.service", Value: "stripe"}}},
			event.Event{ProjectID: 1, TS: ts + 3000, Kind: event.KindLog, Service: "mailer", TraceID: tr, Message: "send"},
			event.Event{ProjectID: 1, TS: ts + 4000, Kind: event.KindLog, Service: "worker", TraceID: tr, Message: "sent", Level: "error"},
		)
		if extra {
			evs = append(evs, event.Event{ProjectID: 1, TS: ts + 5000, Kind: event.KindSpan, Service: "cache", TraceID: tr,
				SpanID: event.SpanIDFromUint64(uint64(1e6 + i)), ParentSpanID: root, DurationMS: 1})
		}
	}
	return evs
}

type shape struct {
	from, to           string
	external, inferred bool
	calls, errors      int64
}

func shapes(es []store.CallEdge) []shape {
	out := []shape{}
	for _, e := range es {
		out = append(out, shape{e.From, e.To, e.External, e.Inferred, e.Calls, e.Errors})
	}
	return out
}

// TestCallGraph checks the hourly call graph against ServiceMap's edges
// over traces that stay inside their hours: sealed and unsealed hours,
// partial hours, late events in a sealed hour, a restart and a rebuild.
func TestCallGraph(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC).UnixMicro()
	dir := t.TempDir()
	s := openTest(t, dir)
	// Six hours, a batch every half hour: each batch seals the hours its
	// events reach sealGrace past.
	for b := range 12 {
		evs := edgeTraces(t0+int64(b)*30*rollup.Minute, 30, false)
		if err := s.Append(ctx, store.Batch{Seq: uint64(b + 1), Events: evs}); err != nil {
			t.Fatal(err)
		}
	}
	check := func(when string, r store.Range) {
		t.Helper()
		_, want, err := services.Map{ProjectID: 1, Range: r}.Run(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.CallGraph(ctx, 1, r)
		if err != nil {
			t.Fatal(err)
		}
		if len(want) < 3 {
			t.Fatalf("%s: only %d edges: the comparison would prove little", when, len(want))
		}
		if !reflect.DeepEqual(shapes(got), shapes(want)) {
			t.Errorf("%s: CallGraph(%d, %d) = %+v\nServiceMap edges %+v", when, r.From, r.To, shapes(got), shapes(want))
		}
	}
	ranges := []store.Range{
		{From: t0, To: t0 + 6*rollup.Hour},
		{From: t0 - rollup.Hour, To: t0 + 7*rollup.Hour},
		{From: t0 + 17*rollup.Minute, To: t0 + 4*rollup.Hour + 3*rollup.Minute},
		{From: t0 + 2*rollup.Hour + rollup.Minute, To: t0 + 2*rollup.Hour + 40*rollup.Minute},
	}
	var sealed int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM narrative_edge_hours`).Scan(&sealed); err != nil || sealed != 5 {
		t.Fatalf("%d hours sealed (%v), want 5 (the last is within the seal grace of the end)", sealed, err)
	}
	for _, r := range ranges {
		check("after the batches", r)
	}
	// A late batch adds a call in a sealed hour.
	if err := s.Append(ctx, store.Batch{Seq: 13, Events: edgeTraces(t0+rollup.Hour+10*rollup.Minute, 5, true)}); err != nil {
		t.Fatal(err)
	}
	for _, r := range ranges {
		check("after late events", r)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openTest(t, dir)
	for _, r := range ranges {
		check("after a restart", r)
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM narrative_edges; UPDATE rollup_state SET seq = 0 WHERE id = 2`); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openTest(t, dir)
	defer s.Close()
	for _, r := range ranges {
		check("after a rebuild", r)
	}
}
