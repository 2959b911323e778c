package duckdb

import (
	"context"
	"database/sql"
	"fmt"

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

// bucketExpr returns SQL flooring col to its period start.
func bucketExpr(col string, period int64) (string, []any) {
	o := periodOrigin(period)
	return "(? + floor((" + col + " - ?) / ?)::BIGINT * ?)", []any{o, o, period, period}
}

// Retention answers from the product index (product_retention.go) when
// neither event has a filter and there is no breakdown. Otherwise SQL
// finds each person's first start event in the range (their
// cohort is its period), then the periods in which they did a return
// event at or after it.
func (s *Store) Retention(ctx context.Context, r store.RetentionRequest) (store.RetentionResult, error) {
	if err := validRange(r.Range); err != nil {
		return store.RetentionResult{}, fmt.Errorf("retention: %w", err)
	}
	if r.Period <= 0 {
		return store.RetentionResult{}, fmt.Errorf("retention: period %dµs is not positive", r.Period)
	}
	if r.Periods <= 0 || r.Periods > maxPeriods {
		return store.RetentionResult{}, fmt.Errorf("retention: %d periods: want 1 to %d", r.Periods, maxPeriods)
	}
	if res, ok := s.retentionIndexed(r); ok {
		return res, nil
	}
	return s.retentionBySQL(ctx, r)
}

// retentionBySQL answers a valid retention request with SQL.
func (s *Store) retentionBySQL(ctx context.Context, r store.RetentionRequest) (store.RetentionResult, error) {
	var q sqlBuf
	q.add("WITH ")
	identsCTE(&q, r.ProjectID)
	bd, bargs := breakdownExpr(r.Breakdown)
	sm, sargs, err := stepMatch(r.Start)
	if err != nil {
		return store.RetentionResult{}, fmt.Errorf("retention: %w", err)
	}
	rm, rargs, err := stepMatch(r.Return)
	if err != nil {
		return store.RetentionResult{}, fmt.Errorf("retention: %w", err)
	}
	q.add(", raw AS (SELECT ts, "+personKey+" AS k, "+bd+" AS bd, ", bargs...)
	q.add("coalesce("+sm+", FALSE) AS is_start, ", sargs...)
	q.add("coalesce("+rm+", FALSE) AS is_return FROM events WHERE ", rargs...)
	inRange(&q, r.ProjectID, r.Range)
	q.add(" AND " + hasPerson + " AND (")
	q.add(sm+" OR ", sargs...)
	q.add(rm+"))", rargs...)
	q.add(", ev AS MATERIALIZED (SELECT hash(coalesce(idm.uid, raw.k)) AS person, ts, bd, is_start, is_return FROM raw LEFT JOIN idm ON idm.a = raw.k)")
	b0, b0args := bucketExpr("min(ts)", r.Period)
	q.add(", first AS (SELECT person, min(ts) AS t0, arg_min(bd, ts) AS bd, "+b0+" AS c FROM ev WHERE is_start GROUP BY person)", b0args...)
	b1, b1args := bucketExpr("e.ts", r.Period)
	q.add(", ret AS (SELECT DISTINCT f.person, f.c, f.bd, ("+b1+" - f.c) // ? AS k FROM first f JOIN ev e ON e.person = f.person AND e.is_return AND e.ts >= f.t0)", append(b1args, r.Period)...)
	q.add(" SELECT c, bd, -1 AS k, count(*) FROM first GROUP BY c, bd UNION ALL SELECT c, bd, k, count(*) FROM ret WHERE k < ? GROUP BY c, bd, k ORDER BY c, bd, k", r.Periods)
	rows, err := s.db.QueryContext(ctx, q.String(), q.args...)
	if err != nil {
		return store.RetentionResult{}, fmt.Errorf("retention: %w", err)
	}
	defer rows.Close()
	res := store.RetentionResult{Cohorts: []store.Cohort{}}
	idx := map[[2]any]int{}
	for rows.Next() {
		var (
			c, k, cnt int64
			bdv       sql.NullString
		)
		if err := rows.Scan(&c, &bdv, &k, &cnt); err != nil {
			return store.RetentionResult{}, fmt.Errorf("retention: %w", err)
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
	}
	if err := rows.Err(); err != nil {
		return store.RetentionResult{}, fmt.Errorf("retention: %w", err)
	}
	return res, nil
}
