package duckdb

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/lore-dev/lore/internal/store"
)

// Dependency calls, in the two ways a project may report them (see
// store.ThrottledTxn): client spans naming the dependency in peer.service,
// or log rows with an http_status.
const (
	spanCall = "kind = 'span' AND list_contains(attr_keys, 'peer.service')"
	spanDep  = "attr_values[list_position(attr_keys, 'peer.service')]"
	logCall  = "kind IN ('log', 'error') AND http_status IS NOT NULL"
	logDep   = "coalesce(attr_values[list_position(attr_keys, 'peer.service')], attr_values[list_position(attr_keys, 'server.address')], service)"
	// traceHex renders the trace id columns as 32 hex digits.
	traceHex = "lpad(lower(hex(trace_hi)), 16, '0') || lpad(lower(hex(trace_lo)), 16, '0')"
)

// ThrottledTransactions finds the 429s answered by dependencies in the
// range, grouped by dependency and trace, and follows each trace for its
// retries and outcome. Spans are preferred; a project without
// peer.service spans is read from its logs.
func (s *Store) ThrottledTransactions(ctx context.Context, r store.DependencyCallsRequest) ([]store.ThrottledTxn, error) {
	if err := narrativeRange(r.Range); err != nil {
		return nil, fmt.Errorf("throttled transactions: %w", err)
	}
	out, err := s.throttled(ctx, r, spanCall, spanDep)
	if err == nil && len(out) == 0 {
		out, err = s.throttled(ctx, r, logCall, logDep)
	}
	if err != nil {
		return nil, fmt.Errorf("throttled transactions: %w", err)
	}
	return out, nil
}

func (s *Store) throttled(ctx context.Context, r store.DependencyCallsRequest, call, dep string) ([]store.ThrottledTxn, error) {
	q := `WITH hits AS (
		SELECT ` + dep + ` AS dep, trace_hi, trace_lo, any_value(service) AS caller,
			count(*) AS n, min(ts) AS f, max(ts) AS l
		FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND http_status = 429 AND ` + call + `
		GROUP BY dep, trace_hi, trace_lo),
	tr AS (
		SELECT e.trace_hi, e.trace_lo, e.ts, e.kind, e.level, e.retry_attempt, e.http_status,
			CASE WHEN ` + call + ` THEN ` + dep + ` END AS dep
		FROM events e SEMI JOIN (SELECT DISTINCT trace_hi, trace_lo FROM hits WHERE trace_hi <> 0 OR trace_lo <> 0) h
			ON e.trace_hi = h.trace_hi AND e.trace_lo = h.trace_lo
		WHERE e.project_id = ? AND e.ts >= ? AND e.ts < ?)
	SELECT h.dep, h.caller, CASE WHEN h.trace_hi = 0 AND h.trace_lo = 0 THEN '' ELSE lpad(lower(hex(h.trace_hi)), 16, '0') || lpad(lower(hex(h.trace_lo)), 16, '0') END,
		h.n, h.f, h.l,
		coalesce(max(t.retry_attempt), 0)::BIGINT,
		coalesce(min(t.ts) FILTER (WHERE t.dep = h.dep AND t.http_status BETWEEN 200 AND 399), 0),
		coalesce(min(t.ts) FILTER (WHERE t.kind IN ('log', 'error') AND t.level IN ('error', 'fatal') AND t.ts >= h.l), 0),
		coalesce(max(t.ts) FILTER (WHERE t.kind IN ('event', 'pageview')), 0)
	FROM hits h LEFT JOIN tr t ON t.trace_hi = h.trace_hi AND t.trace_lo = h.trace_lo
	GROUP BY h.dep, h.caller, h.trace_hi, h.trace_lo, h.n, h.f, h.l
	ORDER BY h.f`
	// The throttled transactions' rows are read only between their first
	// and last row in the range (one cheap pass over the trace ids finds
	// them), rather than over the whole range with their attributes.
	follow := r.Range.To + max(r.Follow, 0)
	var lo, hi sql.NullInt64
	bounds := `WITH hits AS (SELECT DISTINCT trace_hi, trace_lo FROM events
		WHERE project_id = ? AND ts >= ? AND ts < ? AND http_status = 429 AND ` + call + ` AND (trace_hi <> 0 OR trace_lo <> 0))
	SELECT min(e.ts), max(e.ts) FROM events e SEMI JOIN hits h ON e.trace_hi = h.trace_hi AND e.trace_lo = h.trace_lo
	WHERE e.project_id = ? AND e.ts >= ? AND e.ts < ?`
	if err := s.db.QueryRowContext(ctx, bounds, r.ProjectID, r.Range.From, r.Range.To, r.ProjectID, r.Range.From, follow).Scan(&lo, &hi); err != nil {
		return nil, err
	}
	trFrom, trTo := r.Range.From, r.Range.From
	if lo.Valid {
		trFrom, trTo = max(lo.Int64, r.Range.From), min(hi.Int64+1, follow)
	}
	args := []any{r.ProjectID, r.Range.From, r.Range.To, r.ProjectID, trFrom, trTo}
	var out []store.ThrottledTxn
	err := s.eachRow(ctx, q, args, func(rows *sql.Rows) error {
		var t store.ThrottledTxn
		if err := rows.Scan(&t.Dependency, &t.Caller, &t.TraceID, &t.Throttled, &t.FirstTS, &t.LastTS,
			&t.MaxRetry, &t.OKAt, &t.FailedAt, &t.LastUserTS); err != nil {
			return err
		}
		out = append(out, t)
		return nil
	})
	return out, err
}

