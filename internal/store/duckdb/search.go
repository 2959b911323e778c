package duckdb

import (
	"github.com/lore-dev/lore/internal/errs"

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
		upper     = r.Range.To
	)
	if r.Cursor != "" {
		ts, rowid, err := decodeCursor(r.Cursor)
		if err != nil {
			return store.SearchResult{}, fmt.Errorf("search: %w", err)
		}
		extra = "ts < ? OR (ts = ? AND rowid < ?)"
		extraArgs = []any{ts, ts, rowid}
		if ts < upper {
			upper = ts + 1
		}
	}
	var (
		res    store.SearchResult
		rowids []int64
	)
	if upper <= r.Range.From {
		return res, nil
	}
	// Newest first: scan slices of the range from its end backwards, each
	// expected to hold more rows than the last, and stop as soon as the
	// page is full, so a page of recent events never sorts the whole range.
	const order = "ORDER BY ts DESC, rowid DESC LIMIT ?"
	var slices []store.Range
	if !p.none {
		slices = s.blocks.Slices(r.ProjectID, r.Range.From, upper, int64(limit+1))
	}
	for _, slice := range slices {
		sp := p.restrict(slice)
		if sp.none {
			continue
		}
		need := limit + 1 - len(res.Events)
		q, args := sp.sql(eventCols, nil, extra, extraArgs, order, need)
		if len(sp.ranges) > 1 {
			q = "SELECT * FROM (" + q + ") " + order
			args = append(args, need)
		}
		if err := s.scanInto(ctx, q, args, &res.Events, &rowids); err != nil {
			return store.SearchResult{}, fmt.Errorf("search: %w", err)
		}
		if len(res.Events) > limit {
			break
		}
	}
	// The cold tier's days in range, merged in (archive.go).
	if arch, archIDs, err := s.searchArchive(ctx, p, upper, extra, extraArgs, limit+1); err != nil {
		return store.SearchResult{}, fmt.Errorf("search: %w", err)
	} else if len(arch) > 0 {
		res.Events, rowids = mergeNewest(res.Events, rowids, arch, archIDs, limit+1)
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
		return 0, 0, errs.Invalidf("invalid cursor %q: pass the next_cursor of a previous page", c)
	}
	return int64(binary.BigEndian.Uint64(b[:8])), int64(binary.BigEndian.Uint64(b[8:])), nil
}

func (s *Store) scanInto(ctx context.Context, q string, args []any, evs *[]event.Event, rowids *[]int64) error {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		e, rowid, err := scanEvent(rows)
		if err != nil {
			return err
		}
		*evs = append(*evs, e)
		*rowids = append(*rowids, rowid)
	}
	return rows.Err()
}

// readEvents runs q and scans every row as an event.
func (s *Store) readEvents(ctx context.Context, q string, args []any) ([]event.Event, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
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

// mergeNewest merges hot events and archived ones, each with its rowids
// and both newest first by (ts, rowid), keeping the newest n. At equal
// times the hot rows (rowid >= 0) come before the archived ones (< 0), as
// a cursor's "ts = ? AND rowid < ?" reads them.
func mergeNewest(hot []event.Event, hotIDs []int64, arch []event.Event, archIDs []int64, n int) ([]event.Event, []int64) {
	out := make([]event.Event, 0, min(n, len(hot)+len(arch)))
	ids := make([]int64, 0, cap(out))
	i, j := 0, 0
	for len(out) < n && (i < len(hot) || j < len(arch)) {
		if j >= len(arch) || (i < len(hot) && (hot[i].TS > arch[j].TS || (hot[i].TS == arch[j].TS && hotIDs[i] > archIDs[j]))) {
			out, ids = append(out, hot[i]), append(ids, hotIDs[i])
			i++
		} else {
			out, ids = append(out, arch[j]), append(ids, archIDs[j])
			j++
		}
	}
	return out, ids
}
