package duckdb

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"

	"github.com/lore-dev/lore/internal/store"
)

var _ store.Narrative = (*Store)(nil)

const (
	defaultPatternLimit = 50
	maxPatternLimit     = 1000
)

// attrExpr is the value of the attribute bound as the next argument, NULL
// when absent.
const attrExpr = "attr_values[list_position(attr_keys, ?)]"

// PatternStats counts the rows of each log pattern in the range: totals,
// counts per step, one sample message and the top services and levels.
// Three scans of the range: the totals, the top patterns' buckets, their
// top values.
func (s *Store) PatternStats(ctx context.Context, r store.PatternStatsRequest) (store.PatternStatsResult, error) {
	if r.Step <= 0 {
		return store.PatternStatsResult{}, fmt.Errorf("pattern stats: step %d is not positive", r.Step)
	}
	nb := (r.Range.To - r.Range.From + r.Step - 1) / r.Step
	if nb > maxBuckets {
		return store.PatternStatsResult{}, fmt.Errorf("pattern stats: %d buckets of %dµs exceed the limit of %d", nb, r.Step, maxBuckets)
	}
	limit := r.Limit
	if limit <= 0 {
		limit = defaultPatternLimit
	}
	limit = min(limit, maxPatternLimit)
	top := r.TopValues
	if top <= 0 {
		top = 3
	}
	p, err := s.plan(r.ProjectID, r.Range, r.Query)
	if err != nil {
		return store.PatternStatsResult{}, fmt.Errorf("pattern stats: %w", err)
	}
	res := store.PatternStatsResult{Step: r.Step}
	if p.none {
		return res, nil
	}
	inner, iargs := p.sql("ts, level, service, message, "+attrExpr+" AS pid", []any{store.PatternAttr}, "kind IN ('log', 'error')", nil, "")
	with := "WITH f AS (SELECT * FROM (" + inner + ") WHERE pid IS NOT NULL) "

	q := with + `SELECT pid, count(*), min(ts), max(ts), any_value(message),
		count(*) FILTER (WHERE level IN ('error', 'fatal')), (sum(count(*)) OVER ())::BIGINT
		FROM f GROUP BY pid ORDER BY count(*) DESC, pid LIMIT ?`
	rows, err := s.db.QueryContext(ctx, q, bindable(append(append([]any{}, iargs...), limit))...)
	if err != nil {
		return res, fmt.Errorf("pattern stats: %w", err)
	}
	index := map[string]int{}
	for rows.Next() {
		var (
			ps    store.PatternStat
			errs  int64
			total int64
		)
		if err := rows.Scan(&ps.ID, &ps.Count, &ps.FirstTS, &ps.LastTS, &ps.Sample, &errs, &total); err != nil {
			rows.Close()
			return res, fmt.Errorf("pattern stats: %w", err)
		}
		res.Total = total
		ps.ErrorFraction = float64(errs) / float64(ps.Count)
		ps.Buckets = make([]int64, nb)
		index[ps.ID] = len(res.Patterns)
		res.Patterns = append(res.Patterns, ps)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return res, fmt.Errorf("pattern stats: %w", err)
	}
	if len(res.Patterns) == 0 {
		return res, nil
	}
	ids := make([]any, 0, len(res.Patterns))
	for _, ps := range res.Patterns {
		ids = append(ids, ps.ID)
	}
	in := "pid IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ") + ")"

	// Counts over time.
	q = with + "SELECT pid, (ts - ?) // ? AS b, count(*) FROM f WHERE " + in + " GROUP BY pid, b"
	args := append(append(append([]any{}, iargs...), r.Range.From, r.Step), ids...)
	if err := s.eachRow(ctx, q, args, func(rows *sql.Rows) error {
		var (
			pid  string
			b, c int64
		)
		if err := rows.Scan(&pid, &b, &c); err != nil {
			return err
		}
		if b >= 0 && b < nb {
			res.Patterns[index[pid]].Buckets[b] = c
		}
		return nil
	}); err != nil {
		return res, fmt.Errorf("pattern stats: buckets: %w", err)
	}

	// Top services and levels.
	q = with + "SELECT pid, 's', service, count(*) FROM f WHERE " + in + " GROUP BY pid, service " +
		"UNION ALL SELECT pid, 'l', level, count(*) FROM f WHERE " + in + " GROUP BY pid, level"
	args = append(append(append([]any{}, iargs...), ids...), ids...)
	if err := s.eachRow(ctx, q, args, func(rows *sql.Rows) error {
		var (
			pid, which, v string
			c             int64
		)
		if err := rows.Scan(&pid, &which, &v, &c); err != nil {
			return err
		}
		ps := &res.Patterns[index[pid]]
		if which == "s" {
			ps.Services = append(ps.Services, store.FacetValue{Value: v, Count: c})
		} else {
			ps.Levels = append(ps.Levels, store.FacetValue{Value: v, Count: c})
		}
		return nil
	}); err != nil {
		return res, fmt.Errorf("pattern stats: top values: %w", err)
	}
	for i := range res.Patterns {
		ps := &res.Patterns[i]
		ps.Services = topFacets(ps.Services, top)
		ps.Levels = topFacets(ps.Levels, top)
	}
	return res, nil
}

// topFacets keeps the n highest counts, ties by value.
func topFacets(vs []store.FacetValue, n int) []store.FacetValue {
	sort.Slice(vs, func(i, j int) bool {
		if vs[i].Count != vs[j].Count {
			return vs[i].Count > vs[j].Count
		}
		return vs[i].Value < vs[j].Value
	})
	if len(vs) > n {
		vs = vs[:n]
	}
	return vs
}

// eachRow runs q and calls fn for every row.
func (s *Store) eachRow(ctx context.Context, q string, args []any, fn func(*sql.Rows) error) error {
	rows, err := s.db.QueryContext(ctx, q, bindable(args)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
