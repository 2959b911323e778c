package monitor

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/meta"
	"github.com/lore-dev/lore/internal/store"
)

// fakeEvents answers Facets with a count per query text and Search with
// spans of the given durations; it records the ranges asked.
type fakeEvents struct {
	mu     sync.Mutex
	counts map[string]int64
	spans  []float64
	ranges []store.Range
}

func (f *fakeEvents) Facets(_ context.Context, r store.FacetsRequest) (store.FacetsResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ranges = append(f.ranges, r.Range)
	return store.FacetsResult{Field: r.Field, Total: f.counts[r.Query.Text]}, nil
}

func (f *fakeEvents) Search(_ context.Context, r store.SearchRequest) (store.SearchResult, error) {
	var out store.SearchResult
	for _, d := range f.spans {
		out.Events = append(out.Events, event.Event{Kind: "span", DurationMS: d})
	}
	return out, nil
}

func (f *fakeEvents) Histogram(context.Context, store.HistogramRequest) (store.HistogramResult, error) {
	return store.HistogramResult{}, nil
}

func (f *fakeEvents) Journey(context.Context, store.JourneyRequest) ([]event.Event, error) {
	return nil, nil
}

var _ store.Reader = (*fakeEvents)(nil)

func openMeta(t *testing.T) *meta.Store {
	t.Helper()
	ctx := context.Background()
	m, err := meta.Open(ctx, filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	if err := m.MigrateIssues(ctx); err != nil {
		t.Fatal(err)
	}
	if err := m.MigrateMonitors(ctx); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestEvaluatorStatesHistoryAndWebhook(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db := openMeta(t)
	events := &fakeEvents{counts: map[string]int64{"level:error": 3}}
	now := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	var clock sync.Mutex
	got := make(chan Notification, 4)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n Notification
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &n); err != nil {
			t.Errorf("webhook body %s: %v", b, err)
		}
		got <- n
	}))
	defer hook.Close()
	ev := New(Config{Monitors: db, Events: events, Signals: db, Log: slog.New(slog.DiscardHandler),
		Now: func() time.Time { clock.Lock(); defer clock.Unlock(); return now }})
	var wg sync.WaitGroup
	wg.Go(func() { ev.deliver(ctx) })
	defer wg.Wait()
	defer cancel()

	m, err := db.SaveMonitor(ctx, 1, meta.Monitor{Name: "errors", Kind: meta.MonitorQuery, Query: "level:error",
		Threshold: 5, Window: "5m", Webhook: hook.URL})
	if err != nil {
		t.Fatal(err)
	}
	if m.State != meta.StateNoData {
		t.Fatalf("a new monitor is %s, want no_data", m.State)
	}
	m, err = ev.Evaluate(ctx, 1, m.ID)
	if err != nil || m.State != meta.StateOK || m.Value == nil || *m.Value != 3 {
		t.Fatalf("3 errors under a threshold of 5: %+v, %v", m, err)
	}
	if r := events.ranges[0]; r.To != now.UnixMicro() || r.From != now.Add(-5*time.Minute).UnixMicro() {
		t.Errorf("measured %v, want the 5 minutes before now", r)
	}
	// Due follows the interval on the fake clock.
	evaluated := len(events.ranges)
	ev.EvaluateDue(ctx)
	if len(events.ranges) != evaluated {
		t.Error("EvaluateDue re-evaluated a monitor before its interval")
	}
	events.counts["level:error"] = 8
	clock.Lock()
	now = now.Add(time.Minute)
	clock.Unlock()
	ev.EvaluateDue(ctx)
	m, err = db.Monitor(ctx, 1, m.ID)
	if err != nil || m.State != meta.StateAlert || *m.Value != 8 {
		t.Fatalf("8 errors over 5: %+v, %v", m, err)
	}
	select {
	case n := <-got:
		if n.From != meta.StateOK || n.To != meta.StateAlert || *n.Value != 8 || n.Threshold != 5 || n.Monitor.Name != "errors" || n.Text == "" {
			t.Errorf("webhook got %+v", n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no webhook for ok → alert")
	}
	h, err := db.MonitorHistory(ctx, 1, m.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 2 || h[0].From != meta.StateOK || h[0].To != meta.StateAlert || h[1].From != meta.StateNoData || h[1].To != meta.StateOK {
		t.Errorf("history %+v, want no_data→ok then ok→alert (newest first)", h)
	}
	select {
	case n := <-got:
		t.Errorf("unexpected webhook %+v (no_data → ok does not notify)", n)
	default:
	}
}

func TestMeasureKinds(t *testing.T) {
	ctx := context.Background()
	db := openMeta(t)
	now := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	events := &fakeEvents{
		counts: map[string]int64{
			"service:pay": 200,
			"(service:pay) (kind:error OR level:error OR level:fatal)": 10,
			"level:error": 30,
		},
		spans: []float64{100, 200, 300, 400, 2000},
	}
	f := func(m meta.Monitor, want Reading) {
		t.Helper()
		if err := m.Validate(); err != nil {
			t.Fatal(err)
		}
		m.ProjectID = 1
		got, err := Measure(ctx, events, db, m, now)
		if err != nil {
			t.Fatal(err)
		}
		if got.NoData != want.NoData || (!want.NoData && math.Abs(got.Value-want.Value) > 1e-9) {
			t.Errorf("%s %q: %+v, want %+v", m.Kind, m.Query, got, want)
		}
	}
	f(meta.Monitor{Name: "r", Kind: meta.MonitorQuery, Query: "level:error", Measure: "rate", Window: "10m"}, Reading{Value: 3})
	f(meta.Monitor{Name: "e", Kind: meta.MonitorErrorRate, Query: "service:pay"}, Reading{Value: 0.05})
	f(meta.Monitor{Name: "e0", Kind: meta.MonitorErrorRate, Query: "service:none"}, Reading{NoData: true})
	f(meta.Monitor{Name: "l", Kind: meta.MonitorLatency, Query: "service:pay"}, Reading{Value: 1680}) // 400 + 0.8*1600
	f(meta.Monitor{Name: "i", Kind: meta.MonitorIssue}, Reading{Value: 0})
	events.spans = nil
	f(meta.Monitor{Name: "l0", Kind: meta.MonitorLatency, Query: "service:pay"}, Reading{NoData: true})
}

func TestValidate(t *testing.T) {
	f := func(m meta.Monitor, wantErr bool) {
		t.Helper()
		if err := m.Validate(); (err != nil) != wantErr {
			t.Errorf("Validate(%+v) = %v, want error %v", m, err, wantErr)
		}
	}
	f(meta.Monitor{Name: "ok", Kind: meta.MonitorQuery, Query: "level:error service:pay"}, false)
	f(meta.Monitor{Name: "", Kind: meta.MonitorQuery}, true)
	f(meta.Monitor{Name: "k", Kind: "cpu"}, true)
	f(meta.Monitor{Name: "q", Kind: meta.MonitorQuery, Query: "level:error AND ("}, true)
	f(meta.Monitor{Name: "w", Kind: meta.MonitorQuery, Window: "0"}, true)
	f(meta.Monitor{Name: "w", Kind: meta.MonitorQuery, Window: "-5m"}, true)
	f(meta.Monitor{Name: "w", Kind: meta.MonitorQuery, Window: "0s"}, true)
	f(meta.Monitor{Name: "w", Kind: meta.MonitorQuery, Window: "0.5m"}, false)
	f(meta.Monitor{Name: "w", Kind: meta.MonitorQuery, Window: "1d"}, false)
	f(meta.Monitor{Name: "w", Kind: meta.MonitorQuery, Window: "soon"}, true)
	f(meta.Monitor{Name: "i", Kind: meta.MonitorQuery, Interval: "1s"}, true)
	f(meta.Monitor{Name: "r", Kind: meta.MonitorErrorRate, Threshold: 5}, true)
	f(meta.Monitor{Name: "h", Kind: meta.MonitorQuery, Webhook: "ftp://x"}, true)
	f(meta.Monitor{Name: "o", Kind: meta.MonitorQuery, Op: "=="}, true)
}

// TestWebhookFailuresAndMute checks that a failing webhook is counted and
// does not stop evaluation, and that a muted monitor records its change
// without posting it.
func TestWebhookFailuresAndMute(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	db := openMeta(t)
	events := &fakeEvents{counts: map[string]int64{"": 50}}
	var posts sync.WaitGroup
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer posts.Done()
		http.Error(w, "down", http.StatusBadGateway)
	}))
	defer hook.Close()
	var mu sync.Mutex
	var ok, failed int
	ev := New(Config{Monitors: db, Events: events, Signals: db, Log: slog.New(slog.DiscardHandler), Delivered: func(good bool) {
		mu.Lock()
		defer mu.Unlock()
		if good {
			ok++
		} else {
			failed++
		}
	}})
	var wg sync.WaitGroup
	wg.Go(func() { ev.deliver(ctx) })
	defer wg.Wait()
	defer cancel()

	loud, err := db.SaveMonitor(ctx, 1, meta.Monitor{Name: "loud", Kind: meta.MonitorQuery, Threshold: 10, Webhook: hook.URL})
	if err != nil {
		t.Fatal(err)
	}
	quiet, err := db.SaveMonitor(ctx, 1, meta.Monitor{Name: "quiet", Kind: meta.MonitorQuery, Threshold: 10, Webhook: hook.URL, Muted: true})
	if err != nil {
		t.Fatal(err)
	}
	posts.Add(1) // only the loud one posts
	for _, id := range []int64{loud.ID, quiet.ID} {
		if m, err := ev.Evaluate(ctx, 1, id); err != nil || m.State != meta.StateAlert {
			t.Fatalf("monitor %d: %+v, %v", id, m, err)
		}
	}
	posts.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		f := failed
		mu.Unlock()
		if f == 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if failed != 1 || ok != 0 {
		t.Errorf("deliveries: %d failed, %d ok; want the loud monitor's one failure", failed, ok)
	}
	if h, _ := db.MonitorHistory(ctx, 1, quiet.ID, 10); len(h) != 1 || h[0].To != meta.StateAlert {
		t.Errorf("the muted monitor's history = %+v, want its change to alert", h)
	}
}

// TestRunEvaluatesAndStops checks that Run evaluates a never-evaluated
// monitor on its own and returns, its goroutines stopped, once cancelled.
func TestRunEvaluatesAndStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	db := openMeta(t)
	ev := New(Config{Monitors: db, Events: &fakeEvents{counts: map[string]int64{"level:error": 2}}, Signals: db, Log: slog.New(slog.DiscardHandler)})
	m, err := db.SaveMonitor(ctx, 1, meta.Monitor{Name: "errors", Kind: meta.MonitorQuery, Query: "level:error", Threshold: 1})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { ev.Run(ctx, 10*time.Millisecond); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for m.LastEvaluated == "" && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		if m, err = db.Monitor(ctx, 1, m.ID); err != nil {
			t.Fatal(err)
		}
	}
	if m.State != meta.StateAlert {
		t.Errorf("after Run: %+v, want alert (2 errors > 1)", m)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}
