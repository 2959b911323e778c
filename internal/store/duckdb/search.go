package duckdb

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/store"
)

// Search limits.
const (
	defaultSearchLimit = 100
	maxSearchLimit     = 1000
)

// Search returns matching events newest first, ordered by (ts, rowid)
// descending; the cursor carries the last row's pair.
func (s *Store) Search(ctx context.Context, r store.SearchRequest) (store.SearchResult, error) {
	limit := r.Limit
	if limit <= 0 {
		limit = defaultSearchLimit
	}
	limit = min(limit, maxSearchLimit)
	p, err := s.plan(r.ProjectID, r.Range, r.Query)
	if err != nil {
		return store.SearchResult{}, fmt.Errorf("search: %w", err)
	}
	var (
		extra     string
		extraArgs []any
	)
	if r.Cursor != "" {
		ts, rowid, err := decodeCursor(r.Cursor)
		if err != nil {
			return store.SearchResult{}, fmt.Errorf("search: %w", err)
		}
		extra = "ts < ? OR (ts = ? AND rowid < ?)"
		extraArgs = []any{ts, ts, rowid}
	}
	if p.none {
		return store.SearchResult{}, nil
	}
	const order = "ORDER BY ts DESC, rowid DESC LIMIT ?"
	q, args := p.sql(eventCols, nil, extra, extraArgs, order, limit+1)
	if len(p.ranges) > 1 {
		q = "SELECT * FROM (" + q + ") " + order
		args = append(args, limit+1)
	}
	rows, err := s.db.QueryContext(ctx, q, bindable(args)...)
	if err != nil {
		return store.SearchResult{}, fmt.Errorf("search: %w", err)
	}
	defer rows.Close()
	var (
		res    store.SearchResult
		rowids []int64
	)
	for rows.Next() {
		e, rowid, err := scanEvent(rows)
		if err != nil {
			return store.SearchResult{}, fmt.Errorf("search: %w", err)
		}
		res.Events = append(res.Events, e)
		rowids = append(rowids, rowid)
	}
	if err := rows.Err(); err != nil {
		return store.SearchResult{}, fmt.Errorf("search: %w", err)
	}
	if len(res.Events) > limit {
		res.Events = res.Events[:limit]
		last := res.Events[limit-1]
		res.NextCursor = encodeCursor(last.TS, rowids[limit-1])
	}
	return res, nil
}

func encodeCursor(ts, rowid int64) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(ts))
	binary.BigEndian.PutUint64(b[8:], uint64(rowid))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func decodeCursor(c string) (ts, rowid int64, err error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) != 16 {
		return 0, 0, fmt.Errorf("invalid cursor %q", c)
	}
	return int64(binary.BigEndian.Uint64(b[:8])), int64(binary.BigEndian.Uint64(b[8:])), nil
}

// readEvents runs q and scans every row as an event.
func (s *Store) readEvents(ctx context.Context, q string, args []any) ([]event.Event, error) {
	rows, err := s.db.QueryContext(ctx, q, bindable(args)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []event.Event
	for rows.Next() {
		e, _, err := scanEvent(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
