package duckdb

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/lore-dev/lore/internal/store"
)

var _ store.LatencyReader = (*Store)(nil)

// Latency implements store.LatencyReader: one scan of the matching spans'
// durations, pruned by time and the query's blocks.
func (s *Store) Latency(ctx context.Context, r store.LatencyRequest) (store.LatencyResult, error) {
	p, err := s.plan(r.ProjectID, r.Range, r.Query)
	if err != nil {
		return store.LatencyResult{}, fmt.Errorf("latency: %w", err)
	}
	if p.none {
		return store.LatencyResult{}, nil
	}
	inner, args := p.sql("duration_ms", nil, "kind = 'span' AND duration_ms IS NOT NULL", nil, "")
	var (
		res           store.LatencyResult
		p50, p95, p99 sql.NullFloat64
	)
	err = s.db.QueryRowContext(ctx, `SELECT count(*), quantile_cont(duration_ms, 0.5), quantile_cont(duration_ms, 0.95),
		quantile_cont(duration_ms, 0.99) FROM (`+inner+`)`, args...).Scan(&res.Spans, &p50, &p95, &p99)
	if err != nil {
		return store.LatencyResult{}, fmt.Errorf("latency: %w", err)
	}
	res.P50, res.P95, res.P99 = p50.Float64, p95.Float64, p99.Float64
	return res, nil
}
