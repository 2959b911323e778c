package duckdb

import (
	"context"
	"fmt"
	"strings"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/store"
)

const (
	defaultJourneyLimit = 5000
	// maxAnonIDs bounds the anonymous ids merged into one user journey.
	maxAnonIDs = 100
)

// Journey returns the events carrying a trace, user or session id, oldest
// first. The block filters choose the time ranges to scan.
func (s *Store) Journey(ctx context.Context, r store.JourneyRequest) ([]event.Event, error) {
	limit := r.Limit
	if limit <= 0 || limit > defaultJourneyLimit {
		limit = defaultJourneyLimit
	}
	if r.Range.To <= r.Range.From {
		return nil, fmt.Errorf("journey: empty time range [%d, %d)", r.Range.From, r.Range.To)
	}
	if r.ID == "" {
		return nil, fmt.Errorf("journey by %s: empty id", r.By)
	}
	var (
		cond   string
		args   []any
		hashes []uint64
	)
	switch r.By {
	case store.ByTrace:
		id, _ := event.ParseTraceID(r.ID)
		cond, args = "trace_hi = ? AND trace_lo = ?", []any{id.Hi(), id.Lo()}
		hashes = []uint64{traceKeyHash(id.Hi(), id.Lo())}
	case store.BySession:
		cond, args = "session_id = ?", []any{r.ID}
		hashes = []uint64{keyHash(keySess, r.ID)}
	case store.ByUser:
		anons, err := s.anonymousIDs(ctx, r.ProjectID, r.ID)
		if err != nil {
			return nil, fmt.Errorf("journey of user %q: %w", r.ID, err)
		}
		cond, args = "user_id = ?", []any{r.ID}
		hashes = []uint64{keyHash(keyUser, r.ID)}
		if len(anons) > 0 {
			cond = "user_id = ? OR anonymous_id IN (?" + strings.Repeat(", ?", len(anons)-1) + ")"
			for _, a := range anons {
				args = append(args, a)
				hashes = append(hashes, keyHash(keyAnon, a))
			}
		}
	default:
		return nil, fmt.Errorf("journey: unknown key %q", r.By)
	}
	ranges := s.blocks.candidates(r.ProjectID, r.Range.From, r.Range.To, func(b *block) bool {
		for _, h := range hashes {
			if b.keys.has(h) {
				return true
			}
		}
		return false
	})
	if len(ranges) == 0 {
		return nil, nil
	}
	p := plan{project: r.ProjectID, rng: r.Range, where: "TRUE", ranges: ranges}
	const order = "ORDER BY ts, rowid LIMIT ?"
	q, qargs := p.sql(eventCols, nil, cond, args, order, limit)
	if len(ranges) > 1 {
		q = "SELECT * FROM (" + q + ") " + order
		qargs = append(qargs, limit)
	}
	evs, err := s.readEvents(ctx, q, qargs)
	if err != nil {
		return nil, fmt.Errorf("journey by %s %q: %w", r.By, r.ID, err)
	}
	return evs, nil
}

// anonymousIDs lists the anonymous ids seen together with the user id.
func (s *Store) anonymousIDs(ctx context.Context, project int64, user string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT DISTINCT anonymous_id FROM idents WHERE project_id = ? AND user_id = ? ORDER BY anonymous_id LIMIT ?`,
		project, user, maxAnonIDs)
	if err != nil {
		return nil, fmt.Errorf("read anonymous ids: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return nil, fmt.Errorf("read anonymous ids: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
