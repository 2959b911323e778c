package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"
)

// TestStoriesRecurringSpikes sends three weeks of spans of two services:
// reports-api is slow every Tuesday from 14:00 to 15:00, search fails
// every night around 03:00. Both schedules come back as recurring-spike
// cards; nothing else does.
func TestStoriesRecurringSpikes(t *testing.T) {
	a := startApp(t)
	rng := rand.New(rand.NewPCG(5, 6))
	start := time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC) // a Monday
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	for m := 0; m < 21*24*60; m += 6 {
		ts := start.Add(time.Duration(m) * time.Minute)
		dur := 15 + 10*rng.Float64()
		if ts.Weekday() == time.Tuesday && ts.Hour() == 14 {
			dur = 800 + 400*rng.Float64()
		}
		status := 200
		if ts.Hour() == 3 && rng.Float64() < 0.6 {
			status = 500
		}
		for _, e := range []map[string]any{
			{"ts": ts, "kind": "span", "service": "reports-api", "name": "GET /reports", "duration_ms": dur, "http_status": 200},
			{"ts": ts.Add(time.Second), "kind": "span", "service": "search", "name": "GET /q", "duration_ms": 5 + rng.Float64(), "http_status": status},
		} {
			if err := enc.Encode(e); err != nil {
				t.Fatal(err)
			}
		}
	}
	status, _, resp, err := post(context.Background(), http.DefaultClient, a.URL(), "/api/v1/ingest", ingestKey, "application/x-ndjson", body.Bytes())
	if err != nil || status/100 != 2 {
		t.Fatalf("ingest: %d %s %v", status, resp, err)
	}
	flush(t, a)
	res := stories(t, a, start, start.Add(21*24*time.Hour))
	want := map[string]bool{
		"reports-api latency rises every Tuesday around 14:00 UTC": false,
		"search error rate rises every day around 03:00 UTC":       false,
	}
	for _, c := range res.Stories {
		if c.Type != "recurring_spike" {
			t.Errorf("unexpected %s card %q", c.Type, c.Title)
			continue
		}
		if _, ok := want[c.Title]; !ok {
			t.Errorf("unexpected card %q: %v", c.Title, c.Narrative)
			continue
		}
		want[c.Title] = true
		t.Logf("%s: %v", c.Title, c.Narrative)
	}
	for title, seen := range want {
		if !seen {
			t.Errorf("no card %q", title)
		}
	}
}
