package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/analysis/narrative"
	"github.com/lore-dev/lore/internal/analysis/resolve"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/meta"
	"github.com/lore-dev/lore/internal/sqlq"
)

// runsExecutor is an engine with no rows that records the queries it ran.
type runsExecutor struct {
	mu   sync.Mutex
	runs []sqlq.Query
}

func (e *runsExecutor) Dialect() sqlq.Dialect { return sqlq.DuckDB{} }

func (e *runsExecutor) Run(ctx context.Context, q sqlq.Query, row func(sqlq.Scanner) error) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.runs = append(e.runs, q)
	return nil
}

// execReader is a Reader that is also the executor (as the DuckDB store
// is), for the latency route.
type execReader struct {
	fakeReader
	*runsExecutor
}

func (e *runsExecutor) count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.runs)
}

// testClock is a clock that reads start until set moves it.
func testClock(start time.Time) (clock func() time.Time, set func(time.Time)) {
	var mu sync.Mutex
	now := start
	return func() time.Time { mu.Lock(); defer mu.Unlock(); return now },
		func(t time.Time) { mu.Lock(); defer mu.Unlock(); now = t }
}

// TestRelativeRangesShareTheResolversAnswer: two requests for "the last 7
// days" (trends; web and latency over their ranges) a few seconds apart build the same range (now moved up to the
// minute) and so the second is the first's remembered answer; in the
// next minute the range moves on.
func TestRelativeRangesShareTheResolversAnswer(t *testing.T) {
	clock, set := testClock(time.Date(2026, 11, 21, 12, 0, 1, 0, time.UTC))
	now := clock()
	ex := &runsExecutor{}
	res := resolve.New(resolve.Roles{Analytics: ex}, resolve.Options{Now: clock})
	s := New(Deps{
		Auth:     fakeAuth{"rd": {ProjectID: 1, Role: meta.RoleRead}},
		Sink:     testSink(&fakeQueue{}, DefaultLimits()),
		Reader:   execReader{runsExecutor: ex},
		Resolver: res,
		Log:      slog.New(slog.DiscardHandler),
		Limits:   DefaultLimits(),
		Now:      clock,
	})
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	trends := func() {
		t.Helper()
		if code, _, body := do(t, srv, http.MethodPost, "/api/v1/trends", "rd", []byte(`{"event":"Signed Up","from":"now-7d"}`), nil); code != 200 {
			t.Fatalf("trends: %d %v", code, body)
		}
	}
	web := func() {
		t.Helper()
		if code, _, body := do(t, srv, http.MethodGet, "/api/v1/web?from=now-1d", "rd", nil, nil); code != 200 {
			t.Fatalf("web: %d %v", code, body)
		}
	}
	lat := func() {
		t.Helper()
		if code, _, body := do(t, srv, http.MethodGet, "/api/v1/latency?from=now-1h", "rd", nil, nil); code != 200 {
			t.Fatalf("latency: %d %v", code, body)
		}
	}
	trends()
	web()
	lat()
	first := ex.count()
	if first == 0 {
		t.Fatal("nothing ran")
	}
	minute := time.Date(2026, 11, 21, 12, 1, 0, 0, time.UTC).UnixMicro()
	for _, q := range ex.runs {
		if q.Scope.To != minute && q.Scope.To != 0 {
			t.Errorf("%s read up to %s, want now moved up to the minute (12:01)", q.Name, time.UnixMicro(q.Scope.To).UTC())
		}
	}
	set(now.Add(4 * time.Second))
	trends()
	web()
	lat()
	if n := ex.count(); n != first {
		t.Errorf("asked again 4 s later: %d more queries ran, want the remembered answers", n-first)
	}
	if hits, _, _ := res.Stats(); hits != 3 {
		t.Errorf("resolver hits = %d, want 3", hits)
	}
	set(now.Add(time.Minute))
	trends()
	if n := ex.count(); n == first {
		t.Errorf("a minute later the range did not move on")
	}
}

// timelines is a NarrativeService that records the timelines asked of it
// (the other routes are not served).
type timelines struct {
	NarrativeService
	mu   sync.Mutex
	asks []narrative.Timeline
}

func (n *timelines) Timeline(ctx context.Context, q narrative.Timeline) (narrative.TimelineResult, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.asks = append(n.asks, q)
	return narrative.TimelineResult{At: event.FormatMicros(q.At)}, nil
}

// TestTimelineReadsNowAsTheOtherRoutes: GET /api/v1/incidents/timeline
// without at (or with a relative one) reads now moved up to the minute, as
// the routes of TestRelativeRangesShareTheResolversAnswer do, so two
// requests seconds apart ask for the same window (the same Key(), and so
// the resolver's remembered series, maps and error groups); an at given as
// a time is read as it is.
func TestTimelineReadsNowAsTheOtherRoutes(t *testing.T) {
	clock, set := testClock(time.Date(2026, 11, 21, 12, 0, 1, 0, time.UTC))
	now := clock()
	n := &timelines{}
	s := New(Deps{
		Auth:      fakeAuth{"rd": {ProjectID: 1, Role: meta.RoleRead}},
		Sink:      testSink(&fakeQueue{}, DefaultLimits()),
		Reader:    fakeReader{},
		Narrative: n,
		Resolver:  resolve.New(resolve.Roles{}, resolve.Options{Now: clock}),
		Log:       slog.New(slog.DiscardHandler),
		Limits:    DefaultLimits(),
		Now:       clock,
	})
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	ask := func(query string) (string, narrative.Timeline) {
		t.Helper()
		code, _, body := do(t, srv, http.MethodGet, "/api/v1/incidents/timeline"+query, "rd", nil, nil)
		if code != 200 {
			t.Fatalf("timeline%s: %d %v", query, code, body)
		}
		n.mu.Lock()
		defer n.mu.Unlock()
		return fmt.Sprint(body["at"]), n.asks[len(n.asks)-1]
	}
	at1, q1 := ask("")
	set(now.Add(4 * time.Second))
	at2, q2 := ask("")
	minute := time.Date(2026, 11, 21, 12, 1, 0, 0, time.UTC)
	if want := event.FormatMicros(minute.UnixMicro()); at1 != want || at2 != want || q1.Key() != q2.Key() {
		t.Errorf("at 12:00:01 and 12:00:05: at %s and %s (keys %s, %s), want both %s", at1, at2, q1.Key(), q2.Key(), want)
	}
	if _, q := ask("?at=now-1h&before=30m"); q.At != time.Date(2026, 11, 21, 11, 1, 0, 0, time.UTC).UnixMicro() {
		t.Errorf("at=now-1h read %s, want 11:01 (now moved up to the minute, less an hour)", time.UnixMicro(q.At).UTC())
	}
	if _, q := ask("?at=2026-11-21T11:30:30Z"); q.At != time.Date(2026, 11, 21, 11, 30, 30, 0, time.UTC).UnixMicro() {
		t.Errorf("at=11:30:30 read %s, want it as given", time.UnixMicro(q.At).UTC())
	}
	set(minute)
	if at, _ := ask(""); at != event.FormatMicros(minute.UnixMicro()) {
		t.Errorf("at 12:01:00 exactly: at %s, want it unchanged", at)
	}
}
