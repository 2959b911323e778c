package duckdb

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/analysis/events"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/query"
	"github.com/lore-dev/lore/internal/store"
)

// openArchiving opens a store in a new directory with a cold tier in
// another; the store is closed at the test's end.
func openArchiving(t *testing.T) (*Store, string) {
	t.Helper()
	archive := filepath.Join(t.TempDir(), "archive")
	s, err := Open(context.Background(), t.TempDir(), Options{MemoryLimit: "256MB", ArchiveDir: archive}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, archive
}

// TestArchiveKeepsDeletedDaysSearchable deletes old days with a cold
// tier: they are written as zstd Parquet, one directory per project, kind
// and day, leave the events table, and a search reaching back that far
// finds them again, merged newest first with the hot rows, across pages;
// erasing a person rewrites the archived files without them.
func TestArchiveKeepsDeletedDaysSearchable(t *testing.T) {
	ctx := context.Background()
	s, archive := openArchiving(t)
	day0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var evs []event.Event
	for d := range 4 {
		for i := range 50 {
			user := fmt.Sprint("user-", i%5)
			evs = append(evs, event.Event{ProjectID: 1, Kind: event.KindLog, Service: "shop", UserID: user,
				TS:      day0.AddDate(0, 0, d).Add(time.Duration(i) * time.Minute).UnixMicro(),
				Message: fmt.Sprintf("checkout %d of day %d by %s", i, d, user)})
		}
	}
	if err := s.Append(ctx, store.Batch{Seq: 1, Events: evs}); err != nil {
		t.Fatal(err)
	}
	cut := day0.AddDate(0, 0, 2).UnixMicro()
	if n, err := s.DeleteEvents(ctx, 1, event.KindLog, cut); err != nil || n != 100 {
		t.Fatalf("deleted %d (%v), want 100", n, err)
	}
	for _, day := range []string{"2026-01-01", "2026-01-02"} {
		files, _ := filepath.Glob(filepath.Join(archive, "project_id=1", "kind=log", "day="+day, "*.parquet"))
		if len(files) != 1 {
			t.Errorf("archive of %s: %v", day, files)
		}
	}
	var hot int64
	s.db.QueryRowContext(ctx, `SELECT count(*) FROM events`).Scan(&hot)
	if hot != 100 {
		t.Errorf("%d events left in the table, want 100", hot)
	}
	search := func(q string, from time.Time, limit int) []event.Event {
		t.Helper()
		pq, err := query.Parse(q)
		if err != nil {
			t.Fatal(err)
		}
		var all []event.Event
		cursor := ""
		for {
			res, err := events.Reader{Ex: s}.Search(ctx, store.SearchRequest{ProjectID: 1, Range: store.Range{From: from.UnixMicro(), To: day0.AddDate(0, 0, 5).UnixMicro()},
				Query: pq, Limit: limit, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, res.Events...)
			if cursor = res.NextCursor; cursor == "" {
				return all
			}
		}
	}
	got := search("", day0, 30)
	if len(got) != 200 {
		t.Fatalf("a search from the first day found %d events, want 200 (hot and archived)", len(got))
	}
	for i := 1; i < len(got); i++ {
		if got[i].TS > got[i-1].TS {
			t.Fatalf("not newest first at %d: %d after %d", i, got[i].TS, got[i-1].TS)
		}
	}
	if got[199].Message != "checkout 0 of day 0 by user-0" || got[199].Service != "shop" || got[199].Kind != event.KindLog {
		t.Errorf("oldest archived event %+v", got[199])
	}
	if n := len(search("user-3 checkout", day0, 7)); n != 40 {
		t.Errorf("words over the archive: %d events of user-3, want 40", n)
	}
	if n := len(search("", day0.AddDate(0, 0, 2), 100)); n != 100 {
		t.Errorf("a search of the hot days alone: %d events, want 100", n)
	}
	erased, err := s.ErasePerson(ctx, 1, "user-3")
	if err != nil || erased.Events != 40 {
		t.Fatalf("erased %+v (%v), want 40 events (20 hot, 20 archived)", erased, err)
	}
	if n := len(search("user-3", day0, 100)); n != 0 {
		t.Errorf("%d events of user-3 after erasing", n)
	}
	if n := len(search("", day0, 100)); n != 160 {
		t.Errorf("%d events after erasing user-3, want 160", n)
	}
	files := archiveList(t, s, 1, store.Range{From: 0, To: 1 << 62})
	var left, rows int64
	s.db.QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE user_id = 'user-3'), count(*) FROM `+archiveSource(files)).Scan(&left, &rows)
	if len(files) != 2 || left != 0 || rows != 80 {
		t.Errorf("archive after erasing: %d files, %d rows of user-3, %d rows (want 2, 0, 80)", len(files), left, rows)
	}
}

// TestArchivedTiesPageOnce pages through events that share one timestamp,
// most of them archived (two files of one day, written by two deletions)
// and some still hot (errors, another kind): four at a time, each is
// found exactly once, the hot ones first. The archived rows' cursor rowids
// are stable and distinct (archiveRowid); with one rowid for every
// archived row, a page boundary inside the tie skipped the rest.
func TestArchivedTiesPageOnce(t *testing.T) {
	ctx := context.Background()
	s, archive := openArchiving(t)
	ts := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC).UnixMicro()
	cut := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC).UnixMicro()
	want := map[string]bool{}
	add := func(seq uint64, kind string, n int) {
		t.Helper()
		var evs []event.Event
		for range n {
			msg := fmt.Sprintf("%s %d", kind, len(want))
			want[msg] = true
			evs = append(evs, event.Event{ProjectID: 1, Kind: kind, Service: "shop", TS: ts, Message: msg})
		}
		if err := s.Append(ctx, store.Batch{Seq: seq, Events: evs}); err != nil {
			t.Fatal(err)
		}
	}
	add(1, event.KindLog, 15)
	if n, err := s.DeleteEvents(ctx, 1, event.KindLog, cut); err != nil || n != 15 {
		t.Fatalf("archived %d (%v), want 15", n, err)
	}
	add(2, event.KindLog, 10)
	if n, err := s.DeleteEvents(ctx, 1, event.KindLog, cut); err != nil || n != 10 {
		t.Fatalf("archived %d (%v), want 10", n, err)
	}
	if files, _ := filepath.Glob(filepath.Join(archive, "project_id=1", "kind=log", "day=2026-01-01", "*.parquet")); len(files) != 2 {
		t.Fatalf("archive files %v, want two", files)
	}
	add(3, event.KindError, 6)

	seen := map[string]int{}
	var order []string
	cursor := ""
	for page := 0; ; page++ {
		if page > 20 {
			t.Fatalf("still paging after %d pages", page)
		}
		res, err := events.Reader{Ex: s}.Search(ctx, store.SearchRequest{ProjectID: 1, Range: store.Range{From: ts - 1, To: ts + 1}, Limit: 4, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range res.Events {
			seen[e.Message]++
			order = append(order, e.Kind)
		}
		if cursor = res.NextCursor; cursor == "" {
			break
		}
	}
	for msg := range want {
		if seen[msg] != 1 {
			t.Errorf("%q found %d times, want once", msg, seen[msg])
		}
	}
	if len(seen) != len(want) {
		t.Errorf("found %d distinct events, want %d", len(seen), len(want))
	}
	for i, k := range order {
		if (i < 6) != (k == event.KindError) {
			t.Errorf("event %d of the tie is a %s: want the 6 hot errors first, then the archived logs (%v)", i, k, order)
			break
		}
	}
}

// archiveList lists the archive's files of a project's days in r.
func archiveList(t *testing.T, s *Store, project int64, r store.Range) []string {
	t.Helper()
	files, err := s.archiveFiles(context.Background(), project, r)
	if err != nil {
		t.Fatal(err)
	}
	return files
}
