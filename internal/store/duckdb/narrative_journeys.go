package duckdb

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/lore-dev/lore/internal/store"
)

// journeyRows is the CTE "ev" of the rows of a project and range (bound
// as three arguments) keyed by journey: a row without a session id belongs
// to the session seen elsewhere in its trace (backend logs of a browser
// action), else to its trace.
const journeyRows = `ev0 AS (
		SELECT session_id, trace_hi, trace_lo, ts, kind, level, name, service, error_type, retry_attempt, endpoint
		FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND (session_id <> '' OR trace_hi <> 0 OR trace_lo <> 0)),
	tsess AS (
		SELECT trace_hi, trace_lo, max(session_id) AS sid FROM ev0
		WHERE session_id <> '' AND (trace_hi <> 0 OR trace_lo <> 0) GROUP BY trace_hi, trace_lo),
	ev AS (
		SELECT CASE WHEN ev0.session_id <> '' THEN 's:' || ev0.session_id
			WHEN tsess.sid IS NOT NULL THEN 's:' || tsess.sid
			ELSE 't:' || lpad(lower(hex(ev0.trace_hi)), 16, '0') || lpad(lower(hex(ev0.trace_lo)), 16, '0') END AS k,
			ts, kind, level, name, service, error_type, retry_attempt, endpoint
		FROM ev0 LEFT JOIN tsess ON ev0.trace_hi = tsess.trace_hi AND ev0.trace_lo = tsess.trace_lo)`

// isNamedStep matches the named product events of a journey.
const isNamedStep = "kind = 'event' AND name <> '' AND NOT starts_with(name, '$')"

// isErrorRow matches the error rows of a journey (not spans: a failed
// call's span and its log are one error).
const isErrorRow = "(kind = 'error' OR (kind <> 'span' AND level IN ('error', 'fatal')))"

