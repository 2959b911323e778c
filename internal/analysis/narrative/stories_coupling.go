package narrative

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/store"
)

// Hidden coupling: thresholds on Pearson correlations of minute-to-minute
// changes (first differences, so that a shared daily rhythm of traffic
// does not count as coupling).
const (
	couplingMinPoints = 120 // minutes where both services are measured
	couplingInfo      = 0.6
	couplingWarn      = 0.8
)

// detectHiddenCoupling finds pairs of services with no call between them —
// neither calls the other, directly or through others, and they share no
// downstream service (which would explain it) — whose p95 latencies move
// together minute by minute, and whose loads move together too (or one's
// load with the other's latency). Something unseen couples them: a shared
// database, cache, host or queue.
func detectHiddenCoupling(ctx context.Context, st store.Narrative, project int64, r store.Range) ([]Card, error) {
	step := int64(time.Minute / time.Microsecond)
	if (r.To-r.From)/step > 3000 {
		return nil, nil // minute resolution over more than two days: too coarse a claim and too costly
	}
	// Read what the cascade detector reads when it reads minutes (the
	// memo then answers once for both) and keep the window's minutes.
	read := r
	if cr, cstep := cascadeRead(r); cstep == step {
		read = cr
	}
	pts, err := serviceSeries(ctx, st, store.ServiceSeriesRequest{ProjectID: project, Range: read, Step: step})
	if err != nil {
		return nil, err
	}
	edges, err := callGraph(ctx, st, project, read)
	if err != nil {
		return nil, err
	}
	down := downstream(edges)
	type minute struct{ req, p95 float64 }
	bySvc := map[string]map[int64]minute{}
	for _, p := range pts {
		if p.Requests < 2 || p.P95MS == 0 || p.Start < r.From {
			continue
		}
		if bySvc[p.Service] == nil {
			bySvc[p.Service] = map[int64]minute{}
		}
		bySvc[p.Service][p.Start] = minute{float64(p.Requests), p.P95MS}
	}
	var svcs []string
	for s, m := range bySvc {
		if len(m) >= couplingMinPoints {
			svcs = append(svcs, s)
		}
	}
	sort.Strings(svcs)
	var cards []Card
	for i, a := range svcs {
		for _, b := range svcs[i+1:] {
			if down[a][b] || down[b][a] || sharesDownstream(down[a], down[b]) {
				continue
			}
			// First differences over minutes where both were measured
			// in this minute and the previous one.
			var dReqA, dReqB, dLatA, dLatB []float64
			for t, x := range bySvc[a] {
				y, ok := bySvc[b][t]
				px, ok1 := bySvc[a][t-step]
				py, ok2 := bySvc[b][t-step]
				if !ok || !ok1 || !ok2 {
					continue
				}
				dReqA, dReqB = append(dReqA, x.req-px.req), append(dReqB, y.req-py.req)
				dLatA, dLatB = append(dLatA, x.p95-px.p95), append(dLatB, y.p95-py.p95)
			}
			if len(dLatA) < couplingMinPoints {
				continue
			}
			lat := pearson(dLatA, dLatB)
			load := pearson(dReqA, dReqB)
			cross := max(pearson(dReqA, dLatB), pearson(dReqB, dLatA))
			if lat < couplingInfo || max(load, cross) < couplingInfo {
				continue
			}
			c := Card{
				Type: CardHiddenCoupling, Severity: SeverityInfo,
				Title: fmt.Sprintf("%s and %s move together without calling each other", a, b),
				From:  event.FormatMicros(r.From), To: event.FormatMicros(r.To), fromTS: r.From,
				Facts: map[string]any{"services": []string{a, b}, "latency_correlation": round3(lat),
					"load_correlation": round3(load), "load_latency_correlation": round3(cross), "minutes": len(dLatA)},
				Impact: map[string]any{"services": 2},
				Evidence: Evidence{Queries: map[string]string{
					"a": fmt.Sprintf("service:%q kind:span", a), "b": fmt.Sprintf("service:%q kind:span", b),
				}},
				Narrative: []string{
					fmt.Sprintf("Minute by minute, the p95 latencies of %s and %s rise and fall together (correlation %.2f), and so does their load (%.2f; one's load with the other's latency %.2f).", a, b, lat, load, cross),
					"Neither calls the other and they share no traced dependency: something untraced couples them.",
				},
				Recommendation: fmt.Sprintf("Look for what %s and %s share — a database, cache, host, connection pool or queue — and trace or separate it.", a, b),
			}
			if lat >= couplingWarn && max(load, cross) >= couplingWarn {
				c.Severity = SeverityWarning
			}
			cards = append(cards, c)
		}
	}
	return cards, nil
}

// downstream maps each service to every service it reaches through calls.
func downstream(edges []store.CallEdge) map[string]map[string]bool {
	calls := map[string][]string{}
	for _, e := range edges {
		calls[e.From] = append(calls[e.From], e.To)
	}
	out := map[string]map[string]bool{}
	for s := range calls {
		seen := map[string]bool{}
		stack := append([]string{}, calls[s]...)
		for len(stack) > 0 {
			n := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if seen[n] {
				continue
			}
			seen[n] = true
			stack = append(stack, calls[n]...)
		}
		out[s] = seen
	}
	return out
}

func sharesDownstream(a, b map[string]bool) bool {
	for s := range a {
		if b[s] {
			return true
		}
	}
	return false
}

// pearson is the correlation of xs and ys (0 when either is constant).
func pearson(xs, ys []float64) float64 {
	n := float64(len(xs))
	var sx, sy float64
	for i := range xs {
		sx += xs[i]
		sy += ys[i]
	}
	mx, my := sx/n, sy/n
	var cov, vx, vy float64
	for i := range xs {
		dx, dy := xs[i]-mx, ys[i]-my
		cov += dx * dy
		vx += dx * dx
		vy += dy * dy
	}
	if vx == 0 || vy == 0 {
		return 0
	}
	return cov / math.Sqrt(vx*vy)
}
