package monitor

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/analysis/events"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/meta"
	"github.com/lore-dev/lore/internal/notify"
	"github.com/lore-dev/lore/internal/store"
	"github.com/lore-dev/lore/internal/store/duckdb"
)

// TestAggregateMonitorAlertsPerGroup evaluates `service:payment-service |
// stats p95(duration_ms) as p95 by endpoint` on a real DuckDB store with
// two endpoints, of which only /pay is slow: /pay alerts and is notified
// on its own (endpoint=/pay), /cart stays ok; when /pay is fast again
// its series resolves and the resolution is sent.
func TestAggregateMonitorAlertsPerGroup(t *testing.T) {
	ctx := context.Background()
	st, err := duckdb.Open(ctx, t.TempDir(), duckdb.Options{}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	var evs []event.Event
	add := func(at time.Time, svc, endpoint string, ms float64) {
		evs = append(evs, event.Event{ProjectID: 1, TS: at.UnixMicro(), Kind: "span", Level: "info", Service: svc, Endpoint: endpoint, DurationMS: ms, Name: "request"})
	}
	for i := range 20 {
		at := now.Add(-4*time.Minute + time.Duration(i)*10*time.Second)
		add(at, "payment-service", "/pay", 900+float64(i)) // slow: p95 ≈ 918
		add(at, "payment-service", "/cart", 100)
		add(at, "api", "/pay", 5000) // another service: not in the search
		// ten minutes later /pay is fast again
		add(at.Add(10*time.Minute), "payment-service", "/pay", 120)
		add(at.Add(10*time.Minute), "payment-service", "/cart", 110)
	}
	// another project's events never count
	evs = append(evs, event.Event{ProjectID: 2, TS: now.Add(-time.Minute).UnixMicro(), Kind: "span", Service: "payment-service", Endpoint: "/cart", DurationMS: 99999})
	if err := st.Append(ctx, store.Batch{Seq: 1, Events: evs}); err != nil {
		t.Fatal(err)
	}

	db := openMeta(t)
	own, got := hook(t)
	d := dispatch(t, db)
	var clock sync.Mutex
	ev := New(Config{Monitors: db, Sources: Sources{Events: eventStore{st}, Signals: db}, Log: quiet, Wake: d.Wake,
		Now: func() time.Time { clock.Lock(); defer clock.Unlock(); return now }})
	m, err := db.SaveMonitor(ctx, 1, meta.Monitor{Name: "slow endpoints", Kind: meta.MonitorAggregate,
		Query: "service:payment-service | stats count() as n, p95(duration_ms) as p95 by endpoint", Measure: "p95",
		Threshold: 500, Window: "5m", Webhook: own.URL})
	if err != nil {
		t.Fatal(err)
	}
	m, err = ev.Evaluate(ctx, 1, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	states := func(m meta.Monitor) map[string]string {
		out := map[string]string{}
		for _, s := range m.Series {
			out[s.Key] = s.State
		}
		return out
	}
	if s := states(m); len(s) != 2 || s["/pay"] != meta.StateAlert || s["/cart"] != meta.StateOK || m.State != meta.StateAlert {
		t.Fatalf("state %s, series %v (last error %q); want /pay alert, /cart ok", m.State, s, m.LastError)
	}
	if m.Value == nil || *m.Value < 900 || *m.Value > 920 {
		t.Errorf("value %v, want /pay's p95 (about 918)", m.Value)
	}
	var n notify.Message
	body := receive(t, got, "the firing of /pay")
	if err := json.Unmarshal(body, &n); err != nil {
		t.Fatal(err)
	}
	if n.Status != notify.Firing || n.Series != "/pay" || n.GroupBy != "endpoint" ||
		!strings.Contains(n.Text, `"slow endpoints" is ALERTING for endpoint=/pay: p95 of service:payment-service | stats`) {
		t.Errorf("firing: %s", body)
	}
	if n.Evidence == nil || n.Evidence.Explore == nil || n.Evidence.Explore.Query != "service:payment-service endpoint:/pay" {
		t.Errorf("evidence %+v, want the search of /pay's events", n.Evidence.Explore)
	}
	select {
	case b := <-got:
		t.Fatalf("a second notification while only /pay crossed: %s", b)
	case <-time.After(300 * time.Millisecond):
	}

	clock.Lock()
	now = now.Add(10 * time.Minute)
	clock.Unlock()
	if m, err = ev.Evaluate(ctx, 1, m.ID); err != nil {
		t.Fatal(err)
	}
	if s := states(m); s["/pay"] != meta.StateOK || s["/cart"] != meta.StateOK || m.State != meta.StateOK {
		t.Fatalf("ten minutes later: state %s, series %v, want all ok", m.State, s)
	}
	body = receive(t, got, "the resolution of /pay")
	if err := json.Unmarshal(body, &n); err != nil {
		t.Fatal(err)
	}
	if n.Status != notify.Resolved || n.Series != "/pay" {
		t.Errorf("resolution: %s", body)
	}
}

// TestAggregateMonitorValidation: a monitor's pipeline is checked when it
// is saved, and a refusal names the pipe, column or measure at fault.
func TestAggregateMonitorValidation(t *testing.T) {
	f := func(q, measure, wantErr, wantMeasure string) {
		t.Helper()
		m := meta.Monitor{Name: "x", Kind: meta.MonitorAggregate, Query: q, Measure: measure, Threshold: 1}
		err := m.Validate()
		if wantErr == "" {
			if err != nil {
				t.Errorf("%q: %v", q, err)
			} else if m.Measure != wantMeasure {
				t.Errorf("%q: measure %q, want %q", q, m.Measure, wantMeasure)
			}
			return
		}
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("%q: error %v, want it to say %q", q, err, wantErr)
		}
	}
	f("service:payment-service | stats p95(duration_ms) as p95 by endpoint", "", "", "p95")
	f("| stats count() as n, avg(duration_ms) by service, endpoint", "avg(duration_ms)", "", "avg(duration_ms)")
	f("level:error | top 5 endpoint", "", "", "count")
	f("level:error | stats count() by endpoint | where count > 3 | sort count desc", "", "", "count")
	f("level:error", "", "add a stats pipe", "")
	f("level:error | where http_status >= 500", "", "add a stats pipe", "")
	f("| stats p95(duration_ms) by endpoint", "p99", `measure "p99" is not a numeric column of the answer (want one of p95(duration_ms))`, "")
	f("| stats p95(nope_ms + ) by endpoint", "", "pipe 1 (stats), column", "")
	f("| stats count() by bin(5m)", "", "drop by bin", "")
	f("| timechart span=5m count()", "", "pipe 1 (timechart)", "")
	f("| stats count() as n by endpoint | fields n", "", `drops the group column "endpoint"`, "")
	f("| stats count() by endpoint", "", "", "count")
	if err := (&meta.Monitor{Name: "x", Kind: meta.MonitorAggregate, Query: "| stats count() by endpoint", GroupBy: "service"}).Validate(); err == nil {
		t.Error("group_by on an aggregate monitor (its by says the groups) was accepted")
	}
}

// eventStore is the DuckDB store with its reads of events answered by
// the query objects (internal/analysis/events), as the app wires it: the
// store's own methods (Executor, accelerators) still show.
type eventStore struct{ *duckdb.Store }

func (s eventStore) Search(ctx context.Context, r store.SearchRequest) (store.SearchResult, error) {
	return events.Reader{Ex: s.Store}.Search(ctx, r)
}

func (s eventStore) Histogram(ctx context.Context, r store.HistogramRequest) (store.HistogramResult, error) {
	return events.Reader{Ex: s.Store}.Histogram(ctx, r)
}

func (s eventStore) Facets(ctx context.Context, r store.FacetsRequest) (store.FacetsResult, error) {
	return events.Reader{Ex: s.Store}.Facets(ctx, r)
}

func (s eventStore) Journey(ctx context.Context, r store.JourneyRequest) ([]event.Event, error) {
	return events.Reader{Ex: s.Store}.Journey(ctx, r)
}
