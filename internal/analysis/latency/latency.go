// Package latency states what the latency of a search is: the duration
// percentiles of the spans (events of kind span with a duration) among
// the events matching a query, in one scan. GET /api/v1/latency and the
// latency monitors read it. Its query is built through the store's
// Dialect and reads through the store's word filter when it has one
// (internal/analysis/scan).
package latency

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/lore-dev/lore/internal/analysis/scan"
	"github.com/lore-dev/lore/internal/query"
	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

// Query is a query object: the duration percentiles of the spans that
// match Query (nil: every span) in Range.
type Query struct {
	ProjectID int64
	Range     store.Range
	Query     *query.Query
}

// Result holds the spans' count and duration percentiles (ms,
// interpolated between the two nearest durations); the percentiles are 0
// without spans.
type Result struct {
	Spans int64
	P50   float64
	P95   float64
	P99   float64
}

// Key identifies the query, for caching its answer.
func (q Query) Key() string {
	where := ""
	if q.Query != nil {
		where = q.Query.String()
	}
	return fmt.Sprintf("latency:%d:%d:%d:%q", q.ProjectID, q.Range.From, q.Range.To, where)
}

// Scope is the project and range the query reads (the resolver's cache
// key, with Key).
func (q Query) Scope() sqlq.Scope {
	return sqlq.Scope{ProjectID: q.ProjectID, From: q.Range.From, To: q.Range.To}
}

// compile builds the one scan of the planned spans' durations.
func compile(d sqlq.Dialect, p scan.Plan) (sqlq.Query, error) {
	b := &sqlq.Builder{}
	b.Add("SELECT count(*), " + d.Quantile("duration_ms", 0.5) + ", " + d.Quantile("duration_ms", 0.95) + ", " +
		d.Quantile("duration_ms", 0.99) + " FROM (")
	p.Rows(b, "duration_ms", nil, "kind = 'span' AND duration_ms IS NOT NULL")
	b.Add(") s")
	return b.Query("latency", sqlq.Scope{ProjectID: p.ProjectID, From: p.Range.From, To: p.Range.To})
}

// Run scans the matching spans' durations once.
func (q Query) Run(ctx context.Context, ex sqlq.Executor) (Result, error) {
	p, err := scan.New(ex, q.ProjectID, q.Range, q.Query)
	if err != nil {
		return Result{}, fmt.Errorf("latency: %w", err)
	}
	if p.None {
		return Result{}, nil
	}
	cq, err := compile(ex.Dialect(), p)
	if err != nil {
		return Result{}, fmt.Errorf("latency: %w", err)
	}
	var (
		res           Result
		p50, p95, p99 sql.NullFloat64
	)
	if err := ex.Run(ctx, cq, func(r sqlq.Scanner) error {
		return r.Scan(&res.Spans, &p50, &p95, &p99)
	}); err != nil {
		return Result{}, fmt.Errorf("latency: %w", err)
	}
	res.P50, res.P95, res.P99 = p50.Float64, p95.Float64, p99.Float64
	return res, nil
}
