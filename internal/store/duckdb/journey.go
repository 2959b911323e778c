package duckdb

import (
	"context"
	"fmt"
	"slices"
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
	// One lookup per key: a plain equality, which DuckDB pushes into the
	// scan (it reads the key column first and the other columns only for
	// matching rows). An OR of keys is not pushed down and made every
	// candidate block decode all its columns — 5x slower for users.
	type lookup struct {
		cond string
		args []any
		hash uint64
	}
	var lookups []lookup
	switch r.By {
	case store.ByTrace:
		id, _ := event.ParseTraceID(r.ID)
		lookups = []lookup{{"trace_hi = ? AND trace_lo = ?", []any{id.Hi(), id.Lo()}, traceKeyHash(id.Hi(), id.Lo())}}
	case store.BySession:
		lookups = []lookup{{"session_id = ?", []any{r.ID}, keyHash(keySess, r.ID)}}
	case store.ByUser:
		anons, err := s.anonymousIDs(ctx, r.ProjectID, r.ID)
		if err != nil {
			return nil, fmt.Errorf("journey of user %q: %w", r.ID, err)
		}
		lookups = []lookup{{"user_id = ?", []any{r.ID}, keyHash(keyUser, r.ID)}}
		// The user's events from before they identified: the anonymous
		// ids seen with their user id, on events without a user id.
		for _, a := range anons {
			lookups = append(lookups, lookup{"anonymous_id = ? AND user_id = ''", []any{a}, keyHash(keyAnon, a)})
		}
		// The id may itself be an anonymous id: a visitor who never
		// identified (an analytics person). Its block filter rules it out
		// at no cost for real user ids.
		if !slices.Contains(anons, r.ID) {
			lookups = append(lookups, lookup{"anonymous_id = ? AND user_id = ''", []any{r.ID}, keyHash(keyAnon, r.ID)})
		}
	default:
		return nil, fmt.Errorf("journey: unknown key %q", r.By)
	}
	const order = "ORDER BY ts, rowid LIMIT ?"
	var parts []string
	var qargs []any
	for _, l := range lookups {
		ranges := s.blocks.candidates(r.ProjectID, r.Range.From, r.Range.To, func(b *block) bool { return b.keys.has(l.hash) })
		if len(ranges) == 0 {
			continue
		}
		p := plan{project: r.ProjectID, rng: r.Range, where: "TRUE", ranges: ranges}
		q, a := p.sql(eventCols, nil, l.cond, l.args, order, limit)
		parts = append(parts, "("+q+")")
		qargs = append(qargs, a...)
	}
	if len(parts) == 0 {
		return nil, nil
	}
	q := parts[0]
	if len(parts) > 1 || strings.Contains(q, "UNION ALL") {
		q = "SELECT * FROM (" + strings.Join(parts, " UNION ALL ") + ") " + order
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
