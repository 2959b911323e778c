package product

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

// maxFunnelSteps caps a funnel's steps.
const maxFunnelSteps = 20

// detectMatch matches the frustrations session replay detects (rage
// clicks, dead clicks, errors after a click): drop-off causes of kind
// rage_click, dead_click and error_after_click, labelled by what was
// clicked (detectLabel).
const detectMatch = "(kind = 'event' AND name IN ('$rageclick', '$dead_click', '$error_after_click'))"

// detectCause is a detection's cause kind.
const detectCause = "CASE name WHEN '$rageclick' THEN 'rage_click' WHEN '$dead_click' THEN 'dead_click' ELSE 'error_after_click' END"

// detectLabel is what was clicked: its text, else its selector, else the
// detection's name.
func detectLabel(d sqlq.Dialect) string {
	return "coalesce(nullif(" + d.Attr("$el_text") + ", ''), nullif(" + d.Attr("$el_selector") + ", ''), name)"
}

// detectEnd is when a detection ended (µs): its time (the first click)
// plus its length (replay.detection_ms, written by session replay's seal).
// A drop-off cause is what happened after the person's last step, and a
// rage click often begins with the very click that made that step (the
// first click on "Pay now" sends Payment Submitted; the next ones find the
// button doing nothing): it counts when it goes on after the step.
func detectEnd(d sqlq.Dialect) string {
	return "(ts + coalesce(" + d.TryInt64(d.Attr("replay.detection_ms")) + ", 0) * 1000)"
}

// errorLabel labels an error cause: its type, else its message's start,
// else its name.
func errorLabel(d sqlq.Dialect) string {
	return "coalesce(nullif(error_type, ''), nullif(" + d.Left("message", 120) + ", ''), name)"
}

// slowLabel labels a slow request: its endpoint, else its name.
const slowLabel = "coalesce(nullif(endpoint, ''), name)"

// Funnel is a query object: persons who did Steps in order, each within
// Window of the first, in Range. A person's attempt starts at a first-step
// event; each next step is the earliest event of that step after the
// previous one, in time and then arrival order (so steps with equal
// timestamps advance as they arrived, as ClickHouse's windowFunnel lets
// them), while within the window of the first. A person's best attempt
// counts: the deepest, then the earliest. Per step, the persons reaching
// it and the median time from the previous step; with a Breakdown, the
// same per value of that property of the first step's event (the most
// common MaxBreakdowns). For each drop-off, the causes most common among
// the persons who dropped — errors, requests slower than SlowMS, and
// session replay's rage clicks, dead clicks and errors after a click,
// Causes of the first two and as many of the detections — between their
// last step and the end of their window, and Samples of those persons,
// those who hit a cause first, by id.
//
// A store with a person index (store.FunnelIndex) walks the persons
// without SQL when it can; the drop-off causes are then read by a query of
// their own (Hits) and matched to the dropped persons here. The SQL path
// gives the same answer.
//
// Run answers with the store's shapes (store.FunnelResult); Resolve with
// the API's (FunnelResult), echoing Specs, the steps as asked.
type Funnel struct {
	store.FunnelRequest
	// Specs are the steps as asked (event and filter text), which
	// Resolve echoes; none for a funnel built from a store request.
	Specs []StepSpec
}

