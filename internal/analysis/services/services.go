// Package services states what the story detectors and the incident
// timeline read of each service: so far its releases (when each first
// appeared) and its error groups. Its queries are built through the
// store's Dialect; a store with rollups (store.ReleaseRollup,
// store.ErrorGroupsRollup: optional accelerators) answers from them when
// it can, with the same answer.
package services

import (
	"context"
	"fmt"

	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

// ReleaseStarts is a query object: the first row of each service's
// release (rows with a service and a release) in [Since, Range.To), or
// [Range.From, Range.To) when Since is later, in time order (then by
// service and release).
type ReleaseStarts struct {
	ProjectID int64
	Range     store.Range
	Since     int64 // µs
}

// bounds is the range the query reads.
func (q ReleaseStarts) bounds() store.Range {
	return store.Range{From: min(q.Since, q.Range.From), To: q.Range.To}
}

// Key identifies the query, for caching its answer: requests that read
// the same bounds key alike.
func (q ReleaseStarts) Key() string {
	b := q.bounds()
	return fmt.Sprintf("services.releases:%d:%d:%d", q.ProjectID, b.From, b.To)
}

// Scope is what the query reads.
func (q ReleaseStarts) Scope() sqlq.Scope {
	b := q.bounds()
	return sqlq.Scope{ProjectID: q.ProjectID, From: b.From, To: b.To}
}

// Query compiles the plain SQL.
func (q ReleaseStarts) Query(d sqlq.Dialect) (sqlq.Query, error) {
	b := q.bounds()
	var qb sqlq.Builder
	qb.Add(`SELECT service, release, min(ts) AS first_ts FROM events
		WHERE project_id = ? AND ts >= ? AND ts < ? AND release <> '' AND service <> ''
		GROUP BY service, release ORDER BY first_ts, service, release`, q.ProjectID, b.From, b.To)
	return qb.Query("services.releases", sqlq.Scope{ProjectID: q.ProjectID, From: b.From, To: b.To})
}

// Run reads the starts from the store's release rollup when it has one
// that can answer, else from the events.
func (q ReleaseStarts) Run(ctx context.Context, ex sqlq.Executor) ([]store.ReleaseStart, error) {
	if q.Range.To <= q.Range.From {
		return nil, fmt.Errorf("release starts: empty time range [%d, %d)", q.Range.From, q.Range.To)
	}
	b := q.bounds()
	if rr, ok := ex.(store.ReleaseRollup); ok {
		out, ok, err := rr.RolledReleaseStarts(ctx, q.ProjectID, b)
		if err != nil {
			return nil, fmt.Errorf("release starts: %w", err)
		}
		if ok {
			return out, nil
		}
	}
	cq, err := q.Query(ex.Dialect())
	if err != nil {
		return nil, fmt.Errorf("release starts: %w", err)
	}
	var out []store.ReleaseStart
	if err := ex.Run(ctx, cq, func(r sqlq.Scanner) error {
		var x store.ReleaseStart
		if err := r.Scan(&x.Service, &x.Release, &x.FirstTS); err != nil {
			return err
		}
		out = append(out, x)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("release starts: %w", err)
	}
	return out, nil
}
