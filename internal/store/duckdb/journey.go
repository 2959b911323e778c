package duckdb

import (
	"context"
	"fmt"
	"strings"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/store"
	"github.com/lore-dev/lore/internal/store/blockfilter"
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
		lookups = []lookup{{"trace_hi = ? AND trace_lo = ?", []any{id.Hi(), id.Lo()}, blockfilter.TraceKeyHash(id.Hi(), id.Lo())}}
	case store.BySession:
		lookups = []lookup{{"session_id = ?", []any{r.ID}, blockfilter.KeyHash(blockfilter.KeySess, r.ID)}}
	case store.ByUser:
		ids, err := s.personIDs(ctx, r.ProjectID, r.ID)
		if err != nil {
			return nil, fmt.Errorf("journey of user %q: %w", r.ID, err)
		}
		// Every id of the person: the user's own events, and those from
		// before they identified, whether the anonymous id came as such
		// (browser SDKs) or as the distinct id a server-side SDK sends
		// in the user id (posthog-node, which cannot tell them apart).
		// The id may itself be an anonymous id: a visitor who never
		// identified (an analytics person). The block filters rule out
		// the lookups that match nothing at almost no cost.
		for _, id := range ids {
			lookups = append(lookups,
				lookup{"user_id = ?", []any{id}, blockfilter.KeyHash(blockfilter.KeyUser, id)},
				lookup{"anonymous_id = ? AND user_id = ''", []any{id}, blockfilter.KeyHash(blockfilter.KeyAnon, id)})
		}
	default:
		return nil, fmt.Errorf("journey: unknown key %q", r.By)
	}
	const order = "ORDER BY ts, rowid LIMIT ?"
	var parts []string
	var qargs []any
	for _, l := range lookups {
		ranges := s.blocks.Candidates(r.ProjectID, r.Range.From, r.Range.To, func(b *blockfilter.Block) bool { return b.Keys.Has(l.hash) })
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

// personIDs lists the ids of id's person: id, the user ids it was seen
// as the anonymous id of (an alias sent the other way round, or a
// visitor's journey), and the anonymous ids seen with any of those users;
// at most maxAnonIDs besides id.
func (s *Store) personIDs(ctx context.Context, project int64, id string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx,
		`WITH users AS (SELECT ? AS u UNION SELECT user_id FROM idents WHERE project_id = ? AND anonymous_id = ?)
		SELECT u FROM users UNION SELECT anonymous_id FROM idents WHERE project_id = ? AND user_id IN (SELECT u FROM users)
		ORDER BY 1 LIMIT ?`,
		id, project, id, project, maxAnonIDs+1)
	if err != nil {
		return nil, fmt.Errorf("read the person's ids: %w", err)
	}
	defer rows.Close()
	out := []string{id}
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return nil, fmt.Errorf("read the person's ids: %w", err)
		}
		if a != id {
			out = append(out, a)
		}
	}
	return out, rows.Err()
}