// request validates the funnel and sets its defaults.
func (q Funnel) request() (store.FunnelRequest, error) {
	r := q.FunnelRequest
	if n := len(r.Steps); n < 2 || n > maxFunnelSteps {
		return r, fmt.Errorf("%d steps: want 2 to %d", n, maxFunnelSteps)
	}
	if r.Window <= 0 {
		return r, fmt.Errorf("window %dµs is not positive", r.Window)
	}
	if err := validRange(r.Range); err != nil {
		return r, err
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
	return r, nil
}

// Key identifies the query (its defaults set), for caching its answer.
func (q Funnel) Key() string {
	r, err := q.request()
	if err != nil {
		r = q.FunnelRequest
	}
	var b strings.Builder
	fmt.Fprintf(&b, "product.funnel:%d:%d:%d:%d:%q:%d:%d:%v:%d", r.ProjectID, r.Range.From, r.Range.To, r.Window, r.Breakdown,
		r.MaxBreakdowns, r.Causes, r.SlowMS, r.Samples)
	for _, s := range r.Steps {
		w := ""
		if s.Where != nil {
			w = s.Where.String()
		}
		fmt.Fprintf(&b, ":%q/%q", s.Name, w)
	}
	for _, s := range q.Specs {
		b.WriteString(":" + s.key())
	}
	return b.String()
}

// Scope is what the funnel reads: its range, and after it the window in
// which the persons who dropped may hit a cause.
func (q Funnel) Scope() sqlq.Scope {
	return sqlq.Scope{ProjectID: q.ProjectID, From: q.Range.From, To: q.Range.To + q.Window}
}

// Query compiles the SQL path in d: one statement, so that the persons'
// attempts are computed once. Its rows: typ 0, the persons per step and
// the median times, overall (g = 1) and per breakdown value; typ 1, the
// drop-off causes; typ 2, the sample persons.
func (q Funnel) Query(d sqlq.Dialect) (sqlq.Query, error) {
	r, err := q.request()
	if err != nil {
		return sqlq.Query{}, err
	}
	n := len(r.Steps)
	b := &sqlq.Builder{}
	if err := funnelPersons(b, d, r); err != nil {
		return sqlq.Query{}, err
	}
	var c strings.Builder
	c.WriteString("[")
	for i := 1; i <= n; i++ {
		if i > 1 {
			c.WriteString(", ")
		}
		c.WriteString(d.Int64(d.AggIf(sqlq.AggCount, "", fmt.Sprintf("depth >= %d", i))))
	}
	c.WriteString("] AS cnts, [" + d.Null(sqlq.TypeFloat64))
	for i := 2; i <= n; i++ {
		c.WriteString(", " + d.AggIf(sqlq.AggMedian, fmt.Sprintf("t%d - t%d", i, i-1), fmt.Sprintf("depth >= %d", i)))
	}
	// The drop-off rows' depth is dp here: ClickHouse would read an
	// alias depth in place of per's column in the counts.
	c.WriteString("] AS meds, " + d.Null(sqlq.TypeInt64) + " AS dp, " + d.Null(sqlq.TypeString) + " AS cause, " + d.Null(sqlq.TypeString) + " AS label, " +
		d.Null(sqlq.TypeString) + " AS service, " + d.Null(sqlq.TypeInt64) + " AS p, " + d.Null(sqlq.TypeInt64) + " AS c, " +
		d.Null(sqlq.TypeFloat64) + " AS med, " + d.Null(sqlq.TypeStrings) + " AS samples FROM per")
	counts := c.String()
	if r.Breakdown == "" {
		b.Add(" SELECT * FROM (SELECT 0 AS typ, 1 AS g, '' AS bd, " + counts + ")")
	} else {
		// Overall (g = 1) and per value, as a union: ClickHouse 18.16
		// has no GROUPING SETS. cnts[1] counts the value's persons.
		b.Add(" SELECT * FROM (SELECT * FROM (SELECT 0 AS typ, 1 AS g, '' AS bd, "+counts+" UNION ALL SELECT 0, 0, bd, "+counts+
			" GROUP BY bd) ORDER BY g DESC, cnts[1] DESC, bd LIMIT ?)", r.MaxBreakdowns+1)
	}
	funnelDropoffs(b, d, r)
	return b.Query("product.funnel", scope(r.ProjectID, r.Range))
}

// funnelPersons writes the CTEs up to "per": one row per person with
// their best attempt: person, bd, depth and t1..tn (NULL past depth).
// When no event can match two steps (distinct names, no $error step) each
// event gets its step from one expression; otherwise every step it
// matches. The joins and the grouping use a 64-bit hash of the person.
func funnelPersons(b *sqlq.Builder, d sqlq.Dialect, r store.FunnelRequest) error {
	n := len(r.Steps)
	b.Add("WITH ")
	identsCTE(b, r.ProjectID)
	bd, bargs := breakdownExpr(d, r.Breakdown)
	names, seen, distinct, filtered := []any{}, map[string]bool{}, true, false
	for _, st := range r.Steps {
		if st.Name == store.StepError || seen[st.Name] {
			distinct = false
		}
		seen[st.Name] = true
		names = append(names, st.Name)
		filtered = filtered || st.Where != nil && st.Where.Root != nil
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(names)), ", ")
	b.Add(", raw AS (SELECT * FROM (SELECT ts, "+d.RowOrder()+" AS rid, "+personKey+" AS k, "+bd+" AS bd, ", bargs...)
	switch {
	case distinct && !filtered:
		// The name alone gives the step (cheap, and nothing for the
		// optimizer to copy into the scan's filter).
		b.Add(d.ListIndex("["+marks+"]", "name")+" AS step", names...)
	case distinct:
		b.Add("CASE")
		for i, st := range r.Steps {
			m, margs, err := stepMatch(d, st)
			if err != nil {
				return err
			}
			b.Add(" WHEN "+m+" THEN "+strconv.Itoa(i+1), margs...)
		}
		b.Add(" END AS step")
	default:
		var list strings.Builder
		var largs []any
		for i, st := range r.Steps {
			m, margs, err := stepMatch(d, st)
			if err != nil {
				return err
			}
			if i > 0 {
				list.WriteString(", ")
			}
			list.WriteString("CASE WHEN " + m + " THEN " + strconv.Itoa(i+1) + " END")
			largs = append(largs, margs...)
		}
		b.Add(d.ExplodeNonNull("["+list.String()+"]")+" AS step", largs...)
	}
	b.Add(" FROM events WHERE ")
	// Events without any id are not filtered out here (that costs more than
	// the name filter); they all share the empty person, which c1 drops.
	inRange(b, r.ProjectID, r.Range)
	if distinct {
		// Prune by name before evaluating the step filters.
		b.Add(" AND kind IN ('event', 'pageview') AND name IN ("+marks+")", names...)
	}
	if filtered {
		b.Add(") WHERE step IS NOT NULL)")
	} else {
		b.Add("))")
	}
	// The person's best attempt, from their events' steps (an event that
	// matches several steps is one row per step), spelled by the dialect.
	items, wargs := d.FunnelBest("SELECT "+d.Hash64("coalesce(idm.uid, raw.k)")+" AS pid, coalesce(idm.uid, raw.k) AS person, ts, step, bd, rid FROM raw LEFT JOIN idm ON idm.a = raw.k", n, r.Window)
	b.Add(", "+items, wargs...)
	return nil
}

