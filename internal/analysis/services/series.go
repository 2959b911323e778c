package services

import (
	"context"
	"fmt"

	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

// MaxSeriesSteps bounds the steps a Series reads.
const MaxSeriesSteps = 10000

// errRow is an error-level row (errors, and logs or spans at level error
// or fatal) or a failed request (http_status >= 500).
const errRow = "(kind = 'error' OR level IN ('error', 'fatal') OR http_status >= 500)"

// Series is a query object: each service's signals per Step in Range
// (store.ServicePoint says what they are). A service that sends spans is
// measured by its spans — requests, errors (errRow), the 95th percentile
// of their durations —, one that sends none by its rows with a duration
// or an http_status; retries are rows with retry_attempt >= 1, logs its
// log and error rows, error logs those at level error or fatal. Points
// are ordered by service, then time; steps without rows have none.
type Series struct {
	ProjectID int64
	Range     store.Range
	Step      int64 // µs, > 0
}

// Key identifies the query, for caching its answer.
func (q Series) Key() string {
	return fmt.Sprintf("services.series:%d:%d:%d:%d", q.ProjectID, q.Range.From, q.Range.To, q.Step)
}

// Scope is what the query reads.
func (q Series) Scope() sqlq.Scope {
	return sqlq.Scope{ProjectID: q.ProjectID, From: q.Range.From, To: q.Range.To}
}

// Request is the query as the store's rollup (store.ServiceSeriesRollup)
// is asked it.
func (q Series) Request() store.ServiceSeriesRequest {
	return store.ServiceSeriesRequest{ProjectID: q.ProjectID, Range: q.Range, Step: q.Step}
}

func (q Series) validate() error {
	if q.Range.To <= q.Range.From {
		return fmt.Errorf("service series: empty time range [%d, %d)", q.Range.From, q.Range.To)
	}
	if q.Step <= 0 || (q.Range.To-q.Range.From)/q.Step > MaxSeriesSteps {
		return fmt.Errorf("service series: bad step %dµs for the range [%d, %d)", q.Step, q.Range.From, q.Range.To)
	}
	return nil
}

// Aggregates are the signals of a service over the rows of a group (a
// step, or the rollup's minute): both sets — by spans (sreq, serr, sp95)
// and by other rows with a duration or a status (lreq, lerr, lp95) — for
// the caller to pick from once it knows whether the service sends spans;
// then retries, logs and error logs.
func Aggregates(d sqlq.Dialect) string {
	const rowReq = "kind <> 'span' AND (duration_ms IS NOT NULL OR http_status IS NOT NULL)"
	count := func(cond string) string { return d.AggIf(sqlq.AggCount, "", cond) }
	return count("kind = 'span'") + " AS sreq, " +
		count("kind = 'span' AND "+errRow) + " AS serr, " +
		"coalesce(" + d.QuantileIf("duration_ms", 0.95, "kind = 'span'") + ", 0) AS sp95, " +
		count(rowReq) + " AS lreq, " +
		count(rowReq+" AND "+errRow) + " AS lerr, " +
		"coalesce(" + d.QuantileIf("duration_ms", 0.95, "kind <> 'span'") + ", 0) AS lp95, " +
		count("retry_attempt >= 1") + " AS retries, " +
		count("kind IN ('log', 'error')") + " AS logs, " +
		count("kind IN ('log', 'error') AND level IN ('error', 'fatal')") + " AS elogs"
}

// Query compiles the plain SQL: one row per service and step, with both
// sets of signals (Aggregates).
func (q Series) Query(d sqlq.Dialect) (sqlq.Query, error) {
	var b sqlq.Builder
	b.Add("SELECT service, "+d.TimeBucket("ts", "?", "?")+" AS b, "+Aggregates(d)+
		" FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND service <> ''"+
		" GROUP BY service, b ORDER BY service, b", q.Range.From, q.Step, q.ProjectID, q.Range.From, q.Range.To)
	return b.Query("services.series", q.Scope())
}

// Run reads the series from the store's rollup when it has one that can
// answer, else from the events.
func (q Series) Run(ctx context.Context, ex sqlq.Executor) ([]store.ServicePoint, error) {
	if err := q.validate(); err != nil {
		return nil, err
	}
	if rr, ok := ex.(store.ServiceSeriesRollup); ok {
		out, ok, err := rr.RolledServiceSeries(ctx, q.Request())
		if err != nil {
			return nil, fmt.Errorf("service series: %w", err)
		}
		if ok {
			return out, nil
		}
	}
	cq, err := q.Query(ex.Dialect())
	if err != nil {
		return nil, fmt.Errorf("service series: %w", err)
	}
	var rows []store.SeriesRow
	if err := ex.Run(ctx, cq, func(s sqlq.Scanner) error {
		x, err := store.ScanSeriesRow(s, q.Range.From, q.Step)
		rows = append(rows, x)
		return err
	}); err != nil {
		return nil, fmt.Errorf("service series: %w", err)
	}
	return store.ServicePoints(rows), nil
}
