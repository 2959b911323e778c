package calls

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

// Throttled is a query object: the transactions (traces) in which calls
// to a dependency were answered 429 Too Many Requests in Range, followed
// for their retries and outcome until Follow µs after Range.To.
type Throttled struct {
	ProjectID int64
	Range     store.Range
	Follow    int64
}

// Txn is one transaction that got at least one 429 from a dependency (a
// call as the package defines it).
//
// OKAt is the first call to the dependency answered 2xx or 3xx, FailedAt
// the first error- or fatal-level log or error row at or after the last
// 429 when there was no success; LastUserTS the last product event or page
// view of the trace. All are µs, 0 when absent.
type Txn struct {
	Dependency string
	Caller     string // the service that made the throttled calls
	TraceID    string // hex; "" for 429s without a trace (one row per dependency)
	Throttled  int64  // calls answered 429
	FirstTS    int64  // first 429
	LastTS     int64  // last 429
	MaxRetry   int64  // highest retry_attempt in the trace: the retries made
	OKAt       int64
	FailedAt   int64
	LastUserTS int64
	// RageClicks are the $rageclick events of the trace (a session
	// replay's detections, or posthog-js's): the person clicked the
	// control that started it again and again. RageText is the control's
	// text, RageSession the session (whose replay shows it).
	RageClicks  int64
	RageText    string
	RageSession string
}

// Key identifies the query, for caching its answer.
func (q Throttled) Key() string {
	return fmt.Sprintf("calls.throttled:%d:%d:%d:%d", q.ProjectID, q.Range.From, q.Range.To, q.Follow)
}

// Run reads the throttled transactions from spans, or from logs when the
// spans have none, in order of their first 429.
func (q Throttled) Run(ctx context.Context, ex sqlq.Executor) ([]Txn, error) {
	if err := checkRange(q.Range); err != nil {
		return nil, fmt.Errorf("throttled transactions: %w", err)
	}
	out, err := q.read(ctx, ex, spans)
	if err == nil && len(out) == 0 {
		out, err = q.read(ctx, ex, logs)
	}
	if err != nil {
		return nil, fmt.Errorf("throttled transactions: %w", err)
	}
	return out, nil
}

func (q Throttled) scope() sqlq.Scope {
	return sqlq.Scope{ProjectID: q.ProjectID, From: q.Range.From, To: q.Range.To}
}

// bounds is the first and last row of the throttled traces, from the
// window's start to the end of the follow-up: the transactions' rows are
// then read only between them (one cheap pass over the trace ids finds
// them), rather than over the whole range with their attributes.
func (q Throttled) bounds(d sqlq.Dialect, src source) (sqlq.Query, error) {
	follow := q.Range.To + max(q.Follow, 0)
	var b sqlq.Builder
	b.Add(`WITH hits AS (SELECT DISTINCT trace_hi, trace_lo FROM events
		WHERE project_id = ? AND ts >= ? AND ts < ? AND http_status = 429 AND `+src.call(d)+` AND (trace_hi <> 0 OR trace_lo <> 0))
	SELECT min(e.ts), max(e.ts) FROM `, q.ProjectID, q.Range.From, q.Range.To).
		Add(d.SemiJoin("events e", "hits h", sameTrace("e", "h"))).
		Add(`
	WHERE e.project_id = ? AND e.ts >= ? AND e.ts < ?`, q.ProjectID, q.Range.From, follow)
	return b.Query("calls.throttled.bounds", q.scope())
}

// txns groups the 429s by dependency and trace and follows each trace
// over [from, to).
func (q Throttled) txns(d sqlq.Dialect, src source, from, to int64) (sqlq.Query, error) {
	call, dep, rage := src.call(d), src.dep(d), d.Str("$rageclick")
	var b sqlq.Builder
	b.Add(`WITH hits AS (
		SELECT `+dep+` AS dep, trace_hi, trace_lo, `+d.AggOf(sqlq.AggAny, "service")+` AS caller,
			`+d.AggOf(sqlq.AggCount, "")+` AS n, min(ts) AS f, max(ts) AS l
		FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND http_status = 429 AND `+call+`
		GROUP BY dep, trace_hi, trace_lo),
	tr AS (
		SELECT e.trace_hi, e.trace_lo, e.ts, e.kind, e.level, e.retry_attempt, e.http_status,
			CASE WHEN `+call+` THEN `+dep+` END AS dep,
			CASE WHEN e.name = `+rage+` THEN e.session_id END AS rage_session,
			CASE WHEN e.name = `+rage+` THEN `+d.Attr("$el_text")+` END AS rage_text
		FROM `, q.ProjectID, q.Range.From, q.Range.To).
		Add(d.SemiJoin("events e", "(SELECT DISTINCT trace_hi, trace_lo FROM hits WHERE trace_hi <> 0 OR trace_lo <> 0) h", sameTrace("e", "h"))).
		Add(`
		WHERE e.project_id = ? AND e.ts >= ? AND e.ts < ?)
	SELECT h.dep, h.caller, `+traceOrEmpty(d, "h")+`,
		h.n, h.f, h.l,
		`+d.Int64("coalesce(max(t.retry_attempt), 0)")+`,
		coalesce(`+d.AggIf(sqlq.AggMin, "t.ts", "t.dep = h.dep AND t.http_status BETWEEN 200 AND 399")+`, 0),
		coalesce(`+d.AggIf(sqlq.AggMin, "t.ts", "t.kind IN ('log', 'error') AND t.level IN ('error', 'fatal') AND t.ts >= h.l")+`, 0),
		coalesce(`+d.AggIf(sqlq.AggMax, "t.ts", "t.kind IN ('event', 'pageview')")+`, 0),
		`+d.Int64(d.AggIf(sqlq.AggCount, "", "t.rage_session IS NOT NULL"))+`,
		coalesce(`+d.AggOf(sqlq.AggMax, "t.rage_text")+`, ''),
		coalesce(`+d.AggOf(sqlq.AggMax, "t.rage_session")+`, '')
	FROM hits h LEFT JOIN tr t ON `+sameTrace("t", "h")+`
	GROUP BY h.dep, h.caller, h.trace_hi, h.trace_lo, h.n, h.f, h.l
	ORDER BY h.f`, q.ProjectID, from, to)
	return b.Query("calls.throttled", q.scope())
}

func (q Throttled) read(ctx context.Context, ex sqlq.Executor, src source) ([]Txn, error) {
	d := ex.Dialect()
	bq, err := q.bounds(d, src)
	if err != nil {
		return nil, err
	}
	var lo, hi sql.NullInt64
	if err := ex.Run(ctx, bq, func(r sqlq.Scanner) error { return r.Scan(&lo, &hi) }); err != nil {
		return nil, err
	}
	follow := q.Range.To + max(q.Follow, 0)
	from, to := q.Range.From, q.Range.From
	if lo.Valid {
		from, to = max(lo.Int64, q.Range.From), min(hi.Int64+1, follow)
	}
	tq, err := q.txns(d, src, from, to)
	if err != nil {
		return nil, err
	}
	var out []Txn
	err = ex.Run(ctx, tq, func(r sqlq.Scanner) error {
		var t Txn
		if err := r.Scan(&t.Dependency, &t.Caller, &t.TraceID, &t.Throttled, &t.FirstTS, &t.LastTS,
			&t.MaxRetry, &t.OKAt, &t.FailedAt, &t.LastUserTS, &t.RageClicks, &t.RageText, &t.RageSession); err != nil {
			return err
		}
		out = append(out, t)
		return nil
	})
	return out, err
}
