package replay

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestErase erases a person's recordings: the sessions recorded with
// their user id, with their anonymous id and the sessions named, chunks
// and all, and their bytes leave the files; another person's and another
// project's stay.
func TestErase(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "replay.db")
	s, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	secret := []byte("alice-secret-recording-")
	chunk := func(project int64, session, user, anon string) Chunk {
		return Chunk{ProjectID: project, SessionID: session, PageID: "p", UserID: user, AnonymousID: anon,
			First: 1000, Last: 2000, Events: 3, RawBytes: 100, ReceivedAt: 3000,
			Data: bytes.Repeat(append(append([]byte{}, secret...), session...), 200)}
	}
	if err := s.PutChunks(ctx, []Chunk{
		chunk(1, "s-user", "alice", ""),
		chunk(1, "s-anon", "", "anon-1"),
		chunk(1, "s-named", "", ""),
		chunk(1, "s-bob", "bob", "anon-2"),
		chunk(2, "s-other-project", "alice", ""),
	}); err != nil {
		t.Fatal(err)
	}
	n, err := s.Erase(ctx, 1, "alice", []string{"anon-1", ""}, []string{"s-named", ""})
	if err != nil || n != 3 {
		t.Fatalf("erased %d sessions (%v), want 3", n, err)
	}
	for _, id := range []string{"s-user", "s-anon", "s-named"} {
		if err := s.Chunks(ctx, 1, id, func(Chunk) error { return nil }); !errors.Is(err, ErrNotFound) {
			t.Errorf("session %s after erasing: %v", id, err)
		}
	}
	if got, _ := s.Sessions(ctx, 1, []string{"s-bob"}); len(got) != 1 {
		t.Error("bob's recording went too")
	}
	if got, _ := s.Sessions(ctx, 2, []string{"s-other-project"}); len(got) != 1 {
		t.Error("another project's recording went too")
	}
	var all []byte
	for _, p := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		all = append(all, b...)
		for _, id := range []string{"s-user", "s-anon", "s-named"} {
			if bytes.Contains(b, append(append([]byte{}, secret...), id...)) {
				t.Errorf("%s still holds the erased recording of %s", filepath.Base(p), id)
			}
		}
	}
	if !bytes.Contains(all, append(append([]byte{}, secret...), "s-bob"...)) {
		t.Error("bob's recording is not found in the files: the search for erased bytes cannot fail")
	}
	if _, err := s.Erase(ctx, 1, "", nil, nil); err == nil {
		t.Error("an empty user id was accepted")
	}
}

// TestExpireProject deletes one project's old sessions, not another's.
func TestExpireProject(t *testing.T) {
	ctx := context.Background()
	s, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "replay.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	chunk := func(project int64, session string, last int64) Chunk {
		return Chunk{ProjectID: project, SessionID: session, PageID: "p", First: last - 100, Last: last, Events: 1, RawBytes: 10, ReceivedAt: last, Data: []byte("x")}
	}
	if err := s.PutChunks(ctx, []Chunk{chunk(1, "old", 1000), chunk(1, "new", 5000), chunk(2, "old-2", 1000)}); err != nil {
		t.Fatal(err)
	}
	if n, _, err := s.ExpireProject(ctx, 1, 2000); err != nil || n != 1 {
		t.Fatalf("expired %d (%v), want project 1's old session", n, err)
	}
	for p, ids := range map[int64][]string{1: {"old", "new"}, 2: {"old-2"}} {
		got, _ := s.Sessions(ctx, p, ids)
		var names []string
		for _, g := range got {
			names = append(names, g.SessionID)
		}
		if want := map[int64]string{1: "[new]", 2: "[old-2]"}[p]; fmt.Sprint(names) != want {
			t.Errorf("project %d sessions %v, want %s", p, names, want)
		}
	}
}
