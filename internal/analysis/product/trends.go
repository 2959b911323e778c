package product

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

// OtherBreakdown holds the breakdown values beyond the top ones.
const OtherBreakdown = "$other"

// Trends is a query object: the product events matching Event per
// Interval — events, distinct persons, and the sum, average and 95th
// percentile of the numeric Property — split by Breakdown's top
// MaxBreakdowns values (default 10) by events, OtherBreakdown holding the
// rest; each series is exact for its own values.
type Trends struct {
	ProjectID     int64
	Range         store.Range
	Event         store.Step
	Interval      int64 // µs
	Property      string
	Breakdown     string
	MaxBreakdowns int
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

// TrendSeries is one breakdown value's points, one per interval of the
// range (empty ones included).
type TrendSeries struct {
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
func (t Trends) Run(ctx context.Context, ex sqlq.Executor) ([]TrendSeries, error) {
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
	empty := func(bd string) TrendSeries {
		ts := TrendSeries{Breakdown: bd, Points: make([]TrendPoint, nb)}
		for j := range ts.Points {
			ts.Points[j].Start = t.Range.From + int64(j)*t.Interval
		}
		return ts
	}
	out := []TrendSeries{}
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
	return fmt.Sprintf("product.trends:%d:%d:%d:%q:%q:%d:%q:%q:%d", t.ProjectID, t.Range.From, t.Range.To, t.Event.Name, where,
		t.Interval, t.Property, t.Breakdown, t.maxBreakdowns())
}
