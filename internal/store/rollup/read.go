package rollup

import (
	"context"
	"fmt"

	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

// Rollups answers the analyses' reads from the rollups' tables, through
// the store's Executor (which binds and bounds every query as it does the
// analyses'). The store shows its methods as its own, so the analyses
// find them by type assertion.
type Rollups struct{ ex sqlq.Executor }

// New returns the readers of the rollups kept in ex's database.
func New(ex sqlq.Executor) *Rollups { return &Rollups{ex: ex} }

// read runs q (DuckDB's SQL) with args, calling fn for every row.
func (x *Rollups) read(ctx context.Context, name, q string, args []any, fn func(sqlq.Scanner) error) error {
	return x.ex.Run(ctx, sqlq.Query{Name: name, SQL: q, Args: args}, fn)
}

// maxBuckets bounds the steps of a rolled-up series (as a histogram's).
const maxBuckets = 10000

// narrativeRange checks that a range is not empty.
func narrativeRange(r store.Range) error {
	if r.To <= r.From {
		return fmt.Errorf("empty time range [%d, %d)", r.From, r.To)
	}
	return nil
}

// traceHex renders the trace id columns as 32 hex digits.
const traceHex = "lpad(lower(hex(trace_hi)), 16, '0') || lpad(lower(hex(trace_lo)), 16, '0')"

// errRow is an error-level row (errors, and logs or spans at level error
// or fatal); failed requests add http_status >= 500.
const errRow = "(kind = 'error' OR level IN ('error', 'fatal') OR http_status >= 500)"

var _ store.ServiceSeriesRollup = (*Rollups)(nil)

// RolledServiceSeries answers internal/analysis/services.Series from the
// per-minute rollup (and the last, partial minute from the events) when
// the request reads whole minutes from a minute boundary; ok is false
// otherwise.
func (x *Rollups) RolledServiceSeries(ctx context.Context, r store.ServiceSeriesRequest) ([]store.ServicePoint, bool, error) {
	if !rollupServes(r) || r.Range.To <= r.Range.From || (r.Range.To-r.Range.From)/r.Step > maxBuckets {
		return nil, false, nil
	}
	q, args := seriesRollup(r)
	var out []store.ServicePoint
	err := x.read(ctx, "rollup.series", q, args, func(rows sqlq.Scanner) error {
		p, err := scanServicePoint(rows, r)
		out = append(out, p)
		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("service series from the rollup: %w", err)
	}
	return out, true, nil
}

// serviceEdgesSQL is internal/analysis/services.Edges in DuckDB's
// spelling (the store may not import the analysis; TestEdgesAreTheAnalysis
// checks the copy): the calls between services over [from, to) of one
// project, as the hourly call graph (narrative_edges) materializes them.
// Its arguments are project, from, to twice.
const serviceEdgesSQL = `WITH sp AS MATERIALIZED (SELECT trace_hi, trace_lo, span_id, parent_span_id, service, duration_ms, http_status, level, kind,
		attr_values[list_position(attr_keys, 'peer.service')] AS peer
		FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND kind = 'span')
	SELECT caller, callee, external, inferred, calls, errors, p50, p95 FROM (
		SELECT p.service AS caller, c.service AS callee, false AS external, false AS inferred, count(*) AS calls,
			count(*) FILTER (WHERE c.http_status >= 500 OR c.http_status = 429 OR c.level IN ('error', 'fatal')) AS errors,
			coalesce(quantile_cont(c.duration_ms, 0.5), 0) AS p50, coalesce(quantile_cont(c.duration_ms, 0.95), 0) AS p95
		FROM sp c JOIN sp p ON c.trace_hi = p.trace_hi AND c.trace_lo = p.trace_lo AND c.parent_span_id = p.span_id
		WHERE c.parent_span_id <> 0 AND c.service <> p.service GROUP BY p.service, c.service
		UNION ALL SELECT service, peer, true, false, count(*),
			count(*) FILTER (WHERE http_status >= 500 OR http_status = 429 OR level IN ('error', 'fatal')),
			coalesce(quantile_cont(duration_ms, 0.5), 0), coalesce(quantile_cont(duration_ms, 0.95), 0)
		FROM sp WHERE peer IS NOT NULL AND peer NOT IN (SELECT DISTINCT service FROM sp) GROUP BY service, peer
		UNION ALL SELECT prev, service, false, true, count(*), count(*) FILTER (WHERE err), 0, 0 FROM (
			SELECT service, err, lag(service) OVER (PARTITION BY trace_hi, trace_lo ORDER BY f, service) AS prev FROM (
				SELECT trace_hi, trace_lo, service, min(ts) AS f, count(*) FILTER (WHERE kind = 'error' OR level IN ('error', 'fatal')) > 0 AS err
				FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND kind <> 'span' AND service <> ''
					AND (trace_hi <> 0 OR trace_lo <> 0) AND service NOT IN (SELECT DISTINCT service FROM sp)
				GROUP BY trace_hi, trace_lo, service) AS firsts) AS follows
		WHERE prev IS NOT NULL GROUP BY prev, service
	) AS edges ORDER BY caller, callee, external, inferred`

// scanServicePoint reads one row of seriesRollup.
func scanServicePoint(rows sqlq.Scanner, r store.ServiceSeriesRequest) (store.ServicePoint, error) {
	var (
		p                  store.ServicePoint
		b                  int64
		spans              bool
		sreq, serr, lr, le int64
		sp95, lp95         float64
	)
	if err := rows.Scan(&p.Service, &b, &spans, &sreq, &serr, &sp95, &lr, &le, &lp95, &p.Retries, &p.Logs, &p.ErrorLogs); err != nil {
		return p, err
	}
	p.Start = r.Range.From + b*r.Step
	if spans {
		p.Requests, p.Errors, p.P95MS = sreq, serr, sp95
	} else {
		p.Requests, p.Errors, p.P95MS = lr, le, lp95
	}
	return p, nil
}

var _ store.ErrorGroupsRollup = (*Rollups)(nil)

// RolledErrorGroups implements store.ErrorGroupsRollup from
// narrative_errors when the bounds fall on its minutes.
func (x *Rollups) RolledErrorGroups(ctx context.Context, project int64, r store.Range, since int64, limit int) ([]store.ErrorGroup, bool, error) {
	if r.To <= r.From || !errorRollupServes(r, since) {
		return nil, false, nil
	}
	var out []store.ErrorGroup
	err := x.read(ctx, "rollup.error_groups", errorGroupsRollup, []any{project, since, r.To, r.From, r.From, r.From, r.From, limit}, func(rows sqlq.Scanner) error {
		g, err := store.ScanErrorGroup(rows)
		out = append(out, g)
		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("error groups from the rollup: %w", err)
	}
	return out, true, nil
}

var _ store.ReleaseRollup = (*Rollups)(nil)

// RolledReleaseStarts implements store.ReleaseRollup from
// narrative_releases when r's bounds fall on its minutes.
func (x *Rollups) RolledReleaseStarts(ctx context.Context, project int64, r store.Range) ([]store.ReleaseStart, bool, error) {
	if r.To <= r.From || !releaseRollupServes(r.From, r.To) {
		return nil, false, nil
	}
	var out []store.ReleaseStart
	err := x.read(ctx, "rollup.release_starts", `SELECT service, release, min(first_ts) AS first_ts FROM narrative_releases
			WHERE project_id = ? AND minute >= ? AND minute < ? GROUP BY service, release ORDER BY first_ts, service, release`,
		[]any{project, r.From, r.To}, func(rows sqlq.Scanner) error {
			var rs store.ReleaseStart
			if err := rows.Scan(&rs.Service, &rs.Release, &rs.FirstTS); err != nil {
				return err
			}
			out = append(out, rs)
			return nil
		})
	if err != nil {
		return nil, false, fmt.Errorf("release starts from the rollup: %w", err)
	}
	return out, true, nil
}
