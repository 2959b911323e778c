package product

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

const (
	day  = int64(86400 * 1_000_000)
	week = 7 * day
	// weekOrigin is the first Monday after the epoch (1970-01-05), so
	// weekly periods start on Mondays.
	weekOrigin = 4 * day
	maxPeriods = 400
)

// periodOrigin is the instant period boundaries are counted from.
func periodOrigin(period int64) int64 {
	if period == week {
		return weekOrigin
	}
	return 0
}

// bucketExpr floors col to its period's start.
func bucketExpr(d sqlq.Dialect, col string, period int64) (string, []any) {
	o := periodOrigin(period)
	return "(? + " + d.Int64("floor(("+col+" - ?) / ?)") + " * ?)", []any{o, o, period, period}
}

// Retention is a query object: persons grouped into cohorts by the
// period (a UTC day, or a week from Monday) of their first Start event in
// Range, and those who did a Return event in each of Periods periods
// since (period 0 is the cohort's own, counting returns at or after the
// first start).
//
// A store with a person index (store.RetentionIndex) answers it without
// SQL when it can; the SQL gives the same answer.
type Retention store.RetentionRequest

func (q Retention) request() (store.RetentionRequest, error) {
	r := store.RetentionRequest(q)
	if err := validRange(r.Range); err != nil {
		return r, err
	}
	if r.Period <= 0 {
		return r, fmt.Errorf("period %dµs is not positive", r.Period)
	}
	if r.Periods <= 0 || r.Periods > maxPeriods {
		return r, fmt.Errorf("%d periods: want 1 to %d", r.Periods, maxPeriods)
	}
	return r, nil
}

// Key identifies the query, for caching its answer.
func (q Retention) Key() string {
	step := func(s store.Step) string {
		w := ""
		if s.Where != nil {
			w = s.Where.String()
		}
		return fmt.Sprintf("%q:%q", s.Name, w)
	}
	return fmt.Sprintf("product.retention:%d:%d:%d:%s:%s:%d:%d:%q", q.ProjectID, q.Range.From, q.Range.To, step(q.Start), step(q.Return),
		q.Period, q.Periods, q.Breakdown)
}

// Scope is what the retention table reads.
func (q Retention) Scope() sqlq.Scope { return scope(q.ProjectID, q.Range) }

// Query compiles the SQL path in d: each person's first start event in
// the range (their cohort is its period), then the periods in which they
// did a return event at or after it.
func (q Retention) Query(d sqlq.Dialect) (sqlq.Query, error) {
	r, err := q.request()
	if err != nil {
		return sqlq.Query{}, err
	}
	b := &sqlq.Builder{}
	b.Add("WITH ")
	identsCTE(b, r.ProjectID)
	bd, bargs := breakdownExpr(d, r.Breakdown)
	sm, sargs, err := stepMatch(d, r.Start)
	if err != nil {
		return sqlq.Query{}, err
	}
	rm, rargs, err := stepMatch(d, r.Return)
	if err != nil {
		return sqlq.Query{}, err
	}
	b.Add(", raw AS (SELECT ts, "+personKey+" AS k, "+bd+" AS bd, ", bargs...)
	b.Add("coalesce("+sm+", FALSE) AS is_start, ", sargs...)
	b.Add("coalesce("+rm+", FALSE) AS is_return FROM events WHERE ", rargs...)
	inRange(b, r.ProjectID, r.Range)
	b.Add(" AND " + hasPerson + " AND (")
	b.Add(sm+" OR ", sargs...)
	b.Add(rm+"))", rargs...)
	b.Add(", " + d.MaterializedCTE("ev", "SELECT "+d.Hash64("coalesce(idm.uid, raw.k)")+" AS person, ts, bd, is_start, is_return FROM raw LEFT JOIN idm ON idm.a = raw.k"))
	b0, b0args := bucketExpr(d, "min(ts)", r.Period)
	b.Add(", first AS (SELECT person, min(ts) AS t0, "+d.ArgMin("bd", "ts")+" AS bd, "+b0+" AS c FROM ev WHERE is_start GROUP BY person)", b0args...)
	b1, b1args := bucketExpr(d, "e.ts", r.Period)
	b.Add(", ret AS (SELECT DISTINCT f.person, f.c, f.bd, "+d.IntDiv(b1+" - f.c", "?")+" AS k FROM first f JOIN ev e ON e.person = f.person WHERE e.is_return AND e.ts >= f.t0)", append(b1args, r.Period)...)
	// The union is ordered as a whole from outside it (ClickHouse orders
	// only a union's last SELECT by a trailing ORDER BY).
	b.Add(" SELECT * FROM (SELECT c, bd, -1 AS k, count(*) AS n FROM first GROUP BY c, bd UNION ALL SELECT c, bd, k, count(*) AS n FROM ret WHERE k < ? GROUP BY c, bd, k) ORDER BY c, bd, k", r.Periods)
	return b.Query("product.retention", scope(r.ProjectID, r.Range))
}

