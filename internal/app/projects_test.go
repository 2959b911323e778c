package app

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/pgtest"
)

// TestDeleteProjectOnEveryNode: two nodes share their metadata in
// PostgreSQL, each with its own DuckDB events store; a project's events
// ingested through both leave both stores when one node deletes it (the
// other within seconds, noting it in its data directory), and project 1's
// stay on both.
func TestDeleteProjectOnEveryNode(t *testing.T) {
	dbURL := pgtest.Start(t).NewDatabase(t)
	type node struct {
		a    *App
		dir  string
		stop func()
	}
	start := func() node {
		dir := t.TempDir()
		a, stop := serve(t, Config{DataDir: dir, Meta: dbURL, Addr: "127.0.0.1:0", IngestKey: "k-ingest-1"})
		return node{a, dir, stop}
	}
	n1, n2 := start(), start()
	ctx := context.Background()
	p, err := n1.a.meta.CreateProject(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339Nano)
	for _, n := range []node{n1, n2} {
		for _, k := range []string{p.IngestKey, "k-ingest-1"} {
			body := fmt.Sprintf(`{"ts":%q,"level":"info","msg":"hello"}`+"\n", now)
			if code, b := call(t, http.DefaultClient, "POST", "http://"+n.a.Addr()+"/api/v1/ingest", k, body); code != 200 {
				t.Fatalf("ingest: %d %s", code, b)
			}
		}
		if err := n.a.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	out, err := n1.a.DeleteProject(ctx, p.ID, "shop")
	if err != nil || out.Events != 1 || out.EventsPending {
		t.Fatalf("DeleteProject on node 1: %+v %v; want its 1 event deleted", out, err)
	}
	waitUntil(t, 30*time.Second, "node 2 purges the deleted project", func() bool {
		b, _ := os.ReadFile(filepath.Join(n2.dir, purgedFile))
		f := strings.Fields(string(b))
		return len(f) == 1 && f[0] == "2"
	})
	for i, n := range []node{n1, n2} {
		n.stop()
		db, err := sql.Open("duckdb", filepath.Join(n.dir, "events", "events.duckdb"))
		if err != nil {
			t.Fatal(err)
		}
		var shop, def int64
		err = db.QueryRow(`SELECT count(*) FILTER (WHERE project_id = 2), count(*) FILTER (WHERE project_id = 1) FROM events`).Scan(&shop, &def)
		db.Close()
		if err != nil || shop != 0 || def != 1 {
			t.Errorf("node %d's store: project 2 %d events (want 0), project 1 %d (want 1), %v", i+1, shop, def, err)
		}
	}
}