// funnelDropoffs appends the drop-off rows: for the persons who stopped
// at each step, the errors, slow requests and replay detections they hit
// between their last step and the end of their window (joined by person
// from the same events table), and sample persons, those with a cause
// first.
func funnelDropoffs(b *sqlq.Builder, d sqlq.Dialect, r store.FunnelRequest) {
	n := len(r.Steps)
	last := "coalesce("
	for i := n; i >= 1; i-- {
		last += "t" + strconv.Itoa(i)
		if i > 1 {
			last += ", "
		}
	}
	last += ")"
	b.Add(" UNION ALL SELECT * FROM (WITH dropped AS (SELECT pid, person, depth, " + last + " AS tl, t1 FROM per WHERE depth < " + strconv.Itoa(n) + ")")
	b.Add(", hits AS (SELECT " + d.Hash64("coalesce(idm.uid, x.k)") + " AS pid, x.* FROM (SELECT CASE WHEN " + detectMatch + " THEN " + detectEnd(d) + " ELSE ts END AS ts, " + personKey + " AS k, " +
		"CASE WHEN " + errorMatch + " THEN 'error' WHEN " + detectMatch + " THEN " + detectCause + " ELSE 'slow' END AS cause, " +
		"CASE WHEN " + errorMatch + " THEN " + errorLabel(d) + " WHEN " + detectMatch + " THEN " + detectLabel(d) +
		" ELSE " + slowLabel + " END AS label, service, duration_ms FROM events WHERE ")
	inRange(b, r.ProjectID, store.Range{From: r.Range.From, To: r.Range.To + r.Window})
	b.Add(" AND ("+errorMatch+" OR "+detectMatch+" OR duration_ms >= ?)) x LEFT JOIN idm ON idm.a = x.k)", r.SlowMS)
	// The time conditions in WHERE (18.16 joins on equalities only), and
	// USING, which 18.16 reads as one pid column.
	b.Add(", joined AS (SELECT depth, pid, ts, cause, label, service, duration_ms FROM dropped JOIN hits USING (pid) WHERE ts >= tl AND ts <= t1 + ?)", r.Window)
	// Every column named: ClickHouse folds equal unnamed expressions (two
	// NULLs) into one column.
	b.Add(" SELECT 1 AS typ, NULL AS g, NULL AS bd, "+d.Null(sqlq.TypeInt64s)+" AS cnts, "+d.Null(sqlq.TypeFloat64s)+" AS meds, depth, cause, label, service, "+
		d.Int64(d.CountDistinct("pid"))+" AS p, "+d.Int64(d.AggOf(sqlq.AggCount, ""))+" AS c, "+d.AggOf(sqlq.AggMedian, "duration_ms")+" AS med, "+
		d.Null(sqlq.TypeStrings)+" AS samples FROM joined GROUP BY depth, cause, label, service "+
		d.FirstNBy("depth, cause IN ('rage_click', 'dead_click', 'error_after_click')", "p DESC, c DESC, label, cause, service"), r.Causes)
	// h.hit, not h.pid, is NULL without a match: 18.16 fills a join's
	// key columns from the left side.
	b.Add(" UNION ALL SELECT 2 AS typ, NULL AS g, NULL AS bd, "+d.Null(sqlq.TypeInt64s)+" AS cnts, "+d.Null(sqlq.TypeFloat64s)+" AS meds, d.depth AS depth, "+
		"NULL AS cause, NULL AS label, NULL AS service, NULL AS p, NULL AS c, NULL AS med, "+d.ListHead(d.ListAgg("d.person", "h.hit IS NULL, d.person"))+" AS samples FROM dropped d"+
		" LEFT JOIN (SELECT DISTINCT pid, 1 AS hit FROM joined) h ON h.pid = d.pid GROUP BY d.depth)", r.Samples)
}

