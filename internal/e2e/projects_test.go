package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/app"
	"github.com/lore-dev/lore/internal/meta"
)

// TestProjectsCLI: beside a running server, lore projects create makes a
// project and prints its id and first keys; its ingest key sends events
// that its read key finds and project 1 never sees (nor the reverse); the
// --admin user opens it signed in; rename shows in the API; a misspelt
// --admin makes nothing; delete without --confirm is refused. A server admin's POST
// /api/v1/projects also answers the new project's keys, once.
func TestProjectsCLI(t *testing.T) {
	dir := t.TempDir()
	a := startApp(t, func(c *app.Config) {
		c.DataDir = dir
		c.AdminEmail, c.AdminPassword = "root@example.com", "root-password-1"
	})
	base := a.URL()
	t.Setenv("LORE_TEST_BOB_PASSWORD", "bob-password-1")
	if out, errOut, code := runCLI(t, "users", "add", "--data", dir, "bob@example.com", "--role", "viewer", "--password-env", "LORE_TEST_BOB_PASSWORD"); code != 0 {
		t.Fatalf("users add: %d %s %s", code, out, errOut)
	}

	if out, errOut, code := runCLI(t, "projects", "create", "--data", dir, "shop", "--admin", "nobody@example.com"); code == 0 || !strings.Contains(errOut, "nobody@example.com") {
		t.Errorf("projects create --admin with an unknown user: %d %s %s", code, out, errOut)
	}
	out, errOut, code := runCLI(t, "projects", "create", "--data", dir, "shop", "--admin", "bob@example.com")
	if code != 0 {
		t.Fatalf("projects create: %d %s %s", code, out, errOut)
	}
	m := regexp.MustCompile(`project (\d+) "shop" created(?s:.*)ingest key: (lore_in_\w+)\s+read key:\s+(lore_rd_\w+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("projects create printed no id and keys:\n%s", out)
	}
	id, ingest2, read2 := m[1], m[2], m[3]
	if id != "2" {
		t.Errorf("the new project is %s; want 2 (the misspelt --admin must not have made one)", id)
	}
	if !strings.Contains(out, "bob@example.com is admin of project "+id) {
		t.Errorf("projects create --admin:\n%s", out)
	}

	// Each project's ingest key sends into that project only.
	now := time.Now().UTC().Add(-time.Minute).Format(time.RFC3339Nano)
	for _, e := range []struct{ key, msg string }{{ingest2, "shop project hello"}, {ingestKey, "default project hello"}} {
		body := fmt.Sprintf(`{"ts":%q,"level":"info","service":"web","msg":%q}`, now, e.msg)
		if code, _, b, err := post(t.Context(), http.DefaultClient, base, "/api/v1/ingest", e.key, "application/x-ndjson", []byte(body)); err != nil || code != 200 {
			t.Fatalf("ingest %q: %d %s %v", e.msg, code, b, err)
		}
	}
	flush(t, a)
	q := "/api/v1/search?" + url.Values{"q": {"hello"}, "from": {"now-1h"}, "to": {"now+1h"}}.Encode()
	for _, c := range []struct {
		key, want, not string
	}{{read2, "shop project hello", "default project hello"}, {readKey, "default project hello", "shop project hello"}} {
		code, b := (caller{name: "read key", key: c.key}).do(t, "GET", base+q, nil, nil)
		if code != 200 || !strings.Contains(b, c.want) || strings.Contains(b, c.not) {
			t.Errorf("search with %.8s…: %d %.400s; want %q and not %q", c.key, code, b, c.want, c.not)
		}
	}

	// bob, a viewer of project 1, is admin of the new one.
	bob := signIn(t, base, "bob", "bob@example.com", "bob-password-1", meta.RoleAdmin, 2)
	if code, b := bob.do(t, "GET", base+"/api/v1/auth/me", nil, nil); code != 200 || !strings.Contains(b, `"project":2`) || !strings.Contains(b, `"role":"admin"`) {
		t.Errorf("bob in project 2: %d %s", code, b)
	}

	out, _, _ = runCLI(t, "projects", "rename", "--data", dir, id, "shop (prod)")
	if !strings.Contains(out, `project 2 is now "shop (prod)"`) {
		t.Errorf("projects rename: %s", out)
	}
	if code, b := (caller{name: "read key", key: read2}).do(t, "GET", base+"/api/v1/projects", nil, nil); code != 200 || !strings.Contains(b, `"shop (prod)"`) {
		t.Errorf("GET /api/v1/projects after rename: %d %s", code, b)
	}
	out, _, _ = runCLI(t, "projects", "list", "--data", dir)
	if !regexp.MustCompile(`(?m)^\s+1\s+default\s`).MatchString(out) || !regexp.MustCompile(`(?m)^\s+2\s+shop \(prod\)\s+members 1\s`).MatchString(out) {
		t.Errorf("projects list:\n%s", out)
	}
	if _, errOut, code := runCLI(t, "projects", "delete", "--data", dir, id); code == 0 || !strings.Contains(errOut, "--confirm NAME") {
		t.Errorf("projects delete without --confirm: %d %s", code, errOut)
	}
	if _, errOut, code := runCLI(t, "projects", "rename", "--data", dir, "99", "x"); code == 0 || !strings.Contains(errOut, "project 99") {
		t.Errorf("projects rename of no project: %d %s", code, errOut)
	}

	// Through the API: a server admin makes a project and gets its keys once;
	// a project admin (bob) may not.
	root := signIn(t, base, "root", "root@example.com", "root-password-1", meta.RoleAdmin, 1)
	code, b := root.do(t, "POST", base+"/api/v1/projects", []byte(`{"name":"api made"}`), nil)
	var p meta.NewProject
	if err := json.Unmarshal([]byte(b), &p); code != 200 || err != nil || p.ID != 3 || !strings.HasPrefix(p.IngestKey, "lore_in_") || !strings.HasPrefix(p.ReadKey, "lore_rd_") {
		t.Fatalf("POST /api/v1/projects as a server admin: %d %s", code, b)
	}
	if code, b := (caller{name: "new read key", key: p.ReadKey}).do(t, "GET", base+"/api/v1/auth/me", nil, nil); code != 200 || !strings.Contains(b, `"project":3`) {
		t.Errorf("the API-made project's read key: %d %s", code, b)
	}
	if code, b := bob.do(t, "POST", base+"/api/v1/projects", []byte(`{"name":"bob's"}`), nil); code != 403 {
		t.Errorf("a project admin creating a project: %d %s; want 403", code, b)
	}
	if code, b := root.do(t, "POST", base+"/api/v1/projects", []byte(`{"name":"  "}`), nil); code != 400 {
		t.Errorf("a project without a name: %d %s; want 400", code, b)
	}
}
