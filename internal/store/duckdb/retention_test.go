package duckdb

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

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
	if err := s.DeleteSideBefore(ctx, 1, cut, cut); err != nil {
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
	if after > full/2 {
		t.Errorf("after deleting 6 of 8 days and reopening the file is %d bytes, was %d: want under half", after, full)
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
