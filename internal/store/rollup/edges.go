package rollup

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

// The story detectors (cascades, hidden coupling) need only the shape of
// the call graph over a day, but joining a day of spans to their parents
// takes seconds at 10M events a day. So the graph is also kept per hour in
// narrative_edges: each hour's edges as services.Map computes them over that
// hour alone. An hour is computed ("sealed") by the Append whose events
// reach an hour and sealGrace past its end; a later batch with events in
// a sealed hour unseals it and its neighbours, and they are sealed again.
// CallGraph adds up the sealed hours and computes the others (the hour
// being written, partial hours at the range's ends) from the events.

const (
	// Hour is the call graph's bucket width, µs.
	Hour = int64(time.Hour / time.Microsecond)
	// sealGrace is how far past an hour's end the events must reach before
	// the hour is sealed (late spans of the hour are usually in by then).
	sealGrace = 10 * Minute
	// sealLookback bounds how far back an Append looks for unsealed hours
	// (besides the hours it touched).
	sealLookback = 48 * Hour
)

const edgesSchema = `
CREATE TABLE IF NOT EXISTS narrative_edges (
	project_id INTEGER NOT NULL,
	hour BIGINT NOT NULL,
	caller VARCHAR NOT NULL,
	callee VARCHAR NOT NULL,
	external BOOLEAN NOT NULL,
	inferred BOOLEAN NOT NULL,
	calls BIGINT NOT NULL,
	errors BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS narrative_edge_hours (
	project_id INTEGER NOT NULL,
	hour BIGINT NOT NULL
);
`

func hourStart(ts int64) int64 {
	if ts < 0 {
		return ts - (ts%Hour+Hour)%Hour
	}
	return ts - ts%Hour
}

// sealHours unseals the hours (and their neighbours) the batch's minute
// runs touch and seals every hour of the batch's projects the events now
// reach sealGrace past.
func sealHours(ctx context.Context, tx Tx, runs []minuteRun, maxTS map[int64]int64) error {
	touched := map[int64][]int64{}
	seen := map[[2]int64]bool{}
	for _, r := range runs {
		for h := hourStart(r.from) - Hour; h <= hourStart(r.to-1)+Hour; h += Hour {
			if k := [2]int64{r.project, h}; !seen[k] {
				seen[k] = true
				touched[r.project] = append(touched[r.project], h)
			}
		}
	}
	for project, hours := range touched {
		for _, tbl := range []string{"narrative_edges", "narrative_edge_hours"} {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+tbl+` WHERE project_id = ? AND list_contains(?::BIGINT[], hour)`, project, hours); err != nil {
				return fmt.Errorf("unseal %d hours of project %d: %w", len(hours), project, err)
			}
		}
		last := hourStart(maxTS[project]-sealGrace) - Hour // the last hour to seal
		var todo []int64
		err := eachRow(ctx, tx, `SELECT DISTINCT minute // 3600000000 * 3600000000 AS h FROM narrative_minutes
			WHERE project_id = ? AND minute < ? AND (minute >= ? OR list_contains(?::BIGINT[], minute // 3600000000 * 3600000000))
			AND h NOT IN (SELECT hour FROM narrative_edge_hours WHERE project_id = ?) ORDER BY h`,
			[]any{project, last + Hour, last - sealLookback, hours, project}, func(rows *sql.Rows) error {
				var h int64
				err := rows.Scan(&h)
				todo = append(todo, h)
				return err
			})
		if err != nil {
			return fmt.Errorf("find hours to seal of project %d: %w", project, err)
		}
		for _, h := range todo {
			if err := sealHour(ctx, tx, project, h); err != nil {
				return err
			}
		}
	}
	return nil
}

