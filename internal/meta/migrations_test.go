package meta

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
)

// TestNodesMigrateTogether: several processes opening one new database at
// once (Lore nodes starting together) all succeed and leave it at the last
// version, migrated once.
func TestNodesMigrateTogether(t *testing.T) { engines(t, testNodesMigrateTogether) }

func testNodesMigrateTogether(t *testing.T, where string) {
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			s, err := Open(ctx, where)
			if err == nil {
				_, err = s.EnsureDefaultProject(ctx, "", "")
				s.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("node %d: %v", i, err)
		}
	}
	s, err := Open(ctx, where)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	v, err := s.db.e.version(ctx, tx)
	if want := migrations[len(migrations)-1].version; err != nil || v != want {
		t.Fatalf("version %d (%v), want %d", v, err, want)
	}
	var projects int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM projects`).Scan(&projects); err != nil || projects != 1 {
		t.Fatalf("%d projects (%v), want 1", projects, err)
	}
}

// TestDocumentsOnEveryEngine: binary source maps (every byte value, not
// UTF-8), settings documents and a project made after project 1 read back
// as written.
func TestDocumentsOnEveryEngine(t *testing.T) { engines(t, testDocumentsOnEveryEngine) }

func testDocumentsOnEveryEngine(t *testing.T, where string) {
	ctx := context.Background()
	s := openTest(t, where)
	body := make([]byte, 512)
	for i := range body {
		body[i] = byte(i)
	}
	if err := s.PutSourceMapFile(ctx, 1, "1.0", "app.js.map", body); err != nil {
		t.Fatal(err)
	}
	got, err := s.SourceMapFile(ctx, 1, "1.0", "app.js.map")
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("source map read back %d bytes (%v), want the 512 written", len(got), err)
	}
	ups, err := s.SourceMapUploads(ctx, 1, "1.0")
	if err != nil || len(ups) != 1 || ups[0].Size != 512 {
		t.Fatalf("uploads %+v (%v)", ups, err)
	}
	doc := json.RawMessage(`{"days":7}`)
	if err := s.SetProjectSettings(ctx, 1, "retention", doc); err != nil {
		t.Fatal(err)
	}
	if err := s.SetProjectSettings(ctx, 1, "retention", json.RawMessage(`{"days":9}`)); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ProjectSettings(ctx, 1, "retention"); err != nil || string(got) != `{"days":9}` {
		t.Fatalf("settings %s (%v)", got, err)
	}
	if err := s.SetCaptureSettings(ctx, 1, json.RawMessage(`{"replay":true}`)); err != nil {
		t.Fatal(err)
	}
	if got, err := s.CaptureSettings(ctx, 1); err != nil || string(got) != `{"replay":true}` {
		t.Fatalf("capture settings %s (%v)", got, err)
	}
	// Project 1 was inserted with its id given: the next gets 2.
	p, err := s.CreateProject(ctx, "second")
	if err != nil || p.ID != 2 {
		t.Fatalf("second project %+v (%v), want id 2", p.Project, err)
	}
}

// TestNodesWriteTogether: several nodes signing different people in,
// making projects and setting origins at once all succeed: on PostgreSQL a
// transaction refused for a conflict with another runs again.
func TestNodesWriteTogether(t *testing.T) { engines(t, testNodesWriteTogether) }

func testNodesWriteTogether(t *testing.T, where string) {
	ctx := context.Background()
	const nodes, each = 4, 5
	stores := make([]*Store, nodes)
	for i := range stores {
		stores[i] = openTest(t, where)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 3*nodes*each)
	for i, s := range stores {
		wg.Go(func() {
			for j := range each {
				who := fmt.Sprintf("n%d-%d", i, j)
				if _, err := s.UserBySSO(ctx, "https://idp.example", who, who+"@example.com", true); err != nil {
					errs <- err
				}
				if _, err := s.CreateProject(ctx, "project "+who); err != nil {
					errs <- err
				}
				if _, err := s.SetAllowedOrigins(ctx, 1, []string{"https://" + who + ".example.com"}); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	users, err := stores[0].Users(ctx)
	if err != nil || len(users) != nodes*each {
		t.Errorf("%d users (%v), want %d", len(users), err, nodes*each)
	}
	projects, err := stores[0].Projects(ctx)
	if err != nil || len(projects) != 1+nodes*each {
		t.Errorf("%d projects (%v), want %d", len(projects), err, 1+nodes*each)
	}
}
