package events

import (
	"cmp"
	"context"
	"fmt"

	"github.com/lore-dev/lore/internal/analysis/scan"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

const (
	defaultJourneyLimit = 5000
	// maxJourneyBranches bounds the top-n branches (one per candidate
	// block range of one id) of one journey query: each costs DuckDB 1.5
	// several MB however few rows it finds, and a user who came back over
	// three days has 30–40 (a 10M-event shop: "Out of Memory" at the
	// default --store-memory of 256MB). More run as several queries, whose
	// rows are merged in order here.
	maxJourneyBranches = 8
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
	// Each lookup is a top-n of its own; several are merged and cut again,
	// at most maxBranches in one query.
	maxBranches := cmp.Or(rd.JourneyBranches, maxJourneyBranches)
	var (
		batches  [][]sqlq.Query
		branches []int // of each batch
	)
	for _, l := range lookups {
		p, err := scan.ID(ctx, rd.Ex, r.ProjectID, r.Range, l.kind, l.id)
		if err != nil {
			return nil, fmt.Errorf("journey by %s %q: %w", r.By, r.ID, err)
		}
		if p.None {
			continue
		}
		for _, c := range p.Chunks(maxBranches) {
			var b sqlq.Builder
			n := c.Top(&b, cols, nil, l.cond, l.args, order, limit)
			pq, err := b.Query("events.journey", scope)
			if err != nil {
				return nil, err
			}
			if last := len(batches) - 1; last < 0 || branches[last]+n > maxBranches {
				batches, branches = append(batches, nil), append(branches, 0)
			}
			last := len(batches) - 1
			batches[last], branches[last] = append(batches[last], pq), branches[last]+n
		}
	}
	var (
		evs    []event.Event
		orders []int64
	)
	for i, parts := range batches {
		q := parts[0]
		if branches[i] > 1 {
			var b sqlq.Builder
			b.Add("SELECT * FROM (")
			for j, pq := range parts {
				if j > 0 {
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
		got, gotOrders, err := readOrderedEvents(ctx, rd.Ex, q)
		if err != nil {
			return nil, fmt.Errorf("journey by %s %q: %w", r.By, r.ID, err)
		}
		evs, orders = mergeOldestFirst(evs, orders, got, gotOrders, limit)
	}
	return evs, nil
}

// readOrderedEvents runs q, whose rows are columns and then their row
// order, and returns its events and their row orders.
func readOrderedEvents(ctx context.Context, ex sqlq.Executor, q sqlq.Query) ([]event.Event, []int64, error) {
	var (
		evs    []event.Event
		orders []int64
	)
	err := ex.Run(ctx, q, func(row sqlq.Scanner) error {
		var order int64
		e, err := scanEvent(row, &order)
		if err != nil {
			return err
		}
		evs, orders = append(evs, e), append(orders, order)
		return nil
	})
	return evs, orders, err
}

// mergeOldestFirst merges two runs of events, each oldest first by (ts,
// row order), and keeps the first n.
func mergeOldestFirst(a []event.Event, ao []int64, b []event.Event, bo []int64, n int) ([]event.Event, []int64) {
	if len(a) == 0 {
		return b[:min(len(b), n)], bo[:min(len(bo), n)]
	}
	return mergeRuns(a, ao, b, bo, n, func(at, ar, bt, br int64) bool { return at < bt || at == bt && ar < br })
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