// Hits compiles the query the index path reads the drop-off causes with:
// the errors, slow requests and replay detections (at their end) of
// anyone with an id in the range extended by the window, each with its
// person. Four selects, each with a condition engines can prune blocks by
// from their min/max statistics (an OR of them cannot be): errors, error
// records of other kinds, slow requests that are neither, detections.
func (q Funnel) Hits(d sqlq.Dialect) (sqlq.Query, error) {
	r, err := q.request()
	if err != nil {
		return sqlq.Query{}, err
	}
	rng := store.Range{From: r.Range.From, To: r.Range.To + r.Window}
	b := &sqlq.Builder{}
	b.Add("WITH ")
	identsCTE(b, r.ProjectID)
	b.Add(" SELECT x.ts, coalesce(idm.uid, x.k), x.cause, x.label, x.service, x.dur FROM (")
	for i, cond := range []string{"kind = 'error'", "level IN ('error', 'fatal') AND kind <> 'error'",
		"duration_ms >= ? AND kind <> 'error' AND level NOT IN ('error', 'fatal')", detectMatch} {
		if i > 0 {
			b.Add(" UNION ALL ")
		}
		switch i {
		case 0, 1:
			b.Add("SELECT ts, " + personKey + " AS k, 'error' AS cause, " + errorLabel(d) + " AS label, service, duration_ms AS dur FROM events WHERE ")
		case 2:
			b.Add("SELECT ts, " + personKey + " AS k, 'slow' AS cause, " + slowLabel + " AS label, service, duration_ms AS dur FROM events WHERE ")
		default:
			b.Add("SELECT " + detectEnd(d) + " AS ts, " + personKey + " AS k, " + detectCause + " AS cause, " + detectLabel(d) + " AS label, service, " +
				d.Null(sqlq.TypeFloat64) + " AS dur FROM events WHERE ")
		}
		inRange(b, r.ProjectID, rng)
		var cargs []any
		if i == 2 {
			cargs = []any{r.SlowMS}
		}
		b.Add(" AND "+hasPerson+" AND "+cond, cargs...)
	}
	b.Add(") x LEFT JOIN idm ON idm.a = x.k")
	return b.Query("product.funnel.hits", scope(r.ProjectID, rng))
}

