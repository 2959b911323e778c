package narrative

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/lore-dev/lore/internal/store"
)

func TestRobustBaselineIgnoresSpikes(t *testing.T) {
	vals := []float64{10, 11, 9, 10, 12, 10, 9, 11, 10, 5000, 6000} // two spikes
	b := robustBaseline("p95_ms", vals)
	if b.Median != 10 || b.MAD != 1 {
		t.Errorf("median %v MAD %v, want 10 and 1", b.Median, b.MAD)
	}
	// The spread's floor (20ms for latency) keeps the threshold sane.
	if b.Warn != 70 || b.Crit != 130 {
		t.Errorf("thresholds %v / %v, want 70 / 130", b.Warn, b.Crit)
	}
}

func p95Series(svc string, from, step int64, p95 ...float64) []store.ServicePoint {
	var out []store.ServicePoint
	for i, v := range p95 {
		out = append(out, store.ServicePoint{Service: svc, Start: from + int64(i)*step, Requests: 10, P95MS: v})
	}
	return out
}

func TestFindAnomaliesOrderAndPersistence(t *testing.T) {
	const step = 60_000_000
	flat := []float64{10, 11, 10, 9, 10, 11, 10, 10, 9, 10, 11, 10}
	var pts []store.ServicePoint
	// db slows at step 12; app (which calls db) in the same step; a lone
	// blip in "noise" never persists.
	pts = append(pts, p95Series("db", 0, step, append(append([]float64{}, flat...), 500, 600, 700, 10)...)...)
	pts = append(pts, p95Series("app", 0, step, append(append([]float64{}, flat...), 520, 640, 720, 10)...)...)
	pts = append(pts, p95Series("noise", 0, step, append(append([]float64{}, flat...), 10, 900, 10, 10)...)...)
	depth := callDepth([]store.CallEdge{{From: "app", To: "db"}})
	got := findAnomalies(pts, 12*step, step, depth)
	if len(got) != 2 || got[0].Service != "db" || got[1].Service != "app" {
		t.Fatalf("anomalies %+v", got)
	}
	if got[0].At != "1970-01-01T00:12:00.000000Z" || got[0].CritAt == "" || len(got[0].Crossed) != 2 || got[0].Peak != 700 {
		t.Errorf("db anomaly %+v", got[0])
	}
}

func TestCascadeChainFollowsCalls(t *testing.T) {
	edges := []store.CallEdge{{From: "gw", To: "cart"}, {From: "cart", To: "db"}, {From: "gw", To: "search"}}
	an := []Anomaly{
		{Service: "mail", at: 1}, // unrelated, earlier
		{Service: "db", at: 2},
		{Service: "cart", at: 3},
		{Service: "search", at: 3}, // called by gw, but calls nothing in the chain
		{Service: "gw", at: 4},
	}
	var got []string
	for _, a := range cascadeChain(an, edges, store.Range{From: 0, To: 10}) {
		got = append(got, a.Service)
	}
	if len(got) != 3 || got[0] != "db" || got[1] != "cart" || got[2] != "gw" {
		t.Errorf("chain %v, want db cart gw", got)
	}
	// A chain over before the window is not told; one under way in it is,
	// even when it began before it.
	over := []Anomaly{{Service: "db", at: 2, endAt: 5}, {Service: "cart", at: 3, endAt: 5}}
	if c := cascadeChain(over, edges, store.Range{From: 6, To: 10}); len(c) != 0 {
		t.Errorf("a chain over before the window: %+v", c)
	}
	if c := cascadeChain(over, edges, store.Range{From: 4, To: 10}); len(c) != 2 {
		t.Errorf("a chain under way when the window begins: %+v", c)
	}
	// A later incident of a service does not hide behind its earlier blip.
	blip := []Anomaly{{Service: "db", at: 1, endAt: 2}, {Service: "db", at: 20}, {Service: "cart", at: 21}, {Service: "gw", at: 21}}
	var late []string
	for _, a := range cascadeChain(blip, edges, store.Range{From: 10, To: 30}) {
		late = append(late, fmt.Sprint(a.Service, a.at))
	}
	if strings.Join(late, " ") != "db20 cart21 gw21" {
		t.Errorf("chain %v, want db20 cart21 gw21", late)
	}
}

// Onsets in one minute are ordered by their first deviating sample, then
// the callee first, then by name.
func TestOnsetOrder(t *testing.T) {
	as := []Anomaly{
		{Service: "gw", at: 60, first: 75, depth: 0},
		{Service: "cart", at: 60, first: 90, depth: 1},
		{Service: "db", at: 60, first: 70, depth: 2},
		{Service: "search", at: 60, depth: 1}, // no sample read
		{Service: "web", at: 0, depth: 0},
	}
	sort.SliceStable(as, func(i, j int) bool { return onsetLess(as[i], as[j]) })
	var got []string
	for _, a := range as {
		got = append(got, a.Service)
	}
	if strings.Join(got, " ") != "web db gw cart search" { // search's sample is unknown: after the known ones
		t.Errorf("order %v", got)
	}
}
