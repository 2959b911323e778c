package e2e

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/app"
	"github.com/lore-dev/lore/internal/chtest"
	"github.com/lore-dev/lore/internal/lifecycle"
	"github.com/lore-dev/lore/internal/meta"
	"github.com/lore-dev/lore/internal/objstore"
	"github.com/lore-dev/lore/internal/objstore/s3test"
)

// ingestWith posts n log lines dated at day (spread over its first hours)
// with key, each saying msg.
func ingestWith(t *testing.T, base, key string, day time.Time, n int, msg string) {
	t.Helper()
	var b strings.Builder
	for i := range n {
		line, _ := json.Marshal(map[string]any{"ts": day.Add(time.Duration(i) * time.Second).Format(time.RFC3339Nano),
			"level": "info", "service": "shop", "msg": fmt.Sprintf("%s %d", msg, i), "user_id": fmt.Sprint("u", i%3)})
		b.Write(line)
		b.WriteByte('\n')
	}
	if code, _, body, err := post(context.Background(), http.DefaultClient, base, "/api/v1/ingest", key, "application/x-ndjson", []byte(b.String())); err != nil || code != 200 {
		t.Fatalf("ingest %q: %d %s %v", msg, code, body, err)
	}
}

// makeProject makes a project as a server admin (POST /api/v1/projects),
// which must get the id want.
func makeProject(t *testing.T, root caller, base, name string, want int64) meta.NewProject {
	t.Helper()
	code, b := root.do(t, "POST", base+"/api/v1/projects", []byte(`{"name":"`+name+`"}`), nil)
	var p meta.NewProject
	if err := json.Unmarshal([]byte(b), &p); code != 200 || err != nil || p.ID != want {
		t.Fatalf("POST /api/v1/projects %q: %d %s; want id %d", name, code, b, want)
	}
	return p
}

// projectRowCounts counts, in every table of a database that has a
// project_id column, the rows of each project; tables lists the tables
// with such a column (skip: tables left out).
func projectRowCounts(t *testing.T, db *sql.DB, tables []string, project int64) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, tb := range tables {
		var n int64
		if err := db.QueryRow(`SELECT count(*) FROM `+tb+` WHERE project_id = ?`, project).Scan(&n); err != nil {
			t.Fatalf("count %s: %v", tb, err)
		}
		if n > 0 {
			out[tb] = n
		}
	}
	return out
}

