package e2e

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/sim"
)

type patternsAnswer struct {
	Total    int64 `json:"total"`
	New      int   `json:"new"`
	Patterns []struct {
		ID        string `json:"id"`
		Template  string `json:"template"`
		Count     int64  `json:"count"`
		FirstSeen string `json:"first_seen"`
		New       bool   `json:"new"`
		Series    []struct {
			Count int64 `json:"count"`
		} `json:"series"`
		Top map[string][]struct {
			Value string `json:"value"`
			Count int64  `json:"count"`
		} `json:"top"`
	} `json:"patterns"`
}

// TestPatternsAtIngest mines the shop's logs at ingest: every log row
// found by search carries a pattern_id, GET /api/v1/patterns lists the
// templates with counts that search confirms, and a pattern is "new" only
// in the window where it first appeared.
func TestPatternsAtIngest(t *testing.T) {
	a := startApp(t)
	day := time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)
	from, to := day.Add(9*time.Hour), day.Add(10*time.Hour)
	shop := sim.New(sim.Config{Seed: 3, Start: from, SessionsPerDay: 4000})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := shop.Backfill(ctx, from, to, sim.NewHTTPSink(a.URL(), ingestKey, nil), nil); err != nil {
		t.Fatal(err)
	}
	flush(t, a)
	rf, rt := from.Format(time.RFC3339), to.Format(time.RFC3339)

	logs := search(t, a.URL(), "kind:log", rf, rt, 200)
	if len(logs.Events) == 0 {
		t.Fatal("no logs")
	}
	for _, e := range logs.Events {
		if e.Attributes["pattern_id"] == "" {
			t.Fatalf("log row without pattern_id: %+v", e)
		}
	}

	var p patternsAnswer
	getJSON(t, a.URL(), "/api/v1/patterns", url.Values{"from": {rf}, "to": {rt}, "limit": {"200"}}, &p)
	if len(p.Patterns) < 5 || p.Total == 0 {
		t.Fatalf("patterns: %+v", p)
	}
	var sum int64
	byTemplate := map[string]string{}
	for _, pt := range p.Patterns {
		sum += pt.Count
		byTemplate[pt.Template] = pt.ID
		var series int64
		for _, b := range pt.Series {
			series += b.Count
		}
		if series != pt.Count {
			t.Errorf("%s: series sums to %d, count %d", pt.ID, series, pt.Count)
		}
		if !pt.New {
			t.Errorf("%s first seen %s is in this first window but not new", pt.ID, pt.FirstSeen)
		}
		if len(pt.Top["service"]) == 0 {
			t.Errorf("%s has no top service", pt.ID)
		}
	}
	if sum != p.Total {
		t.Errorf("pattern counts sum to %d, total %d", sum, p.Total)
	}
	// The gateway's retry scheduling and the order confirmations are each
	// one template, their variable parts masked.
	want := "order confirmation email sent to <*>"
	id, ok := byTemplate[want]
	if !ok {
		var ts []string
		for tm := range byTemplate {
			ts = append(ts, tm)
		}
		t.Fatalf("no template %q among:\n%s", want, strings.Join(ts, "\n"))
	}
	var f facets
	getJSON(t, a.URL(), "/api/v1/facets", url.Values{"q": {"pattern_id:" + id}, "field": {"service"}, "from": {rf}, "to": {rt}}, &f)
	for _, pt := range p.Patterns {
		if pt.ID == id && pt.Count != f.Total {
			t.Errorf("pattern %s counts %d, search finds %d", id, pt.Count, f.Total)
		}
	}

	// An hour later the same templates are no longer new.
	if err := shop.Backfill(ctx, to, to.Add(time.Hour), sim.NewHTTPSink(a.URL(), ingestKey, nil), nil); err != nil {
		t.Fatal(err)
	}
	flush(t, a)
	var later patternsAnswer
	getJSON(t, a.URL(), "/api/v1/patterns", url.Values{"from": {rt}, "to": {to.Add(time.Hour).Format(time.RFC3339)}, "q": {"pattern_id:" + id}}, &later)
	if len(later.Patterns) != 1 || later.Patterns[0].New || later.Patterns[0].Template != want {
		t.Errorf("later window: %+v", later)
	}
}
