package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// TestStoriesThrottlingFromLogsWithOtherNames feeds a system that shares
// nothing with the demo shop — other services, dependency, event names,
// no spans at all, only JSON log lines — and requires the throttling card
// to count exactly what was sent: the detector reads generic fields
// (http_status 429, retry_attempt, peer.service, trace ids), not names.
func TestStoriesThrottlingFromLogsWithOtherNames(t *testing.T) {
	a := startApp(t)
	rng := rand.New(rand.NewPCG(11, 12))
	start := time.Date(2026, 6, 1, 14, 0, 0, 0, time.UTC)
	var (
		lines                               []map[string]any
		throttled, txns, retries, succeeded int
		resolved, abandoned                 int
	)
	add := func(m map[string]any) { lines = append(lines, m) }
	for i := range 300 {
		trace := fmt.Sprintf("%032x", rng.Uint64())
		t0 := start.Add(time.Duration(i) * 20 * time.Second)
		user := fmt.Sprintf("member-%d", i%90)
		add(map[string]any{"ts": t0, "kind": "event", "name": "Booking Requested", "service": "mobile-app", "trace_id": trace, "user_id": user})
		// Most bookings go through at once.
		if i%4 != 0 {
			add(map[string]any{"ts": t0.Add(time.Second), "level": "info", "service": "booking-core", "trace_id": trace,
				"message": "sms-hub answered 200", "http_status": 200, "peer.service": "sms-hub", "retry_attempt": 0})
			add(map[string]any{"ts": t0.Add(3 * time.Second), "kind": "event", "name": "Booking Confirmed", "service": "mobile-app", "trace_id": trace, "user_id": user})
			continue
		}
		txns++
		at := t0.Add(time.Second)
		add(map[string]any{"ts": at, "level": "warn", "service": "booking-core", "trace_id": trace,
			"message": "sms-hub answered 429", "http_status": 429, "peer.service": "sms-hub", "retry_attempt": 0})
		throttled++
		n := 1 + rng.IntN(5) // up to 5 retries: some are storms
		ok := false
		for k := 1; k <= n; k++ {
			at = at.Add(time.Duration(k) * 30 * time.Second)
			add(map[string]any{"ts": at, "level": "warn", "service": "booking-core", "trace_id": trace,
				"message": fmt.Sprintf("retrying sms-hub, attempt %d", k), "retry_attempt": k})
			retries++
			status := 429
			if rng.Float64() < 0.45 {
				status = 200
			}
			at = at.Add(time.Second)
			add(map[string]any{"ts": at, "level": "info", "service": "booking-core", "trace_id": trace,
				"message": fmt.Sprintf("sms-hub answered %d", status), "http_status": status, "peer.service": "sms-hub", "retry_attempt": k})
			if status == 200 {
				ok = true
				break
			}
			throttled++
		}
		if !ok {
			add(map[string]any{"ts": at.Add(time.Second), "level": "error", "service": "booking-core", "trace_id": trace,
				"message": "giving up on sms-hub", "error_type": "Throttled"})
		} else {
			succeeded++
		}
		resolved++
		if ok && rng.Float64() < 0.6 {
			add(map[string]any{"ts": at.Add(5 * time.Second), "kind": "event", "name": "Booking Confirmed", "service": "mobile-app", "trace_id": trace, "user_id": user})
		} else {
			abandoned++
		}
	}
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	for _, l := range lines {
		if err := enc.Encode(l); err != nil {
			t.Fatal(err)
		}
	}
	status, _, resp, err := post(context.Background(), http.DefaultClient, a.URL(), "/api/v1/ingest", ingestKey, "application/x-ndjson", body.Bytes())
	if err != nil || status/100 != 2 {
		t.Fatalf("ingest: %d %s %v", status, resp, err)
	}
	flush(t, a)

	var res storyCards
	getJSON(t, a.URL(), "/api/v1/stories", url.Values{"from": {start.Format(time.RFC3339)}, "to": {start.Add(3 * time.Hour).Format(time.RFC3339)}}, &res)
	var sawThrottle, sawStorm bool
	for _, c := range res.Stories {
		switch c.Type {
		case "throttling":
			sawThrottle = true
			f := c.Facts
			if f["dependency"] != "sms-hub" || f["caller"] != "booking-core" {
				t.Errorf("dependency %v caller %v", f["dependency"], f["caller"])
			}
			want := map[string]float64{
				"rate_limited_calls": float64(throttled), "transactions": float64(txns),
				"avg_retries_per_transaction": round3(float64(retries) / float64(txns)),
				"eventual_success_rate":       round3(float64(succeeded) / float64(txns)),
				"abandonment_rate":            round3(float64(abandoned) / float64(resolved)),
			}
			for k, w := range want {
				if got, _ := f[k].(float64); got != w {
					t.Errorf("%s = %v, sent %v", k, f[k], w)
				}
			}
		case "retry_storm":
			sawStorm = true
			if c.Facts["dependency"] != "sms-hub" {
				t.Errorf("retry storm against %v", c.Facts["dependency"])
			}
		}
	}
	if !sawThrottle || !sawStorm {
		t.Fatalf("throttling card %v, retry storm card %v: %+v", sawThrottle, sawStorm, res)
	}

	// Without spans, the map links the services through shared trace ids.
	var m struct {
		Edges []struct {
			From     string `json:"from"`
			To       string `json:"to"`
			Inferred bool   `json:"inferred"`
			Calls    int    `json:"calls"`
		} `json:"edges"`
	}
	getJSON(t, a.URL(), "/api/v1/services/map", url.Values{"from": {start.Format(time.RFC3339)}, "to": {start.Add(3 * time.Hour).Format(time.RFC3339)}}, &m)
	if len(m.Edges) != 1 || m.Edges[0].From != "mobile-app" || m.Edges[0].To != "booking-core" || !m.Edges[0].Inferred || m.Edges[0].Calls != 300 {
		t.Errorf("edges %+v", m.Edges)
	}
}

func round3(f float64) float64 { return float64(int64(f*1000+0.5)) / 1000 }
