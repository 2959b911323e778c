package duckdb

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/lore-dev/lore/internal/store"
)

const maxFunnelSteps = 20

// Funnel answers from the product index (product_funnel.go) when no step
// has a filter and there is no breakdown. Otherwise it follows each
// person's attempts through the steps with ASOF joins:
// from every first-step event, the earliest next-step event after it
// (greedy earliest is optimal for an ordered subsequence), kept while
// within the window of the first step. The person's best attempt (deepest,
// then earliest) counts. One scan of the events table feeds all steps.
func (s *Store) Funnel(ctx context.Context, r store.FunnelRequest) (store.FunnelResult, error) {
	n := len(r.Steps)
	if n < 2 || n > maxFunnelSteps {
		return store.FunnelResult{}, fmt.Errorf("funnel: %d steps: want 2 to %d", n, maxFunnelSteps)
	}
	if r.Window <= 0 {
		return store.FunnelResult{}, fmt.Errorf("funnel: window %dµs is not positive", r.Window)
	}
	if err := validRange(r.Range); err != nil {
		return store.FunnelResult{}, fmt.Errorf("funnel: %w", err)
	}
	if r.MaxBreakdowns <= 0 {
		r.MaxBreakdowns = 10
	}
	if r.Causes <= 0 {
		r.Causes = 5
	}
	if r.SlowMS <= 0 {
		r.SlowMS = 1000
	}
	if r.Samples <= 0 {
		r.Samples = 3
	}
	if res, ok, err := s.funnelIndexed(ctx, r); ok || err != nil {
		if err != nil {
			return store.FunnelResult{}, fmt.Errorf("funnel: %w", err)
		}
		return res, nil
	}
	return s.funnelBySQL(ctx, r)
}