func textColumn(t *testing.T, db *sql.DB, q string) []string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// TestDeleteProject: a server admin deletes a project with events (hot
// and archived by retention), a member, a dashboard and allowed origins,
// beside the default project. Refused first: for a project admin, without
// or with a wrong confirmation, and for the default project. Then its
// keys answer 401, it leaves the projects list, a new project gets a new
// id, its archived days are gone while project 1's stay, project 1's
// events are all still found; after a stop no row of it is left in any
// metadata table with a project_id (SQLite) nor in any table of the
// DuckDB events store, where project 1's rows are all still there.
func TestDeleteProject(t *testing.T) {
	dir := t.TempDir()
	archive := filepath.Join(t.TempDir(), "archive")
	a := startOn(t, dir, func(c *app.Config) {
		c.Store.ArchiveDir = archive
		c.AdminEmail, c.AdminPassword = "root@example.com", "root-password-1"
	})
	base := a.URL()
	root := signIn(t, base, "root", "root@example.com", "root-password-1", meta.RoleAdmin, 1)
	p := makeProject(t, root, base, "shop", 2)
	t.Setenv("LORE_TEST_BOB_PASSWORD", "bob-password-1")
	if out, errOut, code := runCLI(t, "users", "add", "--data", dir, "bob@example.com", "--role", "admin", "--project", "2", "--password-env", "LORE_TEST_BOB_PASSWORD"); code != 0 {
		t.Fatalf("users add: %d %s %s", code, out, errOut)
	}
	bob := signIn(t, base, "bob", "bob@example.com", "bob-password-1", meta.RoleAdmin, 2)
	if code, b := bob.do(t, "POST", base+"/api/v1/dashboards", []byte(`{"name":"orders","panels":[]}`), nil); code != 200 {
		t.Fatalf("bob's dashboard in project 2: %d %s", code, b)
	}
	if code, b := bob.do(t, "PUT", base+"/api/v1/origins", []byte(`{"allowed_origins":["https://shop.example.com"]}`), nil); code != 200 {
		t.Fatalf("project 2's origins: %d %s", code, b)
	}

	today := time.Now().UTC().Truncate(24 * time.Hour)
	old, recent := today.AddDate(0, 0, -45), time.Now().UTC().Add(-2*time.Hour)
	ingestWith(t, base, p.IngestKey, old, 50, "shop old")
	ingestWith(t, base, p.IngestKey, recent, 40, "shop recent")
	ingestWith(t, base, ingestKey, old, 30, "default old")
	ingestWith(t, base, ingestKey, recent, 20, "default recent")
	flush(t, a.App)
	if deleted, err := a.RunRetention(context.Background()); err != nil || deleted[2]["log"] != 50 || deleted[1]["log"] != 30 {
		t.Fatalf("retention archived %v (%v), want 50 logs of project 2 and 30 of project 1", deleted, err)
	}
	for _, pid := range []int{1, 2} {
		if files, _ := filepath.Glob(filepath.Join(archive, fmt.Sprintf("project_id=%d", pid), "kind=log", "day=*", "*.parquet")); len(files) == 0 {
			t.Fatalf("no archive files of project %d", pid)
		}
	}
	// What a project's read key finds back to before the archived day.
	found := func(key, q string) (int, int64) {
		u := base + "/api/v1/facets?" + url.Values{"q": {q}, "field": {"kind"}, "from": {old.AddDate(0, 0, -1).Format(time.RFC3339)}, "to": {"now+1h"}}.Encode()
		code, b := (caller{name: "read key", key: key}).do(t, "GET", u, nil, nil)
		var f facets
		json.Unmarshal([]byte(b), &f)
		return code, f.Total
	}
	if code, n := found(p.ReadKey, "shop"); code != 200 || n != 90 {
		t.Fatalf("project 2 before deleting: %d, %d events; want 90", code, n)
	}

	del := func(c caller, path string) (int, string) { return c.do(t, "DELETE", base+path, nil, nil) }
	if code, b := del(bob, "/api/v1/projects/2?confirm=shop"); code != 403 {
		t.Errorf("a project admin (not a server admin) deleting it: %d %s; want 403", code, b)
	}
	if code, b := del(root, "/api/v1/projects/2"); code != 400 || !strings.Contains(b, "confirm") {
		t.Errorf("deleting without a confirmation: %d %s; want 400", code, b)
	}
	if code, b := del(root, "/api/v1/projects/2?confirm=shap"); code != 400 || !strings.Contains(b, `\"shap\"`) || !strings.Contains(b, `\"shop\"`) {
		t.Errorf("deleting with the wrong name: %d %s; want 400 quoting both", code, b)
	}
	if code, b := del(root, "/api/v1/projects/1?confirm=default"); code != 409 || !strings.Contains(b, "default project") {
		t.Errorf("deleting the default project: %d %s; want 409", code, b)
	}
	if code, b := del(root, "/api/v1/projects/99?confirm=x"); code != 404 {
		t.Errorf("deleting no project: %d %s; want 404", code, b)
	}
	if code, n := found(p.ReadKey, "shop"); code != 200 || n != 90 {
		t.Fatalf("project 2 after the refusals: %d, %d events; want 90", code, n)
	}

	code, b := root.do(t, "DELETE", base+"/api/v1/projects/2", []byte(`{"confirm":"shop"}`), nil)
	if code != 200 || !strings.Contains(b, `"deleted_events":40`) || !strings.Contains(b, `"events_pending":false`) {
		t.Fatalf("DELETE /api/v1/projects/2: %d %s; want its 40 hot events deleted", code, b)
	}
	for _, k := range []string{p.IngestKey, p.ReadKey} {
		if code, b := (caller{name: "deleted project's key", key: k}).do(t, "GET", base+"/api/v1/auth/me", nil, nil); code != 401 {
			t.Errorf("key %.8s… of the deleted project: %d %s; want 401", k, code, b)
		}
	}
	if code, _, b, _ := post(context.Background(), http.DefaultClient, base, "/api/v1/ingest", p.IngestKey, "application/x-ndjson", []byte(`{"msg":"late"}`)); code != 401 {
		t.Errorf("ingest with the deleted project's key: %d %s; want 401", code, b)
	}
	if code, b := bob.do(t, "GET", base+"/api/v1/auth/me", nil, nil); code != 404 {
		t.Errorf("bob in the deleted project: %d %s; want 404", code, b)
	}
	if code, b := root.do(t, "GET", base+"/api/v1/projects", nil, nil); code != 200 || strings.Contains(b, `"shop"`) {
		t.Errorf("projects after deleting: %d %s", code, b)
	}
	if _, err := os.Stat(filepath.Join(archive, "project_id=2")); !os.IsNotExist(err) {
		t.Errorf("the deleted project's archive is still there: %v", err)
	}
	if code, n := found(readKey, "default"); code != 200 || n != 50 {
		t.Errorf("project 1 after deleting project 2: %d, %d events; want 50 (30 archived)", code, n)
	}
	makeProject(t, root, base, "next", 3) // not 2: ids are never given again
	if code, b := root.do(t, "GET", base+"/api/v1/audit", nil, nil); code != 200 || !strings.Contains(b, `"action":"DELETE /api/v1/projects/{id}"`) {
		t.Errorf("the server's audit log lacks the deletion: %d %.600s", code, b)
	}
	a.stop()

	// No row of project 2 is left in the metadata.
	mdb, err := sql.Open("sqlite", filepath.Join(dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer mdb.Close()
	tables := textColumn(t, mdb, `SELECT m.name FROM sqlite_master m, pragma_table_info(m.name) c
		WHERE m.type = 'table' AND c.name = 'project_id' AND m.name NOT IN ('store_changes', 'deleted_projects') ORDER BY m.name`)
	if len(tables) < 20 {
		t.Fatalf("only %d metadata tables with a project_id: %v", len(tables), tables)
	}
	if left := projectRowCounts(t, mdb, tables, 2); len(left) > 0 {
		t.Errorf("rows of the deleted project left in the metadata: %v", left)
	}
	if kept := projectRowCounts(t, mdb, tables, 1); kept["api_keys"] == 0 {
		t.Errorf("project 1's keys are gone: %v", kept)
	}
	var gone string
	if err := mdb.QueryRow(`SELECT name FROM deleted_projects WHERE project_id = 2 AND events_deleted_at > 0`).Scan(&gone); err != nil || gone != "shop" {
		t.Errorf("deleted_projects: %q %v", gone, err)
	}

	// Nor in the events store, where project 1's are all there.
	edb, err := sql.Open("duckdb", filepath.Join(dir, "events", "events.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer edb.Close()
	etables := textColumn(t, edb, `SELECT table_name FROM information_schema.columns WHERE column_name = 'project_id' ORDER BY table_name`)
	if len(etables) < 5 {
		t.Fatalf("only %d events store tables with a project_id: %v", len(etables), etables)
	}
	if left := projectRowCounts(t, edb, etables, 2); len(left) > 0 {
		t.Errorf("rows of the deleted project left in the events store: %v", left)
	}
	if kept := projectRowCounts(t, edb, etables, 1); kept["events"] != 20 {
		t.Errorf("project 1's hot events: %v; want 20", kept)
	}
}

// TestDeleteProjectCLI: lore projects delete, with the server stopped,
// deletes the project's metadata at once (its key is unknown to the next
// start) and needs its name; the server deletes its events when it
// starts, and records it done.
func TestDeleteProjectCLI(t *testing.T) {
	dir := t.TempDir()
	a := startOn(t, dir)
	base := a.URL()
	out, errOut, code := runCLI(t, "projects", "create", "--data", dir, "shop")
	if code != 0 {
		t.Fatalf("projects create: %d %s %s", code, out, errOut)
	}
	ingest := strings.Fields(out[strings.Index(out, "ingest key:"):])[2]
	ingestWith(t, base, ingest, time.Now().UTC().Add(-time.Hour), 25, "shop")
	ingestWith(t, base, ingestKey, time.Now().UTC().Add(-time.Hour), 5, "default")
	flush(t, a.App)
	a.stop()

	if _, errOut, code := runCLI(t, "projects", "delete", "--data", dir, "2", "--confirm", "shops"); code == 0 || !strings.Contains(errOut, `"shops"`) {
		t.Errorf("projects delete with the wrong name: %d %s", code, errOut)
	}
	if _, errOut, code := runCLI(t, "projects", "delete", "--data", dir, "1", "--confirm", "default"); code == 0 || !strings.Contains(errOut, "default project") {
		t.Errorf("projects delete of the default project: %d %s", code, errOut)
	}
	out, errOut, code = runCLI(t, "projects", "delete", "--data", dir, "2", "--confirm", "shop")
	if code != 0 || !strings.Contains(out, `project 2 "shop" deleted`) {
		t.Fatalf("projects delete: %d %s %s", code, out, errOut)
	}
	// The listing shows it deleted, its events still in the store.
	listed := regexp.MustCompile(`(?m)^deleted \(their ids are never given again\):\n\s+2\s+shop\s+deleted \d{4}-\d\d-\d\d \d\d:\d\d UTC, events pending$`)
	if out, _, _ := runCLI(t, "projects", "list", "--data", dir); !listed.MatchString(out) || regexp.MustCompile(`(?m)^\s+2\s+shop\s+members`).MatchString(out) ||
		!strings.Contains(out, "pending events leave the events store") {
		t.Errorf("projects list after deleting, the server stopped:\n%s", out)
	}

	a = startOn(t, dir)
	if code, _, b, _ := post(context.Background(), http.DefaultClient, a.URL(), "/api/v1/ingest", ingest, "application/x-ndjson", []byte(`{"msg":"late"}`)); code != 401 {
		t.Errorf("ingest with the deleted project's key: %d %s; want 401", code, b)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		ds, err := a.Meta().DeletedProjects(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) == 1 && ds[0].ID == 2 && !ds[0].EventsDeletedAt.IsZero() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not delete the deleted project's events at start: %+v", ds)
		}
		time.Sleep(50 * time.Millisecond)
	}
	a.stop()
	purged := regexp.MustCompile(`(?m)^\s+2\s+shop\s+deleted [^,]+ UTC, events deleted \d{4}-\d\d-\d\d \d\d:\d\d UTC$`)
	if out, _, _ := runCLI(t, "projects", "list", "--data", dir); !purged.MatchString(out) || strings.Contains(out, "pending") {
		t.Errorf("projects list once the server deleted the events:\n%s", out)
	}
	edb, err := sql.Open("duckdb", filepath.Join(dir, "events", "events.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer edb.Close()
	var shop, def int64
	if err := edb.QueryRow(`SELECT count(*) FILTER (WHERE project_id = 2), count(*) FILTER (WHERE project_id = 1) FROM events`).Scan(&shop, &def); err != nil || shop != 0 || def != 5 {
		t.Errorf("events after the start: project 2 %d (want 0), project 1 %d (want 5), %v", shop, def, err)
	}
}

// TestClickHouseDeleteProject: on ClickHouse, deleting a project leaves
// none of its events nor field catalogue rows in the server's tables
// (asked directly), its keys answer 401, and the other project's events
// all stay.
func TestClickHouseDeleteProject(t *testing.T) {
	srv := chtest.Start(t)
	a := startApp(t, func(c *app.Config) {
		c.StoreURL = "clickhouse://" + srv.Addr + "/lore_e2e"
		c.Retention = lifecycle.RetentionConfig{Manual: true}
		c.AdminEmail, c.AdminPassword = "root@example.com", "root-password-1"
	})
	base := a.URL()
	root := signIn(t, base, "root", "root@example.com", "root-password-1", meta.RoleAdmin, 1)
	p := makeProject(t, root, base, "shop", 2)
	recent := time.Now().UTC().Add(-time.Hour)
	ingestWith(t, base, p.IngestKey, recent, 30, "shop")
	ingestWith(t, base, ingestKey, recent, 12, "default")
	flush(t, a)
	if err := a.Flush(context.Background()); err != nil { // the field catalogue too
		t.Fatal(err)
	}
	count := func(table string, project int) string {
		return strings.TrimSpace(string(srv.Post(t, fmt.Sprintf("SELECT count() FROM lore_e2e.%s WHERE project_id = %d", table, project))))
	}
	if n := count("events", 2); n != "30" {
		t.Fatalf("project 2's events in ClickHouse before: %s", n)
	}
	if n := count("field_seen", 2); n == "0" {
		t.Fatalf("project 2 has no field catalogue rows before deleting")
	}
	code, b := root.do(t, "DELETE", base+"/api/v1/projects/2?confirm=shop", nil, nil)
	if code != 200 || !strings.Contains(b, `"events_pending":false`) {
		t.Fatalf("DELETE /api/v1/projects/2: %d %s", code, b)
	}
	for _, tb := range []string{"events", "field_seen", "field_values"} {
		if n := count(tb, 2); n != "0" {
			t.Errorf("%s rows of the deleted project left in ClickHouse: %s", tb, n)
		}
	}
	if n := count("events", 1); n != "12" {
		t.Errorf("project 1's events in ClickHouse after: %s, want 12", n)
	}
	if code, b := (caller{name: "deleted project's read key", key: p.ReadKey}).do(t, "GET", base+"/api/v1/auth/me", nil, nil); code != 401 {
		t.Errorf("the deleted project's read key: %d %s; want 401", code, b)
	}
	if n := len(search(t, base, "default", "now-2h", "now+1h", 100).Events); n != 12 {
		t.Errorf("project 1 finds %d of its events, want 12", n)
	}
}

// TestDeleteProjectArchiveBucket: with the cold tier in a bucket (a real
// S3-compatible server), deleting a project removes its archived objects
// from the bucket, and keeps the other project's.
func TestDeleteProjectArchiveBucket(t *testing.T) {
	srv := s3test.Start(t, "lore-e2e")
	b, err := objstore.New(objstore.Config{URL: "s3://lore-e2e/cold", Getenv: srv.Getenv})
	if err != nil {
		t.Fatal(err)
	}
	a := startOn(t, t.TempDir(), func(c *app.Config) {
		c.Store.ArchiveBucket, c.Store.ArchiveDir = b, filepath.Join(t.TempDir(), "cache")
		c.AdminEmail, c.AdminPassword = "root@example.com", "root-password-1"
	})
	base := a.URL()
	root := signIn(t, base, "root", "root@example.com", "root-password-1", meta.RoleAdmin, 1)
	p := makeProject(t, root, base, "shop", 2)
	old := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -45)
	ingestWith(t, base, p.IngestKey, old, 20, "shop old")
	ingestWith(t, base, ingestKey, old, 10, "default old")
	flush(t, a.App)
	if deleted, err := a.RunRetention(context.Background()); err != nil || deleted[2]["log"] != 20 || deleted[1]["log"] != 10 {
		t.Fatalf("retention archived %v (%v)", deleted, err)
	}
	objects := func(prefix string) int {
		objs, err := b.List(context.Background(), prefix)
		if err != nil {
			t.Fatal(err)
		}
		return len(objs)
	}
	if objects("project_id=2/") == 0 || objects("project_id=1/") == 0 {
		t.Fatalf("no archived objects of project 2 (%d) or 1 (%d)", objects("project_id=2/"), objects("project_id=1/"))
	}
	if code, body := root.do(t, "DELETE", base+"/api/v1/projects/2?confirm=shop", nil, nil); code != 200 {
		t.Fatalf("DELETE /api/v1/projects/2: %d %s", code, body)
	}
	if n := objects("project_id=2/"); n != 0 {
		t.Errorf("%d archived objects of the deleted project left in the bucket", n)
	}
	if n := objects("project_id=1/"); n == 0 {
		t.Errorf("project 1's archived objects are gone from the bucket")
	}
}
