package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/app"
	"github.com/lore-dev/lore/internal/meta"
	"github.com/lore-dev/lore/internal/replay/synth"
)

// TestIsolationAcrossProjects: monitors, uptime checks, notification
// channels and issues of project 1 are not listed, read, changed, run,
// tested or deleted from project 2 — by project 2's admin key or by a
// signed-in admin of project 2 — and project 2 cannot point its own
// monitor at project 1's check or channel. Project 1 still sees all of
// them unchanged afterwards.
func TestIsolationAcrossProjects(t *testing.T) {
	a := startApp(t, func(c *app.Config) { c.AdminKey = adminKey; c.AllowPrivateWebhooks = true })
	base := a.URL()
	_, k2, bea := secondProject(t, a, "bea@example.com", "bea-password-1", meta.RoleAdmin)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	defer target.Close()

	one := caller{name: "project 1's admin key", key: adminKey}
	others := []caller{
		{name: "project 2's admin key", key: k2},
		bea,
	}
	create := func(path, body string) int64 {
		t.Helper()
		code, b := one.do(t, "POST", base+path, []byte(body), nil)
		if code != 200 {
			t.Fatalf("POST %s: %d %s", path, code, b)
		}
		var v struct{ ID int64 }
		json.Unmarshal([]byte(b), &v)
		if v.ID == 0 {
			t.Fatalf("POST %s: no id in %s", path, b)
		}
		return v.ID
	}
	check := create("/api/v1/checks", `{"name":"one's check","url":"`+target.URL+`/health","interval":"1h","timeout":"2s"}`)
	channel := create("/api/v1/channels", `{"name":"one's hook","type":"webhook","url":"`+target.URL+`/hook"}`)
	monitor := create("/api/v1/monitors", fmt.Sprintf(`{"name":"one's monitor","kind":"check","check":%d,"interval":"1h","channels":[%d]}`, check, channel))

	// An issue of project 1, from a Sentry envelope.
	req, _ := http.NewRequest("POST", base+"/api/1/envelope/", bytes.NewReader(envelopeBody(7, 1, time.Now())))
	req.Header.Set("X-Sentry-Auth", "Sentry sentry_version=7, sentry_key="+ingestKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("envelope: %v %v", err, resp)
	}
	resp.Body.Close()
	flush(t, a)
	var issue int64
	for deadline := time.Now().Add(20 * time.Second); issue == 0 && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		_, b := one.do(t, "GET", base+"/api/v1/issues?from=now-1h&to=now%2B1h", nil, nil)
		var l struct{ Issues []struct{ ID int64 } }
		json.Unmarshal([]byte(b), &l)
		if len(l.Issues) > 0 {
			issue = l.Issues[0].ID
		}
	}
	if issue == 0 {
		t.Fatal("project 1 has no issue from its envelope")
	}

	byID := []struct{ method, path, body string }{
		{"GET", fmt.Sprintf("/api/v1/monitors/%d", monitor), ""},
		{"PUT", fmt.Sprintf("/api/v1/monitors/%d", monitor), `{"name":"taken","kind":"check","check":1,"interval":"1h"}`},
		{"POST", fmt.Sprintf("/api/v1/monitors/%d/evaluate", monitor), ""},
		{"GET", fmt.Sprintf("/api/v1/monitors/%d/deliveries", monitor), ""},
		{"DELETE", fmt.Sprintf("/api/v1/monitors/%d", monitor), ""},
		{"GET", fmt.Sprintf("/api/v1/checks/%d", check), ""},
		{"PUT", fmt.Sprintf("/api/v1/checks/%d", check), `{"name":"taken","url":"` + target.URL + `/x","interval":"1h","timeout":"2s"}`},
		{"POST", fmt.Sprintf("/api/v1/checks/%d/run", check), ""},
		{"DELETE", fmt.Sprintf("/api/v1/checks/%d", check), ""},
		{"GET", fmt.Sprintf("/api/v1/channels/%d", channel), ""},
		{"PUT", fmt.Sprintf("/api/v1/channels/%d", channel), `{"name":"taken","type":"webhook","url":"` + target.URL + `/stolen"}`},
		{"POST", fmt.Sprintf("/api/v1/channels/%d/test", channel), ""},
		{"GET", fmt.Sprintf("/api/v1/channels/%d/deliveries", channel), ""},
		{"DELETE", fmt.Sprintf("/api/v1/channels/%d", channel), ""},
		{"GET", fmt.Sprintf("/api/v1/issues/%d?from=now-1h&to=now%%2B1h", issue), ""},
		{"GET", fmt.Sprintf("/api/v1/issues/%d/events?from=now-1h&to=now%%2B1h", issue), ""},
		{"PATCH", fmt.Sprintf("/api/v1/issues/%d", issue), `{"status":"ignored"}`},
	}
	lists := []struct{ path, leak string }{
		{"/api/v1/monitors", "one's monitor"},
		{"/api/v1/checks", "one's check"},
		{"/api/v1/status", "one's check"},
		{"/api/v1/channels", "one's hook"},
		{"/api/v1/issues?from=now-1h&to=now%2B1h", "failed for order"},
		{"/api/v1/issues/signals?from=now-1h&to=now%2B1h", "shop@1.1"},
	}
	// (Project 1's lists do show them: the leak strings are real.)
	for _, l := range lists {
		if code, b := one.do(t, "GET", base+l.path, nil, nil); code != 200 || !strings.Contains(b, l.leak) {
			t.Fatalf("GET %s as project 1: %d %.300s; want %q", l.path, code, b, l.leak)
		}
	}
	for _, o := range others {
		for _, c := range byID {
			var body []byte
			if c.body != "" {
				body = []byte(c.body)
			}
			code, b := o.do(t, c.method, base+c.path, body, nil)
			// 404 (not found in project 2); a handler may read the body
			// before the id and refuse it (400) — never 200.
			if code != 404 && code != 400 {
				t.Errorf("%s %s as %s: %d %.200s; want 404", c.method, c.path, o.name, code, b)
			}
			if code == 400 && !strings.Contains(strings.ToLower(b), "check") && !strings.Contains(strings.ToLower(b), "channel") {
				t.Errorf("%s %s as %s: 400 %.200s", c.method, c.path, o.name, b)
			}
		}
		for _, l := range lists {
			code, b := o.do(t, "GET", base+l.path, nil, nil)
			if code != 200 && code != 404 || strings.Contains(b, l.leak) {
				t.Errorf("GET %s as %s: %d %.300s; project 1's %q leaks", l.path, o.name, code, b, l.leak)
			}
		}
		// Project 2's monitor cannot use project 1's check or channel.
		for _, body := range []string{
			fmt.Sprintf(`{"name":"borrow check","kind":"check","check":%d,"interval":"1h"}`, check),
			fmt.Sprintf(`{"name":"borrow channel","kind":"story","story_type":"cascade","severity":"critical","window":"3h","channels":[%d]}`, channel),
		} {
			code, b := o.do(t, "POST", base+"/api/v1/monitors", []byte(body), nil)
			if code == 200 {
				t.Errorf("project 2 (%s) made a monitor on project 1's check or channel: %s → %s", o.name, body, b)
			}
		}
	}

	// Project 1's things are all there, unchanged.
	for _, c := range []struct{ path, want string }{
		{fmt.Sprintf("/api/v1/monitors/%d", monitor), "one's monitor"},
		{fmt.Sprintf("/api/v1/checks/%d", check), "one's check"},
		{fmt.Sprintf("/api/v1/channels/%d", channel), target.URL + "/hook"},
		{fmt.Sprintf("/api/v1/issues/%d?from=now-1h&to=now%%2B1h", issue), `"status":"unresolved"`},
	} {
		if code, b := one.do(t, "GET", base+c.path, nil, nil); code != 200 || !strings.Contains(b, c.want) {
			t.Errorf("project 1 reads %s after project 2 tried: %d %.300s; want %q", c.path, code, b, c.want)
		}
	}
}