func sealHour(ctx context.Context, tx Tx, project, h int64) error {
	args := []any{project, h, project, h, h + Hour, project, h, h + Hour}
	if _, err := tx.ExecContext(ctx, `INSERT INTO narrative_edges SELECT ?, ?, e.* EXCLUDE (p50, p95) FROM (`+serviceEdgesSQL+`) e`, args...); err != nil {
		return fmt.Errorf("seal hour %d of project %d: %w", h, project, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO narrative_edge_hours VALUES (?, ?)`, project, h); err != nil {
		return fmt.Errorf("seal hour %d of project %d: %w", h, project, err)
	}
	return nil
}

// eachRow runs q on c and calls fn for every row.
func eachRow(ctx context.Context, c Tx, q string, args []any, fn func(*sql.Rows) error) error {
	rows, err := c.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// rebuildEdges seals every hour of every project up to sealGrace before
// its last event.
func rebuildEdges(ctx context.Context, tx Tx) error {
	for _, q := range []string{`DELETE FROM narrative_edges`, `DELETE FROM narrative_edge_hours`} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	type ph struct{ project, hour int64 }
	var todo []ph
	err := eachRow(ctx, tx, `WITH h AS (SELECT project_id, minute // 3600000000 * 3600000000 AS hour, max(minute) OVER (PARTITION BY project_id) AS last
		FROM narrative_minutes)
		SELECT DISTINCT project_id, hour FROM h WHERE hour + 3600000000 + ? <= last + 60000000 ORDER BY 1, 2`, []any{sealGrace}, func(rows *sql.Rows) error {
		var x ph
		err := rows.Scan(&x.project, &x.hour)
		todo = append(todo, x)
		return err
	})
	if err != nil {
		return err
	}
	for _, x := range todo {
		if err := sealHour(ctx, tx, x.project, x.hour); err != nil {
			return err
		}
	}
	return nil
}

// CallGraph returns the calls between services in r: the edges of
// services.Map, computed hour by hour (and for the range's partial hours)
// and added up, without latencies. A call whose parent span is in another
// hour than the child is not seen, nor a service inferred to follow
// another across an hour boundary; an external dependency or inferred
// edge is dropped when its service sends spans elsewhere in the range.
// It is what the story detectors read: the shape of the graph, cheaply.
func (x *Rollups) CallGraph(ctx context.Context, project int64, r store.Range) ([]store.CallEdge, error) {
	if err := narrativeRange(r); err != nil {
		return nil, fmt.Errorf("call graph: %w", err)
	}
	h0 := hourStart(r.From)
	if h0 < r.From {
		h0 += Hour
	}
	h1 := max(hourStart(r.To), h0)
	sealed := map[int64]bool{}
	err := x.read(ctx, "rollup.sealed_hours", `SELECT hour FROM narrative_edge_hours WHERE project_id = ? AND hour >= ? AND hour < ?`, []any{project, h0, h1}, func(rows sqlq.Scanner) error {
		var h int64
		err := rows.Scan(&h)
		sealed[h] = true
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("call graph: %w", err)
	}
	// The pieces computed from the events: partial hours at both ends,
	// and unsealed hours.
	var pieces []store.Range
	if h0 > h1 || h0 == h1 && (r.From < h0 || r.To > h1) {
		pieces = append(pieces, r)
	} else {
		if r.From < h0 {
			pieces = append(pieces, store.Range{From: r.From, To: h0})
		}
		for h := h0; h < h1; h += Hour {
			if !sealed[h] {
				pieces = append(pieces, store.Range{From: h, To: h + Hour})
			}
		}
		if r.To > h1 {
			pieces = append(pieces, store.Range{From: h1, To: r.To})
		}
	}
	type key struct {
		from, to           string
		external, inferred bool
	}
	sum := map[key]*store.CallEdge{}
	add := func(e store.CallEdge) {
		k := key{e.From, e.To, e.External, e.Inferred}
		if x := sum[k]; x != nil {
			x.Calls += e.Calls
			x.Errors += e.Errors
			return
		}
		e.P50MS, e.P95MS = 0, 0
		sum[k] = &e
	}
	scan := func(rows sqlq.Scanner) error {
		var e store.CallEdge
		if err := rows.Scan(&e.From, &e.To, &e.External, &e.Inferred, &e.Calls, &e.Errors); err != nil {
			return err
		}
		add(e)
		return nil
	}
	if len(sealed) > 0 {
		if err := x.read(ctx, "rollup.sealed_edges", `SELECT caller, callee, external, inferred, sum(calls)::BIGINT, sum(errors)::BIGINT FROM narrative_edges
			WHERE project_id = ? AND hour >= ? AND hour < ? GROUP BY ALL`, []any{project, h0, h1}, scan); err != nil {
			return nil, fmt.Errorf("call graph: %w", err)
		}
	}
	for _, p := range pieces {
		args := []any{project, p.From, p.To}
		if err := x.read(ctx, "rollup.edges", `SELECT caller, callee, external, inferred, calls, errors FROM (`+serviceEdgesSQL+`)`, append(append([]any{}, args...), args...), scan); err != nil {
			return nil, fmt.Errorf("call graph of [%d, %d): %w", p.From, p.To, err)
		}
	}
	// Services that send spans anywhere in the range are not external
	// dependencies nor log-only services.
	spans := map[string]bool{}
	if err := x.read(ctx, "rollup.span_services", `SELECT DISTINCT service FROM narrative_minutes WHERE project_id = ? AND minute >= ? AND minute < ? AND sreq > 0`,
		[]any{project, r.From - r.From%Minute, r.To}, func(rows sqlq.Scanner) error {
			var svc string
			err := rows.Scan(&svc)
			spans[svc] = true
			return err
		}); err != nil {
		return nil, fmt.Errorf("call graph: %w", err)
	}
	out := make([]store.CallEdge, 0, len(sum))
	for _, e := range sum {
		if e.External && spans[e.To] || e.Inferred && (spans[e.From] || spans[e.To]) {
			continue
		}
		out = append(out, *e)
	}
	slices.SortFunc(out, func(a, b store.CallEdge) int {
		if a.From != b.From {
			return cmp.Compare(a.From, b.From)
		}
		if a.To != b.To {
			return cmp.Compare(a.To, b.To)
		}
		return cmpBool(a.External, b.External)*2 + cmpBool(a.Inferred, b.Inferred)
	})
	return out, nil
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case b:
		return -1
	}
	return 1
}

var _ store.CallGraphReader = (*Rollups)(nil)
