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
// Two scans of the range: the counts per pattern, service and level, and
// the top patterns' buckets (none when the range is one bucket).
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

	// One scan counts each pattern's rows per service and level; the
	// totals, first and last rows and top values are added up from those.
	q := with + `SELECT pid, service, level, count(*), min(ts), max(ts), any_value(message) FROM f GROUP BY pid, service, level`
	byID := map[string]*store.PatternStat{}
	var ids []string
	errs := map[string]int64{}
	if err := s.eachRow(ctx, q, iargs, func(rows *sql.Rows) error {
		var (
			pid, svc, level, msg string
			n, first, last       int64
		)
		if err := rows.Scan(&pid, &svc, &level, &n, &first, &last, &msg); err != nil {
			return err
		}
		res.Total += n
		ps := byID[pid]
		if ps == nil {
			ps = &store.PatternStat{ID: pid, FirstTS: first, LastTS: last, Sample: msg}
			byID[pid] = ps
			ids = append(ids, pid)
		}
		ps.Count += n
		ps.FirstTS, ps.LastTS = min(ps.FirstTS, first), max(ps.LastTS, last)
		ps.Services = addFacet(ps.Services, svc, n)
		ps.Levels = addFacet(ps.Levels, level, n)
		if level == "error" || level == "fatal" {
			errs[pid] += n
		}
		return nil
	}); err != nil {
		return res, fmt.Errorf("pattern stats: %w", err)
	}
	sort.Slice(ids, func(i, j int) bool {
		a, b := byID[ids[i]], byID[ids[j]]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		return a.ID < b.ID
	})
	if len(ids) > limit {
		ids = ids[:limit]
	}
	index := map[string]int{}
	for _, id := range ids {
		ps := byID[id]
		ps.ErrorFraction = float64(errs[id]) / float64(ps.Count)
		ps.Buckets = make([]int64, nb)
		ps.Services = topFacets(ps.Services, top)
		ps.Levels = topFacets(ps.Levels, top)
		index[id] = len(res.Patterns)
		res.Patterns = append(res.Patterns, *ps)
	}
	if len(res.Patterns) == 0 {
		return res, nil
	}
	if nb == 1 {
		for i := range res.Patterns {
			res.Patterns[i].Buckets[0] = res.Patterns[i].Count
		}
		return res, nil
	}
	args := make([]any, 0, len(ids))
	for _, id := range ids {
		args = append(args, id)
	}
	in := "pid IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ") + ")"

	// Counts over time.
	q = with + "SELECT pid, (ts - ?) // ? AS b, count(*) FROM f WHERE " + in + " GROUP BY pid, b"
	args = append(append(append([]any{}, iargs...), r.Range.From, r.Step), args...)
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
	return res, nil
}

// addFacet adds n rows of value v.
func addFacet(vs []store.FacetValue, v string, n int64) []store.FacetValue {
	for i := range vs {
		if vs[i].Value == v {
			vs[i].Count += n
			return vs
		}
	}
	return append(vs, store.FacetValue{Value: v, Count: n})
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
	rows, err := s.db.QueryContext(ctx, q, args...)
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
