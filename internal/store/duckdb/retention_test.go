package duckdb

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/analysis/issuestats"
	"github.com/lore-dev/lore/internal/analysis/product"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/store"
)

// retentionDays appends days of events (n a day, logs and spans) from day0.
func retentionDays(t *testing.T, s *Store, day0 time.Time, days, n int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	seq := uint64(0)
	for d := range days {
		evs := make([]event.Event, n)
		for i := range evs {
			kind := event.KindLog
			if i%3 == 0 {
				kind = event.KindSpan
			}
			evs[i] = event.Event{ProjectID: 1, Kind: kind, Service: "svc",
				TS:         day0.AddDate(0, 0, d).Add(time.Duration(i) * time.Second).UnixMicro(),
				Message:    fmt.Sprintf("request %x for user %x took %dms", rng.Uint64(), rng.Uint64(), rng.IntN(1000)),
				Attributes: []event.Attr{{Key: "req", Value: fmt.Sprintf("%x", rng.Uint64())}}}
		}
		seq++
		if err := s.Append(context.Background(), store.Batch{Seq: seq, Events: evs}); err != nil {
			t.Fatal(err)
		}
	}
}

// keptOnlySize is the reopened file size of a store that only ever held
// days of events from day0.
func keptOnlySize(t *testing.T, day0 time.Time, days, n int) int64 {
	t.Helper()
	dir := t.TempDir()
	s := openTest(t, dir)
	retentionDays(t, s, day0, days, n)
	if err := s.Checkpoint(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openTest(t, dir)
	defer s.Close()
	return fileSize(filepath.Join(dir, dbFile))
}

// TestRetentionFreesDisk deletes the oldest days of a store and checks that
// the database file shrinks when the store is next opened (not only that
// its space is reusable), that
// the kept days are whole and that the side indexes went with the days.
func TestRetentionFreesDisk(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openTest(t, dir)
	defer func() { s.Close() }()
	day0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	retentionDays(t, s, day0, 8, 20000)
	if err := s.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	full := fileSize(filepath.Join(dir, dbFile))
	cut := day0.AddDate(0, 0, 6).UnixMicro()
	var deleted int64
	for _, k := range []string{event.KindLog, event.KindSpan} {
		n, err := s.DeleteEvents(ctx, 1, k, cut)
		if err != nil {
			t.Fatal(err)
		}
		deleted += n
	}
	if deleted != 6*20000 {
		t.Errorf("deleted %d events, want %d", deleted, 6*20000)
	}
	if _, err := s.DeleteSideBefore(ctx, 1, cut, cut); err != nil {
		t.Fatal(err)
	}
	free, _, err := s.FreeBytes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	before := fileSize(filepath.Join(dir, dbFile))
	s = openTest(t, dir)
	after := fileSize(filepath.Join(dir, dbFile))
	t.Logf("file: %d bytes full; after deleting 6 of 8 days %d (%d free), reopened %d", full, before, free, after)
	// The kept days alone, in a store that never held the others, are the
	// floor; a file that kept most of the deleted days' blocks is well above
	// it. (Half the full file was the bar once, but a store's fixed part —
	// the header, the side tables, the catalogue — is most of what two
	// days take, and block rounding put the reopened file a few KiB either
	// side of half.)
	keptOnly := keptOnlySize(t, day0.AddDate(0, 0, 6), 2, 20000)
	if limit := keptOnly + (full-keptOnly)/4; after > limit {
		t.Errorf("after deleting 6 of 8 days and reopening the file is %d bytes, was %d; the kept days alone take %d: want at most %d", after, full, keptOnly, limit)
	}
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Events != 2*20000 {
		t.Errorf("stats count %d events, want %d", st.Events, 2*20000)
	}
	var n, blocks int64
	s.db.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE ts >= ?`, cut).Scan(&n)
	s.db.QueryRowContext(ctx, `SELECT count(*) FROM blocks WHERE max_ts < ?`, cut).Scan(&blocks)
	if n != 2*20000 || blocks != 0 {
		t.Errorf("%d events kept (want %d), %d blocks before the cut (want 0)", n, 2*20000, blocks)
	}
}

// TestRetentionForgetsIndexedEvents deletes old product and error events
// and checks that the in-memory indexes forget them once retention
// reindexes: a funnel and the issues' counts and users, before and after.
func TestRetentionForgetsIndexedEvents(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir())
	defer s.Close()
	day0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(d int, sec int) int64 {
		return day0.AddDate(0, 0, d).Add(time.Duration(sec) * time.Second).UnixMicro()
	}
	var evs []event.Event
	for i, p := range []struct {
		user string
		day  int
	}{{"old-1", 0}, {"old-2", 1}, {"new-1", 5}} {
		evs = append(evs,
			event.Event{ProjectID: 1, Kind: event.KindEvent, Name: "Signed Up", UserID: p.user, TS: at(p.day, i)},
			event.Event{ProjectID: 1, Kind: event.KindEvent, Name: "Paid", UserID: p.user, TS: at(p.day, 60+i)},
			event.Event{ProjectID: 1, Kind: event.KindError, Message: "boom", ErrorType: "Boom", Fingerprint: "fp-1", UserID: p.user, TS: at(p.day, 120+i)})
	}
	if err := s.Append(ctx, store.Batch{Seq: 1, Events: evs}); err != nil {
		t.Fatal(err)
	}
	all := store.Range{From: day0.UnixMicro(), To: day0.AddDate(0, 0, 10).UnixMicro()}
	counts := func() (persons, errors, users int64) {
		t.Helper()
		f, err := product.Funnel{FunnelRequest: store.FunnelRequest{ProjectID: 1, Range: all, Window: int64(time.Hour / time.Microsecond),
			Steps: []store.Step{{Name: "Signed Up"}, {Name: "Paid"}}}}.Run(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		g, err := issuestats.Groups(store.IssueGroupsRequest{ProjectID: 1, Range: all, Users: true}).Run(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		if len(g) == 1 {
			errors, users = g[0].Count, g[0].Users
		}
		return f.Persons[1], errors, users
	}
	if p, e, u := counts(); p != 3 || e != 3 || u != 3 {
		t.Fatalf("before retention: %d persons paid, %d errors of %d users; want 3, 3, 3", p, e, u)
	}
	cut := day0.AddDate(0, 0, 3).UnixMicro()
	for k, want := range map[string]int64{event.KindEvent: 4, event.KindError: 2} {
		if n, err := s.DeleteEvents(ctx, 1, k, cut); err != nil || n != want {
			t.Fatalf("deleted %d %s events (%v), want %d", n, k, err, want)
		}
	}
	if err := s.Reindex(ctx); err != nil {
		t.Fatal(err)
	}
	if p, e, u := counts(); p != 1 || e != 1 || u != 1 {
		t.Errorf("after retention: %d persons paid, %d errors of %d users; want 1, 1, 1", p, e, u)
	}
	// Deleting logs without a person leaves the indexes alone: nothing
	// to rebuild.
	if err := s.Append(ctx, store.Batch{Seq: 2, Events: []event.Event{{ProjectID: 1, Kind: event.KindLog, Level: "error", Message: "disk", TS: at(0, 5)}}}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.DeleteEvents(ctx, 1, event.KindLog, cut); err != nil || n != 1 || s.staleProduct || s.staleErrors {
		t.Errorf("deleting a log without a person: %d (%v), product index stale %v, error index stale %v", n, err, s.staleProduct, s.staleErrors)
	}
	// The field catalogue's old hours and days (and their examples) go
	// with the side indexes.
	if err := s.MigrateFields(ctx); err != nil {
		t.Fatal(err)
	}
	var seen []store.FieldSeen
	var values []store.FieldValues
	for _, d := range []int{0, 5} {
		seen = append(seen, store.FieldSeen{ProjectID: 1, Hour: at(d, 0), Field: "user_id", Type: "string", Service: "web", Count: 1, FirstTS: at(d, 0), LastTS: at(d, 0)})
		values = append(values, store.FieldValues{ProjectID: 1, Day: at(d, 0), Field: "user_id", Sketch: make([]byte, 16), Examples: []string{fmt.Sprint("person-", d)}})
	}
	if err := s.RecordFields(ctx, seen, values); err != nil {
		t.Fatal(err)
	}
	// It counts what it deleted (the hour and the day of the catalogue,
	// and the side indexes of the deleted log), and nothing once gone.
	if n, err := s.DeleteSideBefore(ctx, 1, cut, cut); err != nil || n < 2 {
		t.Fatalf("DeleteSideBefore deleted %d rows (%v), want at least the catalogue's hour and day", n, err)
	}
	if n, err := s.DeleteSideBefore(ctx, 1, cut, cut); err != nil || n != 0 {
		t.Errorf("DeleteSideBefore again deleted %d rows (%v), want 0", n, err)
	}
	var examples string
	var hours int
	s.db.QueryRowContext(ctx, `SELECT string_agg(array_to_string(examples, ','), ' ') FROM field_values`).Scan(&examples)
	s.db.QueryRowContext(ctx, `SELECT count(*) FROM field_seen`).Scan(&hours)
	if examples != "person-5" || hours != 1 {
		t.Errorf("field catalogue after retention: examples %q, %d hours; want person-5's alone", examples, hours)
	}
}
