package monitor

import (
	"context"
	"fmt"
	"time"

	"github.com/lore-dev/lore/internal/meta"
	"github.com/lore-dev/lore/internal/query"
	"github.com/lore-dev/lore/internal/store"
)

// SignalReader lists the new and regressed issue signals of a project
// since a time in µs (*meta.Store).
type SignalReader interface {
	IssueSignals(ctx context.Context, project, since int64) ([]meta.IssueSignal, error)
}

var _ SignalReader = (*meta.Store)(nil)

// MaxLatencySamples bounds the spans a latency monitor reads per
// evaluation (newest first, a page of 1000 at a time through Search): past
// it, the p95 is that of the newest MaxLatencySamples spans of the window.
const MaxLatencySamples = 20_000

// errorFilter is what counts as an error for error_rate monitors: the
// store's own definition of an error event (kind error, or level error or
// fatal).
const errorFilter = "(kind:error OR level:error OR level:fatal)"

// Measure reads a monitor's value over the window that ends at now.
func Measure(ctx context.Context, events store.Reader, signals SignalReader, m meta.Monitor, now time.Time) (Reading, error) {
	window := m.WindowDuration()
	if window <= 0 {
		return Reading{}, fmt.Errorf("monitor %d: window %q is not positive", m.ID, m.Window)
	}
	rng := store.Range{From: now.Add(-window).UnixMicro(), To: now.UnixMicro()}
	switch m.Kind {
	case meta.MonitorQuery:
		n, err := count(ctx, events, m.ProjectID, rng, m.Query, "")
		if err != nil {
			return Reading{}, err
		}
		r := Reading{Value: float64(n), Samples: n}
		if m.Measure == "rate" {
			r.Value = float64(n) / window.Minutes()
		}
		return r, nil
	case meta.MonitorErrorRate:
		all, err := count(ctx, events, m.ProjectID, rng, m.Query, "")
		if err != nil || all == 0 {
			return Reading{NoData: true}, err
		}
		errs, err := count(ctx, events, m.ProjectID, rng, m.Query, errorFilter)
		if err != nil {
			return Reading{}, err
		}
		return Reading{Value: float64(errs) / float64(all), Samples: all}, nil
	case meta.MonitorLatency:
		return p95(ctx, events, m.ProjectID, rng, m.Query)
	case meta.MonitorIssue:
		sg, err := signals.IssueSignals(ctx, m.ProjectID, rng.From)
		if err != nil {
			return Reading{}, fmt.Errorf("monitor %d: %w", m.ID, err)
		}
		var n int64
		for _, s := range sg {
			if s.TS < rng.To {
				n++
			}
		}
		return Reading{Value: float64(n), Samples: n}, nil
	}
	return Reading{}, fmt.Errorf("monitor %d: unknown kind %q", m.ID, m.Kind)
}

// parse parses the monitor's query AND-ed with an extra filter.
func parse(q, and string) (*query.Query, error) {
	s := q
	if and != "" {
		if q != "" {
			s = "(" + q + ") " + and
		} else {
			s = and
		}
	}
	parsed, err := query.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("parse monitor query %q: %w", q, err)
	}
	return parsed, nil
}

// count is the number of matching events, from the facets' total.
func count(ctx context.Context, events store.Reader, project int64, rng store.Range, q, and string) (int64, error) {
	parsed, err := parse(q, and)
	if err != nil {
		return 0, err
	}
	res, err := events.Facets(ctx, store.FacetsRequest{ProjectID: project, Range: rng, Query: parsed, Field: "kind", Limit: 1})
	if err != nil {
		return 0, fmt.Errorf("count events matching %q: %w", parsed.Text, err)
	}
	return res.Total, nil
}

// p95 is the 95th percentile of the duration_ms of matching spans: from
// the store in one scan of every span when it can, else from the newest
// MaxLatencySamples spans read page by page.
func p95(ctx context.Context, events store.Reader, project int64, rng store.Range, q string) (Reading, error) {
	if lr, ok := events.(store.LatencyReader); ok {
		parsed, err := parse(q, "")
		if err != nil {
			return Reading{}, err
		}
		res, err := lr.Latency(ctx, store.LatencyRequest{ProjectID: project, Range: rng, Query: parsed})
		if err != nil {
			return Reading{}, fmt.Errorf("latency of spans matching %q: %w", parsed.Text, err)
		}
		if res.Spans == 0 {
			return Reading{NoData: true}, nil
		}
		return Reading{Value: res.P95, Samples: res.Spans}, nil
	}
	parsed, err := parse(q, "kind:span")
	if err != nil {
		return Reading{}, err
	}
	var durations []float64
	cursor := ""
	for len(durations) < MaxLatencySamples {
		res, err := events.Search(ctx, store.SearchRequest{ProjectID: project, Range: rng, Query: parsed, Limit: 1000, Cursor: cursor})
		if err != nil {
			return Reading{}, fmt.Errorf("read spans matching %q: %w", parsed.Text, err)
		}
		for i := range res.Events {
			durations = append(durations, res.Events[i].DurationMS)
		}
		if res.NextCursor == "" || len(res.Events) == 0 {
			break
		}
		cursor = res.NextCursor
	}
	if len(durations) == 0 {
		return Reading{NoData: true}, nil
	}
	return Reading{Value: Percentile(durations, 0.95), Samples: int64(len(durations))}, nil
}