// FailedJourneys finds the sessions (or traces, for events without a
// session) whose first error falls in the range, with the named product
// events and page views before it.
func (s *Store) FailedJourneys(ctx context.Context, project int64, r store.Range, limit int) ([]store.FailedJourney, error) {
	if err := narrativeRange(r); err != nil {
		return nil, fmt.Errorf("failed journeys: %w", err)
	}
	if limit <= 0 {
		limit = 10000
	}
	q := `WITH ` + journeyRows + `,
	fe AS (
		SELECT k, min(ts) AS ets,
			arg_min(service || ' ' || CASE WHEN error_type <> '' THEN error_type ELSE name END, ts) AS elabel
		FROM ev WHERE kind = 'error' OR (kind <> 'span' AND level IN ('error', 'fatal'))
		GROUP BY k HAVING min(ts) >= ? ORDER BY ets LIMIT ?)
	SELECT fe.k, min(ev.ts), fe.ets, fe.elabel,
		coalesce(max(ev.retry_attempt) FILTER (WHERE ev.ts <= fe.ets), 0) >= 1,
		coalesce(list(ev.name ORDER BY ev.ts) FILTER (WHERE ev.ts < fe.ets AND ev.kind = 'event' AND ev.name <> '' AND NOT starts_with(ev.name, '$')), []),
		coalesce(list(ev.endpoint ORDER BY ev.ts) FILTER (WHERE ev.ts < fe.ets AND ev.kind = 'pageview' AND ev.endpoint <> ''), [])
	FROM fe JOIN ev ON ev.k = fe.k
	GROUP BY fe.k, fe.ets, fe.elabel ORDER BY fe.ets`
	lookback := int64(3600e6)
	args := []any{project, r.From - lookback, r.To, r.From, limit}
	var out []store.FailedJourney
	err := s.eachRow(ctx, q, args, func(rows *sql.Rows) error {
		var (
			j            store.FailedJourney
			steps, pages any
		)
		if err := rows.Scan(&j.Key, &j.StartTS, &j.ErrorTS, &j.Error, &j.Retried, &steps, &pages); err != nil {
			return err
		}
		j.Steps = stringList(steps, 1000)
		j.Pages = stringList(pages, 1000)
		out = append(out, j)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("failed journeys: %w", err)
	}
	return out, nil
}

// sessionFlowsSQL reads only the rows a session flow is made of — named
// product events and error rows, in disjoint scans whose filters DuckDB
// applies before reading the other columns — and, for the error rows
// without a
// session id, the session seen elsewhere in their trace (as journeyRows
// does for every row). The first limit sessions are chosen before their
// flows are gathered, so that only theirs are held in memory. Arguments:
// project, from, to, limit.
const sessionFlowsSQL = `WITH ev0 AS (
		SELECT session_id, trace_hi, trace_lo, ts, kind, level, name FROM events
		WHERE project_id = ?1 AND ts >= ?2 AND ts < ?3 AND kind = 'event' AND name <> '' AND NOT starts_with(name, '$')
			AND (session_id <> '' OR trace_hi <> 0 OR trace_lo <> 0)
		UNION ALL SELECT session_id, trace_hi, trace_lo, ts, kind, level, name FROM events
		WHERE project_id = ?1 AND ts >= ?2 AND ts < ?3 AND kind = 'error' AND (session_id <> '' OR trace_hi <> 0 OR trace_lo <> 0)
		UNION ALL SELECT session_id, trace_hi, trace_lo, ts, kind, level, name FROM events
		WHERE project_id = ?1 AND ts >= ?2 AND ts < ?3 AND kind <> 'span' AND kind <> 'error' AND kind <> 'event' AND level = 'error'
			AND (session_id <> '' OR trace_hi <> 0 OR trace_lo <> 0)
		UNION ALL SELECT session_id, trace_hi, trace_lo, ts, kind, level, name FROM events
		WHERE project_id = ?1 AND ts >= ?2 AND ts < ?3 AND kind <> 'span' AND kind <> 'error' AND kind <> 'event' AND level = 'fatal'
			AND (session_id <> '' OR trace_hi <> 0 OR trace_lo <> 0)
		UNION ALL SELECT session_id, trace_hi, trace_lo, ts, kind, level, name FROM events
		WHERE project_id = ?1 AND ts >= ?2 AND ts < ?3 AND kind = 'event' AND level IN ('error', 'fatal')
			AND NOT (name <> '' AND NOT starts_with(name, '$')) AND (session_id <> '' OR trace_hi <> 0 OR trace_lo <> 0)),
	orphans AS (SELECT DISTINCT trace_hi, trace_lo FROM ev0 WHERE session_id = ''),
	tsess AS (
		SELECT e.trace_hi, e.trace_lo, max(e.session_id) AS sid
		FROM events e SEMI JOIN orphans o ON e.trace_hi = o.trace_hi AND e.trace_lo = o.trace_lo
		WHERE e.project_id = ?1 AND e.ts >= ?2 AND e.ts < ?3 AND e.session_id <> ''
		GROUP BY e.trace_hi, e.trace_lo),
	ev AS (
		SELECT coalesce(nullif(ev0.session_id, ''), tsess.sid) AS k, ts, kind, level, name
		FROM ev0 LEFT JOIN tsess ON ev0.trace_hi = tsess.trace_hi AND ev0.trace_lo = tsess.trace_lo),
	keys AS (
		SELECT k FROM ev WHERE k IS NOT NULL AND ` + isNamedStep + `
		GROUP BY k ORDER BY k LIMIT ?4)
	SELECT k, list(name ORDER BY ts) FILTER (WHERE ` + isNamedStep + `),
		list(ts ORDER BY ts) FILTER (WHERE ` + isNamedStep + `),
		coalesce(list(ts ORDER BY ts) FILTER (WHERE ` + isErrorRow + `), [])
	FROM ev SEMI JOIN keys USING (k)
	GROUP BY k ORDER BY k`

// SessionFlows lists sessions with their named product events and their
// error times, in order.
func (s *Store) SessionFlows(ctx context.Context, project int64, r store.Range, limit int) ([]store.SessionFlow, error) {
	if err := narrativeRange(r); err != nil {
		return nil, fmt.Errorf("session flows: %w", err)
	}
	if limit <= 0 {
		limit = 50000
	}
	var out []store.SessionFlow
	err := s.eachRow(ctx, sessionFlowsSQL, []any{project, r.From, r.To, limit}, func(rows *sql.Rows) error {
		var (
			f                 store.SessionFlow
			steps, sts, errTS any
		)
		if err := rows.Scan(&f.Session, &steps, &sts, &errTS); err != nil {
			return err
		}
		f.Steps = stringList(steps, 100000)
		f.StepTS = int64List(sts)
		f.ErrorTS = int64List(errTS)
		out = append(out, f)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("session flows: %w", err)
	}
	return out, nil
}

// int64List converts a scanned DuckDB list of BIGINT.
func int64List(v any) []int64 {
	xs, _ := v.([]any)
	out := make([]int64, 0, len(xs))
	for _, x := range xs {
		if n, ok := x.(int64); ok {
			out = append(out, n)
		}
	}
	return out
}
