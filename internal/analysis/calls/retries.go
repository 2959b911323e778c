package calls

import (
	"context"
	"fmt"

	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

// Retries is a query object: the traces in Range whose highest
// retry_attempt is at least MinRetries, up to Limit (default 1000), most
// retries first.
type Retries struct {
	ProjectID  int64
	Range      store.Range
	MinRetries int
	Limit      int
}

// Sequence is a trace with retries: the highest retry_attempt seen, the
// dependency whose calls failed most in it (spans' peer.service first,
// else the log rows' dependency), and whether its last call succeeded.
type Sequence struct {
	Dependency string
	Caller     string
	TraceID    string
	Retries    int64
	FirstTS    int64
	LastTS     int64
	Succeeded  bool
}

// retryFollow is how far past the range a sequence's calls are read, for
// its outcome.
const retryFollow = int64(3600e6)

// Key identifies the query, for caching its answer.
func (q Retries) Key() string {
	return fmt.Sprintf("calls.retries:%d:%d:%d:%d:%d", q.ProjectID, q.Range.From, q.Range.To, q.MinRetries, q.limit())
}

func (q Retries) limit() int {
	if q.Limit <= 0 {
		return 1000
	}
	return q.Limit
}

// Query compiles the query in d.
func (q Retries) Query(d sqlq.Dialect) (sqlq.Query, error) {
	var b sqlq.Builder
	b.Add(`WITH seq AS (
		SELECT trace_hi, trace_lo, max(retry_attempt) AS n, min(ts) AS f, max(ts) AS l, `+d.ArgMax("service", "retry_attempt")+` AS caller
		FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND retry_attempt >= 1 AND (trace_hi <> 0 OR trace_lo <> 0)
		GROUP BY trace_hi, trace_lo HAVING max(retry_attempt) >= ? ORDER BY n DESC, f LIMIT ?),
	calls AS (
		SELECT e.trace_hi, e.trace_lo, e.ts, e.http_status,
			CASE WHEN `+spans.call(d)+` THEN `+spans.dep(d)+` END AS sdep,
			CASE WHEN `+logs.call(d)+` THEN `+logs.dep(d)+` END AS ldep
		FROM `, q.ProjectID, q.Range.From, q.Range.To, q.MinRetries, q.limit()).
		Add(d.SemiJoin("events e", "seq", sameTrace("e", "seq"))).
		Add(`
		WHERE e.project_id = ? AND e.ts >= ? AND e.ts < ? AND e.http_status IS NOT NULL)
	SELECT coalesce(`+d.AggIf(sqlq.AggMode, "c.sdep", "c.http_status >= 400")+`, `+d.AggIf(sqlq.AggMode, "c.ldep", "c.http_status >= 400")+`, ''),
		seq.caller, `+d.TraceHex("seq.trace_hi", "seq.trace_lo")+`,
		`+d.Int64("seq.n")+`, seq.f, seq.l,
		coalesce(`+d.ArgMax("c.http_status", "c.ts")+` BETWEEN 200 AND 399, false)
	FROM seq LEFT JOIN calls c ON `+sameTrace("c", "seq")+`
	GROUP BY seq.trace_hi, seq.trace_lo, seq.caller, seq.n, seq.f, seq.l
	ORDER BY seq.n DESC, seq.f`, q.ProjectID, q.Range.From, q.Range.To+retryFollow)
	return b.Query("calls.retries", sqlq.Scope{ProjectID: q.ProjectID, From: q.Range.From, To: q.Range.To})
}

// Run reads the retry sequences.
func (q Retries) Run(ctx context.Context, ex sqlq.Executor) ([]Sequence, error) {
	if err := checkRange(q.Range); err != nil {
		return nil, fmt.Errorf("retry sequences: %w", err)
	}
	cq, err := q.Query(ex.Dialect())
	if err != nil {
		return nil, fmt.Errorf("retry sequences: %w", err)
	}
	var out []Sequence
	err = ex.Run(ctx, cq, func(r sqlq.Scanner) error {
		var x Sequence
		if err := r.Scan(&x.Dependency, &x.Caller, &x.TraceID, &x.Retries, &x.FirstTS, &x.LastTS, &x.Succeeded); err != nil {
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
