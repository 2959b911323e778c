package analysis

import (
	"context"
	"fmt"
	"github.com/lore-dev/lore/internal/analysis/product"
	"time"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/query"
	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

// Trend measures.
const (
	MeasureCount   = "count"
	MeasurePersons = "persons"
	MeasureSum     = "sum"
	MeasureAvg     = "avg"
	MeasureP95     = "p95"
)

// TrendsRequest is POST /api/v1/trends as sent.
type TrendsRequest struct {
	Event     string `json:"event"`
	Where     string `json:"where,omitempty"`
	Measure   string `json:"measure"`  // count (default), persons, sum, avg, p95
	Property  string `json:"property"` // numeric property for sum, avg, p95
	Interval  string `json:"interval"` // default: about 60 intervals
	Breakdown string `json:"breakdown"`
	Compare   bool   `json:"compare"` // also the previous period of the same length
	From      string `json:"from"`    // default now-7d
	To        string `json:"to"`
}

// Query validates r and builds the query object.
func (r TrendsRequest) Query(project int64, now time.Time) (Trends, error) {
	switch r.Measure {
	case "":
		r.Measure = MeasureCount
	case MeasureCount, MeasurePersons:
	case MeasureSum, MeasureAvg, MeasureP95:
		if r.Property == "" {
			return Trends{}, badf("measure %q needs a numeric property", r.Measure)
		}
	default:
		return Trends{}, badf("measure %q: want count, persons, sum, avg or p95", r.Measure)
	}
	st, err := StepSpec{r.Event, r.Where}.step("event")
	if err != nil {
		return Trends{}, err
	}
	rng, err := parseRange(r.From, r.To, now, 7*24*time.Hour)
	if err != nil {
		return Trends{}, err
	}
	iv, err := parseDuration("interval", r.Interval, query.AutoStep(rng.From, rng.To, 60))
	if err != nil {
		return Trends{}, err
	}
	if (rng.To-rng.From)/iv > 10000 {
		return Trends{}, badf("interval %q makes more than 10000 points", r.Interval)
	}
	return Trends{ProjectID: project, Range: rng, Event: st, Interval: iv, req: r}, nil
}

// Trends is a query object: a measure of an event per interval.
type Trends struct {
	ProjectID int64
	Range     store.Range
	Event     store.Step
	Interval  int64
	req       TrendsRequest
}

// Key identifies the query, for caching results.
func (t Trends) Key() string {
	return fmt.Sprintf("trends:%d:%d:%d:%d:%+v", t.ProjectID, t.Range.From, t.Range.To, t.Interval, t.req)
}

// Scope is what the trends read: their range, and with Compare the
// period of the same length before it.
func (t Trends) Scope() sqlq.Scope {
	from := t.Range.From
	if t.req.Compare {
		from -= t.Range.To - t.Range.From
	}
	return sqlq.Scope{ProjectID: t.ProjectID, From: from, To: t.Range.To}
}

// TrendsResult is the answer of POST /api/v1/trends. Previous holds the
// same series over the period before, when compare was asked, with its
// points' times shifted onto the current period's.
type TrendsResult struct {
	Measure         string        `json:"measure"`
	IntervalSeconds float64       `json:"interval_seconds"`
	Series          []TrendSeries `json:"series"`
	Previous        []TrendSeries `json:"previous,omitempty"`
	Range           timeRange     `json:"range"`
}

// TrendSeries is one breakdown value. Total is the measure over the whole
// range for count and sum, the sum of points otherwise.
type TrendSeries struct {
	Breakdown string       `json:"breakdown"`
	Points    []TrendValue `json:"points"`
	Total     float64      `json:"total"`
	Change    *float64     `json:"change,omitempty"` // vs the previous period's total, as a fraction
}

// TrendValue is one interval.
type TrendValue struct {
	Start string  `json:"start"`
	Value float64 `json:"value"`
}

// Resolve computes the trend on a.
func (t Trends) Resolve(ctx context.Context, a store.Analytics) (TrendsResult, error) {
	cur, err := t.series(ctx, a, t.Range, 0)
	if err != nil {
		return TrendsResult{}, err
	}
	out := TrendsResult{Measure: t.req.Measure, IntervalSeconds: seconds(t.Interval), Series: cur, Range: echoRange(t.Range)}
	if t.req.Compare {
		span := t.Range.To - t.Range.From
		prev, err := t.series(ctx, a, store.Range{From: t.Range.From - span, To: t.Range.From}, span)
		if err != nil {
			return TrendsResult{}, err
		}
		out.Previous = prev
		totals := map[string]float64{}
		for _, p := range prev {
			totals[p.Breakdown] = p.Total
		}
		for i := range out.Series {
			if pt, ok := totals[out.Series[i].Breakdown]; ok && pt != 0 {
				c := (out.Series[i].Total - pt) / pt
				out.Series[i].Change = &c
			}
		}
	}
	return out, nil
}

func (t Trends) series(ctx context.Context, a store.Analytics, rng store.Range, shift int64) ([]TrendSeries, error) {
	res, err := product.Trends{
		ProjectID: t.ProjectID, Range: rng, Event: t.Event, Interval: t.Interval, Property: t.req.Property, Breakdown: t.req.Breakdown,
	}.Run(ctx, a)
	if err != nil {
		return nil, fmt.Errorf("cannot compute trend: %w", err)
	}
	out := make([]TrendSeries, 0, len(res))
	for _, s := range res {
		ts := TrendSeries{Breakdown: s.Breakdown, Points: make([]TrendValue, len(s.Points))}
		for i, p := range s.Points {
			var v float64
			switch t.req.Measure {
			case MeasureCount:
				v = float64(p.Count)
			case MeasurePersons:
				v = float64(p.Persons)
			case MeasureSum:
				v = p.Sum
			case MeasureAvg:
				v = p.Avg
			case MeasureP95:
				v = p.P95
			}
			ts.Points[i] = TrendValue{Start: event.FormatMicros(p.Start + shift), Value: v}
			ts.Total += v
		}
		out = append(out, ts)
	}
	return out, nil
}
