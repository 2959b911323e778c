package meta

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Erasures. A person is erased from the events store by one node (the
// events store is shared), but every node keeps some state of its own: the
// session recordings in its replay.db, and the field catalogue's examples
// it has not flushed yet. The erasing node records the erasure in the
// table erasures, with the ids the person's events named, and every node
// sharing the metadata database reads the new ones about every second
// and erases the person from its own state (docs/scaling.md, "Several
// nodes"). The rows hold the erased person's ids, so they are kept only
// as long as asked (PruneErasures).

// Erasure is a person erased on some node: their user id, and the
// anonymous ids and sessions their events named.
type Erasure struct {
	ID           int64
	ProjectID    int64
	UserID       string
	AnonymousIDs []string
	Sessions     []string
	// ErasedAt is when it was recorded, by the database's clock.
	ErasedAt time.Time
}

type erasureIDs struct {
	AnonymousIDs []string `json:"anonymous_ids"`
	Sessions     []string `json:"sessions"`
}

// RecordErasure records that project's person userID was erased from
// the events store, with the anonymous ids and sessions their events
// named, and returns its id.
func (s *Store) RecordErasure(ctx context.Context, project int64, userID string, anonymousIDs, sessions []string) (int64, error) {
	ids, err := json.Marshal(erasureIDs{AnonymousIDs: anonymousIDs, Sessions: sessions})
	if err != nil {
		return 0, fmt.Errorf("record the erasure of person %q: %w", userID, err)
	}
	var id int64
	if err := s.db.QueryRowContext(ctx, `INSERT INTO erasures (project_id, user_id, ids, erased_at) VALUES (?, ?, ?, `+s.db.e.nowMicros()+`) RETURNING id`,
		project, userID, string(ids)).Scan(&id); err != nil {
		return 0, fmt.Errorf("record the erasure of person %q of project %d: %w", userID, project, err)
	}
	return id, nil
}

// ErasuresSince returns the erasures recorded after the one numbered
// after, and those recorded within the last recent (an id is given when a
// row is written, and a row may commit after one with a larger id: a
// reader that skips what it already applied sees it), in id order.
func (s *Store) ErasuresSince(ctx context.Context, after int64, recent time.Duration) ([]Erasure, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, project_id, user_id, ids, erased_at FROM erasures
		WHERE id > ? OR erased_at > `+s.db.e.nowMicros()+` - ? ORDER BY id`, after, recent.Microseconds())
	if err != nil {
		return nil, fmt.Errorf("read the erasures after %d: %w", after, err)
	}
	defer rows.Close()
	var out []Erasure
	for rows.Next() {
		var e Erasure
		var ids string
		var at int64
		if err := rows.Scan(&e.ID, &e.ProjectID, &e.UserID, &ids, &at); err != nil {
			return nil, fmt.Errorf("read the erasures after %d: %w", after, err)
		}
		var got erasureIDs
		if err := json.Unmarshal([]byte(ids), &got); err != nil {
			return nil, fmt.Errorf("read erasure %d: its ids %q: %w", e.ID, ids, err)
		}
		e.AnonymousIDs, e.Sessions, e.ErasedAt = got.AnonymousIDs, got.Sessions, time.UnixMicro(at).UTC()
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the erasures after %d: %w", after, err)
	}
	return out, nil
}

// PruneErasures deletes the erasures recorded more than age ago.
func (s *Store) PruneErasures(ctx context.Context, age time.Duration) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM erasures WHERE erased_at < `+s.db.e.nowMicros()+` - ?`, age.Microseconds()); err != nil {
		return fmt.Errorf("prune the erasures older than %v: %w", age, err)
	}
	return nil
}

// Before a person is erased from a shared events store, every node
// writing to it loads what it acknowledged (its write-ahead log's events
// not yet in the store), so that none of the person's events lands after
// the erasure: the erasing node asks (RequestFlush), each writer loads and
// says so (AckFlush), and the erasing node waits until every live writer
// did (FlushedBy, with the writers' leases).

// erasureRequestsKept is how long a flush request and its answers are
// kept.
const erasureRequestsKept = time.Hour

// RequestFlush asks every writer to load what it acknowledged, and
// returns the request's id; it prunes the requests older than an hour.
func (s *Store) RequestFlush(ctx context.Context) (int64, error) {
	now := s.db.e.nowMicros()
	var id int64
	if err := s.db.QueryRowContext(ctx, `INSERT INTO erasure_requests (requested_at) VALUES (`+now+`) RETURNING id`).Scan(&id); err != nil {
		return 0, fmt.Errorf("ask the writers to load what they acknowledged: %w", err)
	}
	for _, q := range []string{`DELETE FROM erasure_flushes WHERE request_id IN (SELECT id FROM erasure_requests WHERE requested_at < ` + now + ` - ?)`,
		`DELETE FROM erasure_requests WHERE requested_at < ` + now + ` - ?`} {
		if _, err := s.db.ExecContext(ctx, q, erasureRequestsKept.Microseconds()); err != nil {
			return id, fmt.Errorf("prune the flush requests: %w", err)
		}
	}
	return id, nil
}

// FlushRequests returns the ids of the flush requests after the one
// numbered after, and of those made within the last recent, in order.
func (s *Store) FlushRequests(ctx context.Context, after int64, recent time.Duration) ([]int64, error) {
	return column[int64](ctx, s, fmt.Sprintf("the flush requests after %d", after),
		`SELECT id FROM erasure_requests WHERE id > ? OR requested_at > `+s.db.e.nowMicros()+` - ? ORDER BY id`, after, recent.Microseconds())
}

// AckFlush records that holder (a writer lease's holder) loaded what it
// acknowledged before it read request.
func (s *Store) AckFlush(ctx context.Context, request int64, holder string) error {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO erasure_flushes (request_id, holder) VALUES (?, ?) ON CONFLICT DO NOTHING`, request, holder); err != nil {
		return fmt.Errorf("answer flush request %d for %q: %w", request, holder, err)
	}
	return nil
}

// FlushedBy returns the holders that answered request.
func (s *Store) FlushedBy(ctx context.Context, request int64) ([]string, error) {
	return column[string](ctx, s, fmt.Sprintf("the answers to flush request %d", request),
		`SELECT holder FROM erasure_flushes WHERE request_id = ? ORDER BY holder`, request)
}

// column reads the one column of the rows q returns; what names them in
// errors.
func column[T any](ctx context.Context, s *Store, what, q string, args ...any) ([]T, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("read %s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	return out, nil
}
