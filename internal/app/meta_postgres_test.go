package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/meta"
	"github.com/lore-dev/lore/internal/pgtest"
)

// TestMetadataOnPostgres: a server whose metadata is in PostgreSQL
// (lore serve --meta postgres://…) makes a project and a key through the
// API; a server started again on the same database, with a new empty data
// directory, knows both, and prints no bootstrap keys the second time.
func TestMetadataOnPostgres(t *testing.T) {
	dbURL := pgtest.Start(t).NewDatabase(t)
	start := func(dir string) (base string, a *App, stop func()) {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		a, err := Open(ctx, Config{DataDir: dir, Meta: dbURL, Addr: "127.0.0.1:0", AdminKey: "k-admin",
			AdminEmail: "root@example.com", AdminPassword: "root-password-1", Log: slog.New(slog.DiscardHandler)})
		if err != nil {
			cancel()
			t.Fatalf("open with --meta %s: %v", dbURL, err)
		}
		done := make(chan error, 1)
		go func() { done <- a.Serve(ctx) }()
		return "http://" + a.Addr(), a, func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve: %v", err)
			}
		}
	}

	dir1 := t.TempDir()
	base, a, stop := start(dir1)
	if !a.Bootstrap.Created || a.Bootstrap.ReadKey == "" {
		stop()
		t.Fatalf("first start on an empty database: bootstrap %+v, want project 1 and its keys", a.Bootstrap)
	}
	jar, _ := cookiejar.New(nil)
	root := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	if code, b := call(t, root, "POST", base+"/api/v1/auth/login", "", `{"email":"root@example.com","password":"root-password-1"}`); code != 200 {
		stop()
		t.Fatalf("sign in: %d %s", code, b)
	}
	u, _ := url.Parse(base)
	csrf := ""
	for _, c := range jar.Cookies(u) {
		if c.Name == "lore_csrf" {
			csrf = c.Value
		}
	}
	code, b := call(t, root, "POST", base+"/api/v1/projects", "csrf:"+csrf, `{"name":"on postgres"}`)
	var proj meta.NewProject
	if err := json.Unmarshal([]byte(b), &proj); code != 200 || err != nil || proj.ID != 2 || proj.ReadKey == "" {
		stop()
		t.Fatalf("POST /api/v1/projects: %d %s (%v)", code, b, err)
	}
	code, b = call(t, http.DefaultClient, "POST", base+"/api/v1/keys", "k-admin", `{"role":"read"}`)
	var key struct{ Key string }
	if err := json.Unmarshal([]byte(b), &key); code != 200 || err != nil || key.Key == "" {
		stop()
		t.Fatalf("POST /api/v1/keys: %d %s (%v)", code, b, err)
	}
	stop()
	if _, err := os.Stat(filepath.Join(dir1, "meta.db")); !os.IsNotExist(err) {
		t.Errorf("meta.db written in the data directory with --meta postgres (%v)", err)
	}

	base, a, stop = start(t.TempDir())
	defer stop()
	if a.Bootstrap.Created || a.Bootstrap.ReadKey != "" || a.FirstLogin != nil {
		t.Errorf("second start printed bootstrap keys or a first login again: %+v %+v", a.Bootstrap, a.FirstLogin)
	}
	if code, b := call(t, http.DefaultClient, "GET", base+"/api/v1/projects", proj.ReadKey, ""); code != 200 || !strings.Contains(b, `"on postgres"`) {
		t.Errorf("GET /api/v1/projects with the new project's read key after a restart: %d %s", code, b)
	}
	if code, b := call(t, http.DefaultClient, "GET", base+"/api/v1/projects", key.Key, ""); code != 200 || !strings.Contains(b, `"default"`) {
		t.Errorf("GET /api/v1/projects with the key made through the API after a restart: %d %s", code, b)
	}
	if code, _ := call(t, http.DefaultClient, "GET", base+"/api/v1/projects", "lore_rd_unknown", ""); code != 401 {
		t.Errorf("an unknown key answered %d, want 401", code)
	}
}

// call makes one request: auth is a bearer key, or "csrf:TOKEN" for a
// signed-in client.
func call(t *testing.T, c *http.Client, method, u, auth, body string) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = bytes.NewReader([]byte(body))
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok, ok := strings.CutPrefix(auth, "csrf:"); ok {
		req.Header.Set("X-CSRF-Token", tok)
		req.Header.Set("X-Lore-Project", "1")
	} else if auth != "" {
		req.Header.Set("Authorization", "Bearer "+auth)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestNodesStartTogetherOnPostgres: two servers started at once on one
// empty PostgreSQL database both come up; one of them makes project 1 and
// the first admin, and only that one prints their keys and login.
func TestNodesStartTogetherOnPostgres(t *testing.T) {
	dbURL := pgtest.Start(t).NewDatabase(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type node struct {
		a   *App
		err error
	}
	nodes := make(chan node, 2)
	for range 2 {
		dir := t.TempDir()
		go func() {
			a, err := Open(ctx, Config{DataDir: dir, Meta: dbURL, Addr: "127.0.0.1:0", Log: slog.New(slog.DiscardHandler)})
			nodes <- node{a, err}
		}()
	}
	var created, firstLogins int
	var done []chan error
	for range 2 {
		n := <-nodes
		if n.err != nil {
			t.Errorf("a node did not start: %v", n.err)
			continue
		}
		if n.a.Bootstrap.Created {
			created++
		}
		if n.a.FirstLogin != nil {
			firstLogins++
		}
		d := make(chan error, 1)
		go func() { d <- n.a.Serve(ctx) }()
		done = append(done, d)
	}
	cancel()
	for _, d := range done {
		if err := <-d; err != nil {
			t.Errorf("serve: %v", err)
		}
	}
	if created != 1 || firstLogins != 1 {
		t.Errorf("%d nodes made project 1 and %d the first admin, want 1 each", created, firstLogins)
	}
}

// TestBadMetaIsAnError: a --meta URL nothing answers at is an error naming
// it (without its password), not a crash.
func TestBadMetaIsAnError(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := Open(ctx, Config{DataDir: t.TempDir(), Meta: "postgres://lore:s3cret@127.0.0.1:1/lore?connect_timeout=2",
		Addr: "127.0.0.1:0", Log: slog.New(slog.DiscardHandler)})
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("open with an unreachable --meta: %v; want an error naming it without the password", err)
	}
}
