package flows

import (
	"context"
	"fmt"

	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

// Sessions is a query object: up to Limit (default 50000) sessions with
// named product events in Range, in session id order.
type Sessions struct {
	ProjectID int64
	Range     store.Range
	Limit     int
}

// Session is one session's named product events and its errors, each in
// time order. Rows without a session id belong to the session seen
// elsewhere in their trace.
type Session struct {
	Session string
	Steps   []string
	StepTS  []int64
	ErrorTS []int64
}

// Key identifies the query, for caching its answer.
func (q Sessions) Key() string {
	return fmt.Sprintf("flows.sessions:%d:%d:%d:%d", q.ProjectID, q.Range.From, q.Range.To, q.limit())
}

func (q Sessions) limit() int {
	if q.Limit <= 0 {
		return 50000
	}
	return q.Limit
}

// Query compiles the query in d. It reads only the rows a session flow is
// made of — named product events and error rows, in disjoint scans whose
// filters the engine applies before reading the other columns — and, for
// the error rows without a session id, the session seen elsewhere in
// their trace. The first Limit sessions are chosen before their flows are
// gathered, so that only theirs are held in memory.
func (q Sessions) Query(d sqlq.Dialect) (sqlq.Query, error) {
	scope := func(b *sqlq.Builder, cond string) {
		b.Add(`SELECT session_id, trace_hi, trace_lo, ts, kind, level, name FROM events
		WHERE project_id = ? AND ts >= ? AND ts < ? AND `+cond, q.ProjectID, q.Range.From, q.Range.To)
	}
	var b sqlq.Builder
	b.Add(`WITH ev0 AS (
		`)
	scope(&b, namedStep(d, "")+`
			AND `+hasJourney)
	b.Add(`
		UNION ALL `)
	scope(&b, "kind = 'error' AND "+hasJourney)
	for _, level := range []string{"error", "fatal"} {
		b.Add(`
		UNION ALL `)
		scope(&b, "kind <> 'span' AND kind <> 'error' AND kind <> 'event' AND level = "+d.Str(level)+`
			AND `+hasJourney)
	}
	b.Add(`
		UNION ALL `)
	scope(&b, `kind = 'event' AND level IN ('error', 'fatal')
			AND NOT (name <> '' AND NOT `+d.StartsWith("name", "$")+`) AND `+hasJourney)
	b.Add(`),
	orphans AS (SELECT DISTINCT trace_hi, trace_lo FROM ev0 WHERE session_id = ''),
	tsess AS (
		SELECT e.trace_hi, e.trace_lo, max(e.session_id) AS sid
		FROM `+d.SemiJoin("events e", "orphans o", "e.trace_hi = o.trace_hi AND e.trace_lo = o.trace_lo")+`
		WHERE e.project_id = ? AND e.ts >= ? AND e.ts < ? AND e.session_id <> ''
		GROUP BY e.trace_hi, e.trace_lo),
	ev AS (
		SELECT coalesce(nullif(ev0.session_id, ''), tsess.sid) AS k, ts, kind, level, name
		FROM ev0 LEFT JOIN tsess ON ev0.trace_hi = tsess.trace_hi AND ev0.trace_lo = tsess.trace_lo),
	keys AS (
		SELECT k FROM ev WHERE k IS NOT NULL AND `+namedStep(d, "")+`
		GROUP BY k ORDER BY k LIMIT ?)
	SELECT ev.k, `+d.ListAggIf("ev.name", "ev.ts", namedStep(d, "ev."))+`,
		`+d.ListAggIf("ev.ts", "ev.ts", namedStep(d, "ev."))+`,
		`+d.ListAggIf("ev.ts", "ev.ts", errorRow("ev."))+`
	FROM `+d.SemiJoin("ev", "keys", "ev.k = keys.k")+`
	GROUP BY ev.k ORDER BY ev.k`, q.ProjectID, q.Range.From, q.Range.To, q.limit())
	return b.Query("flows.sessions", sqlq.Scope{ProjectID: q.ProjectID, From: q.Range.From, To: q.Range.To})
}

// Run reads the session flows.
func (q Sessions) Run(ctx context.Context, ex sqlq.Executor) ([]Session, error) {
	if err := checkRange(q.Range); err != nil {
		return nil, fmt.Errorf("session flows: %w", err)
	}
	cq, err := q.Query(ex.Dialect())
	if err != nil {
		return nil, fmt.Errorf("session flows: %w", err)
	}
	var out []Session
	err = ex.Run(ctx, cq, func(r sqlq.Scanner) error {
		var (
			f                 Session
			steps, sts, errTS any
		)
		if err := r.Scan(&f.Session, &steps, &sts, &errTS); err != nil {
			return err
		}
		f.Steps = sqlq.Strings(steps, 100000)
		f.StepTS = sqlq.Int64s(sts)
		f.ErrorTS = sqlq.Int64s(errTS)
		out = append(out, f)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("session flows: %w", err)
	}
	return out, nil
}
