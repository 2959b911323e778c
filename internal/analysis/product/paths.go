package product

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

const maxPathDepth = 20

// pathSkipped are bookkeeping events that say nothing about where a person
// went: identity calls and page-load timings.
const pathSkipped = "'$identify', '$alias', '$create_alias', '$group', '$groupidentify', '$pageload', '$pageleave', '$set'"

// pathLabel names an event in a path: "error: TYPE" for errors, the page
// for page views sent under a generic name ($pageview), else the name.
func pathLabel(d sqlq.Dialect) string {
	return "CASE WHEN kind = 'error' OR level IN ('error', 'fatal') THEN 'error: ' || coalesce(nullif(error_type, ''), nullif(name, ''), substring(message, 1, 60)) " +
		"WHEN kind = 'pageview' AND name = '$pageview' THEN " + pageExpr(d) + " ELSE name END"
}

// Paths is a query object: the most common sequences of Depth (default 5,
// at most 20) events after each person's first Start event (Start
// included), or, with End, before and including their first End event;
// the Limit (default 20) most common. Path events are product events
// (bookkeeping ones such as $identify left out) and errors.
//
// A store with a person index (store.PathsIndex) answers it without SQL
// when it can; the SQL gives the same answer.
type Paths store.PathsRequest

// request is the valid request with its defaults set.
func (p Paths) request() (store.PathsRequest, error) {
	r := store.PathsRequest(p)
	if err := validRange(r.Range); err != nil {
		return r, err
	}
	if (r.Start == nil) == (r.End == nil) {
		return r, errors.New("give exactly one of a start or an end event")
	}
	if r.Depth <= 0 {
		r.Depth = 5
	}
	if r.Depth > maxPathDepth {
		return r, fmt.Errorf("depth %d exceeds %d", r.Depth, maxPathDepth)
	}
	if r.Limit <= 0 {
		r.Limit = 20
	}
	return r, nil
}

// Key identifies the query, for caching its answer.
func (p Paths) Key() string {
	r, _ := p.request()
	step := func(s *store.Step) string {
		if s == nil {
			return "-"
		}
		w := ""
		if s.Where != nil {
			w = s.Where.String()
		}
		return fmt.Sprintf("%q:%q", s.Name, w)
	}
	return fmt.Sprintf("product.paths:%d:%d:%d:%s:%s:%d:%d", r.ProjectID, r.Range.From, r.Range.To, step(r.Start), step(r.End), r.Depth, r.Limit)
}

// Query compiles the SQL path in d: per person, the Depth events from
// their first anchor on (or up to and including it), and the persons per
// sequence.
func (p Paths) Query(d sqlq.Dialect) (sqlq.Query, error) {
	r, err := p.request()
	if err != nil {
		return sqlq.Query{}, err
	}
	anchor := r.Start
	if anchor == nil {
		anchor = r.End
	}
	m, margs, err := stepMatch(d, *anchor)
	if err != nil {
		return sqlq.Query{}, err
	}
	b := &sqlq.Builder{}
	b.Add("WITH ")
	identsCTE(b, r.ProjectID)
	b.Add(", raw AS (SELECT ts, "+personKey+" AS k, "+pathLabel(d)+" AS label, coalesce("+m+", FALSE) AS anchor FROM events WHERE ", margs...)
	inRange(b, r.ProjectID, r.Range)
	b.Add(" AND " + hasPerson + " AND (kind IN ('event', 'pageview', 'error') OR level IN ('error', 'fatal')) AND name NOT IN (" + pathSkipped + "))")
	b.Add(", " + d.MaterializedCTE("ev", "SELECT "+d.Hash64("coalesce(idm.uid, raw.k)")+" AS person, ts, label, anchor FROM raw LEFT JOIN idm ON idm.a = raw.k"))
	b.Add(", a AS (SELECT person, min(ts) AS ta FROM ev WHERE anchor GROUP BY person)")
	if r.Start != nil {
		b.Add(", w AS (SELECT e.person, e.ts, e.label FROM ev e JOIN a ON e.person = a.person WHERE e.ts >= a.ta "+d.FirstNBy("e.person", "e.ts, e.anchor DESC, e.label")+")", r.Depth)
	} else {
		b.Add(", w AS (SELECT e.person, e.ts, e.label FROM ev e JOIN a ON e.person = a.person WHERE e.ts <= a.ta "+d.FirstNBy("e.person", "e.ts DESC, e.anchor DESC, e.label")+")", r.Depth)
	}
	b.Add(", seq AS (SELECT person, " + d.ListAgg("label", "ts, label") + " AS path FROM w GROUP BY person)")
	b.Add(" SELECT path, count(*) AS p FROM seq GROUP BY path ORDER BY p DESC, path LIMIT ?", r.Limit)
	return b.Query("product.paths", scope(r.ProjectID, r.Range))
}

