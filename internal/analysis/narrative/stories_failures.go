package narrative

import (
	"context"
	"fmt"
	"github.com/lore-dev/lore/internal/analysis/flows"
	"sort"
	"strings"
	"time"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

// JourneyFailures is a query object: the journeys (sessions, or traces
// without a session) whose first error falls in Range, grouped by the path
// a person would describe — the last few named product events (or pages)
// before the error, then the error — with counts and shares, and the time
// from a journey's start to its first error, split into journeys that
// failed at once and those that failed after retries.
type JourneyFailures struct {
	ProjectID int64
	Range     store.Range
	Limit     int // paths listed; default 10
}

// JourneyFailuresResult answers GET /api/v1/journeys/failures.
type JourneyFailuresResult struct {
	From          string         `json:"from"`
	To            string         `json:"to"`
	Failed        int            `json:"failed"` // journeys reaching an error
	Journeys      []FailedPath   `json:"journeys"`
	TimeToFailure map[string]TTF `json:"time_to_failure"` // "at_once", "after_retries"
}

// FailedPath is one path to an error.
type FailedPath struct {
	Path  string   `json:"path"`
	Steps []string `json:"steps"`
	Count int      `json:"count"`
	Share float64  `json:"share"`
}

// TTF is a time-to-failure distribution.
type TTF struct {
	Count   int         `json:"count"`
	P50S    float64     `json:"p50_s"`
	P95S    float64     `json:"p95_s"`
	Buckets []TTFBucket `json:"buckets"`
}

// TTFBucket counts journeys failing within an interval of their start.
type TTFBucket struct {
	Upto  string `json:"upto"` // "1s", "10s", "1m", "5m", "30m", "+Inf"
	Count int    `json:"count"`
}

// pathSteps is how many steps before the error a path keeps.
const pathSteps = 4

var ttfBounds = []time.Duration{time.Second, 10 * time.Second, time.Minute, 5 * time.Minute, 30 * time.Minute}

// Key identifies the query, for caching results.
func (q JourneyFailures) Key() string {
	return fmt.Sprintf("journeyfailures:%d:%d:%d:%d", q.ProjectID, q.Range.From, q.Range.To, q.Limit)
}

// Scope is what the failed journeys read.
func (q JourneyFailures) Scope() sqlq.Scope {
	return sqlq.Scope{ProjectID: q.ProjectID, From: q.Range.From, To: q.Range.To}
}

// Resolve reads the failed journeys from st.
func (q JourneyFailures) Resolve(ctx context.Context, st store.Narrative) (JourneyFailuresResult, error) {
	js, err := flows.Failed{ProjectID: q.ProjectID, Range: q.Range, Limit: 20000}.Run(ctx, st)
	if err != nil {
		return JourneyFailuresResult{}, fmt.Errorf("cannot read failed journeys: %w", err)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 10
	}
	out := JourneyFailuresResult{From: event.FormatMicros(q.Range.From), To: event.FormatMicros(q.Range.To), Failed: len(js),
		Journeys: []FailedPath{}, TimeToFailure: map[string]TTF{}}
	counts := map[string]*FailedPath{}
	durs := map[string][]float64{}
	for _, j := range js {
		steps := collapseSteps(j.Steps)
		if len(steps) == 0 {
			steps = collapseSteps(j.Pages)
		}
		if len(steps) > pathSteps {
			steps = steps[len(steps)-pathSteps:]
		}
		steps = append(steps, "error ("+j.Error+")")
		path := strings.Join(steps, " → ")
		p := counts[path]
		if p == nil {
			p = &FailedPath{Path: path, Steps: steps}
			counts[path] = p
		}
		p.Count++
		class := "at_once"
		if j.Retried {
			class = "after_retries"
		}
		durs[class] = append(durs[class], float64(j.ErrorTS-j.StartTS)/1e6)
	}
	for _, p := range counts {
		p.Share = round3(float64(p.Count) / float64(len(js)))
		out.Journeys = append(out.Journeys, *p)
	}
	sort.Slice(out.Journeys, func(i, j int) bool {
		if out.Journeys[i].Count != out.Journeys[j].Count {
			return out.Journeys[i].Count > out.Journeys[j].Count
		}
		return out.Journeys[i].Path < out.Journeys[j].Path
	})
	if len(out.Journeys) > limit {
		out.Journeys = out.Journeys[:limit]
	}
	for _, class := range []string{"at_once", "after_retries"} {
		ds := durs[class]
		t := TTF{Count: len(ds), Buckets: make([]TTFBucket, len(ttfBounds)+1)}
		for i, b := range ttfBounds {
			t.Buckets[i].Upto = b.String()
		}
		t.Buckets[len(ttfBounds)].Upto = "+Inf"
		sort.Float64s(ds)
		for _, d := range ds {
			i := sort.Search(len(ttfBounds), func(i int) bool { return d <= ttfBounds[i].Seconds() })
			t.Buckets[i].Count++
		}
		if len(ds) > 0 {
			t.P50S = round3(ds[len(ds)/2])
			t.P95S = round3(ds[min(len(ds)-1, len(ds)*95/100)])
		}
		out.TimeToFailure[class] = t
	}
	return out, nil
}

// collapse drops consecutive repeats.
func collapseSteps(xs []string) []string {
	var out []string
	for _, x := range xs {
		if len(out) == 0 || out[len(out)-1] != x {
			out = append(out, x)
		}
	}
	return out
}
