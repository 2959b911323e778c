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
	defaultFacetLimit = 10
	maxFacetLimit     = 1000
)

// Facets returns the most frequent non-empty values of a field among the
// matching events. Total counts every matching event; Distinct the
// distinct non-empty values. Values are ordered by their estimate before
// sampling (their count when nothing was sampled), then count, then value.
func (rd Reader) Facets(ctx context.Context, r store.FacetsRequest) (store.FacetsResult, error) {
	res := store.FacetsResult{Field: r.Field}
	if r.Field == "" {
		return res, fmt.Errorf("facets: no field")
	}
	limit := r.Limit
	if limit <= 0 {
		limit = defaultFacetLimit
	}
	limit = min(limit, maxFacetLimit)
	if fr, ok := rd.Ex.(store.FacetsRollup); ok {
		rolled, ok, err := fr.RolledFacets(ctx, r, limit)
		if err != nil {
			return res, fmt.Errorf("facets of %q: %w", r.Field, err)
		}
		if ok {
			return rolled, nil
		}
	}
	p, err := scan.New(rd.Ex, r.ProjectID, r.Range, r.Query)
	if err != nil {
		return res, fmt.Errorf("facets: %w", err)
	}
	q, ok, err := facetsQuery(ctx, rd.Ex, p, r, limit)
	if err != nil {
		return res, fmt.Errorf("facets of %q: %w", r.Field, err)
	}
	if !ok {
		return res, nil
	}
	err = rd.Ex.Run(ctx, q, func(row sqlq.Scanner) error {
		var (
			fv                       store.FacetValue
			total, sampled, distinct sql.NullInt64
			estimatedTotal           sql.NullFloat64
		)
		if err := row.Scan(&fv.Value, &fv.Count, &fv.Sampled, &fv.Estimate, &total, &sampled, &estimatedTotal, &distinct); err != nil {
			return err
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
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("facets of %q: %w", r.Field, err)
	}
	return res, nil
}

// facetsQuery compiles the facets of r: rows of (value, count, sampled,
// estimate) with the totals over every value (count, sampled, estimate,
// distinct non-empty values) repeated on each, at most limit+1 rows (the
// empty value may be one). ok is false when no row can match.
func facetsQuery(ctx context.Context, ex sqlq.Executor, p scan.Plan, r store.FacetsRequest, limit int) (sqlq.Query, bool, error) {
	d := ex.Dialect()
	wt := weightsOf(ctx, ex, r.ProjectID, r.Range)
	expr, eargs := fieldExpr(d, r.Field)
	var inner sqlq.Builder
	ok, err := countSource(ctx, ex, &inner, p, expr+" AS v, "+wt.w+" AS w", eargs)
	if err != nil || !ok {
		return sqlq.Query{}, false, err
	}
	src, err := inner.Query("events.facets", sqlq.Scope{})
	if err != nil {
		return sqlq.Query{}, false, err
	}
	var b sqlq.Builder
	// The totals are a second read of g joined to each row (not a window
	// over g, which ClickHouse before 21.x cannot read).
	b.Add("WITH "+d.MaterializedCTE("g", "SELECT v, count(*) AS c, "+wt.kept+" AS k, "+wt.estimate+" AS e FROM ("+src.SQL+") AS ev GROUP BY v")+" ", src.Args...)
	b.Add("SELECT v, c, k, e, tc, tk, te, td FROM g CROSS JOIN (SELECT sum(c) AS tc, sum(k) AS tk, sum(e) AS te, sum(CASE WHEN v <> '' THEN 1 ELSE 0 END) AS td FROM g) AS t ")
	b.Add("ORDER BY v = '', e DESC, c DESC, v LIMIT ?", limit+1)
	q, err := b.Query("events.facets", sqlq.Scope{ProjectID: r.ProjectID, From: r.Range.From, To: r.Range.To})
	return q, err == nil, err
}
