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

	"github.com/lore-dev/lore/internal/chtest"
	"github.com/lore-dev/lore/internal/lifecycle"
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

// TestDeleteProjectClickHouseNodes: two nodes share a ClickHouse events
// store and PostgreSQL metadata; events with a field reach the store
// through node B, whose field catalogue has not written them yet, and
// node A deletes the project: once B has purged it, ClickHouse holds no
// event nor field catalogue row of it (B's catalogue, flushed after the
// deletion, wrote none that stayed).
func TestDeleteProjectClickHouseNodes(t *testing.T) {
	ch := chtest.Start(t)
	dbURL := pgtest.Start(t).NewDatabase(t)
	const db = "lore_projdelete"
	storeURL := "clickhouse://" + ch.Addr + "/" + db
	manual := lifecycle.RetentionConfig{Manual: true}
	a, _ := serve(t, Config{DataDir: t.TempDir(), Meta: dbURL, StoreURL: storeURL, NodeID: "node-a", Addr: "127.0.0.1:0", Retention: manual})
	dirB := t.TempDir()
	b, _ := serve(t, Config{DataDir: dirB, Meta: dbURL, StoreURL: storeURL, NodeID: "node-b", Addr: "127.0.0.1:0", Retention: manual})
	ctx := context.Background()
	p, err := a.meta.CreateProject(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	body := fmt.Sprintf(`{"ts":%q,"level":"info","msg":"hello","tenant":"acme"}`+"\n", time.Now().UTC().Add(-time.Hour).Format(time.RFC3339Nano))
	if code, out := call(t, http.DefaultClient, "POST", "http://"+b.Addr()+"/api/v1/ingest", p.IngestKey, body); code != 200 {
		t.Fatalf("ingest through node B: %d %s", code, out)
	}
	if err := b.pipe.Flush(ctx); err != nil { // the events, not the field catalogue
		t.Fatal(err)
	}
	count := func(table string) string {
		return strings.TrimSpace(string(ch.Post(t, fmt.Sprintf("SELECT count() FROM %s.%s WHERE project_id = %d", db, table, p.ID))))
	}
	if n := count("events"); n != "1" {
		t.Fatalf("the project's events in ClickHouse before: %s", n)
	}
	if _, err := a.DeleteProject(ctx, p.ID, "shop"); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 30*time.Second, "node B purges the deleted project", func() bool {
		f, _ := os.ReadFile(filepath.Join(dirB, purgedFile))
		return strings.TrimSpace(string(f)) == "2"
	})
	for _, tb := range []string{"events", "field_seen", "field_values"} {
		if n := count(tb); n != "0" {
			t.Errorf("%s rows of the deleted project in ClickHouse: %s", tb, n)
		}
	}
}