// Run walks the persons in the store's person index when it can (reading
// the drop-off causes meanwhile), else answers with SQL.
func (q Funnel) Run(ctx context.Context, ex sqlq.Executor) (store.FunnelResult, error) {
	r, err := q.request()
	if err != nil {
		return store.FunnelResult{}, fmt.Errorf("funnel: %w", err)
	}
	if ix, ok := ex.(store.FunnelIndex); ok {
		res, ok, err := q.indexed(ctx, ex, ix, r)
		if ok || err != nil {
			if err != nil {
				return store.FunnelResult{}, fmt.Errorf("funnel: %w", err)
			}
			return res, nil
		}
	}
	res, err := q.bySQL(ctx, ex, r)
	if err != nil {
		return store.FunnelResult{}, fmt.Errorf("funnel: %w", err)
	}
	return res, nil
}

// emptyResult has the counts and a drop-off per step but the last.
func emptyResult(n int) store.FunnelResult {
	res := store.FunnelResult{
		FunnelCounts: store.FunnelCounts{Persons: make([]int64, n), MedianToConvert: make([]int64, n)},
		Dropoffs:     make([]store.Dropoff, n-1),
	}
	for i := range res.Dropoffs {
		res.Dropoffs[i] = store.Dropoff{Step: i, Causes: []store.DropoffCause{}, Samples: []string{}}
	}
	return res
}

// bySQL answers with the one statement of Query.
func (q Funnel) bySQL(ctx context.Context, ex sqlq.Executor, r store.FunnelRequest) (store.FunnelResult, error) {
	n := len(r.Steps)
	cq, err := q.Query(ex.Dialect())
	if err != nil {
		return store.FunnelResult{}, err
	}
	res := emptyResult(n)
	err = ex.Run(ctx, cq, func(row sqlq.Scanner) error {
		var (
			typ                       int
			g                         sql.NullInt64
			bd, cause, label, service sql.NullString
			cnts, meds, samples       any
			depth                     sql.NullInt64
			p, c                      sql.NullInt64
			med                       sql.NullFloat64
		)
		if err := row.Scan(&typ, &g, &bd, &cnts, &meds, &depth, &cause, &label, &service, &p, &c, &med, &samples); err != nil {
			return err
		}
		switch typ {
		case 0:
			fc := store.FunnelCounts{Persons: make([]int64, n), MedianToConvert: make([]int64, n)}
			copy(fc.Persons, sqlq.Int64s(cnts))
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
			dp := int(depth.Int64)
			if dp < 1 || dp >= n {
				return nil
			}
			do := &res.Dropoffs[dp-1]
			if typ == 2 {
				do.Samples = append(do.Samples, sqlq.Strings(samples, r.Samples)...)
				return nil
			}
			dc := store.DropoffCause{Kind: cause.String, Label: label.String, Service: service.String, Persons: p.Int64, Events: c.Int64}
			if cause.String == "slow" && med.Valid {
				dc.MedianMS = med.Float64
			}
			do.Causes = append(do.Causes, dc)
		}
		return nil
	})
	if err != nil {
		return store.FunnelResult{}, err
	}
	if len(res.Breakdown) > r.MaxBreakdowns {
		res.Breakdown = res.Breakdown[:r.MaxBreakdowns]
	}
	for i := range res.Dropoffs {
		d := &res.Dropoffs[i]
		d.Persons = res.Persons[i] - res.Persons[i+1]
		sortCauses(d.Causes)
	}
	return res, nil
}

