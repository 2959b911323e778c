package analysis

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/store"
)

// detectCascade looks for anomalies that start in one service and spread
// to its callers, in order of onset: each service's signals are measured
// per minute against their robust baseline over the whole range (median
// and MAD; see timeline.go — an incident shorter than half the range does
// not move it), and a service joins the cascade when it calls, directly
// or through others, a service already in it, and left its own baseline
// at or after it. A cascade needs two services and at least one critical
// crossing; it starts at the first service's onset.
func detectCascade(ctx context.Context, st store.Narrative, project int64, r store.Range) ([]Card, error) {
	step := int64(time.Minute / time.Microsecond)
	if (r.To-r.From)/step > 2000 {
		step = (r.To - r.From) / 2000 / step * step
	}
	points, err := st.ServiceSeries(ctx, store.ServiceSeriesRequest{ProjectID: project, Range: r, Step: step})
	if err != nil {
		return nil, err
	}
	edges, err := callGraph(ctx, st, project, r)
	if err != nil {
		return nil, err
	}
	anomalies := findAnomalies(points, r.From, step, callDepth(edges))
	chain := cascadeChain(anomalies, edges)
	if len(chain) < 2 {
		return nil, nil
	}
	critical := false
	var services, steps []string
	var onsets []map[string]any
	for _, a := range chain {
		critical = critical || a.CritAt != ""
		services = append(services, a.Service)
		steps = append(steps, a.Text)
		onsets = append(onsets, map[string]any{"service": a.Service, "signal": a.Signal, "at": a.At, "value": a.Value, "baseline": a.Baseline.Median})
	}
	if !critical {
		return nil, nil
	}
	root := chain[0]
	last := chain[len(chain)-1]
	c := Card{
		Type:     CardCascade,
		Title:    fmt.Sprintf("%s trouble spread to %s", root.Service, strings.Join(services[1:], ", then ")),
		Severity: SeverityCritical,
		From:     root.At, To: event.FormatMicros(max(last.at+step, lastEnd(chain, r.To))), fromTS: root.at,
		Facts:     map[string]any{"root": root.Service, "services": services, "onsets": onsets},
		Narrative: []string{"It started in " + root.Service + ": " + steps[0] + "."},
		Impact:    map[string]any{"services": len(services)},
		Evidence: Evidence{Queries: map[string]string{
			"root": fmt.Sprintf("service:%q level:>=warn", root.Service),
		}},
		Recommendation: fmt.Sprintf("Fix %s first: the others fail because they wait on it. Give its callers timeouts shorter than their own deadlines and a circuit breaker, so they fail fast instead of queuing.", root.Service),
	}
	for _, s := range steps[1:] {
		c.Narrative = append(c.Narrative, "Then "+s+".")
	}
	c.Narrative = append(c.Narrative, strings.Join(services, " → "))
	return []Card{c}, nil
}

func lastEnd(chain []Anomaly, def int64) int64 {
	var end int64
	for _, a := range chain {
		if a.endAt == 0 {
			return def
		}
		end = max(end, a.endAt)
	}
	return end
}

// cascadeChain keeps, in order of onset, each service's first anomaly when
// the service is the first or calls (transitively) a service before it.
func cascadeChain(anomalies []Anomaly, edges []store.CallEdge) []Anomaly {
	calls := map[string]map[string]bool{}
	for _, e := range edges {
		if e.External {
			continue
		}
		if calls[e.From] == nil {
			calls[e.From] = map[string]bool{}
		}
		calls[e.From][e.To] = true
	}
	reaches := func(from, to string) bool {
		seen := map[string]bool{from: true}
		queue := []string{from}
		for len(queue) > 0 {
			s := queue[0]
			queue = queue[1:]
			for n := range calls[s] {
				if n == to {
					return true
				}
				if !seen[n] {
					seen[n] = true
					queue = append(queue, n)
				}
			}
		}
		return false
	}
	// Try each anomaly as the root, adding each other service's first
	// anomaly at or after it when that service calls into the chain; keep
	// the longest chain (the earliest on ties), so that an unrelated blip
	// before the incident does not hide it.
	var best []Anomaly
	tried := map[string]bool{}
	for i, root := range anomalies {
		if tried[root.Service] {
			continue
		}
		tried[root.Service] = true
		chain := []Anomaly{root}
		in := map[string]bool{root.Service: true}
		for _, a := range anomalies[i+1:] {
			if in[a.Service] {
				continue
			}
			for _, c := range chain {
				if reaches(a.Service, c.Service) {
					chain = append(chain, a)
					in[a.Service] = true
					break
				}
			}
		}
		if len(chain) > len(best) {
			best = chain
		}
	}
	return best
}
