package e2e

import (
	"net/url"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/sim"
)

// TestServiceMap draws the shop's services from its spans: the calls from
// the gateway to its backends, cart to inventory, and payment-service to
// the external payment gateway, which sends no spans of its own.
func TestServiceMap(t *testing.T) {
	day := time.Date(2026, 11, 7, 0, 0, 0, 0, time.UTC)
	from, to := day.Add(9*time.Hour), day.Add(10*time.Hour)
	a, _ := runShop(t, sim.Config{Seed: 4, SessionsPerDay: 6000}, from, to)
	var m struct {
		Nodes []struct {
			ID        string  `json:"id"`
			Kind      string  `json:"kind"`
			Requests  int64   `json:"requests"`
			ErrorRate float64 `json:"error_rate"`
			P50       float64 `json:"p50_ms"`
			P95       float64 `json:"p95_ms"`
		} `json:"nodes"`
		Edges []struct {
			From  string  `json:"from"`
			To    string  `json:"to"`
			Calls int64   `json:"calls"`
			P95   float64 `json:"p95_ms"`
		} `json:"edges"`
	}
	getJSON(t, a.URL(), "/api/v1/services/map", url.Values{"from": {from.Format(time.RFC3339)}, "to": {to.Format(time.RFC3339)}}, &m)
	edges := map[string]int64{}
	for _, e := range m.Edges {
		edges[e.From+"→"+e.To] = e.Calls
		if e.Calls <= 0 || e.P95 <= 0 {
			t.Errorf("edge %+v", e)
		}
	}
	for _, want := range []string{"api-gateway→cart", "api-gateway→catalog", "cart→inventory", "api-gateway→payment-service", "payment-service→payment-gateway"} {
		if edges[want] == 0 {
			t.Errorf("no edge %s among %v", want, edges)
		}
	}
	kinds := map[string]string{}
	for _, n := range m.Nodes {
		kinds[n.ID] = n.Kind
		if n.Requests > 0 && (n.P95 < n.P50 || n.ErrorRate < 0 || n.ErrorRate > 1) {
			t.Errorf("node %+v", n)
		}
	}
	if kinds["payment-gateway"] != "external" || kinds["inventory"] != "service" {
		t.Errorf("node kinds %v", kinds)
	}

	// One trace's time, by service: a cart call through the gateway.
	sp := search(t, a.URL(), "kind:span service:inventory", from.Format(time.RFC3339), to.Format(time.RFC3339), 1)
	if len(sp.Events) == 0 {
		t.Fatal("no inventory span")
	}
	var b struct {
		DurationMS float64 `json:"duration_ms"`
		Services   []struct {
			Service string  `json:"service"`
			SelfMS  float64 `json:"self_ms"`
			Share   float64 `json:"share"`
		} `json:"services"`
		Edges []struct {
			From, To string
		} `json:"edges"`
	}
	getJSON(t, a.URL(), "/api/v1/services/map", url.Values{"trace_id": {sp.Events[0].TraceID}, "from": {from.Format(time.RFC3339)}, "to": {to.Format(time.RFC3339)}}, &b)
	var share float64
	seen := map[string]bool{}
	for _, s := range b.Services {
		share += s.Share
		seen[s.Service] = true
	}
	if !seen["inventory"] || !seen["api-gateway"] || share < 0.99 || share > 1.01 || b.DurationMS <= 0 || len(b.Edges) == 0 {
		t.Errorf("trace breakdown %+v", b)
	}
}
