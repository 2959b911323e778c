package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/sim"
)

// TestStoryAndBaselineMonitors runs the simulated shop through a database
// slowdown that is still going on now, and monitors the narrative
// engine's own findings on a whole server: a story monitor of critical
// cascade cards alerts for the service the cascade started in, with the
// card in its notification; a baseline monitor of the first signal the
// incident timeline shows leaving its baseline alerts for that service,
// its peak against the service's own warning level.
func TestStoryAndBaselineMonitors(t *testing.T) {
	a := startApp(t, allowPrivate)
	now := time.Now().UTC().Truncate(time.Minute)
	from := now.Add(-3 * time.Hour)
	shop := sim.New(sim.Config{Seed: 5, SessionsPerDay: 6000, Start: from,
		Incidents: []sim.Incident{sim.SlowDB{At: now.Add(-40 * time.Minute), For: time.Hour}}})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := shop.Backfill(ctx, from, now, sim.NewHTTPSink(a.URL(), ingestKey, nil), nil); err != nil {
		t.Fatal(err)
	}
	flush(t, a)
	base := a.URL()
	got := make(chan map[string]any, 10)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n map[string]any
		json.NewDecoder(r.Body).Decode(&n)
		got <- n
	}))
	defer hook.Close()

	// What the engine says, to compare the monitors with.
	var tl struct {
		Events []struct {
			Service  string `json:"service"`
			Signal   string `json:"signal"`
			Peak     float64
			Baseline struct {
				Warn float64 `json:"warning_above"`
			} `json:"baseline"`
		} `json:"events"`
	}
	getJSON(t, base, "/api/v1/incidents/timeline", url.Values{"at": {"now"}, "before": {"45m"}}, &tl)
	first := -1
	for i, e := range tl.Events {
		if e.Signal == "error_rate" || e.Signal == "p95_ms" || e.Signal == "retries" || e.Signal == "error_logs" {
			first = i
			break
		}
	}
	if first < 0 {
		t.Fatalf("the timeline shows no departure: %+v", tl.Events)
	}
	dep := tl.Events[first]
	cards := stories(t, a, now.Add(-3*time.Hour), now)
	root := ""
	for _, c := range cards.Stories {
		if c.Type == "cascade" && c.Severity == "critical" {
			root, _ = c.Facts["root"].(string)
		}
	}
	if root == "" {
		t.Fatalf("no critical cascade card: %+v", cards.Stories)
	}

	var story, bl monitorJSON
	if code, body := monitorsCall(t, http.MethodPost, base+"/api/v1/monitors", `{"name":"cascades","kind":"story","story_type":"cascade","severity":"critical","window":"3h","webhook":"`+hook.URL+`"}`, &story); code != 200 {
		t.Fatalf("story monitor: %d %s", code, body)
	}
	if code, body := monitorsCall(t, http.MethodPost, base+"/api/v1/monitors", fmt.Sprintf(`{"name":"baseline","kind":"baseline","signal":%q,"service":%q,"window":"45m"}`, dep.Signal, dep.Service), &bl); code != 200 {
		t.Fatalf("baseline monitor: %d %s", code, body)
	}
	var s struct {
		monitorJSON
		Series []struct {
			Key       string   `json:"key"`
			State     string   `json:"state"`
			Value     *float64 `json:"value"`
			Threshold *float64 `json:"threshold"`
		} `json:"series"`
	}
	monitorsCall(t, http.MethodPost, fmt.Sprintf("%s/api/v1/monitors/%d/evaluate", base, story.ID), "", &s)
	if s.State != "alert" || len(s.Series) == 0 || s.Series[0].Key != root || s.Series[0].State != "alert" {
		t.Errorf("story monitor: %s %q, series %+v; want the cascade from %s", s.State, s.LastError, s.Series, root)
	}
	select {
	case n := <-got:
		ev, _ := n["evidence"].(map[string]any)
		st, _ := ev["story"].(map[string]any)
		if n["series"] != root || st["type"] != "cascade" || !strings.Contains(fmt.Sprint(st["title"]), root) {
			t.Errorf("story notification: %v", n)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no notification of the cascade")
	}
	// The timeline again, just before the baseline monitor reads it: the
	// first read is seconds old by now (the story monitor, its
	// notification), and a minute boundary passed since moves the window
	// and the baseline's minutes under both.
	getJSON(t, base, "/api/v1/incidents/timeline", url.Values{"at": {"now"}, "before": {"45m"}}, &tl)
	found := false
	for _, e := range tl.Events {
		if e.Service == dep.Service && e.Signal == dep.Signal {
			dep, found = e, true
			break
		}
	}
	if !found {
		t.Fatalf("the timeline read again no longer shows %s's %s: %+v", dep.Service, dep.Signal, tl.Events)
	}
	monitorsCall(t, http.MethodPost, fmt.Sprintf("%s/api/v1/monitors/%d/evaluate", base, bl.ID), "", &s)
	// The monitor reads the timeline a moment later than the test did, so
	// its minutes (and the baseline's) may be cut a few milliseconds apart.
	near := func(a, b float64) bool { return a >= b*0.95 && a <= b*1.05 }
	if s.State != "alert" || len(s.Series) != 1 || s.Series[0].Key != dep.Service || s.Series[0].Threshold == nil || s.Series[0].Value == nil ||
		!near(*s.Series[0].Threshold, dep.Baseline.Warn) || !near(*s.Series[0].Value, dep.Peak) || *s.Series[0].Value <= *s.Series[0].Threshold {
		var value, threshold any
		if len(s.Series) > 0 && s.Series[0].Value != nil && s.Series[0].Threshold != nil {
			value, threshold = *s.Series[0].Value, *s.Series[0].Threshold
		}
		t.Errorf("baseline monitor: %s %q, series %+v (value %v, threshold %v); want %s at about %g over about %g", s.State, s.LastError, s.Series, value, threshold, dep.Service, dep.Peak, dep.Baseline.Warn)
	}
}
