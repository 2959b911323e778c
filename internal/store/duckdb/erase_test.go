package duckdb

import (
	"context"
	"fmt"
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
		{ProjectID: 1, TS: ts + 2, Kind: event.KindLog, Message: "alice paid", UserID: "alice", SessionID: "sess-a"},
		{ProjectID: 1, TS: ts + 3, Kind: event.KindEvent, Name: "Signed Up", UserID: "bob", AnonymousID: "anon-2"},
		{ProjectID: 2, TS: ts + 4, Kind: event.KindLog, UserID: "alice"},
	}
	if err := s.Append(ctx, store.Batch{Seq: 1, Events: evs}); err != nil {
		t.Fatal(err)
	}
	if err := s.MigrateFields(ctx); err != nil {
		t.Fatal(err)
	}
	day := ts - ts%86_400_000_000
	if err := s.RecordFields(ctx, nil, []store.FieldValues{
		{ProjectID: 1, Day: day, Field: "user_id", Sketch: make([]byte, 16), Examples: []string{"alice", "bob"}},
		{ProjectID: 1, Day: day, Field: "session_id", Sketch: make([]byte, 16), Examples: []string{"sess-a"}},
		{ProjectID: 2, Day: day, Field: "user_id", Sketch: make([]byte, 16), Examples: []string{"alice"}},
	}); err != nil {
		t.Fatal(err)
	}
	got, err := s.ErasePerson(ctx, 1, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if got.Events != 3 || fmt.Sprint(got.AnonymousIDs) != "[anon-1]" || fmt.Sprint(got.Sessions) != "[sess-a]" {
		t.Errorf("erased %+v, want 3 events, anonymous id anon-1, session sess-a", got)
	}
	var examples string
	s.db.QueryRowContext(ctx, `SELECT string_agg(project_id || ':' || field || '=' || coalesce(array_to_string(examples, ','), ''), ' ' ORDER BY project_id, field)
		FROM field_values`).Scan(&examples)
	if examples != "1:session_id= 1:user_id=bob 2:user_id=alice" {
		t.Errorf("field examples after erasing: %q", examples)
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
