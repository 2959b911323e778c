package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"slices"
	"testing"
	"time"
)

// TestStoriesHiddenCoupling sends spans of three services that never call
// each other: pricing and recommender share an untraced cache, so bursts
// slow both at once; mailer is independent. Only the first pair is
// coupled.
func TestStoriesHiddenCoupling(t *testing.T) {
	a := startApp(t)
	rng := rand.New(rand.NewPCG(8, 9))
	start := time.Date(2026, 8, 3, 8, 0, 0, 0, time.UTC)
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	emit := func(ts time.Time, svc string, n int, base, extra float64) {
		for i := range n {
			d := base*(0.8+0.4*rng.Float64()) + extra*(0.7+0.6*rng.Float64())
			if err := enc.Encode(map[string]any{"ts": ts.Add(time.Duration(i) * time.Second), "kind": "span", "service": svc,
				"name": "handle", "duration_ms": d, "http_status": 200}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for m := range 240 {
		ts := start.Add(time.Duration(m) * time.Minute)
		burst := 0.0
		if rng.Float64() < 0.2 {
			burst = 0.5 + rng.Float64()
		}
		emit(ts, "pricing", 10+int(12*burst)+rng.IntN(3), 20, 300*burst)
		emit(ts, "recommender", 8+int(10*burst)+rng.IntN(3), 35, 250*burst)
		quiet := 0.0
		if rng.Float64() < 0.2 {
			quiet = 0.5 + rng.Float64()
		}
		emit(ts, "mailer", 10+int(12*quiet)+rng.IntN(3), 15, 300*quiet)
	}
	status, _, resp, err := post(context.Background(), http.DefaultClient, a.URL(), "/api/v1/ingest", ingestKey, "application/x-ndjson", body.Bytes())
	if err != nil || status/100 != 2 {
		t.Fatalf("ingest: %d %s %v", status, resp, err)
	}
	flush(t, a)
	res := stories(t, a, start, start.Add(4*time.Hour))
	found := 0
	for _, c := range res.Stories {
		if c.Type != "hidden_coupling" {
			continue
		}
		var svcs []string
		for _, s := range c.Facts["services"].([]any) {
			svcs = append(svcs, s.(string))
		}
		t.Logf("%s [%s]: %v", c.Title, c.Severity, c.Narrative)
		if !slices.Equal(svcs, []string{"pricing", "recommender"}) {
			t.Errorf("coupled %v", svcs)
			continue
		}
		found++
	}
	if found != 1 {
		t.Errorf("%d pricing–recommender cards", found)
	}
}
