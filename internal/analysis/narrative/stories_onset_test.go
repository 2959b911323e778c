package narrative

import (
	"context"
	"fmt"
	"testing"

	"github.com/lore-dev/lore/internal/store"
)

// minuteSeries is a store whose services' signals are given per minute; it
// answers ServiceSeries at any step by aggregating the minutes (requests
// summed, p95 the largest minute's), as the rollups do approximately.
type minuteSeries struct {
	store.Narrative // unimplemented methods panic
	edges           []store.CallEdge
	point           func(svc string, minute int64) store.ServicePoint
	services        []string
}

// RolledServiceSeries answers services.Series as a store's rollup
// (store.ServiceSeriesRollup) would, at any step.
func (m *minuteSeries) RolledServiceSeries(_ context.Context, r store.ServiceSeriesRequest) ([]store.ServicePoint, bool, error) {
	var out []store.ServicePoint
	for _, svc := range m.services {
		for b := r.Range.From; b < r.Range.To; b += r.Step {
			agg := store.ServicePoint{Service: svc, Start: b}
			for t := b; t < b+r.Step && t < r.Range.To; t += minuteUS {
				p := m.point(svc, t/minuteUS)
				agg.Requests += p.Requests
				agg.Errors += p.Errors
				agg.P95MS = max(agg.P95MS, p.P95MS)
			}
			out = append(out, agg)
		}
	}
	return out, true, nil
}

// CallGraph answers services.CallGraph as a store's precomputed graph
// (store.CallGraphReader) would.
func (m *minuteSeries) CallGraph(context.Context, int64, store.Range) ([]store.CallEdge, error) {
	return m.edges, nil
}

// An incident under way when a 24-hour window begins, and read whole over
// 3 and 7 days (at 2- and 5-minute steps): the cascade card tells the same
// onsets, in the same order, with the same figures, and the 24 hours' says
// it began before the window.
func TestCascadeReadsTheSameOverAnyWindow(t *testing.T) {
	const start = int64(40_000) // the incident's first minute
	st := &minuteSeries{
		services: []string{"db", "cart", "gw"},
		edges:    []store.CallEdge{{From: "gw", To: "cart"}, {From: "cart", To: "db"}},
		point: func(svc string, m int64) store.ServicePoint {
			p95 := 10 + float64((m*7+int64(len(svc)))%5) // 10–14 ms of noise
			delay := map[string]int64{"db": 0, "cart": 1, "gw": 3}[svc]
			if m >= start+delay && m < start+60 {
				p95 = 300
			}
			return store.ServicePoint{Service: svc, Start: m * minuteUS, Requests: 100, P95MS: p95}
		},
	}
	now := (start + 24*60 + 54) * minuteUS // the 24 hours begin 54 minutes into the incident
	var first string
	for _, days := range []int64{1, 3, 7} {
		r := store.Range{From: now - days*24*60*minuteUS, To: now}
		cards, err := detectCascade(context.Background(), st, 1, r)
		if err != nil {
			t.Fatal(err)
		}
		if len(cards) != 1 {
			t.Fatalf("%dd: %d cards", days, len(cards))
		}
		c := cards[0]
		got := fmt.Sprint(c.From, c.Facts["services"], c.Facts["onsets"])
		t.Logf("%dd: %s\n%v", days, got, c.Narrative)
		if c.fromTS != start*minuteUS || fmt.Sprint(c.Facts["services"]) != "[db cart gw]" {
			t.Errorf("%dd: starts %s with %v, want the incident's minute and db, cart, gw", days, c.From, c.Facts["services"])
		}
		if first == "" {
			first = got
		} else if got != first {
			t.Errorf("%dd reads\n%s\nthe 24 hours read\n%s", days, got, first)
		}
		if before := c.Facts["began_before_window"] == true; before != (days == 1) {
			t.Errorf("%dd: began_before_window = %v", days, before)
		}
	}
}
