package duckdb

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/lore-dev/lore/internal/store"
)

// otherBreakdown holds the breakdown values beyond the top ones.
const otherBreakdown = "$other"

// Trends counts the matching events per interval, with distinct persons
// and the numeric property's sum, average and 95th percentile, per
// breakdown value (the top MaxBreakdowns by events, "$other" for the rest;
// each series is exact for its own values).
func (s *Store) Trends(ctx context.Context, r store.TrendsRequest) ([]store.TrendSeries, error) {
	if err := validRange(r.Range); err != nil {
		return nil, fmt.Errorf("trends: %w", err)
	}
	if r.Interval <= 0 {
		return nil, fmt.Errorf("trends: interval %dµs is not positive", r.Interval)
	}
	nb := (r.Range.To - r.Range.From + r.Interval - 1) / r.Interval
	if nb > maxBuckets {
		return nil, fmt.Errorf("trends: %d intervals exceed the limit of %d", nb, maxBuckets)
	}
	if r.MaxBreakdowns <= 0 {
		r.MaxBreakdowns = 10
	}
	m, margs, err := stepMatch(r.Event)
	if err != nil {
		return nil, fmt.Errorf("trends: %w", err)
	}
	var q sqlBuf
	q.add("WITH ")
	identsCTE(&q, r.ProjectID)
	bd, bargs := breakdownExpr(r.Breakdown)
	val, vargs := "NULL::DOUBLE", []any(nil)
	if r.Property != "" {
		switch r.Property {
		case "duration_ms", "http_status", "retry_attempt":
			val = "CAST(" + r.Property + " AS DOUBLE)"
		default:
			val, vargs = "TRY_CAST(attr_values[list_position(attr_keys, ?)] AS DOUBLE)", []any{r.Property}
		}
	}
	q.add(", raw AS (SELECT (ts - ?) // ? AS b, "+personKey+" AS k, ", r.Range.From, r.Interval)
	q.add(bd+" AS bd, ", bargs...)
	q.add(val+" AS v FROM events WHERE ", vargs...)
	inRange(&q, r.ProjectID, r.Range)
	q.add(" AND "+m+")", margs...)
	q.add(", top AS (SELECT bd FROM raw GROUP BY bd ORDER BY count(*) DESC, bd LIMIT ?)", r.MaxBreakdowns)
	q.add(", ev AS (SELECT b, CASE WHEN bd IN (SELECT bd FROM top) THEN bd ELSE ? END AS bd, hash(coalesce(idm.uid, raw.k)) AS person, v FROM raw LEFT JOIN idm ON idm.a = raw.k)", otherBreakdown)
	q.add(" SELECT bd, b, count(*), count(DISTINCT person), coalesce(sum(v), 0), coalesce(avg(v), 0), coalesce(quantile_cont(v, 0.95), 0) FROM ev GROUP BY bd, b ORDER BY bd, b")
	rows, err := s.db.QueryContext(ctx, q.String(), q.args...)
	if err != nil {
		return nil, fmt.Errorf("trends: %w", err)
	}
	defer rows.Close()
	out := []store.TrendSeries{}
	idx := map[string]int{}
	for rows.Next() {
		var (
			bdv sql.NullString
			b   int64
			p   store.TrendPoint
		)
		if err := rows.Scan(&bdv, &b, &p.Count, &p.Persons, &p.Sum, &p.Avg, &p.P95); err != nil {
			return nil, fmt.Errorf("trends: %w", err)
		}
		i, ok := idx[bdv.String]
		if !ok {
			i = len(out)
			idx[bdv.String] = i
			ts := store.TrendSeries{Breakdown: bdv.String, Points: make([]store.TrendPoint, nb)}
			for j := range ts.Points {
				ts.Points[j].Start = r.Range.From + int64(j)*r.Interval
			}
			out = append(out, ts)
		}
		if b >= 0 && b < nb {
			p.Start = out[i].Points[b].Start
			out[i].Points[b] = p
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("trends: %w", err)
	}
	if len(out) == 0 {
		ts := store.TrendSeries{Points: make([]store.TrendPoint, nb)}
		for j := range ts.Points {
			ts.Points[j].Start = r.Range.From + int64(j)*r.Interval
		}
		out = append(out, ts)
	}
	return out, nil
}
