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
	if p.none {
		return res, nil
	}
	var (
		q    string
		args []any
	)
	if r.SplitBy == "" {
		inner, iargs := p.sql("ts", nil, "", nil, "")
		q = "SELECT (ts - ?) // ? AS b, NULL, count(*) FROM (" + inner + ") GROUP BY b"
		args = append([]any{r.Range.From, r.Step}, iargs...)
	} else {
		maxSplits := r.MaxSplits
		if maxSplits <= 0 {
			maxSplits = defaultMaxSplits
		}
		// One scan: count per (bucket, value), then keep the top values.
		expr, eargs := fieldExpr(r.SplitBy)
		inner, iargs := p.sql("ts, "+expr+" AS v", eargs, "", nil, "")
		q = "WITH g AS (SELECT (ts - ?) // ? AS b, v, count(*) AS c FROM (" + inner + ") GROUP BY b, v), " +
			"top AS (SELECT v FROM g GROUP BY v ORDER BY sum(c) DESC, v LIMIT ?) " +
			"SELECT b, CASE WHEN v IN (SELECT v FROM top) THEN v END AS sv, sum(c)::BIGINT FROM g GROUP BY b, sv"
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
			b, c int64
			v    sql.NullString
		)
		if err := rows.Scan(&b, &v, &c); err != nil {
			return store.HistogramResult{}, fmt.Errorf("histogram: %w", err)
		}
		if b < 0 || b >= n {
			continue
		}
		bk := &res.Buckets[b]
		bk.Count += c
		if r.SplitBy != "" {
			key := otherSplit
			if v.Valid {
				key = v.String
			}
			bk.By[key] += c
		}
	}
	if err := rows.Err(); err != nil {
		return store.HistogramResult{}, fmt.Errorf("histogram: %w", err)
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
	if p.none {
		return res, nil
	}
	expr, eargs := fieldExpr(r.Field)
	inner, iargs := p.sql(expr+" AS v", eargs, "", nil, "")
	q := "WITH g AS (SELECT v, count(*) AS c FROM (" + inner + ") GROUP BY v) " +
		"SELECT v, c, sum(c) OVER (), sum(CASE WHEN v <> '' THEN 1 ELSE 0 END) OVER () FROM g " +
		"ORDER BY v = '', c DESC, v LIMIT ?"
	rows, err := s.db.QueryContext(ctx, q, append(iargs, limit+1)...)
	if err != nil {
		return res, fmt.Errorf("facets of %q: %w", r.Field, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			fv              store.FacetValue
			total, distinct sql.NullInt64
		)
		if err := rows.Scan(&fv.Value, &fv.Count, &total, &distinct); err != nil {
			return res, fmt.Errorf("facets of %q: %w", r.Field, err)
		}
		res.Total, res.Distinct = total.Int64, distinct.Int64
		if fv.Value != "" && len(res.Values) < limit {
			res.Values = append(res.Values, fv)
		}
	}
	if err := rows.Err(); err != nil {
		return res, fmt.Errorf("facets of %q: %w", r.Field, err)
	}
	return res, nil
}
