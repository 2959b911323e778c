package narrative

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
// per minute against their robust baseline (median and MAD; see
// timeline.go — an incident shorter than half the range does not move it),
// and a service joins the cascade when it calls, directly or through
// others, a service already in it, and left its own baseline at or after
// it. A cascade needs two services and at least one critical crossing; it
// starts at the first service's onset. Onsets and their order do not
// depend on the window (see stories_onset.go): the detector looks back
// onsetLookback before it, refines onsets minute by minute and breaks
// ties by the first deviating sample, then the call graph.
func detectCascade(ctx context.Context, st store.Narrative, project int64, r store.Range) ([]Card, error) {
	read, step := cascadeRead(r)
	points, err := serviceSeries(ctx, st, store.ServiceSeriesRequest{ProjectID: project, Range: read, Step: step})
	if err != nil {
		return nil, err
	}
	edges, err := callGraph(ctx, st, project, read)
	if err != nil {
		return nil, err
	}
	// The longest chain under way in the window, from the runs read at
	// step, names the incident's root. The incident is then read again
	// around the root's onset, minute by minute against the baselines of
	// the lookback before it, its onsets ordered by the stated rule, and
	// the chain built from them: the same whatever the window.
	depth := callDepth(edges)
	coarse := cascadeChain(runAnomalies(points, r, step, depth), edges, r)
	if len(coarse) < 2 {
		return nil, nil
	}
	local, err := localAnomalies(ctx, st, project, coarse[0], step, r.To, depth)
	if err != nil {
		return nil, err
	}
	if err := orderOnsets(ctx, st, project, local); err != nil {
		return nil, err
	}
	chain := cascadeChain(local, edges, store.Range{From: read.From, To: r.To})
	if len(chain) < 2 || chain[0].Service != coarse[0].Service {
		return nil, nil
	}
	for i := range chain {
		chain[i].At = event.FormatMicros(chain[i].at)
		chain[i].Text = anomalyText(chain[i])
		if chain[i].first != 0 {
			chain[i].FirstSample = event.FormatMicros(chain[i].first)
		}
	}
	critical := false
	var services, steps []string
	var onsets []map[string]any
	for _, a := range chain {
		critical = critical || a.CritAt != ""
		services = append(services, a.Service)
		steps = append(steps, a.Text)
		o := map[string]any{"service": a.Service, "signal": a.Signal, "at": a.At, "value": a.Value, "baseline": a.Baseline.Median}
		if a.FirstSample != "" {
			o["first_sample"] = a.FirstSample
		}
		onsets = append(onsets, o)
	}
	if !critical {
		return nil, nil
	}
	root := chain[0]
	last := chain[len(chain)-1]
	before := root.at < r.From
	c := Card{
		Type:     CardCascade,
		Title:    fmt.Sprintf("%s trouble spread to %s", root.Service, strings.Join(services[1:], ", then ")),
		Severity: SeverityCritical,
		From:     root.At, To: event.FormatMicros(max(last.at+step, lastEnd(chain, r.To))), fromTS: root.at,
		Facts:     map[string]any{"root": root.Service, "services": services, "onsets": onsets, "began_before_window": before},
		Narrative: []string{"It started in " + root.Service + ": " + steps[0] + "."},
		Impact:    map[string]any{"services": len(services)},
		Evidence: Evidence{Queries: map[string]string{
			"root": fmt.Sprintf("service:%q level:>=warn", root.Service),
		}},
		Recommendation: fmt.Sprintf("Fix %s first: the others fail because they wait on it. Give its callers timeouts shorter than their own deadlines and a circuit breaker, so they fail fast instead of queuing.", root.Service),
	}
	if before {
		c.Narrative[0] = fmt.Sprintf("It started in %s at %s, before this window began (%s): %s.", root.Service, clockUTC(root.at), clockUTC(r.From), steps[0])
	}
	for _, s := range steps[1:] {
		c.Narrative = append(c.Narrative, "Then "+s+".")
	}
	c.Narrative = append(c.Narrative, strings.Join(services, " → "))
	return []Card{c}, nil
}

// cascadeRead is the range the cascade detector reads for window r (its
// lookback before it) and the step: a minute, or coarser to keep about 2,000
// steps over a long window.
func cascadeRead(r store.Range) (store.Range, int64) {
	read := store.Range{From: r.From - onsetLookback, To: r.To}
	step := int64(time.Minute / time.Microsecond)
	if (read.To-read.From)/step > 2000 {
		step = (read.To - read.From) / 2000 / step * step
	}
	return read, step
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
// the service is the first or calls (transitively) a service before it
// whose anomaly was still under way when its own began.
// Only chains under way in the window count: a chain begins before the
// window ends and one of its runs reaches into it (a chain may begin in
// the lookback before the window; one over before the window is not told).
func cascadeChain(anomalies []Anomaly, edges []store.CallEdge, window store.Range) []Anomaly {
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
	tried := map[[2]any]bool{}
	for i, root := range anomalies {
		if k := [2]any{root.Service, root.at}; tried[k] || root.at >= window.To {
			continue
		} else {
			tried[k] = true
		}
		chain := []Anomaly{root}
		in := map[string]bool{root.Service: true}
		for _, a := range anomalies[i+1:] {
			if in[a.Service] {
				continue
			}
			for _, c := range chain {
				// It calls into the chain, and its trouble began while
				// that service's was under way.
				if reaches(a.Service, c.Service) && (c.endAt == 0 || a.at <= c.endAt) {
					chain = append(chain, a)
					in[a.Service] = true
					break
				}
			}
		}
		live := false
		for _, a := range chain {
			live = live || underway(a, window)
		}
		if live && len(chain) > len(best) {
			best = chain
		}
	}
	return best
}
