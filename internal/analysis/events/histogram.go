package events

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/lore-dev/lore/internal/analysis/scan"
	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

const (
	maxBuckets       = 10000
	defaultMaxSplits = 10
	// otherSplit names the sum of the split values beyond MaxSplits.
	otherSplit = "other"
)

// Histogram counts matching events per step over the whole range; with
// SplitBy, the MaxSplits most frequent values keep their own counts and the
// rest are summed under "other". Every count also counts the sampled
// events and their estimate before sampling (weightsOf).
func (rd Reader) Histogram(ctx context.Context, r store.HistogramRequest) (store.HistogramResult, error) {
	if r.Step <= 0 {
		return store.HistogramResult{}, fmt.Errorf("histogram: step %d is not positive", r.Step)
	}
	p, err := scan.New(rd.Ex, r.ProjectID, r.Range, r.Query)
	if err != nil {
		return store.HistogramResult{}, fmt.Errorf("histogram: %w", err)
	}
	n := (r.Range.To - r.Range.From + r.Step - 1) / r.Step
	if n > maxBuckets {
		return store.HistogramResult{}, fmt.Errorf("histogram: %d buckets of %dµs exceed the limit of %d", n, r.Step, maxBuckets)
	}
	res := store.HistogramResult{Step: r.Step, Buckets: make([]store.Bucket, n)}
	for i := range res.Buckets {
		res.Buckets[i].Start = r.Range.From + int64(i)*r.Step
		if r.SplitBy != "" {
			res.Buckets[i].By = map[string]int64{}
		}
	}
	q, ok, err := histogramQuery(ctx, rd.Ex, p, r)
	if err != nil {
		return store.HistogramResult{}, fmt.Errorf("histogram: %w", err)
	}
	if !ok {
		return res, nil
	}
	err = rd.Ex.Run(ctx, q, func(row sqlq.Scanner) error {
		var (
			b, c, k int64
			e       float64
			v       sql.NullString
		)
		if err := row.Scan(&b, &v, &c, &k, &e); err != nil {
			return err
		}
		if b < 0 || b >= n {
			return nil
		}
		bk := &res.Buckets[b]
		bk.Count += c
		bk.Sampled += k
		bk.Estimate += e
		if r.SplitBy != "" {
			key := otherSplit
			if v.Valid {
				key = v.String
			}
			bk.By[key] += c
			if bk.ByEstimate == nil {
				bk.ByEstimate = map[string]float64{}
			}
			bk.ByEstimate[key] += e
		}
		return nil
	})
	if err != nil {
		return store.HistogramResult{}, fmt.Errorf("histogram: %w", err)
	}
	// Estimates are zero where nothing was sampled.
	for i := range res.Buckets {
		if bk := &res.Buckets[i]; bk.Sampled == 0 {
			bk.Estimate, bk.ByEstimate = 0, nil
		}
	}
	return res, nil
}

// histogramQuery compiles a histogram: rows of (bucket, split value or
// NULL for "other", count, sampled, estimate). ok is false when no row
// can match.
func histogramQuery(ctx context.Context, ex sqlq.Executor, p scan.Plan, r store.HistogramRequest) (sqlq.Query, bool, error) {
	d := ex.Dialect()
	wt := weightsOf(ctx, ex, r.ProjectID, r.Range)
	var inner sqlq.Builder
	cols, colArgs := "ts, "+wt.w+" AS w", []any(nil)
	if r.SplitBy != "" {
		expr, eargs := fieldExpr(d, r.SplitBy)
		cols, colArgs = "ts, "+expr+" AS v, "+wt.w+" AS w", eargs
	}
	ok, err := countSource(ctx, ex, &inner, p, cols, colArgs)
	if err != nil || !ok {
		return sqlq.Query{}, false, err
	}
	src, err := inner.Query("events.histogram", sqlq.Scope{})
	if err != nil {
		return sqlq.Query{}, false, err
	}
	var b sqlq.Builder
	bucket := d.TimeBucket("ts", "?", "?")
	if r.SplitBy == "" {
		b.Add("SELECT "+bucket+" AS b, "+d.Null(sqlq.TypeString)+", count(*), "+wt.kept+", "+wt.estimate, r.Range.From, r.Step)
		b.Add(" FROM ("+src.SQL+") AS ev GROUP BY b", src.Args...)
	} else {
		maxSplits := r.MaxSplits
		if maxSplits <= 0 {
			maxSplits = defaultMaxSplits
		}
		// One scan: count per (bucket, value), then keep the top values.
		b.Add("WITH g AS (SELECT "+bucket+" AS b, v, count(*) AS c, "+wt.kept+" AS k, "+wt.estimate+" AS e", r.Range.From, r.Step)
		b.Add(" FROM ("+src.SQL+") AS ev GROUP BY b, v), ", src.Args...)
		b.Add("top AS (SELECT v FROM g GROUP BY v ORDER BY sum(c) DESC, v LIMIT ?) ", maxSplits)
		b.Add("SELECT b, CASE WHEN " + d.InColumn("v", "v", "top") + " THEN v END AS sv, " + d.Int64("sum(c)") + ", " + d.Int64("sum(k)") + ", sum(e) FROM g GROUP BY b, sv")
	}
	q, err := b.Query("events.histogram", sqlq.Scope{ProjectID: r.ProjectID, From: r.Range.From, To: r.Range.To})
	return q, err == nil, err
}
