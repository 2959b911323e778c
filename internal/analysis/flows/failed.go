package flows

import (
	"context"
	"fmt"

	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

// Failed is a query object: up to Limit (default 10000) journeys whose
// first error is in Range, their earlier rows read from Lookback before
// it.
type Failed struct {
	ProjectID int64
	Range     store.Range
	Limit     int
}

// Lookback is how long before the range a failed journey's earlier steps
// are read.
const Lookback = int64(3600e6)

// Journey is one journey that reached an error: its product events before
// the first error, in order, and how long it took to fail.
type Journey struct {
	Key     string   // "s:" + session id or "t:" + trace id
	Steps   []string // names of its product events (kind event, not "$…" autocaptured) before the error
	Pages   []string // paths of its page views before the error, when it has no named events
	StartTS int64
	ErrorTS int64
	Error   string // the first error: service and error type (or name)
	Retried bool   // a retry (retry_attempt >= 1) happened before the first error
}

// Key identifies the query, for caching its answer.
func (q Failed) Key() string {
	return fmt.Sprintf("flows.failed:%d:%d:%d:%d", q.ProjectID, q.Range.From, q.Range.To, q.limit())
}

func (q Failed) limit() int {
	if q.Limit <= 0 {
		return 10000
	}
	return q.Limit
}

// Query compiles the query in d: the rows of the range keyed by journey
// (ev), each journey's first error (fe), then its steps before it.
func (q Failed) Query(d sqlq.Dialect) (sqlq.Query, error) {
	var b sqlq.Builder
	b.Add(`WITH ev0 AS (
		SELECT session_id, trace_hi, trace_lo, ts, kind, level, name, service, error_type, retry_attempt, endpoint
		FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND `+hasJourney+`),
	tsess AS (
		SELECT trace_hi, trace_lo, max(session_id) AS sid FROM ev0
		WHERE session_id <> '' AND (trace_hi <> 0 OR trace_lo <> 0) GROUP BY trace_hi, trace_lo),
	ev AS (
		SELECT CASE WHEN ev0.session_id <> '' THEN 's:' || ev0.session_id
			WHEN tsess.sid IS NOT NULL THEN 's:' || tsess.sid
			ELSE 't:' || `+d.TraceHex("ev0.trace_hi", "ev0.trace_lo")+` END AS k,
			ts, kind, level, name, service, error_type, retry_attempt, endpoint
		FROM ev0 LEFT JOIN tsess ON ev0.trace_hi = tsess.trace_hi AND ev0.trace_lo = tsess.trace_lo),
	fe AS (
		SELECT k, min(ts) AS ets,
			`+d.ArgMin("service || ' ' || CASE WHEN error_type <> '' THEN error_type ELSE name END", "ts")+` AS elabel
		FROM ev WHERE `+errorRow("")+`
		GROUP BY k HAVING min(ts) >= ? ORDER BY ets LIMIT ?)
	SELECT fe.k, min(ev.ts), fe.ets, fe.elabel,
		coalesce(`+d.AggIf(sqlq.AggMax, "ev.retry_attempt", "ev.ts <= fe.ets")+`, 0) >= 1,
		`+d.ListAggIf("ev.name", "ev.ts", "ev.ts < fe.ets AND "+namedStep(d, "ev."))+`,
		`+d.ListAggIf("ev.endpoint", "ev.ts", "ev.ts < fe.ets AND ev.kind = 'pageview' AND ev.endpoint <> ''")+`
	FROM fe JOIN ev ON ev.k = fe.k
	GROUP BY fe.k, fe.ets, fe.elabel ORDER BY fe.ets`, q.ProjectID, q.Range.From-Lookback, q.Range.To, q.Range.From, q.limit())
	return b.Query("flows.failed", sqlq.Scope{ProjectID: q.ProjectID, From: q.Range.From, To: q.Range.To})
}

// Run reads the failed journeys, in order of their first error.
func (q Failed) Run(ctx context.Context, ex sqlq.Executor) ([]Journey, error) {
	if err := checkRange(q.Range); err != nil {
		return nil, fmt.Errorf("failed journeys: %w", err)
	}
	cq, err := q.Query(ex.Dialect())
	if err != nil {
		return nil, fmt.Errorf("failed journeys: %w", err)
	}
	var out []Journey
	err = ex.Run(ctx, cq, func(r sqlq.Scanner) error {
		var (
			j            Journey
			steps, pages any
		)
		if err := r.Scan(&j.Key, &j.StartTS, &j.ErrorTS, &j.Error, &j.Retried, &steps, &pages); err != nil {
			return err
		}
		j.Steps = sqlq.Strings(steps, 1000)
		j.Pages = sqlq.Strings(pages, 1000)
		out = append(out, j)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("failed journeys: %w", err)
	}
	return out, nil
}
