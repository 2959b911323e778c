package product

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/query"
	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

// OtherBreakdown holds the breakdown values beyond the top ones.
const OtherBreakdown = "$other"

// Trend measures.
const (
	MeasureCount   = "count"
	MeasurePersons = "persons"
	MeasureSum     = "sum"
	MeasureAvg     = "avg"
	MeasureP95     = "p95"
)

// Trends is a query object: the product events matching Event per
// Interval — events, distinct persons, and the sum, average and 95th
// percentile of the numeric Property — split by Breakdown's top
// MaxBreakdowns values (default 10) by events, OtherBreakdown holding the
// rest; each series is exact for its own values. Run answers every
// measure; Resolve the one Measure (default count), with Compare the
// period of the same length before Range too, shaped for the API.
type Trends struct {
	ProjectID     int64
	Range         store.Range
	Event         store.Step
	Interval      int64 // µs
	Property      string
	Breakdown     string
	MaxBreakdowns int
	Measure       string // MeasureCount, MeasurePersons, MeasureSum, MeasureAvg, MeasureP95
	Compare       bool
}

// TrendPoint is one interval of one series.
type TrendPoint struct {
	Start   int64
	Count   int64
	Persons int64
	Sum     float64
	Avg     float64
	P95     float64
}

// TrendCounts is one breakdown value's points, one per interval of the
// range (empty ones included), every measure of each.
type TrendCounts struct {
	Breakdown string
	Points    []TrendPoint
}

func (t Trends) maxBreakdowns() int {
	if t.MaxBreakdowns <= 0 {
		return 10
	}
	return t.MaxBreakdowns
}

// buckets is the number of intervals of the range, or an error when the
// interval is not positive or makes too many.
func (t Trends) buckets() (int64, error) {
	if t.Interval <= 0 {
		return 0, fmt.Errorf("interval %dµs is not positive", t.Interval)
	}
	nb := (t.Range.To - t.Range.From + t.Interval - 1) / t.Interval
	if nb > maxBuckets {
		return 0, fmt.Errorf("%d intervals exceed the limit of %d", nb, maxBuckets)
	}
	return nb, nil
}

// Query compiles the query in d: one row per breakdown value and interval
// with events.
func (t Trends) Query(d sqlq.Dialect) (sqlq.Query, error) {
	m, margs, err := stepMatch(d, t.Event)
	if err != nil {
		return sqlq.Query{}, err
	}
	b := &sqlq.Builder{}
	b.Add("WITH ")
	identsCTE(b, t.ProjectID)
	bd, bargs := breakdownExpr(d, t.Breakdown)
	val, vargs := d.Float64("NULL"), []any(nil)
	if t.Property != "" {
		switch t.Property {
		case "duration_ms", "http_status", "retry_attempt":
			val = d.Float64(t.Property)
		default:
			val, vargs = d.ToDouble(d.AttrValue()), []any{t.Property}
		}
	}
	b.Add(", raw AS (SELECT "+d.TimeBucket("ts", "?", "?")+" AS b, "+personKey+" AS k, ", t.Range.From, t.Interval)
	b.Add(bd+" AS bd, ", bargs...)
	b.Add(val+" AS v FROM events WHERE ", vargs...)
	inRange(b, t.ProjectID, t.Range)
	b.Add(" AND "+m+")", margs...)
	b.Add(", top AS (SELECT bd FROM raw GROUP BY bd ORDER BY count(*) DESC, bd LIMIT ?)", t.maxBreakdowns())
	b.Add(", ev AS (SELECT b, CASE WHEN bd IN (SELECT bd FROM top) THEN bd ELSE ? END AS bd, "+d.Hash64("coalesce(idm.uid, raw.k)")+" AS person, v FROM raw LEFT JOIN idm ON idm.a = raw.k)", OtherBreakdown)
	b.Add(" SELECT bd, b, count(*), " + d.CountDistinct("person") + ", coalesce(sum(v), 0), coalesce(avg(v), 0), coalesce(" + d.Quantile("v", 0.95) + ", 0) FROM ev GROUP BY bd, b ORDER BY bd, b")
	return b.Query("product.trends", scope(t.ProjectID, t.Range))
}

