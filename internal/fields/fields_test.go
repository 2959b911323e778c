package fields

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cespare/xxhash/v2"

	"github.com/lore-dev/lore/internal/analysis/fieldstats"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/store"
	"github.com/lore-dev/lore/internal/store/duckdb"
)

func openStore(t *testing.T) *duckdb.Store { return openStoreTB(t) }

func openStoreTB(t testing.TB) *duckdb.Store {
	t.Helper()
	s, err := duckdb.Open(context.Background(), t.TempDir(), duckdb.Options{MemoryLimit: "256MB"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.MigrateFields(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

func ev(ts time.Time, service string, attrs ...string) event.Event {
	e := event.Event{ProjectID: 1, TS: ts.UnixMicro(), Kind: event.KindLog, Service: service, Message: "hello"}
	for i := 0; i+1 < len(attrs); i += 2 {
		e.Attributes = append(e.Attributes, event.Attr{Key: attrs[i], Value: attrs[i+1]})
	}
	return e
}

func byName(d Dictionary) map[string]Field {
	m := map[string]Field{}
	for _, f := range d.Fields {
		m[f.Name] = f
	}
	return m
}

func hasDrift(f Field, kind string) bool {
	for _, d := range f.Drift {
		if d.Kind == kind {
			return true
		}
	}
	return false
}

// TestDictionary: a day of traffic in which one field is there all along,
// one appears in the last hours, one stops at noon and one changes from
// number to string; two flushes in between.
func TestDictionary(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	c := NewCatalogue(st, nil)
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	var batch []event.Event
	for m := 0; m < 24*60; m += 2 {
		ts := day.Add(time.Duration(m) * time.Minute)
		attrs := []string{"plan", []string{"free", "pro", "team"}[m%3], "user.n", fmt.Sprint(m)}
		if m < 14*60 {
			attrs = append(attrs, "legacy_flag", "true")
		}
		if m >= 20*60 {
			attrs = append(attrs, "cart.items", `["a","b"]`)
		}
		if m < 16*60 {
			attrs = append(attrs, "order_id", fmt.Sprint(1000+m))
		} else {
			attrs = append(attrs, "order_id", fmt.Sprintf("ord_%d", m))
		}
		svc := "cart"
		if m%6 == 0 {
			svc = "web"
		}
		e := ev(ts, svc, attrs...)
		e.HTTPStatus = 200
		e.TraceID = event.TraceID{1, byte(m), byte(m >> 8)}
		batch = append(batch, e)
		if len(batch) == 100 {
			if _, err := c.Process(ctx, batch); err != nil {
				t.Fatal(err)
			}
			batch = nil
			if m%300 == 0 {
				if err := c.Flush(ctx); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	c.Process(ctx, batch)

	d, err := Reader{Store: st, Catalogue: c}.Dictionary(ctx, Request{ProjectID: 1, From: day.Add(-2 * time.Hour), To: day.Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	f := byName(d)
	if d.Fields[0].Name != "kind" || !d.Fields[0].Column {
		t.Errorf("first field = %+v, want the core column kind first", d.Fields[0])
	}
	plan := f["plan"]
	if plan.Type != TypeString || plan.Count != 720 || plan.Cardinality != 3 || len(plan.Examples) != 3 {
		t.Errorf("plan = %+v, want string ×720 with 3 values", plan)
	}
	if len(plan.Services) != 2 || plan.Services[0].Service != "cart" || plan.Services[0].Count != 480 {
		t.Errorf("plan services = %+v, want cart 480, web 240", plan.Services)
	}
	if n := f["user.n"].Cardinality; n < 680 || n > 760 {
		t.Errorf("user.n cardinality = %d, want about 720", n)
	}
	if f["user.n"].Type != TypeNumber || f["http_status"].Type != TypeNumber || f["trace_id"].Type != TypeID || f["legacy_flag"].Type != TypeBool || f["cart.items"].Type != TypeJSON {
		t.Errorf("types: user.n %s, http_status %s, trace_id %s, legacy_flag %s, cart.items %s", f["user.n"].Type, f["http_status"].Type, f["trace_id"].Type, f["legacy_flag"].Type, f["cart.items"].Type)
	}
	if !hasDrift(f["legacy_flag"], DriftDisappeared) {
		t.Errorf("legacy_flag (gone at 14:00) drift = %+v, want disappeared", f["legacy_flag"].Drift)
	}
	if hasDrift(f["plan"], DriftDisappeared) || hasDrift(f["plan"], DriftTypeChanged) {
		t.Errorf("plan drift = %+v, want none but appeared", f["plan"].Drift)
	}
	oid := f["order_id"]
	if !hasDrift(oid, DriftTypeChanged) || len(oid.Types) != 2 {
		t.Fatalf("order_id = %+v, want a type change", oid)
	}
	for _, dr := range oid.Drift {
		if dr.Kind == DriftTypeChanged && dr.At != "2026-11-20T16:00:00.000000Z" {
			t.Errorf("order_id changed type at %s, want 16:00", dr.At)
		}
	}

	// Seen from the afternoon on: cart.items appeared in the range, plan did not.
	d, err = Reader{Store: st}.Dictionary(ctx, Request{ProjectID: 1, From: day.Add(18 * time.Hour), To: day.Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	f = byName(d)
	if !hasDrift(f["cart.items"], DriftAppeared) || hasDrift(f["plan"], DriftAppeared) {
		t.Errorf("from 18:00: cart.items drift %+v (want appeared), plan drift %+v (want none)", f["cart.items"].Drift, f["plan"].Drift)
	}
	if _, ok := f["legacy_flag"]; ok {
		t.Errorf("legacy_flag, gone since 14:00, is listed from 18:00")
	}
	// Another project sees nothing.
	d, _ = Reader{Store: st}.Dictionary(ctx, Request{ProjectID: 2, From: day, To: day.Add(24 * time.Hour)})
	if len(d.Fields) != 0 {
		t.Errorf("project 2 sees %d fields", len(d.Fields))
	}
}

func TestInferType(t *testing.T) {
	f := func(v, want string) {
		t.Helper()
		if got := typeNames[inferType(v)]; got != want {
			t.Errorf("inferType(%q) = %s, want %s", v, got, want)
		}
	}
	f("42", TypeNumber)
	f("-1.5e3", TypeNumber)
	f("1.2.3", TypeString)
	f("true", TypeBool)
	f("True", TypeString)
	f(`{"a":1}`, TypeJSON)
	f("[x", TypeString)
	f("", TypeString)
	f("4bf92f", TypeString)
}

func TestSketchEstimate(t *testing.T) {
	for _, n := range []int{0, 1, 10, 1000, 100000} {
		var s sketch
		for i := range n {
			s.add(xxhash.Sum64String(fmt.Sprint("v", i)))
		}
		got := estimate(s[:])
		if d := float64(got-int64(n)) / float64(max(n, 1)); d > 0.08 || d < -0.08 {
			t.Errorf("estimate of %d distinct = %d", n, got)
		}
	}
}

// BenchmarkProcess measures the catalogue's cost at ingest: events shaped
// like the simulated shop's (12 columns, 8 attributes).
func BenchmarkProcess(b *testing.B) {
	c := NewCatalogue(nopStore{}, nil)
	base := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	evs := make([]event.Event, 1000)
	for i := range evs {
		e := ev(base.Add(time.Duration(i)*time.Second), []string{"cart", "web", "payment-service"}[i%3],
			"http.route", "/api/cart", "peer.service", "payment-gateway", "pattern_id", "p3f2a", "user.plan", "pro",
			"order_id", fmt.Sprint("ord_", i), "amount", fmt.Sprint(i%97), "retry", "false", "browser", "Chrome")
		e.Level, e.Env, e.Host, e.Release = "info", "production", "host-1", "shop@1.4.2"
		e.TraceID = event.TraceID{byte(i), 2}
		e.SpanID = event.SpanID{byte(i), 3}
		e.UserID, e.SessionID, e.Endpoint, e.HTTPMethod = fmt.Sprint("user_", i%300), fmt.Sprint("s", i%500), "/api/cart", "GET"
		e.HTTPStatus, e.DurationMS = 200, float64(i%250)
		e.Message = fmt.Sprintf("GET /api/cart served in %d ms for user_%d", i%250, i%300)
		evs[i] = e
	}
	b.ResetTimer()
	for range b.N {
		c.Process(context.Background(), evs)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(evs)), "ns/event")
}

type nopStore struct{ store.FieldRecorder }

// TestBackfill: events stored before the catalogue existed are recorded
// once, from the store, when the catalogue is empty.
func TestBackfill(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	var evs []event.Event
	for i := range 2500 {
		evs = append(evs, ev(day.Add(time.Duration(i)*time.Second), "cart", "plan", []string{"free", "pro"}[i%2]))
	}
	if err := st.Append(ctx, store.Batch{Seq: 1, Events: evs}); err != nil {
		t.Fatal(err)
	}
	upTo, ok, err := st.FieldBackfillBound(ctx)
	if err != nil || !ok {
		t.Fatalf("FieldBackfillBound = %d, %v, %v; want a bound for a store with events and no catalogue", upTo, ok, err)
	}
	c := NewCatalogue(st, nil)
	n, err := c.Backfill(ctx, st, upTo)
	if err != nil || n != 2500 {
		t.Fatalf("Backfill = %d, %v; want 2500 events", n, err)
	}
	d, err := Reader{Store: st, Catalogue: c}.Dictionary(ctx, Request{ProjectID: 1, From: day, To: day.Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if p := byName(d)["plan"]; p.Count != 2500 || p.Cardinality != 2 {
		t.Errorf("plan after backfill = %+v, want 2500 events with 2 values", p)
	}
	if _, ok, _ := st.FieldBackfillBound(ctx); ok {
		t.Errorf("a filled catalogue asks for another backfill")
	}
}

// TestConcurrentProcessAndFlush: ingest requests record fields while the
// flusher writes; nothing is lost or counted twice (run with -race).
func TestConcurrentProcessAndFlush(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	c := NewCatalogue(st, nil)
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	const writers, batches, per = 4, 20, 50
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for b := range batches {
				evs := make([]event.Event, per)
				for i := range evs {
					evs[i] = ev(day.Add(time.Duration(w*batches*per+b*per+i)*time.Second), fmt.Sprint("svc", w), "k", fmt.Sprint(i))
				}
				if _, err := c.Process(ctx, evs); err != nil {
					t.Error(err)
				}
			}
		})
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 10 {
			if err := c.Flush(ctx); err != nil {
				t.Error(err)
			}
		}
	}()
	wg.Wait()
	<-done
	d, err := Reader{Store: st, Catalogue: c}.Dictionary(ctx, Request{ProjectID: 1, From: day, To: day.Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if k := byName(d)["k"]; k.Count != writers*batches*per || len(k.Services) != writers || k.Cardinality < per-2 || k.Cardinality > per+2 {
		t.Errorf("k = count %d, %d services, cardinality %d; want %d, %d, about %d", k.Count, len(k.Services), k.Cardinality, writers*batches*per, writers, per)
	}
}

// failOnce is a catalogue store whose first write fails.
type failOnce struct {
	store.FieldRecorder
	failed bool
}

func (f *failOnce) RecordFields(ctx context.Context, seen []store.FieldSeen, vals []store.FieldValues) error {
	if !f.failed {
		f.failed = true
		return fmt.Errorf("disk full")
	}
	return f.FieldRecorder.RecordFields(ctx, seen, vals)
}

// TestFlushFailureKeepsRows: rows a failed flush could not write are
// merged back and written by the next one, with what arrived in between.
func TestFlushFailureKeepsRows(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	fs := &failOnce{FieldRecorder: st}
	c := NewCatalogue(fs, nil)
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	c.Process(ctx, []event.Event{ev(day, "cart", "plan", "pro"), ev(day.Add(time.Minute), "cart", "plan", "free")})
	if err := c.Flush(ctx); err == nil {
		t.Fatal("the first flush should fail")
	}
	c.Process(ctx, []event.Event{ev(day.Add(2*time.Minute), "cart", "plan", "team")})
	d, err := Reader{Store: st, Catalogue: c}.Dictionary(ctx, Request{ProjectID: 1, From: day, To: day.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if p := byName(d)["plan"]; p.Count != 3 || p.Cardinality != 3 || len(p.Examples) != 3 || p.FirstSeen != event.FormatMicros(day.UnixMicro()) {
		t.Errorf("plan after a failed flush = %+v, want 3 events, 3 values, first seen at %s", p, day)
	}
}

// TestExamplesCutOnRuneBoundary is the crash line of issue 17: a value
// with a multi-byte character across the example's byte limit, and one
// that is not UTF-8 at all, are recorded, flushed into DuckDB (which
// aborted the process on the half character) and read back valid.
func TestExamplesCutOnRuneBoundary(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	c := NewCatalogue(st, nil)
	now := time.Now().UTC()
	long := strings.Repeat("a", maxExampleBytes-1) + "é and more"
	if _, err := c.Process(ctx, []event.Event{ev(now, "web", "long", long, "bad", "\xff\xfe")}); err != nil {
		t.Fatal(err)
	}
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	days, err := fieldstats.ValueDays{ProjectID: 1, From: now.Add(-time.Hour).UnixMicro(), To: now.Add(time.Hour).UnixMicro()}.Run(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, d := range days {
		got[d.Field] = d.Examples
	}
	if ex := got["long"]; len(ex) != 1 || ex[0] != strings.Repeat("a", maxExampleBytes-1) {
		t.Errorf("examples of long = %q, want the value cut before the 'é'", ex)
	}
	if ex := got["bad"]; len(ex) != 1 || ex[0] != "\uFFFD" {
		t.Errorf("examples of bad = %q, want U+FFFD", ex)
	}
}

// TestForgetDropsPendingExamples: ids forgotten (a person erased on
// another node) are not among the examples the next flush writes, in
// that project only; the other examples and the counts stay.
func TestForgetDropsPendingExamples(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	c := NewCatalogue(st, nil)
	now := time.Now().UTC()
	long := strings.Repeat("u", maxExampleBytes+10)
	erin, other := ev(now, "web", "plan", "pro"), ev(now, "web", "plan", "pro")
	erin.UserID, erin.SessionID = "erin", "sess-erin"
	other.UserID, other.ProjectID = "erin", 2
	cut := ev(now, "web")
	cut.UserID = long
	if _, err := c.Process(ctx, []event.Event{erin, ev(now, "web", "user_id", "bob"), other, cut}); err != nil {
		t.Fatal(err)
	}
	if n := c.Forget(1, []string{"erin", "sess-erin", long}); n != 3 {
		t.Errorf("Forget dropped %d examples, want 3 (erin, her session, the long id as cut)", n)
	}
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	for project, want := range map[int64]string{1: "bob", 2: "erin"} {
		days, err := fieldstats.ValueDays{ProjectID: project, From: now.Add(-time.Hour).UnixMicro(), To: now.Add(time.Hour).UnixMicro()}.Run(ctx, st)
		if err != nil {
			t.Fatal(err)
		}
		var users []string
		for _, d := range days {
			if d.Field == "user_id" {
				users = append(users, d.Examples...)
			}
			if d.Field == "session_id" && len(d.Examples) > 0 {
				t.Errorf("project %d: session examples %q after forgetting the session", project, d.Examples)
			}
		}
		if got := strings.Join(users, ","); got != want {
			t.Errorf("project %d: user examples %q, want %q", project, got, want)
		}
	}
}
