package server

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/analysis/resolve"
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

// TestRelativeRangesShareTheResolversAnswer: two requests for "the last 7
// days" (trends; web and latency over their ranges) a few seconds apart build the same range (now moved up to the
// minute) and so the second is the first's remembered answer; in the
// next minute the range moves on.
func TestRelativeRangesShareTheResolversAnswer(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 1, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	set := func(t time.Time) { mu.Lock(); defer mu.Unlock(); now = t }
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
