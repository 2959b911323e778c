package events

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"

	"github.com/lore-dev/lore/internal/analysis/scan"
	"github.com/lore-dev/lore/internal/errs"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

// Search limits.
const (
	defaultSearchLimit = 100
	maxSearchLimit     = 1000
)

// Search returns matching events newest first, ordered by (ts, row
// order) descending; the cursor carries the last row's pair. With a
// Slicer it reads slices of the range from its end backwards and stops
// as soon as the page is full, so a page of recent events never sorts
// the whole range; with ArchivedRows the cold tier's newest rows are
// merged in.
func (rd Reader) Search(ctx context.Context, r store.SearchRequest) (store.SearchResult, error) {
	limit := r.Limit
	if limit <= 0 {
		limit = defaultSearchLimit
	}
	limit = min(limit, maxSearchLimit)
	p, err := scan.New(rd.Ex, r.ProjectID, r.Range, r.Query)
	if err != nil {
		return store.SearchResult{}, fmt.Errorf("search: %w", err)
	}
	d := rd.Ex.Dialect()
	var (
		extra     string
		extraArgs []any
		upper     = r.Range.To
	)
	if r.Cursor != "" {
		ts, row, err := decodeCursor(r.Cursor)
		if err != nil {
			return store.SearchResult{}, fmt.Errorf("search: %w", err)
		}
		extra = "ts < ? OR (ts = ? AND " + rowID(d) + " < ?)"
		extraArgs = []any{ts, ts, row}
		if ts < upper {
			upper = ts + 1
		}
	}
	var (
		res  store.SearchResult
		rows []int64
	)
	if upper <= r.Range.From {
		return res, nil
	}
	scope := sqlq.Scope{ProjectID: r.ProjectID, From: r.Range.From, To: r.Range.To}
	order := "ORDER BY ts DESC, " + rowOrder + " DESC LIMIT ?"
	cols := columns(d)
	var slices []store.Range
	if !p.None {
		slices = []store.Range{{From: r.Range.From, To: upper}}
		if sl, ok := rd.Ex.(store.Slicer); ok {
			slices = sl.NewestSlices(r.ProjectID, store.Range{From: r.Range.From, To: upper}, int64(limit+1))
		}
	}
	for _, slice := range slices {
		sp := p.Restrict(slice)
		if sp.None {
			continue
		}
		need := limit + 1 - len(res.Events)
		var b sqlq.Builder
		if sp.Top(&b, cols, nil, extra, extraArgs, order, need) > 1 {
			inner, err := b.Query("events.search", scope)
			if err != nil {
				return store.SearchResult{}, err
			}
			b = sqlq.Builder{}
			b.Add("SELECT * FROM ("+inner.SQL+") AS s "+order, append(inner.Args, need)...)
		}
		q, err := b.Query("events.search", scope)
		if err != nil {
			return store.SearchResult{}, err
		}
		if err := readRows(ctx, rd.Ex, q, &res.Events, &rows); err != nil {
			return store.SearchResult{}, fmt.Errorf("search: %w", err)
		}
		if len(res.Events) > limit {
			break
		}
	}
	// The cold tier's days in range, merged in.
	if arch, archRows, err := rd.searchArchive(ctx, p, upper, extra, extraArgs, limit+1); err != nil {
		return store.SearchResult{}, fmt.Errorf("search: %w", err)
	} else if len(arch) > 0 {
		res.Events, rows = mergeNewest(res.Events, rows, arch, archRows, limit+1)
	}
	if len(res.Events) > limit {
		res.Events = res.Events[:limit]
		last := res.Events[limit-1]
		res.NextCursor = encodeCursor(last.TS, rows[limit-1])
	}
	return res, nil
}

// searchArchive reads the newest need archived events of a search, with
// their row orders, when the store has an archive (store.ArchivedRows).
func (rd Reader) searchArchive(ctx context.Context, p scan.Plan, upper int64, extra string, extraArgs []any, need int) ([]event.Event, []int64, error) {
	a, ok := rd.Ex.(store.ArchivedRows)
	if !ok {
		return nil, nil, nil
	}
	src, err := a.ArchivedRows(ctx, p.ProjectID, store.Range{From: p.Range.From, To: upper})
	if err != nil || src == "" {
		return nil, nil, err
	}
	where, args := p.Where()
	var b sqlq.Builder
	b.Add("SELECT "+columns(rd.Ex.Dialect())+" FROM "+src+" WHERE project_id = ? AND ts >= ? AND ts < ? AND ("+where+")",
		append([]any{p.ProjectID, p.Range.From, upper}, args...)...)
	if extra != "" {
		b.Add(" AND ("+extra+")", extraArgs...)
	}
	b.Add(" ORDER BY ts DESC, "+rowOrder+" DESC LIMIT ?", need)
	q, err := b.Query("events.search_archive", sqlq.Scope{ProjectID: p.ProjectID, From: p.Range.From, To: upper})
	if err != nil {
		return nil, nil, err
	}
	var evs []event.Event
	var rows []int64
	if err := readRows(ctx, rd.Ex, q, &evs, &rows); err != nil {
		return nil, nil, fmt.Errorf("search the archive: %w", err)
	}
	return evs, rows, nil
}

// readRows runs q, whose rows are columns, appending its events and
// their row orders.
func readRows(ctx context.Context, ex sqlq.Executor, q sqlq.Query, evs *[]event.Event, rows *[]int64) error {
	return ex.Run(ctx, q, func(row sqlq.Scanner) error {
		var order int64
		e, err := scanEvent(row, &order)
		if err != nil {
			return err
		}
		*evs = append(*evs, e)
		*rows = append(*rows, order)
		return nil
	})
}

func encodeCursor(ts, row int64) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(ts))
	binary.BigEndian.PutUint64(b[8:], uint64(row))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func decodeCursor(c string) (ts, row int64, err error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) != 16 {
		return 0, 0, errs.Invalidf("invalid cursor %q: pass the next_cursor of a previous page", c)
	}
	return int64(binary.BigEndian.Uint64(b[:8])), int64(binary.BigEndian.Uint64(b[8:])), nil
}

// mergeNewest merges hot events and archived ones, each with its row
// orders and both newest first by (ts, row order), keeping the newest n.
// At equal times the hot rows (row order >= 0) come before the archived
// ones (< 0), as a cursor's "ts = ? AND row order < ?" reads them.
func mergeNewest(hot []event.Event, hotRows []int64, arch []event.Event, archRows []int64, n int) ([]event.Event, []int64) {
	return mergeRuns(hot, hotRows, arch, archRows, n, func(at, ar, bt, br int64) bool { return at > bt || at == bt && ar > br })
}

// mergeRuns merges two runs of events with their row orders, each sorted
// so that first(a's ts, a's row, b's ts, b's row) holds when a comes
// before b, and keeps the first n.
func mergeRuns(a []event.Event, ao []int64, b []event.Event, bo []int64, n int, first func(at, ar, bt, br int64) bool) ([]event.Event, []int64) {
	out := make([]event.Event, 0, min(n, len(a)+len(b)))
	rows := make([]int64, 0, cap(out))
	i, j := 0, 0
	for len(out) < n && (i < len(a) || j < len(b)) {
		if j >= len(b) || (i < len(a) && first(a[i].TS, ao[i], b[j].TS, bo[j])) {
			out, rows = append(out, a[i]), append(rows, ao[i])
			i++
		} else {
			out, rows = append(out, b[j]), append(rows, bo[j])
			j++
		}
	}
	return out, rows
}