// isDetection: a drop-off cause of this kind is a replay detection.
func isDetection(kind string) bool {
	return kind == "rage_click" || kind == "dead_click" || kind == "error_after_click"
}

// sortCauses orders a drop-off's causes: errors and slow requests, then
// replay detections, each by persons, events (most first), then label,
// kind and service.
func sortCauses(cs []store.DropoffCause) {
	slices.SortFunc(cs, func(a, b store.DropoffCause) int {
		da, db := isDetection(a.Kind), isDetection(b.Kind)
		if da != db {
			if db {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(b.Persons, a.Persons), cmp.Compare(b.Events, a.Events),
			cmp.Compare(a.Label, b.Label), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Service, b.Service))
	})
}

// hit is a drop-off cause as Hits reads it.
type hit struct {
	ts                            int64
	person, cause, label, service string
	dur                           sql.NullFloat64
}

// indexed walks the persons in the index while Hits is read, then matches
// the hits to the persons who dropped. ok is false when the index cannot
// answer.
func (q Funnel) indexed(ctx context.Context, ex sqlq.Executor, ix store.FunnelIndex, r store.FunnelRequest) (store.FunnelResult, bool, error) {
	hq, err := q.Hits(ex.Dialect())
	if err != nil {
		return store.FunnelResult{}, false, err
	}
	type hitsResult struct {
		hits []hit
		err  error
	}
	hitsc := make(chan hitsResult, 1)
	hctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		var hs []hit
		err := ex.Run(hctx, hq, func(row sqlq.Scanner) error {
			var h hit
			if err := row.Scan(&h.ts, &h.person, &h.cause, &h.label, &h.service, &h.dur); err != nil {
				return err
			}
			hs = append(hs, h)
			return nil
		})
		hitsc <- hitsResult{hs, err}
	}()
	walk, ok := ix.IndexedFunnel(r)
	if !ok {
		cancel()
		<-hitsc
		return store.FunnelResult{}, false, nil
	}
	hr := <-hitsc
	if hr.err != nil {
		return store.FunnelResult{}, true, fmt.Errorf("drop-off causes: %w", hr.err)
	}
	res := emptyResult(len(r.Steps))
	copy(res.Persons, walk.Persons)
	copy(res.MedianToConvert, walk.MedianToConvert)
	dropoffs(&res, r, walk.Dropped, hr.hits)
	return res, true, nil
}

