package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/app"
	"github.com/lore-dev/lore/internal/lifecycle"
	"github.com/lore-dev/lore/internal/meta"
)

// TestClickHouseErasePerson erases a person on a Lore whose events are
// in ClickHouse: DELETE /api/v1/persons/{id} answers 200 with the count,
// their events and those of the anonymous id they were identified from
// are gone from search and from the journeys of their user and session
// ids, and another person's stay. A backup answers 501, saying how to
// back ClickHouse up.
func TestClickHouseErasePerson(t *testing.T) {
	const email, password = "root@example.com", "root-password-1"
	a := startClickHouseApp(t, func(c *app.Config) {
		c.Retention = lifecycle.RetentionConfig{Manual: true}
		c.AdminEmail, c.AdminPassword = email, password
	})
	base := a.URL()
	lines := `{"type":"track","event":"Signed Up","anonymousId":"anon-1"}
{"level":"info","msg":"alice paid","user_id":"alice","session_id":"sess-a"}
{"level":"info","msg":"alice browsed","anonymous_id":"anon-1","user_id":"alice"}
{"level":"info","msg":"bob paid","user_id":"bob","session_id":"sess-b"}
`
	if code, _, body, err := post(context.Background(), http.DefaultClient, base, "/api/v1/ingest", ingestKey, "application/x-ndjson", []byte(lines)); err != nil || code != 200 {
		t.Fatalf("ingest: %d %s %v", code, body, err)
	}
	flush(t, a)
	rng := url.Values{"from": {time.Now().Add(-time.Hour).Format(time.RFC3339)}, "to": {time.Now().Add(time.Hour).Format(time.RFC3339)}}
	journey := func(path string) int {
		code, _ := apiGet(t, a, path, rng)
		return code
	}
	if n := len(search(t, base, "alice", "now-1h", "now+1h", 10).Events); n != 2 {
		t.Fatalf("%d events of alice before erasing, want 2", n)
	}
	if code := journey("/api/v1/journeys/user/alice"); code != 200 {
		t.Fatalf("alice's journey before erasing: %d", code)
	}
	req, _ := http.NewRequest(http.MethodDelete, base+"/api/v1/persons/alice", nil)
	req.Header.Set("Authorization", "Bearer "+adminKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var got struct {
		UserID string `json:"user_id"`
		Events int64  `json:"erased_events"`
	}
	if resp.StatusCode != 200 || json.Unmarshal(b, &got) != nil || got.Events != 3 || got.UserID != "alice" {
		t.Fatalf("DELETE /api/v1/persons/alice on ClickHouse: %d %s, want 200 and 3 erased events", resp.StatusCode, b)
	}
	for q, want := range map[string]int{"alice": 0, `"anon-1"`: 0, `"Signed Up"`: 0, "bob": 1} {
		if n := len(search(t, base, q, "now-1h", "now+1h", 10).Events); n != want {
			t.Errorf("search %s after erasing alice: %d events, want %d", q, n, want)
		}
	}
	for path, want := range map[string]int{"/api/v1/journeys/user/alice": 404, "/api/v1/journeys/session/sess-a": 404,
		"/api/v1/journeys/user/bob": 200, "/api/v1/journeys/session/sess-b": 200} {
		if code := journey(path); code != want {
			t.Errorf("GET %s after erasing alice: %d, want %d", path, code, want)
		}
	}
	out, errOut, code := runCLI(t, "backup", "--url", base, "--email", email, "--password", password, "--out", filepath.Join(t.TempDir(), "lore.tar.gz"))
	if code == 0 || !strings.Contains(errOut, "501") || !strings.Contains(errOut, "ALTER TABLE events FREEZE") {
		t.Errorf("lore backup on ClickHouse: exit %d %s %s, want a 501 saying how to back ClickHouse up", code, out, errOut)
	}
}

// TestClickHouseRetention runs retention on a Lore whose events are in
// ClickHouse: per project and kind, by the projects' settings, the days
// older than kept go and the recent ones stay, and the run reports what
// it deleted.
func TestClickHouseRetention(t *testing.T) {
	a := startClickHouseApp(t, func(c *app.Config) { c.Retention = lifecycle.RetentionConfig{Manual: true} })
	p2, k2, _ := secondProject(t, a, "ret@example.com", "ret-password-1", meta.RoleViewer)
	in2, err := a.Meta().CreateKey(t.Context(), p2.ID, meta.RoleIngest)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Meta().SetProjectSettings(t.Context(), p2.ID, lifecycle.RetentionName, []byte(`{"logs_days":7}`)); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	line := func(age time.Duration, level, msg string) string {
		return fmt.Sprintf(`{"ts":%q,"level":%q,"msg":%q}`+"\n", now.Add(-age).Format(time.RFC3339Nano), level, msg)
	}
	day := 24 * time.Hour
	// Project 1 (defaults: logs 30 days, errors 90): a log of 40 days ago
	// goes; an error of 40 days ago and a log of 10 days ago stay.
	// Project 2 (logs 7 days): its log of 10 days ago goes, of 1 day
	// ago stays.
	for _, in := range []struct {
		key, lines string
	}{
		{ingestKey, line(40*day, "info", "old log") + line(40*day, "error", "old error") + line(10*day, "info", "recent log")},
		{in2, line(10*day, "info", "old log two") + line(day, "info", "recent log two")},
	} {
		if code, _, body, err := post(t.Context(), http.DefaultClient, a.URL(), "/api/v1/ingest", in.key, "application/x-ndjson", []byte(in.lines)); err != nil || code != 200 {
			t.Fatalf("ingest: %d %s %v", code, body, err)
		}
	}
	flush(t, a)
	deleted, err := a.RunRetention(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("map[1:map[log:1] %d:map[log:1]]", p2.ID); fmt.Sprint(deleted) != want {
		t.Errorf("retention deleted %v, want %s", deleted, want)
	}
	msgs := func(key string) string {
		req, _ := http.NewRequest(http.MethodGet, a.URL()+"/api/v1/search?"+url.Values{"q": {""}, "from": {"now-60d"}, "to": {"now+1h"}, "limit": {"10"}}.Encode(), nil)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var r searchResult
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || resp.StatusCode != 200 {
			t.Fatalf("search: %d %v", resp.StatusCode, err)
		}
		var out []string
		for _, e := range r.Events {
			out = append(out, e.Message)
		}
		return strings.Join(out, ", ")
	}
	if got, want := msgs(adminKey), "recent log, old error"; got != want {
		t.Errorf("project 1's events after retention: %s, want %s", got, want)
	}
	if got, want := msgs(k2), "recent log two"; got != want {
		t.Errorf("project 2's events after retention: %s, want %s", got, want)
	}
	if deleted, err := a.RunRetention(t.Context()); err != nil || len(deleted) != 0 {
		t.Errorf("retention again: %v %v, want nothing deleted", deleted, err)
	}
}