// funnelBySQL answers a funnel (its defaults set) with one SQL statement.
func (s *Store) funnelBySQL(ctx context.Context, r store.FunnelRequest) (store.FunnelResult, error) {
	n := len(r.Steps)
	q, err := funnelSQL(r)
	if err != nil {
		return store.FunnelResult{}, fmt.Errorf("funnel: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, q.String(), q.args...)
	if err != nil {
		return store.FunnelResult{}, fmt.Errorf("funnel: %w", err)
	}
	defer rows.Close()
	res := store.FunnelResult{
		FunnelCounts: store.FunnelCounts{Persons: make([]int64, n), MedianToConvert: make([]int64, n)},
		Dropoffs:     make([]store.Dropoff, n-1),
	}
	for i := range res.Dropoffs {
		res.Dropoffs[i] = store.Dropoff{Step: i, Causes: []store.DropoffCause{}, Samples: []string{}}
	}
	for rows.Next() {
		var (
			typ                       int
			g                         sql.NullInt64
			bd, cause, label, service sql.NullString
			cnts, meds, samples       any
			depth                     sql.NullInt64
			p, c                      sql.NullInt64
			med                       sql.NullFloat64
		)
		if err := rows.Scan(&typ, &g, &bd, &cnts, &meds, &depth, &cause, &label, &service, &p, &c, &med, &samples); err != nil {
			return store.FunnelResult{}, fmt.Errorf("funnel: %w", err)
		}
		switch typ {
		case 0:
			fc := store.FunnelCounts{Persons: make([]int64, n), MedianToConvert: make([]int64, n)}
			cl, _ := cnts.([]any)
			for i, v := range cl {
				if x, ok := v.(int64); ok && i < n {
					fc.Persons[i] = x
				}
			}
			ml, _ := meds.([]any)
			for i, v := range ml {
				if x, ok := v.(float64); ok && i < n {
					fc.MedianToConvert[i] = int64(x)
				}
			}
			if g.Int64 == 1 {
				res.FunnelCounts = fc
			} else {
				res.Breakdown = append(res.Breakdown, store.FunnelBreakdown{Value: bd.String, FunnelCounts: fc})
			}
		case 1, 2:
			d := int(depth.Int64)
			if d < 1 || d >= n {
				continue
			}
			do := &res.Dropoffs[d-1]
			if typ == 2 {
				l, _ := samples.([]any)
				for _, v := range l {
					if s, ok := v.(string); ok {
						do.Samples = append(do.Samples, s)
					}
				}
				continue
			}
			dc := store.DropoffCause{Kind: cause.String, Label: label.String, Service: service.String, Persons: p.Int64, Events: c.Int64}
			if cause.String == "slow" && med.Valid {
				dc.MedianMS = med.Float64
			}
			do.Causes = append(do.Causes, dc)
		}
	}
	if err := rows.Err(); err != nil {
		return store.FunnelResult{}, fmt.Errorf("funnel: %w", err)
	}
	if len(res.Breakdown) > r.MaxBreakdowns {
		res.Breakdown = res.Breakdown[:r.MaxBreakdowns]
	}
	for i := range res.Dropoffs {
		d := &res.Dropoffs[i]
		d.Persons = res.Persons[i] - res.Persons[i+1]
		sort.SliceStable(d.Causes, func(a, b int) bool { return d.Causes[a].Persons > d.Causes[b].Persons })
	}
	return res, nil
}

// funnelSQL is the funnel's one statement, with its arguments.
func funnelSQL(r store.FunnelRequest) (sqlBuf, error) {
	n := len(r.Steps)
	var q sqlBuf
	if err := funnelPersons(&q, r); err != nil {
		return q, err
	}
	// One statement, so the chain is computed once: typ 0 rows are the
	// persons per step and median times, overall (g = 1) and per
	// breakdown value; typ 1 rows the drop-off causes; typ 2 the samples.
	q.add(" SELECT * FROM (")
	if r.Breakdown != "" {
		q.add("SELECT 0 AS typ, grouping(bd) AS g, bd")
	} else {
		q.add("SELECT 0 AS typ, 1 AS g, '' AS bd")
	}
	q.add(", [")
	for i := 1; i <= n; i++ {
		if i > 1 {
			q.add(", ")
		}
		q.add(fmt.Sprintf("count(*) FILTER (WHERE depth >= %d)", i))
	}
	q.add("] AS cnts, [NULL::DOUBLE")
	for i := 2; i <= n; i++ {
		q.add(fmt.Sprintf(", median(t%d - t%d) FILTER (WHERE depth >= %d)", i, i-1, i))
	}
	q.add("] AS meds, NULL::INTEGER AS depth, NULL::VARCHAR AS cause, NULL::VARCHAR AS label, NULL::VARCHAR AS service, NULL::BIGINT AS p, NULL::BIGINT AS c, NULL::DOUBLE AS med, NULL::VARCHAR[] AS samples FROM per")
	if r.Breakdown != "" {
		q.add(" GROUP BY GROUPING SETS ((), (bd)) ORDER BY g DESC, count(*) DESC, bd LIMIT ?", r.MaxBreakdowns+1)
	}
	q.add(")")
	funnelDropoffs(&q, r)
	return q, nil
}

// funnelPersons writes the CTEs up to "per": one row per person with
// their best attempt: person, bd, depth and t1..tn (NULL past depth).
// When no event can match two steps (distinct names, no $error step) each
// event gets its step from one CASE; otherwise every step it matches. The
// ASOF joins and the grouping use a 64-bit hash of the person's id.
func funnelPersons(q *sqlBuf, r store.FunnelRequest) error {
	n := len(r.Steps)
	q.add("WITH ")
	identsCTE(q, r.ProjectID)
	bd, bargs := breakdownExpr(r.Breakdown)
	names, seen, distinct := []string{}, map[string]bool{}, true
	for _, st := range r.Steps {
		if st.Name == store.StepError || seen[st.Name] {
			distinct = false
		}
		seen[st.Name] = true
		names = append(names, st.Name)
	}
	filtered := false
	for _, st := range r.Steps {
		filtered = filtered || st.Where != nil && st.Where.Root != nil
	}
	q.add(", raw AS (SELECT * FROM (SELECT ts, rowid AS rid, "+personKey+" AS k, "+bd+" AS bd, ", bargs...)
	switch {
	case distinct && !filtered:
		// The name alone gives the step (cheap, and nothing for the
		// optimizer to copy into the scan's filter).
		q.add("list_position([" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + "], name) AS step")
		for _, nm := range names {
			q.args = append(q.args, nm)
		}
	case distinct:
		q.add("CASE")
	default:
		q.add("unnest(list_filter([")
	}
	for i, st := range r.Steps {
		if distinct && !filtered {
			break
		}
		m, margs, err := stepMatch(st)
		if err != nil {
			return err
		}
		if distinct {
			q.add(" WHEN "+m+" THEN "+strconv.Itoa(i+1), margs...)
			continue
		}
		if i > 0 {
			q.add(", ")
		}
		q.add("CASE WHEN "+m+" THEN "+strconv.Itoa(i+1)+" END", margs...)
	}
	switch {
	case distinct && !filtered:
		q.add(" FROM events WHERE ")
	case distinct:
		q.add(" END AS step FROM events WHERE ")
	default:
		q.add("], x -> x IS NOT NULL)) AS step FROM events WHERE ")
	}
	// Events without any id are not filtered out here (that costs more than
	// the name filter); they all share the empty person, which c1 drops.
	inRange(q, r.ProjectID, r.Range)
	if distinct {
		// Prune by name before evaluating the step filters.
		q.add(" AND kind IN ('event', 'pageview') AND name IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(names)), ", ") + ")")
		for _, nm := range names {
			q.args = append(q.args, nm)
		}
	}
	if filtered {
		q.add(") WHERE step IS NOT NULL)")
	} else {
		q.add("))")
	}
	// seq orders a person's events by time, then arrival (rowid), so that
	// steps with equal timestamps advance in the order they arrived, as
	// ClickHouse's windowFunnel lets them; each next step is the earliest
	// in that order after the previous one.
	q.add(", ev AS MATERIALIZED (SELECT pid, person, ts, step, bd, dense_rank() OVER (PARTITION BY pid ORDER BY ts, rid) AS seq FROM" +
		" (SELECT hash(coalesce(idm.uid, raw.k)) AS pid, coalesce(idm.uid, raw.k) AS person, ts, step, bd, rid FROM raw LEFT JOIN idm ON idm.a = raw.k))")
	q.add(", c1 AS (SELECT pid, person, bd, ts AS t1, seq AS s1 FROM ev WHERE step = 1 AND person <> '')")
	for i := 2; i <= n; i++ {
		q.add(fmt.Sprintf(", c%d AS (SELECT c.*, CASE WHEN n.ts <= c.t1 + ? THEN n.ts END AS t%d, CASE WHEN n.ts <= c.t1 + ? THEN n.seq END AS s%d FROM c%d c ASOF LEFT JOIN (SELECT pid, ts, seq FROM ev WHERE step = %d) n ON c.pid = n.pid AND coalesce(c.s%d, 9223372036854775807) < n.seq)",
			i, i, i, i-1, i, i-1), r.Window, r.Window)
	}
	depth := "1"
	fields := "person := person, bd := bd, depth := depth"
	for i := 1; i <= n; i++ {
		if i > 1 {
			depth += fmt.Sprintf(" + (t%d IS NOT NULL)::INTEGER", i)
		}
		fields += fmt.Sprintf(", t%d := t%d", i, i)
	}
	// The best attempt: deepest, then earliest in time and arrival (the
	// least s1; a person's seq < 4e15).
	q.add(fmt.Sprintf(", per AS MATERIALIZED (SELECT pid, unnest(b) FROM (SELECT pid, arg_max(struct_pack(%s), depth::BIGINT * 4000000000000000 - s1) AS b FROM (SELECT *, %s AS depth FROM c%d) GROUP BY pid))", fields, depth, n))
	return nil
}

// funnelDropoffs appends the drop-off rows: for the persons who stopped
// at each step, the errors and slow requests they hit between their last
// step and the end of their window (joined by person from the same events
// table), and sample persons, those with a cause first.
func funnelDropoffs(q *sqlBuf, r store.FunnelRequest) {
	n := len(r.Steps)
	last := "coalesce("
	for i := n; i >= 1; i-- {
		last += "t" + strconv.Itoa(i)
		if i > 1 {
			last += ", "
		}
	}
	last += ")"
	q.add(" UNION ALL SELECT * FROM (WITH dropped AS (SELECT pid, person, depth, " + last + " AS tl, t1 FROM per WHERE depth < " + strconv.Itoa(n) + ")")
	q.add(", hits AS (SELECT hash(coalesce(idm.uid, x.k)) AS pid, x.* FROM (SELECT CASE WHEN " + detectMatch + " THEN " + detectEnd + " ELSE ts END AS ts, " + personKey + " AS k, " +
		"CASE WHEN " + errorMatch + " THEN 'error' WHEN " + detectMatch + " THEN " + detectCause + " ELSE 'slow' END AS cause, " +
		"CASE WHEN " + errorMatch + " THEN coalesce(nullif(error_type, ''), nullif(left(message, 120), ''), name) WHEN " + detectMatch + " THEN " + detectLabel +
		" ELSE coalesce(nullif(endpoint, ''), name) END AS label, " +
		"service, duration_ms FROM events WHERE ")
	inRange(q, r.ProjectID, store.Range{From: r.Range.From, To: r.Range.To + r.Window})
	q.add(" AND ("+errorMatch+" OR "+detectMatch+" OR duration_ms >= ?)) x LEFT JOIN idm ON idm.a = x.k)", r.SlowMS)
	q.add(", joined AS (SELECT d.depth, h.* FROM dropped d JOIN hits h ON h.pid = d.pid AND h.ts >= d.tl AND h.ts <= d.t1 + ?)", r.Window)
	q.add(" SELECT 1, NULL, NULL, NULL, NULL, depth, cause, label, service, count(DISTINCT pid) AS p, count(*) AS c, median(duration_ms), NULL FROM joined GROUP BY depth, cause, label, service"+
		" QUALIFY row_number() OVER (PARTITION BY depth, cause IN ('rage_click', 'dead_click', 'error_after_click') ORDER BY p DESC, c DESC, label, cause, service) <= ?", r.Causes)
	q.add(" UNION ALL SELECT 2, NULL, NULL, NULL, NULL, d.depth, NULL, NULL, NULL, NULL, NULL, NULL, (list(d.person ORDER BY h.pid IS NULL, d.person))[1:?] FROM dropped d"+
		" LEFT JOIN (SELECT DISTINCT pid FROM joined) h ON h.pid = d.pid GROUP BY d.depth)", r.Samples)
}
