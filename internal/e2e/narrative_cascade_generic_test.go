package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"
)

// TestStoriesCascadeWithOtherNames builds a three-tier system unlike the
// shop — edge-proxy calls ledger, which calls vault-db — from JSON spans
// alone: vault-db slows down, ledger starts failing ten minutes later,
// edge-proxy twenty minutes later. The cascade card must name them in
// that order, from the span parent/child links and the signals alone.
func TestStoriesCascadeWithOtherNames(t *testing.T) {
	a := startApp(t)
	rng := rand.New(rand.NewPCG(3, 4))
	start := time.Date(2026, 7, 1, 6, 0, 0, 0, time.UTC)
	incident := start.Add(2 * time.Hour)
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	span := func(ts time.Time, svc, trace string, id, parent uint64, dur float64, status int) {
		m := map[string]any{"ts": ts, "kind": "span", "service": svc, "trace_id": trace, "span_id": fmt.Sprintf("%016x", id),
			"name": "handle", "duration_ms": dur, "http_status": status}
		if parent != 0 {
			m["parent_span_id"] = fmt.Sprintf("%016x", parent)
		}
		if status >= 500 {
			m["level"] = "error"
		}
		if err := enc.Encode(m); err != nil {
			t.Fatal(err)
		}
	}
	var id uint64 = 1
	for m := range 180 {
		minute := start.Add(time.Duration(m) * time.Minute)
		for r := range 20 {
			ts := minute.Add(time.Duration(r) * 3 * time.Second)
			trace := fmt.Sprintf("%016x%016x", rng.Uint64(), rng.Uint64())
			db := 3 + 4*rng.Float64()
			since := ts.Sub(incident)
			ledgerStatus, edgeStatus := 200, 200
			if since >= 0 && since < 40*time.Minute {
				db = 300 + 200*rng.Float64()
				if since >= 10*time.Minute && rng.Float64() < 0.5 {
					ledgerStatus = 500
				}
				if since >= 20*time.Minute && ledgerStatus == 500 {
					edgeStatus = 504
				}
			}
			ledger := db + 4 + 2*rng.Float64()
			edge := ledger + 2 + rng.Float64()
			e, l, d := id, id+1, id+2
			id += 3
			span(ts, "edge-proxy", trace, e, 0, edge, edgeStatus)
			span(ts.Add(time.Millisecond), "ledger", trace, l, e, ledger, ledgerStatus)
			span(ts.Add(2*time.Millisecond), "vault-db", trace, d, l, db, 200)
		}
	}
	status, _, resp, err := post(context.Background(), http.DefaultClient, a.URL(), "/api/v1/ingest", ingestKey, "application/x-ndjson", body.Bytes())
	if err != nil || status/100 != 2 {
		t.Fatalf("ingest: %d %s %v", status, resp, err)
	}
	flush(t, a)
	res := stories(t, a, start, start.Add(3*time.Hour))
	for _, c := range res.Stories {
		if c.Type != "cascade" {
			continue
		}
		var got []string
		for _, s := range c.Facts["services"].([]any) {
			got = append(got, s.(string))
		}
		if !slices.Equal(got, []string{"vault-db", "ledger", "edge-proxy"}) {
			t.Errorf("cascade %v, want vault-db, ledger, edge-proxy: %v", got, c.Narrative)
		}
		if c.From != incident.Format("2006-01-02T15:04:05.000000Z07:00") {
			t.Errorf("cascade starts %s, the slowdown at %s", c.From, incident)
		}
		return
	}
	var tl map[string]any
	getJSON(t, a.URL(), "/api/v1/incidents/timeline", url.Values{"at": {incident.Add(30 * time.Minute).Format(time.RFC3339)}, "before": {"45m"}}, &tl)
	t.Fatalf("no cascade card: %+v\ntimeline: %v", res, tl["narrative"])
}
