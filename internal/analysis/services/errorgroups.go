package services

import (
	"context"
	"fmt"

	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

// ErrorGroups is a query object: the error rows of Range — events of kind
// error, and rows of other kinds but span at level error or fatal —
// grouped by service, error type and key (the fingerprint when set, else
// the error type and the row's log pattern, or its message without one),
// most frequent first (then by service and key), at most Limit (default
// 100). Each group has its first message (its earliest row's; of rows at
// that time, the least: the same on every store and shard), its most
// common endpoint, its first row since Since (µs; Range.From when later),
// the releases it was seen in and up to three sample traces (the
// earliest) in Range.
type ErrorGroups struct {
	ProjectID int64
	Range     store.Range
	Since     int64
	Limit     int
}

func (q ErrorGroups) limit() int {
	if q.Limit <= 0 {
		return 100
	}
	return q.Limit
}

func (q ErrorGroups) since() int64 { return min(q.Since, q.Range.From) }

// Key identifies the query, for caching its answer.
func (q ErrorGroups) Key() string {
	return fmt.Sprintf("services.errors:%d:%d:%d:%d:%d", q.ProjectID, q.Range.From, q.Range.To, q.since(), q.limit())
}

// Scope is what the query reads: from the lookback's start.
func (q ErrorGroups) Scope() sqlq.Scope {
	return sqlq.Scope{ProjectID: q.ProjectID, From: q.since(), To: q.Range.To}
}

// Query compiles the plain SQL: the error rows in three scans whose
// filters DuckDB applies before reading the other columns (an OR or an IN
// would have them read for every row).
func (q ErrorGroups) Query(d sqlq.Dialect) (sqlq.Query, error) {
	var b sqlq.Builder
	cols := `ts, service, error_type, endpoint, release, message, trace_hi, trace_lo,
			CASE WHEN fingerprint <> '' THEN fingerprint ELSE error_type || '|' || ` +
		"coalesce(" + d.Attr(store.PatternAttr) + ", message) END AS k FROM events WHERE project_id = ? AND ts >= ? AND ts < ?"
	scope := []any{q.ProjectID, q.since(), q.Range.To}
	b.Add("WITH e AS (SELECT "+cols+" AND kind = 'error'", scope...)
	b.Add(" UNION ALL SELECT "+cols+" AND kind <> 'span' AND kind <> 'error' AND level = 'error'", scope...)
	b.Add(" UNION ALL SELECT "+cols+" AND kind <> 'span' AND kind <> 'error' AND level = 'fatal')", scope...)
	b.Add(" SELECT service, error_type, k, "+d.ArgMin("message", "(ts, message)")+", coalesce("+d.AggIf(sqlq.AggMode, "endpoint", "endpoint <> ''")+", ''), "+
		d.AggIf(sqlq.AggCount, "", "ts >= ?")+" AS n, min(ts), "+d.DistinctSortedIf("release", "release <> '' AND ts >= ?")+", "+
		d.ArgMinNIf(d.TraceHex("trace_hi", "trace_lo"), "ts", 3, "ts >= ? AND (trace_hi <> 0 OR trace_lo <> 0)"),
		q.Range.From, q.Range.From, q.Range.From)
	b.Add(" FROM e GROUP BY service, error_type, k HAVING "+d.AggIf(sqlq.AggCount, "", "ts >= ?")+" > 0 ORDER BY n DESC, service, k LIMIT ?",
		q.Range.From, q.limit())
	return b.Query("services.errors", sqlq.Scope{ProjectID: q.ProjectID, From: q.since(), To: q.Range.To})
}

// Run reads the groups from the store's error rollup when it has one
// that can answer, else from the events.
func (q ErrorGroups) Run(ctx context.Context, ex sqlq.Executor) ([]store.ErrorGroup, error) {
	if q.Range.To <= q.Range.From {
		return nil, fmt.Errorf("error groups: empty time range [%d, %d)", q.Range.From, q.Range.To)
	}
	if rr, ok := ex.(store.ErrorGroupsRollup); ok {
		out, ok, err := rr.RolledErrorGroups(ctx, q.ProjectID, q.Range, q.since(), q.limit())
		if err != nil {
			return nil, fmt.Errorf("error groups: %w", err)
		}
		if ok {
			return out, nil
		}
	}
	cq, err := q.Query(ex.Dialect())
	if err != nil {
		return nil, fmt.Errorf("error groups: %w", err)
	}
	var out []store.ErrorGroup
	if err := ex.Run(ctx, cq, func(r sqlq.Scanner) error {
		g, err := store.ScanErrorGroup(r)
		out = append(out, g)
		return err
	}); err != nil {
		return nil, fmt.Errorf("error groups: %w", err)
	}
	return out, nil
}
