package meta

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestBootstrapGeneratesKeysOnceAndStoresOnlyHashes(t *testing.T) {
	engines(t, testBootstrapGeneratesKeysOnceAndStoresOnlyHashes)
}

func testBootstrapGeneratesKeysOnceAndStoresOnlyHashes(t *testing.T, where string) {
	ctx := context.Background()
	s, err := Open(ctx, where)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.EnsureDefaultProject(ctx, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if !b.Created || !strings.HasPrefix(b.IngestKey, "lore_in_") || !strings.HasPrefix(b.ReadKey, "lore_rd_") {
		t.Fatalf("bootstrap = %+v", b)
	}
	p, err := s.Authenticate(ctx, b.IngestKey)
	if err != nil || p.ProjectID != 1 || p.Role != RoleIngest {
		t.Fatalf("ingest key: %+v %v", p, err)
	}
	p, err = s.Authenticate(ctx, b.ReadKey)
	if err != nil || p.Role != RoleRead {
		t.Fatalf("read key: %+v %v", p, err)
	}
	var n int
	if err := s.db.QueryRowContext(context.Background(), `SELECT count(*) FROM api_keys WHERE hash = ? OR hash = ?`, b.IngestKey, b.ReadKey).Scan(&n); err != nil || n != 0 {
		t.Fatalf("plain keys found in the database: %d %v", n, err)
	}
	s.Close()

	s, err = Open(ctx, where)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	b2, err := s.EnsureDefaultProject(ctx, "", "")
	if err != nil || b2.Created || b2.IngestKey != "" || b2.ReadKey != "" {
		t.Fatalf("second start must not print keys again: %+v %v", b2, err)
	}
	if _, err := s.Authenticate(ctx, b.ReadKey); err != nil {
		t.Fatalf("key lost across restart: %v", err)
	}
	if _, err := s.Authenticate(ctx, "lore_rd_nope"); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("unknown key: %v", err)
	}
}

func TestGivenKeysAreAddedEvenToAnExistingProject(t *testing.T) {
	engines(t, testGivenKeysAreAddedEvenToAnExistingProject)
}

func testGivenKeysAreAddedEvenToAnExistingProject(t *testing.T, where string) {
	ctx := context.Background()
	s, err := Open(ctx, where)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.EnsureDefaultProject(ctx, "", ""); err != nil {
		t.Fatal(err)
	}
	b, err := s.EnsureDefaultProject(ctx, "script-ingest", "script-read")
	if err != nil || b.IngestKey != "script-ingest" || b.ReadKey != "script-read" {
		t.Fatalf("%+v %v", b, err)
	}
	p, err := s.Authenticate(ctx, "script-read")
	if err != nil || p.Role != RoleRead || p.ProjectID != 1 {
		t.Fatalf("%+v %v", p, err)
	}
}

// TestKeyForUnknownProjectRefused: a key is only made for a project that
// exists (lore keys create --project 2 once made a working key for a
// project nobody created).
func TestKeyForUnknownProjectRefused(t *testing.T) { engines(t, testKeyForUnknownProjectRefused) }

func testKeyForUnknownProjectRefused(t *testing.T, where string) {
	ctx := context.Background()
	s, err := Open(ctx, where)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.EnsureDefaultProject(ctx, "", ""); err != nil {
		t.Fatal(err)
	}
	if k, err := s.CreateKey(ctx, 2, RoleRead); !errors.Is(err, ErrNotFound) || k != "" {
		t.Fatalf("key for project 2: %q, %v; want ErrNotFound", k, err)
	}
	if keys, err := s.Keys(ctx, 2); err != nil || len(keys) != 0 {
		t.Fatalf("project 2 has keys %v (%v)", keys, err)
	}
	if _, err := s.CreateKey(ctx, 1, RoleRead); err != nil {
		t.Fatalf("key for project 1: %v", err)
	}
}

// TestNoKeyIsStoredWhole checks what is kept of keys in plain text: a
// short pinned key is never in the database whole (nor is most of it),
// also for databases written before prefixes were shortened.
func TestNoKeyIsStoredWhole(t *testing.T) { engines(t, testNoKeyIsStoredWhole) }

func testNoKeyIsStoredWhole(t *testing.T, where string) {
	ctx := context.Background()
	s, err := Open(ctx, where)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.EnsureDefaultProject(ctx, "", "e2e-read")
	if err != nil {
		t.Fatal(err)
	}
	// A key row as the first release stored it: a pinned key whole.
	if _, err := s.db.ExecContext(ctx, `INSERT INTO api_keys (project_id, role, hash, prefix, created_at) VALUES (1, 'read', 'old', 'old-pinned', 0)`); err != nil {
		t.Fatal(err)
	}
	setVersion(t, s, 0)
	s.Close()
	if s, err = Open(ctx, where); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	prefixes := map[string]bool{}
	rows, err := s.db.QueryContext(ctx, `SELECT prefix FROM api_keys`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var p string
		rows.Scan(&p)
		prefixes[p] = true
	}
	rows.Close()
	for _, whole := range []string{"e2e-read", "old-pinned"} {
		for p := range prefixes {
			if len(p) > len(whole)/3 && strings.HasPrefix(whole, p) {
				t.Errorf("stored prefix %q keeps more than a third of the key %q", p, whole)
			}
		}
	}
	if !prefixes[b.IngestKey[:12]] {
		t.Errorf("the generated ingest key's prefix %q is not kept (have %v)", b.IngestKey[:12], prefixes)
	}
	// Reopening again does not shorten them further.
	s.Close()
	if s, err = Open(ctx, where); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var n int
	if err := s.db.QueryRowContext(context.Background(), `SELECT count(*) FROM api_keys WHERE prefix = ?`, b.IngestKey[:12]).Scan(&n); err != nil || n != 1 {
		t.Errorf("a second open changed the prefixes: %d %v", n, err)
	}
}