// dropoffs fills the drop-offs from the persons who dropped and the hits:
// per step, the causes most common among the persons who dropped there
// between their last step and the end of their window (r.Causes of errors
// and slow requests, as many of replay detections), and sample persons,
// those with a cause first, by id.
func dropoffs(res *store.FunnelResult, r store.FunnelRequest, dropped []store.FunnelDrop, hits []hit) {
	n := len(r.Steps)
	at := make(map[string]int, len(dropped))
	for i, d := range dropped {
		at[d.Person] = i
	}
	type causeKey struct {
		depth                 int
		cause, label, service string
	}
	type causeAgg struct {
		persons map[int]struct{}
		events  int64
		durs    []float64
	}
	aggs := map[causeKey]*causeAgg{}
	hit := make([]bool, len(dropped))
	for _, h := range hits {
		i, ok := at[h.person]
		if !ok {
			continue
		}
		d := dropped[i]
		if h.ts < d.Last || h.ts > d.First+r.Window || d.Depth < 1 || d.Depth >= n {
			continue
		}
		hit[i] = true
		k := causeKey{d.Depth, h.cause, h.label, h.service}
		a := aggs[k]
		if a == nil {
			a = &causeAgg{persons: map[int]struct{}{}}
			aggs[k] = a
		}
		a.persons[i] = struct{}{}
		a.events++
		if h.dur.Valid {
			a.durs = append(a.durs, h.dur.Float64)
		}
	}
	byDepth := make([][]store.DropoffCause, n)
	for k, a := range aggs {
		dc := store.DropoffCause{Kind: k.cause, Label: k.label, Service: k.service, Persons: int64(len(a.persons)), Events: a.events}
		if k.cause == "slow" && len(a.durs) > 0 {
			dc.MedianMS = median(a.durs)
		}
		byDepth[k.depth] = append(byDepth[k.depth], dc)
	}
	for d := 1; d < n; d++ {
		cs := byDepth[d]
		sortCauses(cs)
		do := &res.Dropoffs[d-1]
		for _, detection := range []bool{false, true} {
			kept := 0
			for _, c := range cs {
				if isDetection(c.Kind) == detection && kept < r.Causes {
					do.Causes = append(do.Causes, c)
					kept++
				}
			}
		}
	}
	// Samples: the first persons by (no cause, id), per depth.
	samples := make([][]int, n)
	less := func(a, b int) bool {
		if hit[a] != hit[b] {
			return hit[a]
		}
		return dropped[a].Person < dropped[b].Person
	}
	for i, d := range dropped {
		if d.Depth < 1 || d.Depth >= n {
			continue
		}
		s := samples[d.Depth]
		if len(s) == r.Samples && !less(i, s[len(s)-1]) {
			continue
		}
		j := len(s)
		for j > 0 && less(i, s[j-1]) {
			j--
		}
		s = slices.Insert(s, j, i)
		if len(s) > r.Samples {
			s = s[:r.Samples]
		}
		samples[d.Depth] = s
	}
	for d := 1; d < n; d++ {
		for _, i := range samples[d] {
			res.Dropoffs[d-1].Samples = append(res.Dropoffs[d-1].Samples, dropped[i].Person)
		}
	}
	for i := range res.Dropoffs {
		res.Dropoffs[i].Persons = res.Persons[i] - res.Persons[i+1]
	}
}

// median is the median of v (the mean of the middle two of an even
// count), as the engines' exact median; v is sorted.
func median(v []float64) float64 {
	slices.Sort(v)
	m := len(v) / 2
	if len(v)%2 == 1 {
		return v[m]
	}
	return v[m-1] + (v[m]-v[m-1])/2
}

// FunnelRequest is POST /api/v1/funnels as sent.
type FunnelRequest struct {
	Steps     []StepSpec `json:"steps"`
	Window    string     `json:"window"` // default 1h
	From      string     `json:"from"`   // default now-7d
	To        string     `json:"to"`
	Breakdown string     `json:"breakdown"`
	SlowMS    float64    `json:"slow_ms"` // default 1000
}

// Query validates r and builds the query object.
func (r FunnelRequest) Query(project int64, now time.Time) (Funnel, error) {
	if len(r.Steps) < 2 {
		return Funnel{}, badf("a funnel needs at least 2 steps, got %d", len(r.Steps))
	}
	if len(r.Steps) > 20 {
		return Funnel{}, badf("a funnel has at most 20 steps, got %d", len(r.Steps))
	}
	rng, err := parseRange(r.From, r.To, now, 7*24*time.Hour)
	if err != nil {
		return Funnel{}, err
	}
	win, err := parseDuration("window", r.Window, int64(time.Hour/time.Microsecond))
	if err != nil {
		return Funnel{}, err
	}
	f := Funnel{FunnelRequest: store.FunnelRequest{ProjectID: project, Range: rng, Window: win, Breakdown: r.Breakdown, SlowMS: r.SlowMS}, Specs: r.Steps}
	for i, s := range r.Steps {
		st, err := s.step(fmt.Sprintf("step %d", i+1))
		if err != nil {
			return Funnel{}, err
		}
		f.Steps = append(f.Steps, st)
	}
	return f, nil
}

