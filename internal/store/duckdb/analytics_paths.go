package duckdb

import (
	"context"
	"errors"
	"fmt"

	"github.com/lore-dev/lore/internal/store"
)

const maxPathDepth = 20

// pathSkipped are bookkeeping events that say nothing about where a person
// went: identity calls and page-load timings.
const pathSkipped = "'$identify', '$alias', '$create_alias', '$group', '$groupidentify', '$pageload', '$pageleave', '$set'"

// Paths answers from the product index (product_paths.go) when the anchor
// has no filter; otherwise SQL takes, per person, the Depth events from their first Start event
// on (or up to and including their first End event), and counts the
// persons per sequence. Path events are product events (bookkeeping ones
// such as $identify left out) and errors.
func (s *Store) Paths(ctx context.Context, r store.PathsRequest) ([]store.PathCount, error) {
	if err := validRange(r.Range); err != nil {
		return nil, fmt.Errorf("paths: %w", err)
	}
	if (r.Start == nil) == (r.End == nil) {
		return nil, errors.New("paths: give exactly one of a start or an end event")
	}
	if r.Depth <= 0 {
		r.Depth = 5
	}
	if r.Depth > maxPathDepth {
		return nil, fmt.Errorf("paths: depth %d exceeds %d", r.Depth, maxPathDepth)
	}
	if r.Limit <= 0 {
		r.Limit = 20
	}
	if out, ok := s.pathsIndexed(r); ok {
		return out, nil
	}
	return s.pathsBySQL(ctx, r)
}

// pathsBySQL answers a valid paths request (its defaults set) with SQL.
func (s *Store) pathsBySQL(ctx context.Context, r store.PathsRequest) ([]store.PathCount, error) {
	anchor := r.Start
	if anchor == nil {
		anchor = r.End
	}
	m, margs, err := stepMatch(*anchor)
	if err != nil {
		return nil, fmt.Errorf("paths: %w", err)
	}
	var q sqlBuf
	q.add("WITH ")
	identsCTE(&q, r.ProjectID)
	q.add(", raw AS (SELECT ts, "+personKey+" AS k, "+pathLabel+" AS label, coalesce("+m+", FALSE) AS anchor FROM events WHERE ", margs...)
	inRange(&q, r.ProjectID, r.Range)
	q.add(" AND " + hasPerson + " AND (kind IN ('event', 'pageview', 'error') OR level IN ('error', 'fatal')) AND name NOT IN (" + pathSkipped + "))")
	q.add(", ev AS MATERIALIZED (SELECT hash(coalesce(idm.uid, raw.k)) AS person, ts, label, anchor FROM raw LEFT JOIN idm ON idm.a = raw.k)")
	q.add(", a AS (SELECT person, min(ts) AS ta FROM ev WHERE anchor GROUP BY person)")
	if r.Start != nil {
		q.add(", w AS (SELECT e.person, e.ts, e.label FROM ev e JOIN a ON e.person = a.person AND e.ts >= a.ta QUALIFY row_number() OVER (PARTITION BY e.person ORDER BY e.ts, e.anchor DESC, e.label) <= ?)", r.Depth)
	} else {
		q.add(", w AS (SELECT e.person, e.ts, e.label FROM ev e JOIN a ON e.person = a.person AND e.ts <= a.ta QUALIFY row_number() OVER (PARTITION BY e.person ORDER BY e.ts DESC, e.anchor DESC, e.label) <= ?)", r.Depth)
	}
	q.add(", seq AS (SELECT person, list(label ORDER BY ts, label) AS path FROM w GROUP BY person)")
	q.add(" SELECT path, count(*) AS p FROM seq GROUP BY path ORDER BY p DESC, path LIMIT ?", r.Limit)
	rows, err := s.db.QueryContext(ctx, q.String(), q.args...)
	if err != nil {
		return nil, fmt.Errorf("paths: %w", err)
	}
	defer rows.Close()
	out := []store.PathCount{}
	for rows.Next() {
		var (
			path []any
			p    int64
		)
		if err := rows.Scan(&path, &p); err != nil {
			return nil, fmt.Errorf("paths: %w", err)
		}
		pc := store.PathCount{Persons: p, Steps: make([]string, 0, len(path))}
		for _, v := range path {
			s, _ := v.(string)
			pc.Steps = append(pc.Steps, s)
		}
		out = append(out, pc)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("paths: %w", err)
	}
	return out, nil
}