// Run reads the series, each with every interval of the range (one
// empty series when nothing matched).
func (t Trends) Run(ctx context.Context, ex sqlq.Executor) ([]TrendCounts, error) {
	if err := validRange(t.Range); err != nil {
		return nil, fmt.Errorf("trends: %w", err)
	}
	nb, err := t.buckets()
	if err != nil {
		return nil, fmt.Errorf("trends: %w", err)
	}
	q, err := t.Query(ex.Dialect())
	if err != nil {
		return nil, fmt.Errorf("trends: %w", err)
	}
	empty := func(bd string) TrendCounts {
		ts := TrendCounts{Breakdown: bd, Points: make([]TrendPoint, nb)}
		for j := range ts.Points {
			ts.Points[j].Start = t.Range.From + int64(j)*t.Interval
		}
		return ts
	}
	out := []TrendCounts{}
	idx := map[string]int{}
	err = ex.Run(ctx, q, func(r sqlq.Scanner) error {
		var (
			bdv sql.NullString
			b   int64
			p   TrendPoint
		)
		if err := r.Scan(&bdv, &b, &p.Count, &p.Persons, &p.Sum, &p.Avg, &p.P95); err != nil {
			return err
		}
		i, ok := idx[bdv.String]
		if !ok {
			i = len(out)
			idx[bdv.String] = i
			out = append(out, empty(bdv.String))
		}
		if b >= 0 && b < nb {
			p.Start = out[i].Points[b].Start
			out[i].Points[b] = p
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("trends: %w", err)
	}
	if len(out) == 0 {
		out = append(out, empty(""))
	}
	return out, nil
}

// Key identifies the query, for caching its answer.
func (t Trends) Key() string {
	where := ""
	if t.Event.Where != nil {
		where = t.Event.Where.String()
	}
	return fmt.Sprintf("product.trends:%d:%d:%d:%q:%q:%d:%q:%q:%d:%q:%v", t.ProjectID, t.Range.From, t.Range.To, t.Event.Name, where,
		t.Interval, t.Property, t.Breakdown, t.maxBreakdowns(), t.Measure, t.Compare)
}

// Scope is what the trends read: their range, and with Compare the
// period of the same length before it.
func (t Trends) Scope() sqlq.Scope {
	from := t.Range.From
	if t.Compare {
		from -= t.Range.To - t.Range.From
	}
	return sqlq.Scope{ProjectID: t.ProjectID, From: from, To: t.Range.To}
}

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
	return Trends{ProjectID: project, Range: rng, Event: st, Interval: iv, Property: r.Property, Breakdown: r.Breakdown, Measure: r.Measure, Compare: r.Compare}, nil
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

// Resolve computes the trend of Measure on ex (and with Compare the
// period before) and shapes it for the API.
func (t Trends) Resolve(ctx context.Context, ex store.Analytics) (TrendsResult, error) {
	if t.Measure == "" {
		t.Measure = MeasureCount
	}
	cur, err := t.series(ctx, ex, t.Range, 0)
	if err != nil {
		return TrendsResult{}, err
	}
	out := TrendsResult{Measure: t.Measure, IntervalSeconds: seconds(t.Interval), Series: cur, Range: echoRange(t.Range)}
	if t.Compare {
		span := t.Range.To - t.Range.From
		prev, err := t.series(ctx, ex, store.Range{From: t.Range.From - span, To: t.Range.From}, span)
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

// series runs the trend over rng and keeps Measure of its points, their
// times moved by shift.
func (t Trends) series(ctx context.Context, ex sqlq.Executor, rng store.Range, shift int64) ([]TrendSeries, error) {
	q := t
	q.Range = rng
	res, err := q.Run(ctx, ex)
	if err != nil {
		return nil, fmt.Errorf("cannot compute trend: %w", err)
	}
	out := make([]TrendSeries, 0, len(res))
	for _, s := range res {
		ts := TrendSeries{Breakdown: s.Breakdown, Points: make([]TrendValue, len(s.Points))}
		for i, p := range s.Points {
			var v float64
			switch t.Measure {
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