// Scope is what the paths read.
func (p Paths) Scope() sqlq.Scope { return scope(p.ProjectID, p.Range) }

// Run answers from the store's person index when it has one that can,
// else with SQL.
func (p Paths) Run(ctx context.Context, ex sqlq.Executor) ([]store.PathCount, error) {
	r, err := p.request()
	if err != nil {
		return nil, fmt.Errorf("paths: %w", err)
	}
	if ix, ok := ex.(store.PathsIndex); ok {
		if out, ok := ix.IndexedPaths(r); ok {
			return out, nil
		}
	}
	q, err := p.Query(ex.Dialect())
	if err != nil {
		return nil, fmt.Errorf("paths: %w", err)
	}
	out := []store.PathCount{}
	err = ex.Run(ctx, q, func(row sqlq.Scanner) error {
		var (
			path any
			n    int64
		)
		if err := row.Scan(&path, &n); err != nil {
			return err
		}
		pc := store.PathCount{Persons: n, Steps: []string{}}
		switch xs := path.(type) {
		case []any:
			for _, v := range xs {
				s, _ := v.(string)
				pc.Steps = append(pc.Steps, s)
			}
		case []string:
			pc.Steps = append(pc.Steps, xs...)
		}
		out = append(out, pc)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("paths: %w", err)
	}
	return out, nil
}

// PathsRequest is POST /api/v1/paths as sent: exactly one of StartEvent
// and EndEvent ("$error" ends at any error: "top journeys that end in an
// error").
type PathsRequest struct {
	StartEvent string `json:"start_event,omitempty"`
	EndEvent   string `json:"end_event,omitempty"`
	Where      string `json:"where,omitempty"` // filter on the start or end event
	Depth      int    `json:"depth"`           // default 5, at most 20
	Limit      int    `json:"limit"`           // default 20, at most 1000
	From       string `json:"from"`            // default now-7d
	To         string `json:"to"`
}

// Query validates r and builds the query object.
func (r PathsRequest) Query(project int64, now time.Time) (Paths, error) {
	if (r.StartEvent == "") == (r.EndEvent == "") {
		return Paths{}, badf("give exactly one of start_event and end_event")
	}
	if r.Depth == 0 {
		r.Depth = 5
	}
	if r.Depth < 1 || r.Depth > 20 {
		return Paths{}, badf("depth %d: want 1 to 20", r.Depth)
	}
	if r.Limit <= 0 {
		r.Limit = 20
	}
	r.Limit = min(r.Limit, 1000)
	rng, err := parseRange(r.From, r.To, now, 7*24*time.Hour)
	if err != nil {
		return Paths{}, err
	}
	p := Paths{ProjectID: project, Range: rng, Depth: r.Depth, Limit: r.Limit}
	if r.StartEvent != "" {
		st, err := StepSpec{r.StartEvent, r.Where}.step("start_event")
		if err != nil {
			return Paths{}, err
		}
		p.Start = &st
	} else {
		st, err := StepSpec{r.EndEvent, r.Where}.step("end_event")
		if err != nil {
			return Paths{}, err
		}
		p.End = &st
	}
	return p, nil
}

// PathsResult is the answer of POST /api/v1/paths, most followed first.
type PathsResult struct {
	Paths []PathResult `json:"paths"`
	Range timeRange    `json:"range"`
}

// PathResult is one sequence.
type PathResult struct {
	Steps   []string `json:"steps"`
	Persons int64    `json:"persons"`
}

// Resolve computes the paths on ex and shapes them for the API.
func (p Paths) Resolve(ctx context.Context, ex store.Analytics) (PathsResult, error) {
	res, err := p.Run(ctx, ex)
	if err != nil {
		return PathsResult{}, fmt.Errorf("cannot compute paths: %w", err)
	}
	out := PathsResult{Paths: make([]PathResult, 0, len(res)), Range: echoRange(p.Range)}
	for _, pc := range res {
		out.Paths = append(out.Paths, PathResult{Steps: pc.Steps, Persons: pc.Persons})
	}
	return out, nil
}
