package monitor

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/meta"
	"github.com/lore-dev/lore/internal/notify"
	"github.com/lore-dev/lore/internal/outbound"
	"github.com/lore-dev/lore/internal/query"
	"github.com/lore-dev/lore/internal/store"
)

var quiet = slog.New(slog.DiscardHandler)

// fakeEvents answers Facets with a count per query text (and, for a
// field other than kind, the values in groups), Search with spans of the
// given durations and the events in found; it records the ranges asked.
// A query whose text is in block waits until its context ends.
type fakeEvents struct {
	mu      sync.Mutex
	counts  map[string]int64
	groups  map[string][]store.FacetValue
	spans   []float64
	found   []event.Event
	ranges  []store.Range
	block   map[string]bool
	blocked chan struct{}            // closed when a blocked call begins
	wait    map[string]chan struct{} // a query waits for its channel to close
	freed   atomic.Bool              // a blocked call has returned
}

func (f *fakeEvents) Facets(ctx context.Context, r store.FacetsRequest) (store.FacetsResult, error) {
	f.mu.Lock()
	f.ranges = append(f.ranges, r.Range)
	blocked, wait := f.block[r.Query.Text], f.wait[r.Query.Text]
	f.mu.Unlock()
	if blocked {
		close(f.blocked)
		<-ctx.Done()
		f.freed.Store(true)
		return store.FacetsResult{}, ctx.Err()
	}
	if wait != nil {
		select {
		case <-wait:
		case <-time.After(5 * time.Second):
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Field != "kind" {
		vs := f.groups[r.Query.Text+" by "+r.Field]
		var total int64
		for _, v := range vs {
			total += v.Count
		}
		return store.FacetsResult{Field: r.Field, Values: vs, Total: total}, nil
	}
	return store.FacetsResult{Field: r.Field, Total: f.counts[r.Query.Text]}, nil
}

func (f *fakeEvents) Search(_ context.Context, r store.SearchRequest) (store.SearchResult, error) {
	var out store.SearchResult
	if strings.Contains(r.Query.Text, "kind:span") {
		for _, d := range f.spans {
			out.Events = append(out.Events, event.Event{Kind: "span", DurationMS: d})
		}
		return out, nil
	}
	out.Events = f.found
	return out, nil
}

func (f *fakeEvents) Histogram(context.Context, store.HistogramRequest) (store.HistogramResult, error) {
	return store.HistogramResult{}, nil
}

func (f *fakeEvents) Journey(context.Context, store.JourneyRequest) ([]event.Event, error) {
	return nil, nil
}

func (f *fakeEvents) set(q string, n int64) {
	f.mu.Lock()
	f.counts[q] = n
	f.mu.Unlock()
}

var _ store.Reader = (*fakeEvents)(nil)

// fakeIssues answers TopIssues with its issues and IssueStack with a stack.
type fakeIssues struct{ top []IssueCount }

func (f fakeIssues) TopIssues(_ context.Context, _ int64, _ store.Range, _ *query.Query, by string, limit int) ([]IssueCount, error) {
	out := slices.Clone(f.top)
	if by == "users" {
		slices.SortFunc(out, func(a, b IssueCount) int { return int(b.Users - a.Users) })
	}
	return out[:min(limit, len(out))], nil
}

func (fakeIssues) IssueStack(context.Context, int64, int64, store.Range) ([]string, error) {
	return []string{"charge (pay.go:42)", "checkout (shop.go:10)"}, nil
}

type fakeStories []Story

func (f fakeStories) Stories(context.Context, int64, store.Range) ([]Story, error) { return f, nil }

type fakeBaselines []Departure

func (f fakeBaselines) Departures(context.Context, int64, time.Time, time.Duration) ([]Departure, error) {
	return f, nil
}

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

// hook is a loopback receiver of notifications.
func hook(t *testing.T) (*httptest.Server, chan []byte) {
	got := make(chan []byte, 20)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- b
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

func receive(t *testing.T, got chan []byte, what string) []byte {
	t.Helper()
	select {
	case b := <-got:
		return b
	case <-time.After(10 * time.Second):
		t.Fatalf("no %s", what)
	}
	return nil
}

// dispatch runs a real dispatcher on db until the test ends; it tries a
// notification maxAttempts times (none given: the default).
func dispatch(t *testing.T, db *meta.Store, maxAttempts ...int) *notify.Dispatcher {
	cfg := notify.Config{Outbox: db, Sender: notify.NewSender(outbound.Options{AllowPrivate: true, Timeout: 5 * time.Second}, nil),
		Log: quiet, Poll: 10 * time.Millisecond, Backoff: 10 * time.Millisecond}
	if len(maxAttempts) > 0 {
		cfg.MaxAttempts = maxAttempts[0]
	}
	d := notify.NewDispatcher(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return d
}

// TestEvaluatorNotifiesChannelsAndWebhook evaluates a monitor on a fake
// clock through ok → alert → ok: each change is in the history, and the
// firing and the resolution reach a webhook channel, a Slack channel and
// the monitor's own webhook, whose JSON keeps the fields of the first
// webhooks and adds status, dedupe key and evidence.
func TestEvaluatorNotifiesChannelsAndWebhook(t *testing.T) {
	ctx := context.Background()
	db := openMeta(t)
	events := &fakeEvents{counts: map[string]int64{"level:error": 3}}
	now := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	var clock sync.Mutex
	own, ownGot := hook(t)
	chHook, chGot := hook(t)
	slack, slackGot := hook(t)
	d := dispatch(t, db)
	ev := New(Config{Monitors: db, Sources: Sources{Events: events, Signals: db}, Log: quiet, Wake: d.Wake, PublicURL: func() string { return "http://lore.test" },
		Now: func() time.Time { clock.Lock(); defer clock.Unlock(); return now }})
	c1, err := db.SaveChannel(ctx, 1, meta.Channel{Name: "hook", Type: meta.ChannelWebhook, URL: chHook.URL})
	if err != nil {
		t.Fatal(err)
	}
	c2, err := db.SaveChannel(ctx, 1, meta.Channel{Name: "slack", Type: meta.ChannelSlack, URL: slack.URL + "/services/T/B/x"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := db.SaveMonitor(ctx, 1, meta.Monitor{Name: "errors", Kind: meta.MonitorQuery, Query: "level:error",
		Threshold: 5, Window: "5m", Webhook: own.URL, Channels: []int64{c1.ID, c2.ID}})
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
	events.set("level:error", 8)
	clock.Lock()
	now = now.Add(time.Minute)
	clock.Unlock()
	ev.EvaluateDue(ctx)
	if m, err = db.Monitor(ctx, 1, m.ID); err != nil || m.State != meta.StateAlert || *m.Value != 8 {
		t.Fatalf("8 errors over 5: %+v, %v", m, err)
	}
	var n notify.Message
	body := receive(t, ownGot, "webhook for ok → alert")
	if err := json.Unmarshal(body, &n); err != nil {
		t.Fatal(err)
	}
	if n.From != meta.StateOK || n.To != meta.StateAlert || *n.Value != 8 || n.Threshold != 5 || n.Monitor.Name != "errors" || n.Status != "firing" ||
		n.Text != `[Lore] monitor "errors" is ALERTING: query count of level:error over 5m (value 8, threshold > 5)` ||
		n.DedupeKey == "" || n.URL != "http://lore.test/#/monitors/1" {
		t.Errorf("webhook got %s", body)
	}
	if n.Evidence == nil || n.Evidence.Explore == nil || !strings.HasPrefix(n.Evidence.Explore.URL, "http://lore.test/#/explore?") ||
		!strings.Contains(n.Evidence.Explore.URL, "q=level%3Aerror") {
		t.Errorf("evidence %+v", n.Evidence)
	}
	if b := receive(t, chGot, "webhook channel"); !json.Valid(b) || !strings.Contains(string(b), `"status":"firing"`) {
		t.Errorf("webhook channel got %s", b)
	}
	if b := receive(t, slackGot, "Slack message"); !strings.Contains(string(b), `"blocks"`) {
		t.Errorf("Slack got %s", b)
	}
	events.set("level:error", 1)
	clock.Lock()
	now = now.Add(time.Minute)
	clock.Unlock()
	ev.EvaluateDue(ctx)
	for _, got := range []chan []byte{ownGot, chGot, slackGot} {
		if b := receive(t, got, "resolution"); !strings.Contains(string(b), "resolved") && !strings.Contains(string(b), "RESOLVED") {
			t.Errorf("resolution: %s", b)
		}
	}
	h, err := db.MonitorHistory(ctx, 1, m.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	var trail []string
	for _, e := range h {
		trail = append(trail, e.From+"→"+e.To+" "+e.Note)
	}
	if want := []string{"alert→ok " + NoteResolved, "ok→alert " + NoteNotified, "no_data→ok "}; !slices.Equal(trail, want) {
		t.Errorf("history (newest first) %q, want %q", trail, want)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		a, _ := db.Attempts(ctx, 1, 0, m.ID, 10)
		if len(a) == 6 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d delivery attempts logged, want 6 (3 destinations × firing and resolved)", len(a))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// trail is a monitor's history, newest first, as "from→to note".
func trail(t *testing.T, db *meta.Store, id int64) []string {
	t.Helper()
	h, err := db.MonitorHistory(context.Background(), 1, id, 10)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range h {
		out = append(out, e.From+"→"+e.To+" "+e.Note)
	}
	return out
}

// TestHistorySaysWhatWasSent: a monitor with no channel and no webhook
// alerts and recovers with a history that says nobody was notified, and
// queues nothing; a monitor whose webhook answers 500 until the dispatcher
// gives up has a history that says the notification to the webhook
// failed, and why, while its channel that took it leaves no failure.
func TestHistorySaysWhatWasSent(t *testing.T) {
	ctx := context.Background()
	db := openMeta(t)
	events := &fakeEvents{counts: map[string]int64{"level:error": 8}}
	now := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	var clock sync.Mutex
	tick := func() {
		clock.Lock()
		now = now.Add(time.Minute)
		clock.Unlock()
	}
	var failing atomic.Int64
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		failing.Add(1)
		http.Error(w, "receiver down", http.StatusInternalServerError)
	}))
	t.Cleanup(broken.Close)
	good, goodGot := hook(t)
	d := dispatch(t, db, 2)
	ev := New(Config{Monitors: db, Sources: Sources{Events: events, Signals: db}, Log: quiet, Wake: d.Wake,
		Now: func() time.Time { clock.Lock(); defer clock.Unlock(); return now }})
	ch, err := db.SaveChannel(ctx, 1, meta.Channel{Name: "ops hook", Type: meta.ChannelWebhook, URL: good.URL})
	if err != nil {
		t.Fatal(err)
	}
	silent, err := db.SaveMonitor(ctx, 1, meta.Monitor{Name: "nobody told", Kind: meta.MonitorQuery, Query: "level:error", Threshold: 5, Window: "5m"})
	if err != nil {
		t.Fatal(err)
	}
	failed, err := db.SaveMonitor(ctx, 1, meta.Monitor{Name: "hook down", Kind: meta.MonitorQuery, Query: "level:error", Threshold: 5, Window: "5m",
		Webhook: broken.URL, Channels: []int64{ch.ID}})
	if err != nil {
		t.Fatal(err)
	}
	ev.EvaluateDue(ctx) // both alert
	receive(t, goodGot, "the channel's alert")
	waitHistory := func(id int64, want []string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for got := trail(t, db, id); !slices.Equal(got, want); got = trail(t, db, id) {
			if time.Now().After(deadline) {
				t.Fatalf("history of monitor %d (newest first) %q, want %q", id, got, want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	fail := `notification to webhook failed: post webhook "` + broken.URL + `": status 500 Internal Server Error: receiver down`
	waitHistory(failed.ID, []string{"no_data→alert " + fail})
	if n := failing.Load(); n != 2 {
		t.Errorf("the broken webhook was tried %d times, want 2 (MaxAttempts)", n)
	}
	events.set("level:error", 1)
	tick()
	ev.EvaluateDue(ctx) // both recover
	receive(t, goodGot, "the channel's resolution")
	waitHistory(failed.ID, []string{"alert→ok resolved: " + fail, "no_data→alert " + fail})
	waitHistory(silent.ID, []string{"alert→ok " + NoteResolvedNoChannel, "no_data→alert " + NoteNoChannel})
	if a, err := db.Attempts(ctx, 1, 0, silent.ID, 10); err != nil || len(a) != 0 {
		t.Errorf("a monitor with no destination: delivery attempts %+v, %v; want none", a, err)
	}
}

// TestSlowMonitorIsCutOffAndDoesNotStallOthers: a monitor whose query
// never answers is cut off by its timeout and put in error, while
// another monitor, due at the same time, is measured and recorded.
func TestSlowMonitorIsCutOffAndDoesNotStallOthers(t *testing.T) {
	ctx := context.Background()
	db := openMeta(t)
	blocked := make(chan struct{})
	// The fast monitor's query waits until the slow one is blocked, so it
	// can only be measured while the slow one runs if they run side by side.
	events := &fakeEvents{counts: map[string]int64{"level:warn": 2}, block: map[string]bool{"slow": true}, blocked: blocked,
		wait: map[string]chan struct{}{"level:warn": blocked}}
	var mu sync.Mutex
	fastWhileSlow := false
	ev := New(Config{Monitors: db, Sources: Sources{Events: events, Signals: db}, Log: quiet, Parallel: 2,
		Evaluated: func(m meta.Monitor, _, _ time.Duration, err error) {
			if m.Name == "fast" {
				mu.Lock()
				fastWhileSlow = !events.freed.Load()
				mu.Unlock()
			}
		}})
	slow, err := db.SaveMonitor(ctx, 1, meta.Monitor{Name: "slow", Kind: meta.MonitorQuery, Query: "slow", Threshold: 1, Timeout: "0.5s"})
	if err != nil {
		t.Fatal(err)
	}
	fast, err := db.SaveMonitor(ctx, 1, meta.Monitor{Name: "fast", Kind: meta.MonitorQuery, Query: "level:warn", Threshold: 1})
	if err != nil {
		t.Fatal(err)
	}
	ev.EvaluateDue(ctx)
	slow, _ = db.Monitor(ctx, 1, slow.ID)
	fast, _ = db.Monitor(ctx, 1, fast.ID)
	if slow.State != meta.StateError || !strings.Contains(slow.LastError, "timeout (500ms)") {
		t.Errorf("slow monitor: state %s, error %q; want error with the timeout", slow.State, slow.LastError)
	}
	if fast.State != meta.StateAlert {
		t.Errorf("fast monitor: %s, want alert", fast.State)
	}
	mu.Lock()
	if !fastWhileSlow {
		t.Error("the fast monitor was not evaluated while the slow one was blocked")
	}
	mu.Unlock()
	if h, _ := db.MonitorHistory(ctx, 1, slow.ID, 5); len(h) != 1 || h[0].To != meta.StateError {
		t.Errorf("slow monitor's history %+v, want its change to error", h)
	}
}

// TestEvidence checks what a firing links to: the events in Explore for
// the series' group, the top issue with its stack, the story card about
// the service, and a sample journey.
func TestEvidence(t *testing.T) {
	ctx := context.Background()
	db := openMeta(t)
	var trace event.TraceID
	trace[15] = 0xab
	events := &fakeEvents{
		groups: map[string][]store.FacetValue{"level:error by service": {{Value: "payment-service", Count: 12}, {Value: "cart", Count: 2}}},
		found:  []event.Event{{Kind: "log", UserID: "u1"}, {Kind: "error", TraceID: trace}},
	}
	src := Sources{Events: events, Signals: db,
		Issues:  fakeIssues{top: []IssueCount{{ID: 3, Title: "CardDeclined", Count: 12, Users: 4, Fingerprint: "fp3"}}},
		Stories: fakeStories{{Type: "throttling", Title: "Stripe throttles payment-service", Severity: "warning", Service: "payment-service", Narrative: []string{"It started at 09:00."}}},
	}
	ev := New(Config{Monitors: db, Sources: src, Log: quiet, PublicURL: func() string { return "http://lore.test" }})
	m := meta.Monitor{ID: 1, ProjectID: 1, Name: "errors by service", Kind: meta.MonitorQuery, Query: "level:error", GroupBy: "service", Threshold: 10}
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC)
	msg := ev.message(ctx, m, Fire{Series: "payment-service", Status: "firing", From: "ok", To: "alert", Value: v(12), Threshold: 10}, now)
	if !strings.Contains(msg.Text, "is ALERTING for service=payment-service") {
		t.Errorf("text %q", msg.Text)
	}
	e := msg.Evidence
	if e == nil || e.Explore == nil || e.Issue == nil || e.Story == nil || e.Journey == nil {
		t.Fatalf("evidence %+v", e)
	}
	u, _ := url.Parse(strings.Replace(e.Explore.URL, "#/explore", "explore", 1))
	if q := u.Query().Get("q"); q != "level:error service:payment-service" || u.Query().Get("from") != "2026-11-21T09:25:00Z" {
		t.Errorf("explore link %s (q %q)", e.Explore.URL, q)
	}
	if e.Issue.ID != 3 || e.Issue.URL != "http://lore.test/#/issues/3" || len(e.Issue.Stack) != 2 {
		t.Errorf("issue %+v", e.Issue)
	}
	if e.Story.Title != "Stripe throttles payment-service" {
		t.Errorf("story %+v", e.Story)
	}
	if e.Journey.URL != "http://lore.test/#/journey/trace/"+trace.String() {
		t.Errorf("journey %+v", e.Journey)
	}
	// A resolution carries only the link to the events.
	msg = ev.message(ctx, m, Fire{Series: "payment-service", Status: "resolved", From: "alert", To: "ok", Value: v(1), Threshold: 10}, now)
	if msg.Evidence.Issue != nil || msg.Evidence.Explore == nil || !strings.Contains(msg.Text, "recovered (ok)") {
		t.Errorf("resolution %+v", msg)
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
		groups: map[string][]store.FacetValue{
			"level:error by endpoint":                               {{Value: "/pay", Count: 25}, {Value: "/cart", Count: 5}},
			"(kind:error OR level:error OR level:fatal) by service": {{Value: "pay", Count: 10}},
			" by service": {{Value: "pay", Count: 200}, {Value: "cart", Count: 50}},
		},
		spans: []float64{100, 200, 300, 400, 2000},
	}
	check, err := db.SaveCheck(ctx, 1, meta.Check{Name: "site", URL: "https://shop.test/health"})
	if err != nil {
		t.Fatal(err)
	}
	days := 5
	if _, err := db.RecordCheckResult(ctx, check.ID, meta.CheckResult{At: now.Format(time.RFC3339), StatusCode: 503, Error: "status 503", TLSDaysLeft: &days}, now, nil); err != nil {
		t.Fatal(err)
	}
	src := Sources{Events: events, Signals: db, Checks: db,
		Issues:  fakeIssues{top: []IssueCount{{ID: 3, Count: 12, Users: 9}, {ID: 4, Count: 40, Users: 2}}},
		Stories: fakeStories{{Type: "throttling", Severity: "info", Service: "pay"}, {Type: "cascade", Severity: "critical", Service: "pay"}, {Type: "cascade", Severity: "critical", Service: "cart"}},
		Baselines: fakeBaselines{{Service: "pay", Signal: "p95_ms", Peak: 900, Warning: 300, Critical: 1000},
			{Service: "cart", Signal: "p95_ms", Peak: 400, Warning: 300, Critical: 350}, {Service: "cart", Signal: "retries", Peak: 40, Warning: 5}},
	}
	f := func(m meta.Monitor, want ...Reading) {
		t.Helper()
		if err := m.Validate(); err != nil {
			t.Fatal(err)
		}
		m.ProjectID = 1
		got, err := Measure(ctx, src, m, now)
		if err != nil {
			t.Fatalf("%s: %v", m.Name, err)
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %+v, want %+v", m.Name, got, want)
		}
		for i := range want {
			g, w := got[i], want[i]
			if g.Key != w.Key || g.NoData != w.NoData || (!w.NoData && math.Abs(g.Value-w.Value) > 1e-9) ||
				(w.Threshold != nil && (g.Threshold == nil || *g.Threshold != *w.Threshold)) {
				t.Errorf("%s[%d]: %+v, want %+v", m.Name, i, g, w)
			}
		}
	}
	f(meta.Monitor{Name: "rate", Kind: meta.MonitorQuery, Query: "level:error", Measure: "rate", Window: "10m"}, Reading{Value: 3})
	f(meta.Monitor{Name: "by endpoint", Kind: meta.MonitorQuery, Query: "level:error", GroupBy: "endpoint"}, Reading{Key: "/pay", Value: 25}, Reading{Key: "/cart", Value: 5})
	f(meta.Monitor{Name: "error rate", Kind: meta.MonitorErrorRate, Query: "service:pay"}, Reading{Value: 0.05})
	f(meta.Monitor{Name: "error rate by service", Kind: meta.MonitorErrorRate, GroupBy: "service"}, Reading{Key: "pay", Value: 0.05}, Reading{Key: "cart", Value: 0})
	f(meta.Monitor{Name: "no events", Kind: meta.MonitorErrorRate, Query: "service:none"}, Reading{NoData: true})
	f(meta.Monitor{Name: "p95", Kind: meta.MonitorLatency, Query: "service:pay"}, Reading{Value: 1680}) // 400 + 0.8*1600
	f(meta.Monitor{Name: "new issues", Kind: meta.MonitorIssue}, Reading{Value: 0})
	f(meta.Monitor{Name: "issue events", Kind: meta.MonitorIssue, Measure: "events", Threshold: 20}, Reading{Key: "#3", Value: 12}, Reading{Key: "#4", Value: 40})
	f(meta.Monitor{Name: "issue users", Kind: meta.MonitorIssue, Measure: "users", Threshold: 5}, Reading{Key: "#3", Value: 9}, Reading{Key: "#4", Value: 2})
	f(meta.Monitor{Name: "check down", Kind: meta.MonitorCheck, Check: check.ID}, Reading{Value: 1})
	f(meta.Monitor{Name: "check tls", Kind: meta.MonitorCheck, Check: check.ID, Measure: "tls_days"}, Reading{Value: 5})
	f(meta.Monitor{Name: "cascades", Kind: meta.MonitorStory, StoryType: "cascade"}, Reading{Key: "cart", Value: 1}, Reading{Key: "pay", Value: 1})
	f(meta.Monitor{Name: "critical stories of pay", Kind: meta.MonitorStory, Severity: "critical", Service: "pay"}, Reading{Key: "pay", Value: 1})
	f(meta.Monitor{Name: "any story", Kind: meta.MonitorStory, Severity: "info"}, Reading{Key: "cart", Value: 1}, Reading{Key: "pay", Value: 2})
	f(meta.Monitor{Name: "p95 baseline", Kind: meta.MonitorBaseline, Signal: "p95_ms"}, Reading{Key: "pay", Value: 900, Threshold: v(300)}, Reading{Key: "cart", Value: 400, Threshold: v(300)})
	f(meta.Monitor{Name: "p95 critical", Kind: meta.MonitorBaseline, Signal: "p95_ms", Severity: "critical"}, Reading{Key: "pay", Value: 900, Threshold: v(1000)}, Reading{Key: "cart", Value: 400, Threshold: v(350)})
	events.spans = nil
	f(meta.Monitor{Name: "no spans", Kind: meta.MonitorLatency, Query: "service:pay"}, Reading{NoData: true})
	if err := db.DeleteCheck(ctx, 1, check.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := Measure(ctx, src, meta.Monitor{ProjectID: 1, Name: "gone", Kind: meta.MonitorCheck, Check: check.ID, Measure: "down", Window: "5m"}, now); err == nil || !strings.Contains(err.Error(), "no longer exists") {
		t.Errorf("a deleted check: %v", err)
	}
}

func TestValidate(t *testing.T) {
	f := func(m meta.Monitor, wantErr string) {
		t.Helper()
		err := m.Validate()
		if (err != nil) != (wantErr != "") || (err != nil && !strings.Contains(err.Error(), wantErr)) {
			t.Errorf("Validate(%+v) = %v, want error %q", m, err, wantErr)
		}
	}
	f(meta.Monitor{Name: "ok", Kind: meta.MonitorQuery, Query: "level:error service:pay"}, "")
	f(meta.Monitor{Name: "", Kind: meta.MonitorQuery}, "needs a name")
	f(meta.Monitor{Name: "k", Kind: "cpu"}, `unknown monitor kind "cpu"`)
	f(meta.Monitor{Name: "q", Kind: meta.MonitorQuery, Query: "level:error AND ("}, "bad query")
	f(meta.Monitor{Name: "w", Kind: meta.MonitorQuery, Window: "0"}, "above zero")
	f(meta.Monitor{Name: "w", Kind: meta.MonitorQuery, Window: "-5m"}, "above zero")
	f(meta.Monitor{Name: "w", Kind: meta.MonitorQuery, Window: "0s"}, "above zero")
	f(meta.Monitor{Name: "w", Kind: meta.MonitorQuery, Window: "0.5m"}, "")
	f(meta.Monitor{Name: "w", Kind: meta.MonitorQuery, Window: "1d"}, "")
	f(meta.Monitor{Name: "w", Kind: meta.MonitorQuery, Window: "soon"}, `window "soon"`)
	f(meta.Monitor{Name: "i", Kind: meta.MonitorQuery, Interval: "1s"}, "shorter than 10s")
	f(meta.Monitor{Name: "i", Kind: meta.MonitorCheck, Check: 1, Interval: "5s"}, "")
	f(meta.Monitor{Name: "r", Kind: meta.MonitorErrorRate, Threshold: 5}, "fraction")
	f(meta.Monitor{Name: "h", Kind: meta.MonitorQuery, Webhook: "ftp://x"}, "not an http")
	f(meta.Monitor{Name: "o", Kind: meta.MonitorQuery, Op: "=="}, "unknown comparison")
	f(meta.Monitor{Name: "g", Kind: meta.MonitorQuery, GroupBy: "user_id"}, `cannot group by "user_id"`)
	f(meta.Monitor{Name: "g", Kind: meta.MonitorIssue, GroupBy: "service"}, "group_by applies to")
	f(meta.Monitor{Name: "p", Kind: meta.MonitorQuery, Pending: "2m", Cooldown: "0", Timeout: "10s"}, "")
	f(meta.Monitor{Name: "p", Kind: meta.MonitorQuery, Pending: "2 days"}, "bad pending")
	f(meta.Monitor{Name: "p", Kind: meta.MonitorQuery, Cooldown: "30d"}, "longer than")
	f(meta.Monitor{Name: "t", Kind: meta.MonitorQuery, Timeout: "10m"}, "longer than")
	f(meta.Monitor{Name: "c", Kind: meta.MonitorCheck}, `needs "check"`)
	f(meta.Monitor{Name: "c", Kind: meta.MonitorQuery, Check: 3}, "check monitors only")
	f(meta.Monitor{Name: "c", Kind: meta.MonitorCheck, Check: 3, Measure: "latency"}, "unknown measure")
	f(meta.Monitor{Name: "s", Kind: meta.MonitorStory, StoryType: "cascade", Severity: "critical"}, "")
	f(meta.Monitor{Name: "s", Kind: meta.MonitorStory, Severity: "huge"}, "unknown severity")
	f(meta.Monitor{Name: "s", Kind: meta.MonitorStory, Query: "x"}, "takes no query")
	f(meta.Monitor{Name: "b", Kind: meta.MonitorBaseline}, "needs a signal")
	f(meta.Monitor{Name: "b", Kind: meta.MonitorBaseline, Signal: "p95_ms", Service: "pay"}, "")
	f(meta.Monitor{Name: "b", Kind: meta.MonitorQuery, Signal: "p95_ms"}, "signal applies to baseline")
	f(meta.Monitor{Name: "ch", Kind: meta.MonitorQuery, Channels: []int64{0}}, "bad channel id")
	m := meta.Monitor{Name: "d", Kind: meta.MonitorCheck, Check: 2, Op: "<", Threshold: 99}
	if err := m.Validate(); err != nil || m.Op != ">=" || m.Threshold != 1 || m.Measure != "down" {
		t.Errorf("check monitor defaults: %+v %v", m, err)
	}
	m = meta.Monitor{Name: "d", Kind: meta.MonitorCheck, Check: 2, Measure: "tls_days"}
	if err := m.Validate(); err != nil || m.Op != "<" || m.Threshold != 14 {
		t.Errorf("tls monitor defaults: %+v %v", m, err)
	}
}

// TestSaveMonitorChecksReferences refuses channels and checks of
// another project or that do not exist.
func TestSaveMonitorChecksReferences(t *testing.T) {
	ctx := context.Background()
	db := openMeta(t)
	c, err := db.SaveChannel(ctx, 2, meta.Channel{Name: "other project", Type: meta.ChannelWebhook, URL: "https://x.test/h"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SaveMonitor(ctx, 1, meta.Monitor{Name: "m", Kind: meta.MonitorQuery, Channels: []int64{c.ID}}); err == nil || !strings.Contains(err.Error(), "no channel") {
		t.Errorf("another project's channel: %v", err)
	}
	if _, err := db.SaveMonitor(ctx, 1, meta.Monitor{Name: "m", Kind: meta.MonitorCheck, Check: 42}); err == nil || !strings.Contains(err.Error(), "no check 42") {
		t.Errorf("a missing check: %v", err)
	}
}

// TestRunEvaluatesAndStops checks that Run evaluates a never-evaluated
// monitor on its own and returns, its goroutines stopped, once cancelled.
func TestRunEvaluatesAndStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	db := openMeta(t)
	ev := New(Config{Monitors: db, Sources: Sources{Events: &fakeEvents{counts: map[string]int64{"level:error": 2}}, Signals: db}, Log: quiet})
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

// TestDeletedIDsAreNotReused: a monitor, check or channel created after
// one was deleted gets a new id, and a deleted monitor's deliveries go
// with it.
func TestDeletedIDsAreNotReused(t *testing.T) {
	ctx := context.Background()
	db := openMeta(t)
	m, _ := db.SaveMonitor(ctx, 1, meta.Monitor{Name: "a", Kind: meta.MonitorQuery})
	c, _ := db.SaveCheck(ctx, 1, meta.Check{Name: "a", URL: "https://a.test"})
	ch, _ := db.SaveChannel(ctx, 1, meta.Channel{Name: "a", Type: meta.ChannelWebhook, URL: "https://a.test/h"})
	if err := db.RecordEvaluation(ctx, 1, m.ID, meta.Evaluation{At: time.Now(), State: meta.StateAlert,
		Outgoing: []meta.Outgoing{{ProjectID: 1, ChannelID: ch.ID, MonitorID: m.ID, Body: []byte(`{}`)}}}); err != nil {
		t.Fatal(err)
	}
	pending, _ := db.PendingNotifications(ctx, 10)
	if err := db.RecordAttempt(ctx, pending[0], meta.Attempt{Attempt: 1}, time.Now(), time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteMonitor(ctx, 1, m.ID); err != nil {
		t.Fatal(err)
	}
	db.DeleteCheck(ctx, 1, c.ID)
	db.DeleteChannel(ctx, 1, ch.ID)
	m2, _ := db.SaveMonitor(ctx, 1, meta.Monitor{Name: "b", Kind: meta.MonitorQuery})
	c2, _ := db.SaveCheck(ctx, 1, meta.Check{Name: "b", URL: "https://b.test"})
	ch2, _ := db.SaveChannel(ctx, 1, meta.Channel{Name: "b", Type: meta.ChannelWebhook, URL: "https://b.test/h"})
	if m2.ID == m.ID || c2.ID == c.ID || ch2.ID == ch.ID {
		t.Errorf("ids reused: monitor %d→%d, check %d→%d, channel %d→%d", m.ID, m2.ID, c.ID, c2.ID, ch.ID, ch2.ID)
	}
	if a, _ := db.Attempts(ctx, 1, 0, m.ID, 10); len(a) != 0 {
		t.Errorf("a deleted monitor's %d deliveries remain", len(a))
	}
	if p, _ := db.PendingNotifications(ctx, 10); len(p) != 0 {
		t.Errorf("a deleted monitor's %d notifications remain", len(p))
	}
}

// TestCheckMonitorDueWhenAnotherNodeSawTheChange: a monitor of whether a
// check is down is evaluated at once when the check's status differs from
// what the monitor last measured, though nothing told this evaluator (the
// check ran on another node), and not again while they agree.
func TestCheckMonitorDueWhenAnotherNodeSawTheChange(t *testing.T) {
	ctx := context.Background()
	db := openMeta(t)
	c, err := db.SaveCheck(ctx, 1, meta.Check{Name: "site", URL: "https://shop.test/health"})
	if err != nil {
		t.Fatal(err)
	}
	result := func(code int, fail string) {
		t.Helper()
		now := time.Now()
		if _, err := db.RecordCheckResult(ctx, c.ID, meta.CheckResult{At: now.Format(time.RFC3339Nano), StatusCode: code, Error: fail}, now, nil); err != nil {
			t.Fatal(err)
		}
	}
	m, err := db.SaveMonitor(ctx, 1, meta.Monitor{Name: "site down", Kind: meta.MonitorCheck, Check: c.ID, Interval: "1h"})
	if err != nil {
		t.Fatal(err)
	}
	ev := New(Config{Monitors: db, Sources: Sources{Events: &fakeEvents{}, Signals: db, Checks: db}, Log: quiet})
	state := func(want string) string {
		t.Helper()
		ev.EvaluateDue(ctx)
		got, err := db.Monitor(ctx, 1, m.ID)
		if err != nil || got.State != want {
			t.Fatalf("state %q (%v), want %q", got.State, err, want)
		}
		return got.LastEvaluated
	}
	result(200, "")
	state(meta.StateOK)
	result(503, "status 503") // on another node: no CheckChanged here
	evaluated := state(meta.StateAlert)
	if again := state(meta.StateAlert); again != evaluated {
		t.Errorf("evaluated again at %s (last %s) though the check did not change and the interval is 1h", again, evaluated)
	}
}
