// Package patternstats counts the rows of each log pattern (rows of kind
// log or error carrying store.PatternAttr, which internal/patterns sets at
// ingest) among the events matching a search query: totals, counts over
// time, one sample message, the top services and levels. The patterns
// page and the incident timeline read it. Its queries are built through
// the store's Dialect and read through the store's word filter when it
// has one (internal/analysis/scan).
package patternstats

import (
	"context"
	"fmt"
	"sort"

	"github.com/lore-dev/lore/internal/analysis/scan"
	"github.com/lore-dev/lore/internal/query"
	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

const (
	defaultLimit = 50
	maxLimit     = 1000
	maxBuckets   = 10000
)

// Query is a query object: the log patterns among the events matching
// Query in Range.
type Query struct {
	ProjectID int64
	Range     store.Range
	Query     *query.Query
	Step      int64 // bucket width for the counts over time, µs, > 0
	Limit     int   // the most frequent patterns; default 50, cap 1000
	TopValues int   // top values of service and level per pattern; default 3
}

// Stat is one pattern's rows in the range.
type Stat struct {
	ID            string
	Count         int64
	FirstTS       int64   // first row in the range, µs
	LastTS        int64   // last row in the range, µs
	Buckets       []int64 // counts per Step from Range.From
	Sample        string  // the message of one row
	Services      []store.FacetValue
	Levels        []store.FacetValue
	ErrorFraction float64 // rows at level error or fatal / Count
}

// Result lists patterns by count, highest first. Total counts every
// patterned row in the range (not only the listed ones).
type Result struct {
	Step     int64
	Total    int64
	Patterns []Stat
}

// Key identifies the query, for caching its answer.
func (q Query) Key() string {
	where := ""
	if q.Query != nil {
		where = q.Query.String()
	}
	return fmt.Sprintf("patternstats:%d:%d:%d:%q:%d:%d:%d", q.ProjectID, q.Range.From, q.Range.To, where, q.Step, q.limit(), q.top())
}

// Scope is what the query reads.
func (q Query) Scope() sqlq.Scope {
	return sqlq.Scope{ProjectID: q.ProjectID, From: q.Range.From, To: q.Range.To}
}

func (q Query) limit() int {
	if q.Limit <= 0 {
		return defaultLimit
	}
	return min(q.Limit, maxLimit)
}

func (q Query) top() int {
	if q.TopValues <= 0 {
		return 3
	}
	return q.TopValues
}

// rows is the CTE f of the patterned rows the query reads.
func rows(d sqlq.Dialect, p scan.Plan) *sqlq.Builder {
	b := &sqlq.Builder{}
	b.Add("WITH f AS (SELECT * FROM (")
	// A row has a pattern when it has the attribute, even empty (it then
	// counts under ""): AttrValue alone cannot tell, as ClickHouse's is
	// '' for an absent key where DuckDB's is NULL.
	p.Rows(b, "ts, level, service, message, "+d.AttrValue()+" AS pid, "+d.HasAttr(store.PatternAttr)+" AS has_pid",
		[]any{store.PatternAttr}, "kind IN ('log', 'error')")
	b.Add(") WHERE has_pid) ")
	return b
}

// counts compiles the scan that counts each pattern's rows per service
// and level.
func counts(d sqlq.Dialect, p scan.Plan) (sqlq.Query, error) {
	b := rows(d, p)
	b.Add("SELECT pid, service, level, count(*), min(ts), max(ts), " + d.AggOf(sqlq.AggAny, "message") + " FROM f GROUP BY pid, service, level")
	return b.Query("patternstats.counts", sqlq.Scope{ProjectID: p.ProjectID, From: p.Range.From, To: p.Range.To})
}

// buckets compiles the scan that counts the given patterns' rows per
// step.
func buckets(d sqlq.Dialect, p scan.Plan, step int64, ids []string) (sqlq.Query, error) {
	b := rows(d, p)
	b.Add("SELECT pid, "+d.TimeBucket("ts", "?", "?")+" AS b, count(*) FROM f WHERE pid IN (", p.Range.From, step)
	for i, id := range ids {
		if i > 0 {
			b.Add(", ")
		}
		b.Arg(id)
	}
	b.Add(") GROUP BY pid, b")
	return b.Query("patternstats.buckets", sqlq.Scope{ProjectID: p.ProjectID, From: p.Range.From, To: p.Range.To})
}

// Run counts the patterns in two scans of the range: the counts per
// pattern, service and level (totals, first and last rows and top values
// are added up from those), and the top patterns' buckets (none when the
// range is one bucket).
func (q Query) Run(ctx context.Context, ex sqlq.Executor) (Result, error) {
	if q.Step <= 0 {
		return Result{}, fmt.Errorf("pattern stats: step %d is not positive", q.Step)
	}
	nb := (q.Range.To - q.Range.From + q.Step - 1) / q.Step
	if nb > maxBuckets {
		return Result{}, fmt.Errorf("pattern stats: %d buckets of %dµs exceed the limit of %d", nb, q.Step, maxBuckets)
	}
	p, err := scan.New(ex, q.ProjectID, q.Range, q.Query)
	if err != nil {
		return Result{}, fmt.Errorf("pattern stats: %w", err)
	}
	res := Result{Step: q.Step}
	if p.None {
		return res, nil
	}
	d := ex.Dialect()
	cq, err := counts(d, p)
	if err != nil {
		return res, fmt.Errorf("pattern stats: %w", err)
	}
	byID := map[string]*Stat{}
	var ids []string
	errs := map[string]int64{}
	if err := ex.Run(ctx, cq, func(r sqlq.Scanner) error {
		var (
			pid, svc, level, msg string
			n, first, last       int64
		)
		if err := r.Scan(&pid, &svc, &level, &n, &first, &last, &msg); err != nil {
			return err
		}
		res.Total += n
		ps := byID[pid]
		if ps == nil {
			ps = &Stat{ID: pid, FirstTS: first, LastTS: last, Sample: msg}
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
	if len(ids) > q.limit() {
		ids = ids[:q.limit()]
	}
	index := map[string]int{}
	for _, id := range ids {
		ps := byID[id]
		ps.ErrorFraction = float64(errs[id]) / float64(ps.Count)
		ps.Buckets = make([]int64, nb)
		ps.Services = topFacets(ps.Services, q.top())
		ps.Levels = topFacets(ps.Levels, q.top())
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
	bq, err := buckets(d, p, q.Step, ids)
	if err != nil {
		return res, fmt.Errorf("pattern stats: %w", err)
	}
	if err := ex.Run(ctx, bq, func(r sqlq.Scanner) error {
		var (
			pid  string
			b, c int64
		)
		if err := r.Scan(&pid, &b, &c); err != nil {
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
