package events

import (
	"context"
	"fmt"

	"github.com/lore-dev/lore/internal/analysis/scan"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

const (
	defaultJourneyLimit = 5000
	// maxAnonIDs bounds the anonymous ids merged into one user journey.
	maxAnonIDs = 100
)

// lookup is one equality a journey reads: its condition, bound by args,
// and the id an id filter may rule blocks out by.
type lookup struct {
	cond string
	args []any
	kind store.IDKind
	id   string
}

// Journey returns the events carrying a trace, user or session id, oldest
// first, at most r.Limit (default and cap 5000). Each id is its own
// lookup, planned with the store's id filter when it has one.
func (rd Reader) Journey(ctx context.Context, r store.JourneyRequest) ([]event.Event, error) {
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
	d := rd.Ex.Dialect()
	// One lookup per key: a plain equality, which the engine pushes into
	// the scan (DuckDB reads the key column first and the other columns
	// only for matching rows). An OR of keys is not pushed down and made
	// every candidate block decode all its columns — 5x slower for users.
	var lookups []lookup
	switch r.By {
	case store.ByTrace:
		id, _ := event.ParseTraceID(r.ID)
		hi, hiArg := d.Uint64(id.Hi())
		lo, loArg := d.Uint64(id.Lo())
		lookups = []lookup{{"trace_hi = " + hi + " AND trace_lo = " + lo, []any{hiArg, loArg}, store.IDTrace, r.ID}}
	case store.BySession:
		lookups = []lookup{{"session_id = ?", []any{r.ID}, store.IDSession, r.ID}}
	case store.ByUser:
		ids, err := rd.personIDs(ctx, r.ProjectID, r.ID, r.Range)
		if err != nil {
			return nil, fmt.Errorf("journey of user %q: %w", r.ID, err)
		}
		// Every id of the person: the user's own events, and those from
		// before they identified, whether the anonymous id came as such
		// (browser SDKs) or as the distinct id a server-side SDK sends
		// in the user id (posthog-node, which cannot tell them apart).
		// The id may itself be an anonymous id: a visitor who never
		// identified (an analytics person). An id filter rules out the
		// lookups that match nothing at almost no cost.
		for _, id := range ids {
			lookups = append(lookups,
				lookup{"user_id = ?", []any{id}, store.IDUser, id},
				lookup{"anonymous_id = ? AND user_id = ''", []any{id}, store.IDAnonymous, id})
		}
	default:
		return nil, fmt.Errorf("journey: unknown key %q", r.By)
	}
	order := "ORDER BY ts, " + rowOrder + " LIMIT ?"
	cols := columns(d)
	scope := sqlq.Scope{ProjectID: r.ProjectID, From: r.Range.From, To: r.Range.To}
	// Each lookup is a top-n of its own; several are merged and cut again.
	var (
		parts    []sqlq.Query
		branches int
	)
	for _, l := range lookups {
		p := scan.ID(rd.Ex, r.ProjectID, r.Range, l.kind, l.id)
		if p.None {
			continue
		}
		var b sqlq.Builder
		branches += p.Top(&b, cols, nil, l.cond, l.args, order, limit)
		pq, err := b.Query("events.journey", scope)
		if err != nil {
			return nil, err
		}
		parts = append(parts, pq)
	}
	if len(parts) == 0 {
		return nil, nil
	}
	q := parts[0]
	if branches > 1 {
		var b sqlq.Builder
		b.Add("SELECT * FROM (")
		for i, pq := range parts {
			if i > 0 {
				b.Add(" UNION ALL ")
			}
			b.Add("("+pq.SQL+")", pq.Args...)
		}
		b.Add(") AS j "+order, limit)
		var err error
		if q, err = b.Query("events.journey", scope); err != nil {
			return nil, err
		}
	}
	evs, err := readEvents(ctx, rd.Ex, q)
	if err != nil {
		return nil, fmt.Errorf("journey by %s %q: %w", r.By, r.ID, err)
	}
	return evs, nil
}

// readEvents runs q, whose rows are columns, and returns its events.
func readEvents(ctx context.Context, ex sqlq.Executor, q sqlq.Query) ([]event.Event, error) {
	var out []event.Event
	var order any
	err := ex.Run(ctx, q, func(row sqlq.Scanner) error {
		e, err := scanEvent(row, &order)
		if err != nil {
			return err
		}
		out = append(out, e)
		return nil
	})
	return out, err
}

// personIDs lists the ids of id's person: id, the user ids it was seen
// as the anonymous id of (an alias sent the other way round, or a
// visitor's journey), and the anonymous ids seen with any of those users
// (the idents table); at most maxAnonIDs besides id.
func (rd Reader) personIDs(ctx context.Context, project int64, id string, r store.Range) ([]string, error) {
	var b sqlq.Builder
	b.Add("WITH users AS (SELECT ? AS u UNION ALL SELECT user_id AS u FROM idents WHERE project_id = ? AND anonymous_id = ?) ", id, project, id)
	b.Add("SELECT DISTINCT u FROM (SELECT u FROM users UNION ALL SELECT anonymous_id AS u FROM idents WHERE project_id = ? AND user_id IN (SELECT u FROM users)) AS ids ", project)
	b.Add("ORDER BY u LIMIT ?", maxAnonIDs+1)
	q, err := b.Query("events.person_ids", sqlq.Scope{ProjectID: project, From: r.From, To: r.To})
	if err != nil {
		return nil, err
	}
	out := []string{id}
	err = rd.Ex.Run(ctx, q, func(row sqlq.Scanner) error {
		var a string
		if err := row.Scan(&a); err != nil {
			return err
		}
		if a != id {
			out = append(out, a)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the person's ids: %w", err)
	}
	return out, nil
}