// FunnelResult is the answer of POST /api/v1/funnels. Rates are fractions
// of the persons at the first step.
type FunnelResult struct {
	Steps         []FunnelStep    `json:"steps"`
	Breakdown     []FunnelSegment `json:"breakdown"`
	WindowSeconds float64         `json:"window_seconds"`
	Range         timeRange       `json:"range"`
}

// FunnelStep is one step of a funnel. DroppedAfter are the persons who
// reached it but not the next step; DropoffErrors what they hit after it
// (errors and slow requests, most common first), SampleJourneys a few of
// their user journeys.
type FunnelStep struct {
	Name                   string         `json:"name"`
	Where                  string         `json:"where,omitempty"`
	Persons                int64          `json:"persons"`
	ConversionRate         float64        `json:"conversion_rate"`
	DropoffRate            float64        `json:"dropoff_rate"`
	DroppedAfter           int64          `json:"dropped_after"`
	MedianSecondsToConvert float64        `json:"median_seconds_to_convert"`
	DropoffErrors          []DropoffCause `json:"dropoff_errors"`
	SamplePersons          []string       `json:"sample_persons"`
	SampleJourneys         []string       `json:"sample_journeys"`
}

// DropoffCause is an error, slow request or replay detection common among
// dropped persons.
type DropoffCause struct {
	Kind     string  `json:"kind"` // error, slow, rage_click, dead_click or error_after_click
	Label    string  `json:"label"`
	Service  string  `json:"service,omitempty"`
	Persons  int64   `json:"persons"`
	Events   int64   `json:"events"`
	MedianMS float64 `json:"median_ms,omitempty"`
}

// FunnelSegment is the funnel of one breakdown value.
type FunnelSegment struct {
	Value string       `json:"value"`
	Steps []FunnelStep `json:"steps"`
}

// Resolve runs the funnel on ex and shapes its answer for the API.
func (f Funnel) Resolve(ctx context.Context, ex store.Analytics) (FunnelResult, error) {
	res, err := f.Run(ctx, ex)
	if err != nil {
		return FunnelResult{}, fmt.Errorf("cannot compute funnel: %w", err)
	}
	out := FunnelResult{Steps: f.steps(res.FunnelCounts), Breakdown: []FunnelSegment{}, WindowSeconds: seconds(f.Window), Range: echoRange(f.Range)}
	for _, d := range res.Dropoffs {
		if d.Step < 0 || d.Step >= len(out.Steps) {
			continue
		}
		st := &out.Steps[d.Step]
		for _, c := range d.Causes {
			st.DropoffErrors = append(st.DropoffErrors, DropoffCause(c))
		}
		for _, p := range d.Samples {
			st.SamplePersons = append(st.SamplePersons, p)
			st.SampleJourneys = append(st.SampleJourneys, "/api/v1/journeys/user/"+url.PathEscape(p))
		}
	}
	for _, b := range res.Breakdown {
		out.Breakdown = append(out.Breakdown, FunnelSegment{Value: b.Value, Steps: f.steps(b.FunnelCounts)})
	}
	return out, nil
}

// steps shapes the counts of the steps (overall or of one breakdown
// value) for the API.
func (f Funnel) steps(c store.FunnelCounts) []FunnelStep {
	out := make([]FunnelStep, len(f.Steps))
	var first int64
	if len(c.Persons) > 0 {
		first = c.Persons[0]
	}
	for i := range out {
		st := FunnelStep{Name: f.Steps[i].Name, DropoffErrors: []DropoffCause{}, SamplePersons: []string{}, SampleJourneys: []string{}}
		if i < len(f.Specs) {
			st.Where = f.Specs[i].Where
		}
		if i < len(c.Persons) {
			st.Persons = c.Persons[i]
			if i+1 < len(c.Persons) {
				st.DroppedAfter = c.Persons[i] - c.Persons[i+1]
			}
		}
		if i < len(c.MedianToConvert) {
			st.MedianSecondsToConvert = seconds(c.MedianToConvert[i])
		}
		st.ConversionRate = fraction(st.Persons, first)
		st.DropoffRate = fraction(st.DroppedAfter, first)
		out[i] = st
	}
	return out
}
