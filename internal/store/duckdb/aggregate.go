package duckdb

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/lore-dev/lore/internal/store"
)

const (
	maxBuckets        = 10000
	defaultMaxSplits  = 10
	defaultFacetLimit = 10
	maxFacetLimit     = 1000
	// otherSplit names the sum of the split values beyond MaxSplits.
	otherSplit = "other"
)

// Histogram counts matching events per step over the whole range; with
// SplitBy, the MaxSplits most frequent values keep their own counts and the
// rest are summed under "other".
func (s *Store) Histogram(ctx context.Context, r store.HistogramRequest) (store.HistogramResult, error) {
	if r.Step <= 0 {
		return store.HistogramResult{}, fmt.Errorf("histogram: step %d is not positive", r.Step)
	}
	p, err := s.plan(r.ProjectID, r.Range, r.Query)
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
	var (
		q    string
		args []any
	)
	// Every query also counts the sampled events (w not NULL) and weights
	// them (sampleWeight) for the estimate before sampling.
	weight, kept, estimate := s.weight(r.ProjectID, r.Range)
	if r.SplitBy == "" {
		inner, iargs, ok, err := s.countSource(ctx, p, "ts, "+weight+" AS w", nil)
		if err != nil {
			return store.HistogramResult{}, fmt.Errorf("histogram: %w", err)
		}
		if !ok {
			return res, nil
		}
		q = "SELECT (ts - ?) // ? AS b, NULL, count(*), " + kept + ", " + estimate + " FROM (" + inner + ") GROUP BY b"
		args = append([]any{r.Range.From, r.Step}, iargs...)
	} else {
		maxSplits := r.MaxSplits
		if maxSplits <= 0 {
			maxSplits = defaultMaxSplits
		}
		// One scan: count per (bucket, value), then keep the top values.
		expr, eargs := fieldExpr(r.SplitBy)
		inner, iargs, ok, err := s.countSource(ctx, p, "ts, "+expr+" AS v, "+weight+" AS w", eargs)
		if err != nil {
			return store.HistogramResult{}, fmt.Errorf("histogram: %w", err)
		}
		if !ok {
			return res, nil
		}
		q = "WITH g AS (SELECT (ts - ?) // ? AS b, v, count(*) AS c, " + kept + " AS k, " + estimate + " AS e FROM (" + inner + ") GROUP BY b, v), " +
			"top AS (SELECT v FROM g GROUP BY v ORDER BY sum(c) DESC, v LIMIT ?) " +
			"SELECT b, CASE WHEN v IN (SELECT v FROM top) THEN v END AS sv, sum(c)::BIGINT, sum(k)::BIGINT, sum(e) FROM g GROUP BY b, sv"
		args = append([]any{r.Range.From, r.Step}, iargs...)
		args = append(args, maxSplits)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return store.HistogramResult{}, fmt.Errorf("histogram: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			b, c, k int64
			e       float64
			v       sql.NullString
		)
		if err := rows.Scan(&b, &v, &c, &k, &e); err != nil {
			return store.HistogramResult{}, fmt.Errorf("histogram: %w", err)
		}
		if b < 0 || b >= n {
			continue
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
	}
	if err := rows.Err(); err != nil {
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

// Facets returns the most frequent non-empty values of a field among the
// matching events. Total counts every matching event; Distinct the distinct
// non-empty values.
func (s *Store) Facets(ctx context.Context, r store.FacetsRequest) (store.FacetsResult, error) {
	res := store.FacetsResult{Field: r.Field}
	if r.Field == "" {
		return res, fmt.Errorf("facets: no field")
	}
	limit := r.Limit
	if limit <= 0 {
		limit = defaultFacetLimit
	}
	limit = min(limit, maxFacetLimit)
	p, err := s.plan(r.ProjectID, r.Range, r.Query)
	if err != nil {
		return res, fmt.Errorf("facets: %w", err)
	}
	expr, eargs := fieldExpr(r.Field)
	weight, kept, estimate := s.weight(r.ProjectID, r.Range)
	inner, iargs, ok, err := s.countSource(ctx, p, expr+" AS v, "+weight+" AS w", eargs)
	if err != nil {
		return res, fmt.Errorf("facets of %q: %w", r.Field, err)
	}
	if !ok {
		return res, nil
	}
	// Values by their estimate before sampling (their count when nothing
	// was sampled), with the sampled events counted (sampleWeight).
	q := "WITH g AS (SELECT v, count(*) AS c, " + kept + " AS k, " + estimate + " AS e FROM (" + inner + ") GROUP BY v) " +
		"SELECT v, c, k, e, sum(c) OVER (), sum(k) OVER (), sum(e) OVER (), sum(CASE WHEN v <> '' THEN 1 ELSE 0 END) OVER () FROM g " +
		"ORDER BY v = '', e DESC, c DESC, v LIMIT ?"
	rows, err := s.db.QueryContext(ctx, q, append(iargs, limit+1)...)
	if err != nil {
		return res, fmt.Errorf("facets of %q: %w", r.Field, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			fv                       store.FacetValue
			total, sampled, distinct sql.NullInt64
			estimatedTotal           sql.NullFloat64
		)
		if err := rows.Scan(&fv.Value, &fv.Count, &fv.Sampled, &fv.Estimate, &total, &sampled, &estimatedTotal, &distinct); err != nil {
			return res, fmt.Errorf("facets of %q: %w", r.Field, err)
		}
		res.Total, res.Distinct = total.Int64, distinct.Int64
		if sampled.Int64 > 0 {
			res.Sampled, res.EstimatedTotal = sampled.Int64, estimatedTotal.Float64
		}
		if fv.Sampled == 0 {
			fv.Estimate = 0
		}
		if fv.Value != "" && len(res.Values) < limit {
			res.Values = append(res.Values, fv)
		}
	}
	if err := rows.Err(); err != nil {
		return res, fmt.Errorf("facets of %q: %w", r.Field, err)
	}
	return res, nil
}
