package duckdb

import (
	"context"
	"testing"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/store"
)

// TestErasePerson erases a person: their events, those of the anonymous
// id they were identified from, and their identities go; another person's
// and another project's stay, and the count follows.
func TestErasePerson(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir())
	defer s.Close()
	ts := int64(1_700_000_000_000_000)
	evs := []event.Event{
		{ProjectID: 1, TS: ts, Kind: event.KindEvent, Name: "Signed Up", AnonymousID: "anon-1"},
		{ProjectID: 1, TS: ts + 1, Kind: event.KindEvent, Name: "Identify", AnonymousID: "anon-1", UserID: "alice"},
		{ProjectID: 1, TS: ts + 2, Kind: event.KindLog, Message: "alice paid", UserID: "alice"},
		{ProjectID: 1, TS: ts + 3, Kind: event.KindEvent, Name: "Signed Up", UserID: "bob", AnonymousID: "anon-2"},
		{ProjectID: 2, TS: ts + 4, Kind: event.KindLog, UserID: "alice"},
	}
	if err := s.Append(ctx, store.Batch{Seq: 1, Events: evs}); err != nil {
		t.Fatal(err)
	}
	n, err := s.ErasePerson(ctx, 1, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("erased %d events, want 3", n)
	}
	var left, idents int64
	s.db.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE project_id = 1`).Scan(&left)
	s.db.QueryRowContext(ctx, `SELECT count(*) FROM idents WHERE project_id = 1 AND user_id = 'alice'`).Scan(&idents)
	if left != 1 || idents != 0 {
		t.Errorf("%d events of project 1 left (want bob's 1), %d identities of alice", left, idents)
	}
	st, _ := s.Stats(ctx)
	if st.Events != 2 {
		t.Errorf("stats count %d events, want 2", st.Events)
	}
	if !fileExists(s.dir + "/" + compactMarker) {
		t.Error("no compaction asked for: the erased rows' bytes would stay in the file")
	}
	if _, err := s.ErasePerson(ctx, 1, ""); err == nil {
		t.Error("an empty user id was accepted")
	}
}