// Run answers from the store's person index when it has one that can,
// else with SQL. Cohorts are in time order (and breakdown value).
func (q Retention) Run(ctx context.Context, ex sqlq.Executor) (store.RetentionResult, error) {
	r, err := q.request()
	if err != nil {
		return store.RetentionResult{}, fmt.Errorf("retention: %w", err)
	}
	if ix, ok := ex.(store.RetentionIndex); ok {
		if res, ok := ix.IndexedRetention(r); ok {
			return res, nil
		}
	}
	cq, err := q.Query(ex.Dialect())
	if err != nil {
		return store.RetentionResult{}, fmt.Errorf("retention: %w", err)
	}
	res := store.RetentionResult{Cohorts: []store.Cohort{}}
	idx := map[[2]any]int{}
	err = ex.Run(ctx, cq, func(row sqlq.Scanner) error {
		var (
			c, k, cnt int64
			bdv       sql.NullString
		)
		if err := row.Scan(&c, &bdv, &k, &cnt); err != nil {
			return err
		}
		key := [2]any{c, bdv.String}
		i, ok := idx[key]
		if !ok {
			i = len(res.Cohorts)
			idx[key] = i
			res.Cohorts = append(res.Cohorts, store.Cohort{Start: c, Breakdown: bdv.String, Returned: make([]int64, r.Periods)})
		}
		if k < 0 {
			res.Cohorts[i].Size = cnt
		} else if k < int64(r.Periods) {
			res.Cohorts[i].Returned[k] = cnt
		}
		return nil
	})
	if err != nil {
		return store.RetentionResult{}, fmt.Errorf("retention: %w", err)
	}
	return res, nil
}

// RetentionRequest is POST /api/v1/retention as sent.
type RetentionRequest struct {
	StartEvent  string `json:"start_event"`
	StartWhere  string `json:"start_where,omitempty"`
	ReturnEvent string `json:"return_event"` // default: the start event
	ReturnWhere string `json:"return_where,omitempty"`
	Period      string `json:"period"`  // day (default) or week
	Periods     int    `json:"periods"` // default 8
	From        string `json:"from"`    // default: periods before now
	To          string `json:"to"`
	Breakdown   string `json:"breakdown"`
}

// Query validates r and builds the query object.
func (r RetentionRequest) Query(project int64, now time.Time) (Retention, error) {
	var period int64
	switch r.Period {
	case "", "day":
		period = int64(24 * time.Hour / time.Microsecond)
	case "week":
		period = int64(7 * 24 * time.Hour / time.Microsecond)
	default:
		return Retention{}, badf("period %q: want day or week", r.Period)
	}
	if r.Periods == 0 {
		r.Periods = 8
	}
	if r.Periods < 1 || r.Periods > 400 {
		return Retention{}, badf("periods %d: want 1 to 400", r.Periods)
	}
	rng, err := parseRange(r.From, r.To, now, time.Duration(period*int64(r.Periods))*time.Microsecond)
	if err != nil {
		return Retention{}, err
	}
	start, err := StepSpec{r.StartEvent, r.StartWhere}.step("start_event")
	if err != nil {
		return Retention{}, err
	}
	if r.ReturnEvent == "" {
		r.ReturnEvent = r.StartEvent
	}
	ret, err := StepSpec{r.ReturnEvent, r.ReturnWhere}.step("return_event")
	if err != nil {
		return Retention{}, err
	}
	return Retention{ProjectID: project, Range: rng, Start: start, Return: ret, Period: period, Periods: r.Periods, Breakdown: r.Breakdown}, nil
}

// RetentionResult is the answer of POST /api/v1/retention: returned[k] is
// the persons of the cohort who did the return event k periods after the
// cohort's period (0: the same period, at or after their start).
type RetentionResult struct {
	Period  string         `json:"period"`
	Cohorts []CohortResult `json:"cohorts"`
	Range   timeRange      `json:"range"`
}

// CohortResult is one row of the table.
type CohortResult struct {
	Start     string    `json:"start"`
	Breakdown string    `json:"breakdown,omitempty"`
	Size      int64     `json:"size"`
	Returned  []int64   `json:"returned"`
	Rates     []float64 `json:"rates"`
}

// Resolve computes the table on ex and shapes it for the API.
func (r Retention) Resolve(ctx context.Context, ex store.Analytics) (RetentionResult, error) {
	res, err := r.Run(ctx, ex)
	if err != nil {
		return RetentionResult{}, fmt.Errorf("cannot compute retention: %w", err)
	}
	period := "day"
	if r.Period == int64(7*24*time.Hour/time.Microsecond) {
		period = "week"
	}
	out := RetentionResult{Period: period, Cohorts: make([]CohortResult, 0, len(res.Cohorts)), Range: echoRange(r.Range)}
	for _, c := range res.Cohorts {
		cr := CohortResult{Start: event.FormatMicros(c.Start), Breakdown: c.Breakdown, Size: c.Size, Returned: c.Returned, Rates: make([]float64, len(c.Returned))}
		for i, n := range c.Returned {
			cr.Rates[i] = fraction(n, c.Size)
		}
		out.Cohorts = append(out.Cohorts, cr)
	}
	return out, nil
}