// secondProject makes project 2 ("other") beside a running app, with an
// admin key, and a user (email, password) with role in it; it returns
// the project (with its first keys), the admin key and the user signed in.
func secondProject(t *testing.T, a *app.App, email, password string, role meta.Role) (meta.NewProject, string, caller) {
	t.Helper()
	ctx := context.Background()
	m := a.Meta()
	p2, err := m.CreateProject(ctx, "other")
	if err != nil {
		t.Fatal(err)
	}
	k2, err := m.CreateKey(ctx, p2.ID, meta.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	u, err := m.AddUser(ctx, email, password, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.SetMember(ctx, p2.ID, u.ID, role); err != nil {
		t.Fatal(err)
	}
	return p2, k2, signIn(t, a.URL(), "project 2's signed-in "+string(role), email, password, role, p2.ID)
}

// TestIsolationSearchesSourceMapsReplays: project 1's saved search,
// source maps and session recording, made first, are not read, changed,
// deleted or used from project 2 — by a signed-in member of project 2 or
// by project 2's read key. A probe by id answers exactly as for an id that
// does not exist (404 reading; a read key's write is refused by its role
// before any lookup), so it cannot even tell the thing exists; lists are
// empty; project 2's import of a search of the same name makes its own;
// its error of the same release is not symbolicated with project 1's
// maps; its recording of the same session id stays apart. Project 1 sees
// all of its own unchanged afterwards.
func TestIsolationSearchesSourceMapsReplays(t *testing.T) {
	a := startApp(t, func(c *app.Config) { c.AdminKey = adminKey })
	base := a.URL()
	p2, admin2, member2 := secondProject(t, a, "mo@example.com", "mo-password-1", meta.RoleMember)
	one := caller{name: "project 1's admin key", key: adminKey}
	others := []caller{member2, {name: "project 2's read key", key: p2.ReadKey}}

	// Project 1's saved search, source maps (release web@1) and recording.
	const searchBody = `{"name":"one's errors","query":"level:error service:checkout"}`
	code, b := one.do(t, "POST", base+"/api/v1/searches", []byte(searchBody), nil)
	var search struct{ ID int64 }
	if json.Unmarshal([]byte(b), &search); code != 200 || search.ID == 0 {
		t.Fatalf("project 1's saved search: %d %s", code, b)
	}
	if out, errOut, code := runCLI(t, "sourcemaps", "upload", "../sourcemap/testdata/dist-3f9a2b", "--release", "web@1", "--url", base, "--key", adminKey); code != 0 {
		t.Fatalf("project 1's source maps: %d %s %s", code, out, errOut)
	}
	enableRecording(t, base, `{"session_recording":true}`)
	chunks := recordRage(time.Now().Add(-20*time.Minute).Truncate(time.Millisecond), "sess-shared")
	for i, c := range chunks {
		if code, _, b := uploadChunk(t, base, ingestKey, "", gz(c)); code != 200 {
			t.Fatalf("project 1's chunk %d: %d %s", i, code, b)
		}
	}
	flush(t, a)
	replayEvents := func(c caller) (int, int) {
		t.Helper()
		code, b := c.do(t, "GET", base+"/api/v1/replays/sess-shared/events", nil, nil)
		var v struct{ Events []json.RawMessage }
		json.Unmarshal([]byte(b), &v)
		return code, len(v.Events)
	}
	_, events1 := replayEvents(one)
	if events1 == 0 {
		t.Fatal("project 1 plays back no events of its recording")
	}

	// By id: the same answer as for nothing, never a 2xx.
	probes := []struct{ method, path, missing, body string }{
		{"GET", fmt.Sprintf("/api/v1/searches/%d", search.ID), "/api/v1/searches/999999", ""},
		{"GET", fmt.Sprintf("/api/v1/searches/%d.yaml", search.ID), "/api/v1/searches/999999.yaml", ""},
		{"PUT", fmt.Sprintf("/api/v1/searches/%d", search.ID), "/api/v1/searches/999999", `{"name":"taken","query":"*"}`},
		{"DELETE", fmt.Sprintf("/api/v1/searches/%d", search.ID), "/api/v1/searches/999999", ""},
		{"GET", "/api/v1/replays/sess-shared/events", "/api/v1/replays/sess-none/events", ""},
	}
	for _, o := range others {
		for _, p := range probes {
			var body []byte
			if p.body != "" {
				body = []byte(p.body)
			}
			code, b := o.do(t, p.method, base+p.path, body, nil)
			none, nb := o.do(t, p.method, base+p.missing, body, nil)
			if code != none || code < 400 || (p.method == "GET" && code != 404) {
				t.Errorf("%s %s as %s: %d %.200s; for nothing (%s): %d %.200s", p.method, p.path, o.name, code, b, p.missing, none, nb)
			}
		}
		for _, l := range []struct{ path, leak string }{
			{"/api/v1/searches", "one's errors"},
			{"/api/v1/searches?format=yaml", "one's errors"},
			{"/api/v1/sourcemaps?release=web%401", "index-3f9a2b"},
			{"/api/v1/replays?session=sess-shared", "user-42"},
		} {
			if code, b := o.do(t, "GET", base+l.path, nil, nil); code != 200 || strings.Contains(b, l.leak) {
				t.Errorf("GET %s as %s: %d %.300s; project 1's %q leaks", l.path, o.name, code, b, l.leak)
			}
		}
	}
	// A member of project 2 may delete source maps — its own project's.
	if code, b := member2.do(t, "DELETE", base+"/api/v1/sourcemaps?release=web%401", nil, nil); code != 200 || !strings.Contains(b, `"deleted":0`) {
		t.Errorf("project 2's member deleting release web@1: %d %s; want 0 deleted", code, b)
	}
	if code, _ := others[1].do(t, "DELETE", base+"/api/v1/sourcemaps?release=web%401", nil, nil); code != 403 {
		t.Errorf("project 2's read key deleting source maps: %d; want 403", code)
	}
	// Importing a search of the same name makes project 2's own.
	if code, b := member2.do(t, "POST", base+"/api/v1/searches/import", []byte("name: one's errors\nquery: level:warn\n"), map[string]string{"Content-Type": "application/yaml"}); code != 200 {
		t.Errorf("project 2 imports a search: %d %s", code, b)
	}
	if code, b := member2.do(t, "GET", base+"/api/v1/searches", nil, nil); code != 200 || !strings.Contains(b, "level:warn") || strings.Contains(b, fmt.Sprintf(`"id":%d,`, search.ID)) {
		t.Errorf("project 2's searches after its import: %d %s", code, b)
	}

	// Project 2's browser error of release web@1 stays minified: project
	// 1's maps are not used for it.
	ev := fmt.Sprintf(`{"event_id":"%032x","timestamp":%q,"platform":"javascript","release":"web@1","exception":{"values":[{"type":"TypeError",`+
		`"value":"Cannot read properties of null (reading 'amount')","stacktrace":{"frames":[`+
		`{"filename":"https://shop.example/assets/index-3f9a2b.js","function":"Object.onPay","lineno":1,"colno":199,"in_app":true},`+
		`{"filename":"https://shop.example/assets/index-3f9a2b.js","function":"r","lineno":1,"colno":30,"in_app":true}]}}]}}`,
		time.Now().UnixNano(), time.Now().UTC().Format(time.RFC3339Nano))
	if code, b := sentryPost(t, base, fmt.Sprintf("/api/%d/store/", p2.ID), []byte(ev),
		map[string]string{"X-Sentry-Auth": "Sentry sentry_version=7, sentry_client=test/1.0, sentry_key=" + p2.IngestKey}); code != 200 {
		t.Fatalf("project 2's error: %d %s", code, b)
	}
	// Project 2's recording of a session with the same id.
	if code, b := (caller{name: "project 2's admin key", key: admin2}).do(t, "PUT", base+"/api/v1/capture/settings", []byte(`{"session_recording":true}`), nil); code != 200 {
		t.Fatalf("project 2's capture settings: %d %s", code, b)
	}
	other := synth.New(time.Now().Add(-10*time.Minute).Truncate(time.Millisecond), 800, 600)
	other.Load("https://other.example/", "Other", "", synth.El("body", nil, synth.T("other")))
	otherChunks := other.Chunks("sess-shared", "page-9", "user-99", "anon-99", 100)
	for i, c := range otherChunks {
		if code, _, b := uploadChunk(t, base, p2.IngestKey, "", gz(c)); code != 200 {
			t.Fatalf("project 2's chunk %d: %d %s", i, code, b)
		}
	}
	flush(t, a)
	var issues2 struct {
		Issues []struct {
			ID      int64
			Culprit string
		}
	}
	for deadline := time.Now().Add(20 * time.Second); len(issues2.Issues) == 0 && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		_, b := others[1].do(t, "GET", base+"/api/v1/issues?from=now-1h&to=now%2B1h", nil, nil)
		json.Unmarshal([]byte(b), &issues2)
	}
	if len(issues2.Issues) != 1 {
		t.Fatalf("project 2's issues: %+v", issues2)
	}
	_, detail := others[1].do(t, "GET", base+fmt.Sprintf("/api/v1/issues/%d?from=now-1h&to=now%%2B1h", issues2.Issues[0].ID), nil, nil)
	if strings.Contains(issues2.Issues[0].Culprit, "computeTotal") || strings.Contains(detail, "computeTotal") || strings.Contains(detail, "orders.js") {
		t.Errorf("project 2's error was symbolicated with project 1's source maps: culprit %q\n%.600s", issues2.Issues[0].Culprit, detail)
	}
	code, b = others[1].do(t, "GET", base+"/api/v1/replays?session=sess-shared", nil, nil)
	if code != 200 || !strings.Contains(b, "user-99") || strings.Contains(b, "user-42") {
		t.Errorf("project 2's recording of sess-shared: %d %.300s", code, b)
	}
	if code, n := replayEvents(others[1]); code != 200 || n == 0 || n >= events1 {
		t.Errorf("project 2 plays back %d events of sess-shared (%d); project 1's has %d", n, code, events1)
	}

	// Project 1's own, unchanged.
	if code, b := one.do(t, "GET", base+fmt.Sprintf("/api/v1/searches/%d", search.ID), nil, nil); code != 200 || !strings.Contains(b, `"query":"level:error service:checkout"`) || !strings.Contains(b, `"name":"one's errors"`) {
		t.Errorf("project 1's search afterwards: %d %s", code, b)
	}
	if code, b := one.do(t, "GET", base+"/api/v1/sourcemaps?release=web%401", nil, nil); code != 200 || !strings.Contains(b, "index-3f9a2b.js.map") {
		t.Errorf("project 1's source maps afterwards: %d %s", code, b)
	}
	code, b = one.do(t, "GET", base+"/api/v1/replays?session=sess-shared", nil, nil)
	var got replaysAnswer
	json.Unmarshal([]byte(b), &got)
	if code != 200 || len(got.Replays) != 1 || got.Replays[0].Chunks != len(chunks) || got.Replays[0].UserID != "user-42" {
		t.Errorf("project 1's recording afterwards: %d %.300s", code, b)
	}
	if _, n := replayEvents(one); n != events1 {
		t.Errorf("project 1 plays back %d events of sess-shared; %d before", n, events1)
	}
}