// RetrySequences lists the traces with at least minRetries retries, the
// dependency whose calls failed most in each (spans' peer.service first,
// else the log rows' dependency) and whether the trace's last call
// succeeded.
func (s *Store) RetrySequences(ctx context.Context, project int64, r store.Range, minRetries, limit int) ([]store.RetrySequence, error) {
	if err := narrativeRange(r); err != nil {
		return nil, fmt.Errorf("retry sequences: %w", err)
	}
	if limit <= 0 {
		limit = 1000
	}
	q := `WITH seq AS (
		SELECT trace_hi, trace_lo, max(retry_attempt) AS n, min(ts) AS f, max(ts) AS l, arg_max(service, retry_attempt) AS caller
		FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND retry_attempt >= 1 AND (trace_hi <> 0 OR trace_lo <> 0)
		GROUP BY trace_hi, trace_lo HAVING max(retry_attempt) >= ? ORDER BY n DESC, f LIMIT ?),
	calls AS (
		SELECT e.trace_hi, e.trace_lo, e.ts, e.http_status,
			CASE WHEN ` + spanCall + ` THEN ` + spanDep + ` END AS sdep,
			CASE WHEN ` + logCall + ` THEN ` + logDep + ` END AS ldep
		FROM events e SEMI JOIN seq ON e.trace_hi = seq.trace_hi AND e.trace_lo = seq.trace_lo
		WHERE e.project_id = ? AND e.ts >= ? AND e.ts < ? AND e.http_status IS NOT NULL)
	SELECT coalesce(mode(c.sdep) FILTER (WHERE c.http_status >= 400), mode(c.ldep) FILTER (WHERE c.http_status >= 400), ''),
		seq.caller, lpad(lower(hex(seq.trace_hi)), 16, '0') || lpad(lower(hex(seq.trace_lo)), 16, '0'),
		seq.n::BIGINT, seq.f, seq.l,
		coalesce(arg_max(c.http_status, c.ts) BETWEEN 200 AND 399, false)
	FROM seq LEFT JOIN calls c ON c.trace_hi = seq.trace_hi AND c.trace_lo = seq.trace_lo
	GROUP BY seq.trace_hi, seq.trace_lo, seq.caller, seq.n, seq.f, seq.l
	ORDER BY seq.n DESC, seq.f`
	args := []any{project, r.From, r.To, minRetries, limit, project, r.From, r.To + int64(3600e6)}
	var out []store.RetrySequence
	err := s.eachRow(ctx, q, args, func(rows *sql.Rows) error {
		var x store.RetrySequence
		if err := rows.Scan(&x.Dependency, &x.Caller, &x.TraceID, &x.Retries, &x.FirstTS, &x.LastTS, &x.Succeeded); err != nil {
			return err
		}
		out = append(out, x)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("retry sequences: %w", err)
	}
	return out, nil
}
